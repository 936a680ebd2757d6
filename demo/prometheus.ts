/**
 * `demo --prometheus`: a real Prometheus (the `prometheus` binary on PATH) with a generated config in a
 * temp dir, scraping the demo through the forwarder; stopped with the demo.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import YAML from 'yaml';

/** The executable `name` on PATH, or undefined. */
export function findOnPath(name: string, path = process.env.PATH ?? ''): string | undefined {
  for (const dir of path.split(delimiter).filter(Boolean)) {
    const file = join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** A free loopback port: Prometheus cannot listen on port 0 and tell us which one it got. */
async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

export interface DemoPrometheus {
  url: string;
  /** Active targets: scrape URL, health, last error, whether scraped yet. */
  targets(): Promise<{ scrapeUrl: string; health: string; lastError: string; labels: Record<string, string> }[]>;
  stop(): Promise<void>;
}

export async function startDemoPrometheus(binary: string, scrapeConfigs: Record<string, unknown>[], ruleFiles: readonly string[]): Promise<DemoPrometheus> {
  const dir = mkdtempSync(join(tmpdir(), 'hcp-demo-prometheus-'));
  const port = await freePort();
  const config = {
    global: { scrape_interval: '15s', evaluation_interval: '15s' },
    ...(ruleFiles.length > 0 ? { rule_files: ruleFiles.map((f) => (isAbsolute(f) ? f : resolve(f))) } : {}),
    scrape_configs: scrapeConfigs,
  };
  writeFileSync(join(dir, 'prometheus.yml'), YAML.stringify(config));
  let output = '';
  const child: ChildProcess = spawn(binary, [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (b: Buffer) => (output = (output + b.toString()).slice(-20_000)));
  child.stderr!.on('data', (b: Buffer) => (output = (output + b.toString()).slice(-20_000)));
  const url = `http://127.0.0.1:${port}`;
  const stop = () =>
    new Promise<void>((done) => {
      const finish = () => {
        rmSync(dir, { recursive: true, force: true });
        done();
      };
      if (child.exitCode !== null || child.signalCode !== null) return finish();
      child.once('exit', finish);
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
    });
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`prometheus exited with status ${child.exitCode} (a rule file it cannot load?):\n${output.trim()}`);
    }
    const ready = await fetch(`${url}/-/ready`).then((r) => r.ok, () => false);
    if (ready) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`prometheus not ready within 60 s:\n${output.trim()}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    targets: async () => {
      const body = (await (await fetch(`${url}/api/v1/targets?state=active`)).json()) as { data: { activeTargets: { scrapeUrl: string; health: string; lastError: string; labels: Record<string, string> }[] } };
      return body.data.activeTargets;
    },
    stop,
  };
}
