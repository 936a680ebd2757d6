/** The proxy under test as a separate process (build/cli.js), its logs kept aside and its memory read from /proc. */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { settle } from './stats.js';

const CLI = fileURLToPath(new URL('../cli.js', import.meta.url));
const LOG_TAIL_BYTES = 16 * 1024;

export interface ProxyProcess {
  readonly pid: number;
  readonly url: string;
  /** VmRSS and VmHWM (peak RSS since start) in bytes. */
  memory(): { rss: number; hwm: number };
  /** The last lines the process wrote, for error messages. */
  logTail(): string;
  stop(): Promise<void>;
}

/** A free TCP port on a loopback address (tiny race window before the proxy binds it; fine for a benchmark). */
export async function freePort(host: string): Promise<number> {
  const srv = createServer();
  srv.listen(0, host);
  await once(srv, 'listening');
  const addr = srv.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

function statusField(pid: number, field: string): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(m[1]) * 1024;
}

function get(url: string, ca: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    https
      .get(url, { ca, agent: false }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      })
      .on('error', reject);
  });
}

export async function startProxyProcess(args: { listenHost: string; flags: string[]; ca: Buffer; readyTimeoutMs?: number }): Promise<ProxyProcess> {
  const port = await freePort(args.listenHost);
  // BENCH_PROXY_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") profiles the proxy process.
  const nodeArgs = (process.env.BENCH_PROXY_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');
  // BENCH_PROXY_FLAGS (e.g. "--scrape-workers 3") adds proxy flags, to compare settings.
  const extraFlags = (process.env.BENCH_PROXY_FLAGS ?? '').split(' ').filter((a) => a !== '');
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, CLI, 'proxy', ...args.flags, ...extraFlags, '--listen', `${args.listenHost}:${port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  let tail = '';
  const keep = (b: Buffer) => (tail = (tail + b.toString('utf8')).slice(-LOG_TAIL_BYTES));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  let exited: string | undefined;
  child.once('exit', (code, signal) => (exited = `exited with ${signal ?? code}`));
  const pid = child.pid!;
  const url = `https://${args.listenHost}:${port}`;

  const deadline = Date.now() + (args.readyTimeoutMs ?? 30_000);
  for (;;) {
    if (exited) throw new Error(`proxy ${exited} before it was ready:\n${tail}`);
    const status = await get(`${url}/readyz`, args.ca).catch(() => 0);
    if (status === 200) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`proxy not ready within ${args.readyTimeoutMs ?? 30_000} ms:\n${tail}`);
    }
    await settle(100);
  }

  return {
    pid,
    url,
    memory: () => {
      if (exited) throw new Error(`proxy ${exited}:\n${tail}`);
      return { rss: statusField(pid, 'VmRSS'), hwm: statusField(pid, 'VmHWM') };
    },
    logTail: () => tail,
    stop: async () => {
      if (exited) return;
      const gone = once(child, 'exit');
      child.kill('SIGINT'); // the proxy's own graceful shutdown
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await gone;
      clearTimeout(timer);
    },
  };
}
