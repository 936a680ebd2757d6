/**
 * Endpoint-resolver benchmark: POST /resolve latency under an open-loop load (1 000 pods behind 50
 * selectors, 200 requests/s, latency measured from each request's scheduled time so a stall is not
 * hidden), against GET /healthz on the same TLS port and load (the transport floor); and the
 * resolver process's resident memory with 10 000 pods cached, against the same process with none.
 * The resolver runs as its own process (`node build/cli.js resolver`) against the in-repo kube-apiserver.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FakeKubeApiserver, type KubeObject } from '../demo/sim/kube-apiserver/index.js';
import { createCA, issueCertificate } from '../generator/pki/index.js';
import { met, type Row, type Section } from './report.js';
import { median, settle } from './stats.js';

export interface ResolverBenchOptions {
  pods: number;
  selectors: number;
  ratePerSec: number;
  seconds: number;
  memoryPods: number;
  log: (line: string) => void;
}

export const RESOLVER_DEFAULTS: Omit<ResolverBenchOptions, 'log'> = { pods: 1000, selectors: 50, ratePerSec: 200, seconds: 10, memoryPods: 10_000 };

const CLI = fileURLToPath(new URL('../cli.js', import.meta.url));
const HOST = '127.0.110.20';
const NS = 'clusters-bench';

function podObject(i: number, selectors: number): KubeObject {
  return {
    metadata: { name: `pod-${String(i).padStart(5, '0')}`, namespace: NS, labels: { app: `component-${i % selectors}`, 'pod-template-hash': 'abcde', 'hypershift.openshift.io/control-plane-component': `component-${i % selectors}` } },
    spec: { containers: [{ name: 'c', image: 'x', ports: [{ name: 'metrics', containerPort: 8443 }] }] },
    status: { phase: 'Running', podIP: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, conditions: [{ type: 'Ready', status: 'True' }] },
  };
}

function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
}

function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

interface Resolver {
  child: ChildProcess;
  port: number;
  stop(): Promise<void>;
}

async function startResolverProcess(dir: string, kubeconfig: string, port: number): Promise<Resolver> {
  const child = spawn(process.execPath, [CLI, 'resolver', '--kubeconfig', kubeconfig, '--namespace', NS, '--listen', `${HOST}:${port}`, '--health-listen', `${HOST}:${port + 1}`, '--tls-cert-file', join(dir, 'tls.crt'), '--tls-key-file', join(dir, 'tls.key'), '--client-ca-file', join(dir, 'ca.crt'), '--log-level', 'warn'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`resolver exited with ${child.exitCode}: ${stderr}`);
    const ok = await new Promise<boolean>((resolve) => {
      http.get(`http://${HOST}:${port + 1}/readyz`, (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      }).on('error', () => resolve(false));
    });
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`resolver not ready within 60 s: ${stderr}`);
    await settle(50);
  }
  return {
    child,
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 5000).unref();
      }),
  };
}

/** Open loop: request i is due at t0 + i/rate, whatever happened to the ones before. */
async function openLoop(agent: https.Agent, port: number, count: number, rate: number, make: (i: number) => { method: string; path: string; body?: string }): Promise<{ latencies: number[]; statuses: Map<number, number> }> {
  const latencies: number[] = [];
  const statuses = new Map<number, number>();
  const t0 = performance.now() + 50;
  const pending: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    const due = t0 + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const r = make(i);
    // Count from `due` when the send is late (a stall is queueing, and shows); from the send itself when
    // it goes out early (a timer woke, or the wait was under a millisecond), never from a later moment.
    const start = Math.min(due, performance.now());
    pending.push(
      new Promise<void>((resolve) => {
        const req = https.request({ host: HOST, port, method: r.method, path: r.path, agent, headers: r.body ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(r.body) } : {} }, (res) => {
          res.resume();
          res.on('end', () => {
            latencies.push(performance.now() - start);
            statuses.set(res.statusCode ?? 0, (statuses.get(res.statusCode ?? 0) ?? 0) + 1);
            resolve();
          });
        });
        req.on('error', () => {
          statuses.set(0, (statuses.get(0) ?? 0) + 1);
          resolve();
        });
        req.end(r.body);
      }),
    );
  }
  await Promise.all(pending);
  return { latencies, statuses };
}

