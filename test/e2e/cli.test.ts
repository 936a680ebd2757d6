/**
 * The built CLI as an operator runs it: `node build/cli.js proxy ...` against a local stack's config
 * and certificates, and `node build/cli.js demo --once`.
 * Addresses: 127.0.105.x (the stack's pods); the CLI proxy on a free 127.0.0.1 port; the demo on
 * 127.0.1.x with the real component ports (it falls back to ephemeral ports when they are taken).
 */
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { memoryLogger } from '../../common/log.js';
import { scrapeProxy } from '../../demo/client.js';
import { findOnPath } from '../../demo/prometheus.js';
import { startLocalStack, type LocalStack } from '../../demo/stack.js';
import { parseSamples } from '../support/exposition.js';
import { eventually, freePort } from '../support/prometheus.js';
import { havePrometheus } from '../support/promtool.js';

/** build/cli.js, from build/test/e2e/cli.test.js. */
const CLI = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'cli.js');

interface Run {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

function run(args: string[], env: Record<string, string> = {}): Run {
  let out = '';
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LOG_LEVEL: 'info', ...env } });
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

async function stop(r: Run | undefined): Promise<void> {
  if (!r || r.child.exitCode !== null || r.child.signalCode !== null) return;
  r.child.kill('SIGTERM');
  const timer = setTimeout(() => r.child.kill('SIGKILL'), 10_000);
  await r.exited;
  clearTimeout(timer);
}

