/**
 * The proxy under concurrency (DESIGN §10), through the real HTTPS app: the answer streams while pods
 * are still being read, a caller that leaves frees everything, the memory budget queues then refuses
 * with 503, a pod's `up` never reports the proxy's own queueing, identical scrapes share one fan-out,
 * and HEAD is refused. Pods are plain-HTTP servers whose answers each test controls.
 * Addresses: 127.0.104.x (pods); the resolver and the proxy listen on 127.0.0.1.
 */
import { expect } from 'chai';
import http from 'node:http';
import https from 'node:https';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { startHttpsServer, type RunningServer } from '../../../common/https-server.js';
import { memoryLogger } from '../../../common/log.js';
import { mintLocalCertificates, type LocalCertificates } from '../../../demo/certs.js';
import { scrapeProxy } from '../../../demo/client.js';
import { startStaticResolver, type StaticResolver } from '../../../demo/sim/index.js';
import { ProxyRuntime } from '../../../proxy/runtime.js';
import { WorkerPoolScraper } from '../../../proxy/scrape/workers.js';
import { createScraper } from '../../../proxy/scrape/scraper.js';
import type { PodScraper } from '../../../proxy/scrape/task.js';
import { Admission } from '../../../proxy/server/admission.js';
import { createProxyApp } from '../../../proxy/server/app.js';
import { insecureNoAuth } from '../../../proxy/server/auth.js';
import { ProxyMetrics } from '../../../proxy/server/metrics.js';
import { expectPromtoolClean, parseSamples, proxyMetric } from '../../support/exposition.js';
import { havePrometheus } from '../../support/promtool.js';

const PREFIX = '127.0.104';

/** A family with enough samples to fill output blocks. */
function familyText(name: string, pod: string, samples = 400): string {
  let out = `# HELP ${name} Family ${name}.\n# TYPE ${name} counter\n`;
  for (let i = 0; i < samples; i++) out += `${name}{code="${i}",resource="resource-${i % 37}",verb="LIST",src="${pod}"} ${i}\n`;
  return out;
}

function bodyOf(pod: string, families: number, samples = 400): string {
  let out = '';
  for (let f = 0; f < families; f++) out += familyText(`load_family_${String(f).padStart(3, '0')}_total`, pod, samples);
  return out;
}

type PodHandler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

interface TestPod {
  name: string;
  ip: string;
  port: number;
  requests: number;
  aborted: number;
  handler: PodHandler;
  close(): Promise<void>;
}