export async function runResolverBench(opts: ResolverBenchOptions): Promise<Section> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-resolver-'));
  const ca = createCA({ commonName: 'bench CA' });
  const serving = issueCertificate(ca, { commonName: 'endpoint-resolver', ipAddresses: [HOST], usages: ['serverAuth'] });
  const client = issueCertificate(ca, { commonName: 'metrics-proxy', usages: ['clientAuth'] });
  writeFileSync(join(dir, 'tls.crt'), serving.certPem);
  writeFileSync(join(dir, 'tls.key'), serving.keyPem);
  writeFileSync(join(dir, 'ca.crt'), ca.certPem);
  const kas = await FakeKubeApiserver.start({ host: HOST });
  const { kubeconfig } = kas.writeKubeconfig(dir);
  const agent = new https.Agent({ keepAlive: true, maxSockets: 16, ca: ca.certPem, cert: client.certPem, key: client.keyPem });
  try {
    // Latency.
    for (let i = 0; i < opts.pods; i++) kas.resources.create('pods', podObject(i, opts.selectors));
    opts.log(`resolver: ${opts.pods} pods, ${opts.selectors} selectors; starting the resolver process`);
    let r = await startResolverProcess(dir, kubeconfig, 19444);
    const count = opts.ratePerSec * opts.seconds;
    await openLoop(agent, r.port, opts.ratePerSec, opts.ratePerSec, (i) => ({ method: 'POST', path: '/resolve', body: JSON.stringify({ selector: { app: `component-${i % opts.selectors}` } }) })); // warm-up, 1 s
    opts.log(`resolver: ${count} POST /resolve at ${opts.ratePerSec}/s`);
    const resolve = await openLoop(agent, r.port, count, opts.ratePerSec, (i) => ({ method: 'POST', path: '/resolve', body: JSON.stringify({ selector: { app: `component-${(i * 7) % opts.selectors}` } }) }));
    opts.log(`resolver: ${count} GET /healthz at ${opts.ratePerSec}/s (baseline)`);
    const floor = await openLoop(agent, r.port, count, opts.ratePerSec, () => ({ method: 'GET', path: '/healthz' }));
    await r.stop();
    agent.destroy();

    // Memory: the same process with no pods, then with memoryPods.
    for (const p of kas.resources.list('pods', NS)) kas.resources.remove('pods', NS, p.metadata.name);
    r = await startResolverProcess(dir, kubeconfig, 19454);
    await settle(500);
    const rssEmpty = rssBytes(r.child.pid!);
    await r.stop();
    for (let i = 0; i < opts.memoryPods; i++) kas.resources.create('pods', podObject(i, opts.selectors));
    opts.log(`resolver: memory with ${opts.memoryPods} pods`);
    r = await startResolverProcess(dir, kubeconfig, 19464);
    await settle(500);
    const rssFull = rssBytes(r.child.pid!);
    await r.stop();

    const p50 = percentile(resolve.latencies, 50);
    const p99 = percentile(resolve.latencies, 99);
    const f50 = percentile(floor.latencies, 50);
    const f99 = percentile(floor.latencies, 99);
    const ok = resolve.statuses.get(200) ?? 0;
    const rows: Row[] = [
      { figure: 'POST /resolve latency p50', value: `${p50.toFixed(2)} ms`, baseline: `${f50.toFixed(2)} ms (GET /healthz)`, ratio: `${(p50 / f50).toFixed(2)}×`, target: '—', met: '—' },
      { figure: 'POST /resolve latency p99', value: `${p99.toFixed(2)} ms`, baseline: `${f99.toFixed(2)} ms (GET /healthz)`, ratio: `${(p99 / f99).toFixed(2)}×`, target: '—', met: '—' },
      { figure: `answers 200 (of ${count})`, value: String(ok), baseline: '—', ratio: '—', target: `${count}`, met: met(ok === count) },
      { figure: `resolver RSS with ${opts.memoryPods} pods`, value: `${(rssFull / 1e6).toFixed(1)} MB`, baseline: `${(rssEmpty / 1e6).toFixed(1)} MB (no pods)`, ratio: `${(rssFull / rssEmpty).toFixed(2)}×`, target: '—', met: '—' },
      { figure: 'resolver RSS per cached pod', value: `${((rssFull - rssEmpty) / opts.memoryPods / 1e3).toFixed(1)} kB`, baseline: '—', ratio: '—', target: '—', met: '—' },
    ];
    return {
      title: 'Endpoint resolver (bench/resolver.ts)',
      intro: [
        `The resolver as its own process (\`node build/cli.js resolver\`) watching ${opts.pods} Running/Ready pods in the in-repo kube-apiserver, ${opts.selectors} selectors (\`app: component-N\`, ${opts.pods / opts.selectors} pods each). Open-loop load of ${opts.ratePerSec} requests/s for ${opts.seconds} s over keep-alive mutual-TLS connections; each latency runs from the request's scheduled start (or its send, if a timer woke early) to the end of its answer, so queueing shows. Baseline: the same load of GET /healthz on the same port (TLS and HTTP only). Memory: VmRSS of the resolver process once ready with ${opts.memoryPods} pods, against the same process in an empty namespace.`,
      ],
      rows,
      notes: [`Median latencies: resolve ${median(resolve.latencies).toFixed(2)} ms, healthz ${median(floor.latencies).toFixed(2)} ms; statuses ${JSON.stringify(Object.fromEntries(resolve.statuses))}.`, 'The load generator and the kube-apiserver share the 2 cores with the resolver process.'],
    };
  } finally {
    agent.destroy();
    await kas.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