describe('e2e: the hcp-metrics-proxy CLI', function () {
  this.timeout(90_000);
  let stack: LocalStack;
  let caPem: string;
  let runs: Run[] = [];
  const start = (args: string[]) => {
    const r = run(args);
    runs.push(r);
    return r;
  };

  before(async () => {
    stack = await startLocalStack({ ipPrefix: '127.0.105', apiserver: { seriesCount: 1000 }, scrapeTimeout: '1s', logger: memoryLogger('e2e-cli') });
    caPem = readFileSync(stack.certs.caFile, 'utf8');
  });
  afterEach(async () => {
    await Promise.all(runs.map(stop));
    runs = [];
  });
  after(async () => {
    await stack?.close();
  });

  const proxyArgs = (port: number) => [
    'proxy',
    '--config',
    stack.configFile,
    '--tls-cert-file',
    stack.certs.proxyServing.certFile,
    '--tls-key-file',
    stack.certs.proxyServing.keyFile,
    '--listen',
    `127.0.0.1:${port}`,
    '--metrics-set',
    'All',
    '--namespace',
    'clusters-cli',
  ];

  it('`proxy --insecure-no-auth` serves a scrape of the stack and warns that authentication is off', async () => {
    const port = await freePort();
    const r = start([...proxyArgs(port), '--insecure-no-auth', '--scrape-workers', '1', '--sd-target', 'metrics-proxy.apps.example.com:443']);
    const url = `https://127.0.0.1:${port}`;
    await eventually(
      async () => {
        if (r.child.exitCode !== null) throw new Error(`proxy exited with ${r.child.exitCode}:\n${r.output()}`);
        return (await scrapeProxy(`${url}/readyz`, { caPem })).status === 200 ? true : undefined;
      },
      30_000,
      'the CLI proxy to be ready',
    ).catch((err: Error) => {
      throw new Error(`${err.message}\n${r.output()}`);
    });
    const a = await scrapeProxy(`${url}/metrics/etcd`, { caPem, headers: { 'Accept-Encoding': 'gzip' } });
    expect(a.status).to.equal(200);
    const up = parseSamples(a.body).filter((s) => s.name === 'up');
    expect(up.map((s) => [s.labels.pod, s.labels.job, s.value])).to.deep.equal([
      ['etcd-0', 'etcd', '1'],
      ['etcd-1', 'etcd', '1'],
      ['etcd-2', 'etcd', '1'],
    ]);
    expect(parseSamples(a.body).length).to.be.greaterThan(1000);
    const components = await scrapeProxy(`${url}/components`, { caPem });
    expect(JSON.parse(components.body)).to.have.length(stack.controlPlane.components.length);
    // --sd-target: GET /sd names it for every served path.
    const sd = JSON.parse((await scrapeProxy(`${url}/sd`, { caPem })).body) as { targets: string[]; labels: Record<string, string> }[];
    expect(sd.map((g) => g.labels.__metrics_path__)).to.deep.equal(JSON.parse(components.body));
    expect(sd.every((g) => g.targets.join() === 'metrics-proxy.apps.example.com:443')).to.equal(true);
    expect(r.output()).to.match(/AUTHENTICATION IS DISABLED/);

    // SIGTERM: a clean shutdown.
    r.child.kill('SIGTERM');
    expect(await r.exited).to.equal(0);
  });

  it('`proxy` without --insecure-no-auth exits non-zero and says why', async () => {
    const port = await freePort();
    const r = start(proxyArgs(port));
    const code = await r.exited;
    expect(code).to.not.equal(0);
    expect(r.output()).to.match(/--insecure-no-auth/);
    expect(r.output()).to.match(/authentication/i);
  });

  it('`proxy --sd-target` that is not HOST:PORT exits non-zero naming the flag', async () => {
    const r = start([...proxyArgs(await freePort()), '--insecure-no-auth', '--sd-target', 'https://metrics-proxy.apps.example.com']);
    expect(await r.exited).to.not.equal(0);
    expect(r.output()).to.include('--sd-target must be HOST:PORT (the address the guest Prometheus reaches, e.g. the Route host and 443), not "https://metrics-proxy.apps.example.com"');
  });

  it('`proxy` without its required flags exits non-zero naming them', async () => {
    const r = start(['proxy', '--insecure-no-auth']);
    expect(await r.exited).to.not.equal(0);
    expect(r.output()).to.match(/missing required flag\(s\): --config, --tls-cert-file, --tls-key-file/);
  });

  it('`demo --prometheus` without the binary on PATH exits non-zero saying so, before starting anything', async () => {
    const empty = run(['demo', '--once', '--prometheus', '--listen', '127.0.0.1:0'], { PATH: '' });
    runs.push(empty);
    expect(await empty.exited).to.not.equal(0);
    expect(empty.output()).to.match(/--prometheus needs the `prometheus` binary on PATH \(Debian\/Ubuntu: apt-get install prometheus\); none was found/);
    expect(empty.output()).not.to.match(/Starting a simulated/);
  });

  it('`demo --once` prints the summary table and the guest side (with --prometheus when installed: every target up through the forwarder) and exits 0', async function () {
    const port = await freePort();
    const withPrometheus = havePrometheus() && findOnPath('prometheus') !== undefined;
    const r = start(['demo', '--once', '--listen', `127.0.0.1:${port}`, ...(withPrometheus ? ['--prometheus'] : [])]);
    const code = await r.exited;
    const out = r.output();
    // Another process holding 127.0.0.1:<port> between freePort() and the bind is not the demo's fault.
    if (code !== 0 && /EADDRINUSE/.test(out)) return this.skip();
    expect(code, out).to.equal(0);
    const header = out.split('\n').find((l) => /^component\s+pods up\s+pods down\s+series\s+bytes\s+time$/.test(l));
    expect(header, out).to.not.equal(undefined);
    const rows = new Map<string, string[]>();
    for (const line of out.split('\n')) {
      const cells = line.trim().split(/\s{2,}/);
      if (cells.length >= 6 && /^[a-z-]+$/.test(cells[0]!) && cells[0] !== 'component') rows.set(cells[0]!, cells);
    }
    expect([...rows.keys()]).to.deep.equal([
      'kube-apiserver',
      'etcd',
      'kube-controller-manager',
      'openshift-apiserver',
      'openshift-controller-manager',
      'cluster-version-operator',
    ]);
    // pods up / pods down, as the demo's simulated control plane is built.
    const upDown = Object.fromEntries([...rows].map(([name, cells]) => [name, `${cells[1]}/${cells[2]}`]));
    expect(upDown).to.deep.equal({
      'kube-apiserver': '3/0',
      etcd: '3/0',
      'kube-controller-manager': '2/0',
      'openshift-apiserver': '1/1',
      'openshift-controller-manager': '1/1',
      'cluster-version-operator': '1/0',
    });
    for (const [name, cells] of rows) expect(cells.length, `${name}: ${cells.join(' | ')} (an HTTP error column?)`).to.equal(6);
    // The guest side: the forwarder, the PodMonitor guest sync would write, a scrape config to paste.
    expect(out).to.match(/^Guest side: the forwarder on 127\.0\.0\.1:\d+ carries every connection, TLS untouched, to the proxy on 127\.0\.0\.1:\d+$/m);
    expect(out).to.match(/^ {4}kind: PodMonitor$/m);
    expect(out.match(/^ +path: \/metrics\/[a-z-]+$/gm)).to.have.length(6);
    expect(out.match(/__metrics_path__: \/metrics\/[a-z-]+/g)).to.have.length(6);
    if (withPrometheus) {
      expect(out).to.match(/^Prometheus: http:\/\/127\.0\.0\.1:\d+\/targets/m);
      const health = out.match(/^ {2}\/metrics\/[a-z-]+ +\S+/gm)!.map((l) => l.trim().split(/ +/));
      expect(health.map(([path]) => path).sort()).to.deep.equal([...rows.keys()].map((c) => `/metrics/${c}`).sort());
      for (const [path, h] of health) expect(h, path).to.equal('up');
    }
  });
});