async function startPod(name: string, ip: string, port: number, handler: PodHandler): Promise<TestPod> {
  const pod: TestPod = { name, ip, port, requests: 0, aborted: 0, handler, close: async () => undefined };
  const server = http.createServer((req, res) => {
    pod.requests++;
    res.on('close', () => {
      if (!res.writableFinished) pod.aborted++;
    });
    pod.handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(port, ip, resolve));
  pod.port = (server.address() as { port: number }).port;
  pod.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return pod;
}

const serve = (body: string): PodHandler => (_req, res) => {
  res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' });
  res.end(body);
};

interface Harness {
  url: string;
  caPem: string;
  pods: TestPod[];
  metrics: ProxyMetrics;
  close(): Promise<void>;
}

interface HarnessOptions {
  scraper?: PodScraper;
  admission?: Admission;
  share?: boolean;
  scrapeTimeout?: string;
  /** Components: name → pod indexes. */
  components?: Record<string, number[]>;
  pods?: number;
}

/** Minting keys is slow: one set for the whole file. */
let shared: { dir: string; certs: LocalCertificates } | undefined;
function certificates(): LocalCertificates {
  if (!shared) {
    const dir = mkdtempSync(join(tmpdir(), 'hcp-load-certs-'));
    shared = { dir, certs: mintLocalCertificates(dir, [], []) };
  }
  return shared.certs;
}

async function startHarness(opts: HarnessOptions = {}): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'hcp-load-'));
  const closers: (() => Promise<void> | void)[] = [() => rmSync(dir, { recursive: true, force: true })];
  const close = async () => {
    for (const c of closers.reverse()) await c();
  };
  try {
    const certs = certificates();
    const pods: TestPod[] = [];
    let port = 0;
    for (let i = 0; i < (opts.pods ?? 3); i++) {
      const pod = await startPod(`load-${i}`, `${PREFIX}.${i + 1}`, port, serve(bodyOf(`load-${i}`, 5, 10)));
      port = pod.port;
      pods.push(pod);
      closers.push(() => pod.close());
    }
    const components = opts.components ?? { load: pods.map((_p, i) => i) };
    const resolver: StaticResolver = await startStaticResolver({
      tls: { certPem: certs.resolverServing.certPem, keyPem: certs.resolverServing.keyPem, clientCaPem: certs.ca.certPem },
      pods: (sel) => (components[sel.app ?? ''] ?? []).map((i) => ({ name: pods[i]!.name, ip: pods[i]!.ip })),
    });
    closers.push(() => resolver.close());
    const configFile = join(dir, 'config.yaml');
    writeFileSync(
      configFile,
      YAML.stringify({
        endpointResolver: { url: resolver.url, caFile: certs.caFile, certFile: certs.resolverClient.certFile, keyFile: certs.resolverClient.keyFile },
        components: Object.keys(components).map((name) => ({
          name,
          selector: { app: name },
          metricsPort: port,
          metricsPath: '/metrics',
          metricsScheme: 'http',
          scrapeTimeout: opts.scrapeTimeout ?? '20s',
        })),
      }),
    );
    const logger = memoryLogger('load');
    const metrics = new ProxyMetrics({ defaultMetrics: false });
    const scraper = opts.scraper ?? createScraper(2, logger);
    closers.push(() => scraper.close());
    const runtime = await ProxyRuntime.start({ configFile, namespace: 'clusters-load', metricsSet: 'All', scraper, metrics, logger, resolverCacheTtlMs: 0 });
    closers.push(() => runtime.close());
    const app = createProxyApp({
      state: runtime,
      authenticator: insecureNoAuth,
      scraper,
      metrics,
      logger,
      maxBodyBytes: 64 << 20,
      admission: opts.admission,
      shareIdenticalScrapes: opts.share,
    });
    const server: RunningServer = await startHttpsServer(app, {
      listen: '127.0.0.1:0',
      tls: { certFile: certs.proxyServing.certFile, keyFile: certs.proxyServing.keyFile },
      logger,
    });
    closers.push(() => server.close(500));
    return { url: `https://127.0.0.1:${server.port}`, caPem: readFileSync(certs.caFile, 'utf8'), pods, metrics, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** Poll the proxy's own metric until `ok` holds (behaviour, not speed: generous bound). */
async function eventually(h: Harness, name: string, ok: (v: number) => boolean): Promise<number> {
  let v = NaN;
  for (let i = 0; i < 100; i++) {
    v = await proxyMetric(h.url, h.caPem, name);
    if (ok(v)) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${name} stayed at ${v}`);
}

function upValues(body: string): string[] {
  return parseSamples(body)
    .filter((s) => s.name === 'up')
    .map((s) => s.value);
}

describe('proxy under load', function () {
  this.timeout(30_000);
  after(() => {
    if (shared) rmSync(shared.dir, { recursive: true, force: true });
    shared = undefined;
  });

  it('streams: families every pod has passed are sent while a pod is still stalled mid-body', async () => {
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    const h = await startHarness();
    try {
      const full = bodyOf('load-2', 40);
      const cut = full.indexOf('load_family_030_total');
      for (const [i, pod] of h.pods.entries()) pod.handler = i < 2 ? serve(bodyOf(pod.name, 40)) : (_req, res) => {
        res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' });
        res.write(full.slice(0, cut));
        void released.then(() => res.end(full.slice(cut)));
      };
      const text = await new Promise<string>((resolve, reject) => {
        const req = https.get(`${h.url}/metrics/load`, { ca: h.caPem, agent: false }, (res) => {
          let got = '';
          let sawEarly = false;
          res.setEncoding('utf8');
          res.on('data', (s: string) => {
            got += s;
            // Family 020 is complete in every pod: it must arrive before the stalled pod goes on.
            if (!sawEarly && /load_family_020_total\{[^}]*code="399"[^}]*src="load-2"\} 399\n/.test(got)) {
              sawEarly = true;
              expect(got).to.not.contain('load_family_035_total');
              release();
            }
          });
          res.on('end', () => (sawEarly ? resolve(got) : reject(new Error('nothing streamed before the pod went on'))));
        });
        req.on('error', reject);
      });
      expect(upValues(text)).to.deep.equal(['1', '1', '1']);
      if (havePrometheus()) expectPromtoolClean(text, 'a streamed answer');
    } finally {
      release();
      await h.close();
    }
  });

  it('a caller that goes away mid-answer stops the pods and frees every held byte', async () => {
    const h = await startHarness();
    try {
      // Pods that trickle a large body: the fan-out is still running when the caller leaves.
      for (const pod of h.pods)
        pod.handler = (_req, res) => {
          res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' });
          const body = bodyOf(pod.name, 300);
          let at = 0;
          const step = () => {
            if (res.destroyed) return;
            if (at >= body.length) return void res.end();
            res.write(body.slice(at, (at += 64 * 1024)));
            setTimeout(step, 5);
          };
          step();
        };
      await new Promise<void>((resolve, reject) => {
        const req = https.get(`${h.url}/metrics/load`, { ca: h.caPem, agent: false }, (res) => {
          res.once('data', () => {
            req.destroy();
            resolve();
          });
        });
        req.on('error', (err) => (req.destroyed ? undefined : reject(err)));
      });
      await eventually(h, 'hcp_metrics_proxy_inflight_scrapes', (v) => v === 0);
      expect(await proxyMetric(h.url, h.caPem, 'hcp_metrics_proxy_inflight_held_bytes')).to.equal(0);
      expect(await proxyMetric(h.url, h.caPem, 'hcp_metrics_proxy_inflight_reserved_bytes')).to.equal(0);
      for (let i = 0; i < 100 && h.pods.some((p) => p.aborted === 0); i++) await new Promise((r) => setTimeout(r, 50));
      expect(h.pods.map((p) => p.aborted)).to.deep.equal([1, 1, 1]);
      // And the proxy serves the next scrape normally.
      for (const pod of h.pods) pod.handler = serve(bodyOf(pod.name, 3, 5));
      const a = await scrapeProxy(`${h.url}/metrics/load`, { caPem: h.caPem });
      expect(upValues(a.body)).to.deep.equal(['1', '1', '1']);
    } finally {
      await h.close();
    }
  });

  it('a slow caller holds pods back instead of memory, and their timeout does not run meanwhile: up stays 1', async () => {
    const h = await startHarness({ scrapeTimeout: '4s' });
    try {
      // ~24 MB per pod, served at once: without backpressure the proxy would hold nearly all of it.
      for (const pod of h.pods) {
        const body = bodyOf(pod.name, 120, 1000);
        pod.handler = serve(body);
      }
      let peakHeld = 0;
      const text = await new Promise<string>((resolve, reject) => {
        const req = https.get(`${h.url}/metrics/load`, { ca: h.caPem, agent: false, headers: { 'accept-encoding': 'identity' } }, (res) => {
          const parts: Buffer[] = [];
          res.once('data', (b: Buffer) => {
            parts.push(b);
            // Stop reading for longer than the pods' 4 s timeout, watching what the proxy holds.
            res.pause();
            const started = Date.now();
            const watch = async () => {
              peakHeld = Math.max(peakHeld, await proxyMetric(h.url, h.caPem, 'hcp_metrics_proxy_inflight_held_bytes'));
              if (Date.now() - started < 5000) return void setTimeout(() => void watch().catch(reject), 100);
              res.on('data', (c: Buffer) => parts.push(c));
              res.resume();
            };
            void watch().catch(reject);
          });
          res.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
          res.on('error', reject);
        });
        req.on('error', reject);
      });
      expect(upValues(text)).to.deep.equal(['1', '1', '1']);
      // The hold mark (12 MiB for 3 pods) stops the pods; blocks still partly unwritten and shipments
      // already in flight come on top, but the proxy never approaches the whole answer it would hold
      // without backpressure (the caller read nothing for 5 s while the pods had sent everything).
      const answer = Buffer.byteLength(text);
      expect(answer).to.be.greaterThan(64 * 1024 * 1024);
      expect(peakHeld).to.be.greaterThan(0);
      expect(peakHeld).to.be.lessThan(answer * 0.75);
    } finally {
      await h.close();
    }
  });

  it('over the memory budget, a scrape waits, then gets 503 with Retry-After at its deadline; the budget is visible in /metrics', async () => {
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    const h = await startHarness({ admission: new Admission({ budgetBytes: 1024 }), components: { slow: [0], other: [1] }, pods: 2 });
    try {
      h.pods[0]!.handler = (_req, res) => {
        res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' });
        res.write(bodyOf('load-0', 2));
        void released.then(() => res.end());
      };
      const first = scrapeProxy(`${h.url}/metrics/slow`, { caPem: h.caPem });
      await eventually(h, 'hcp_metrics_proxy_inflight_scrapes', (v) => v === 1);
      expect(await proxyMetric(h.url, h.caPem, 'hcp_metrics_proxy_inflight_reserved_bytes')).to.be.greaterThan(1024);
      expect(await proxyMetric(h.url, h.caPem, 'hcp_metrics_proxy_memory_budget_bytes')).to.equal(1024);
      // The second does not fit: it waits for its own deadline (1 s from Prometheus' header, less a margin).
      const second = await scrapeProxy(`${h.url}/metrics/other`, { caPem: h.caPem, headers: { 'X-Prometheus-Scrape-Timeout-Seconds': '1' } });
      expect(second.status).to.equal(503);
      expect(second.headers['retry-after']).to.match(/^\d+$/);
      expect(second.body).to.match(/memory budget/);
      expect(await proxyMetric(h.url, h.caPem, 'hcp_metrics_proxy_scrape_rejections_total', { reason: 'deadline' })).to.equal(1);
      expect(h.pods[1]!.requests, 'a refused scrape touches no pod').to.equal(0);
      release();
      const a = await first;
      expect(a.status).to.equal(200);
      expect(upValues(a.body)).to.deep.equal(['1']);
      // With the budget free again, the other component is served.
      const third = await scrapeProxy(`${h.url}/metrics/other`, { caPem: h.caPem });
      expect(third.status).to.equal(200);
    } finally {
      release();
      await h.close();
    }
  });

  it('never reports up 0 for pods that answer in time while the proxy queues: answers are whole or 503', async () => {
    // One worker running one pod at a time: every pod beyond the first waits in the proxy's queue.
    const scraper = new WorkerPoolScraper(1, memoryLogger('load'), { maxActivePerWorker: 1 });
    const h = await startHarness({ scraper, share: false, scrapeTimeout: '1s' });
    try {
      for (const pod of h.pods)
        pod.handler = (req, res) => {
          // Slow but healthy: well inside the pod timeout.
          setTimeout(() => serve(bodyOf(pod.name, 3, 5))(req, res), 150);
        };
      const answers = await Promise.all(Array.from({ length: 8 }, () => scrapeProxy(`${h.url}/metrics/load`, { caPem: h.caPem })));
      const statuses = answers.map((a) => a.status);
      expect(statuses.every((s) => s === 200 || s === 503), statuses.join(',')).to.equal(true);
      expect(statuses).to.include(200);
      expect(statuses, 'the queue outlasts the deadline of some scrapes').to.include(503);
      for (const a of answers.filter((x) => x.status === 200)) expect(upValues(a.body)).to.deep.equal(['1', '1', '1']);
      for (const a of answers.filter((x) => x.status === 503)) expect(a.headers['retry-after']).to.match(/^\d+$/);
      expect(await proxyMetric(h.url, h.caPem, 'hcp_metrics_proxy_pod_scrape_errors_total')).to.equal(0);
    } finally {
      await h.close();
    }
  });

  it('identical scrapes arriving together share one fan-out and get the same answer', async () => {
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    const h = await startHarness();
    try {
      for (const pod of h.pods)
        pod.handler = (req, res) => {
          void released.then(() => serve(bodyOf(pod.name, 10))(req, res));
        };
      const headers = { 'Accept-Encoding': 'gzip', 'X-Prometheus-Scrape-Timeout-Seconds': '10' };
      const answers = Array.from({ length: 5 }, () => scrapeProxy(`${h.url}/metrics/load`, { caPem: h.caPem, headers }));
      await eventually(h, 'hcp_metrics_proxy_shared_answers_total', (v) => v === 4);
      release();
      const done = await Promise.all(answers);
      expect(done.map((a) => a.status)).to.deep.equal([200, 200, 200, 200, 200]);
      expect(new Set(done.map((a) => a.body)).size).to.equal(1);
      expect(done[0]!.headers['content-encoding']).to.equal('gzip');
      expect(h.pods.map((p) => p.requests)).to.deep.equal([1, 1, 1]);
      // A scrape after the first bytes went out gets its own fan-out.
      const later = await scrapeProxy(`${h.url}/metrics/load`, { caPem: h.caPem, headers });
      const strip = (b: string) => b.replace(/^scrape_duration_seconds\{.*$/gm, '');
      expect(strip(later.body)).to.equal(strip(done[0]!.body));
      expect(h.pods.map((p) => p.requests)).to.deep.equal([2, 2, 2]);
    } finally {
      release();
      await h.close();
    }
  });

  it('refuses HEAD on scrape paths with 405 and Allow: GET, touching no pod', async () => {
    const h = await startHarness();
    try {
      const status = await new Promise<{ code: number; allow: string | undefined }>((resolve, reject) => {
        const req = https.request(`${h.url}/metrics/load`, { method: 'HEAD', ca: h.caPem, agent: false }, (res) => {
          res.resume();
          resolve({ code: res.statusCode ?? 0, allow: res.headers.allow });
        });
        req.on('error', reject);
        req.end();
      });
      expect(status).to.deep.equal({ code: 405, allow: 'GET' });
      expect(h.pods.map((p) => p.requests)).to.deep.equal([0, 0, 0]);
    } finally {
      await h.close();
    }
  });
});
