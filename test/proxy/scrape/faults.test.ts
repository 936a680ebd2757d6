/**
 * Pod faults through the whole proxy (server, fan-out, pod scrape, merge): one component with a healthy
 * pod and a pod whose behaviour each test switches. A faulty pod must cost only its own samples: the
 * answer is 200, the healthy pod is served in full, the faulty one gets `up 0` and nothing else, the
 * failure is counted with its reason, and the proxy keeps working.
 *
 * Runs twice: scraping in the main thread and in worker threads (the production default).
 * Addresses: 127.0.103.x (pods); the resolver and the proxy listen on 127.0.0.1.
 */
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { startHttpsServer, type RunningServer } from '../../../common/https-server.js';
import { memoryLogger } from '../../../common/log.js';
import { mintLocalCertificates, type LocalCertificates } from '../../../demo/certs.js';
import { scrapeProxy, type ScrapeAnswer } from '../../../demo/client.js';
import {
  renderGenericComponentMetrics,
  renderOpenMetricsComponentMetrics,
  startSimulatedPod,
  startStaticResolver,
  type PodBehaviour,
  type PodBehaviourKind,
  type SimulatedPod,
  type StaticResolver,
} from '../../../demo/sim/index.js';
import { ProxyRuntime } from '../../../proxy/runtime.js';
import { createScraper } from '../../../proxy/scrape/scraper.js';
import type { ScrapeFailureReason } from '../../../proxy/scrape/pod-scrape.js';
import type { PodScraper } from '../../../proxy/scrape/task.js';
import { createProxyApp } from '../../../proxy/server/app.js';
import { insecureNoAuth } from '../../../proxy/server/auth.js';
import { ProxyMetrics } from '../../../proxy/server/metrics.js';
import { expectPromtoolClean, floatValue, parseSamples, proxyMetric, seriesKey, type Sample } from '../../support/exposition.js';
import { havePrometheus } from '../../support/promtool.js';

const PREFIX = '127.0.103';
const NAMESPACE = 'clusters-faults';
const SERVER_NAME = 'metrics.faults.svc';
/** Small on purpose: the healthy bodies are ~30 KiB, the oversized and bombed ones far more. */
const MAX_BODY_BYTES = 1 << 20;
const SCRAPE_TIMEOUT_SECONDS = 2;
const OM_ACCEPT = 'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';
const SYNTHETIC = new Set(['up', 'scrape_duration_seconds']);

interface Harness {
  dir: string;
  certs: LocalCertificates;
  caPem: string;
  healthy: SimulatedPod;
  faulty: SimulatedPod;
  om: SimulatedPod;
  resolver: StaticResolver;
  scraper: PodScraper;
  runtime: ProxyRuntime;
  server: RunningServer;
  url: string;
  logs: string[];
  close(): Promise<void>;
}

function componentConfig(name: string, port: number): Record<string, unknown> {
  return {
    name,
    selector: { app: name },
    metricsPort: port,
    metricsPath: '/metrics',
    metricsScheme: 'https',
    tlsServerName: SERVER_NAME,
    scrapeTimeout: `${SCRAPE_TIMEOUT_SECONDS}s`,
  };
}

async function startHarness(workers: number): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'hcp-faults-'));
  const closers: (() => Promise<void> | void)[] = [() => rmSync(dir, { recursive: true, force: true })];
  const close = async () => {
    for (const c of closers.reverse()) await c();
  };
  try {
    const certs = mintLocalCertificates(join(dir, 'certs'), [1, 2, 3].map((i) => `${PREFIX}.${i}`), [SERVER_NAME]);
    const tls = { certPem: certs.podServing.certPem, keyPem: certs.podServing.keyPem, clientCaPem: certs.podCa.certPem };
    const generic = (seed: number) => renderGenericComponentMetrics({ seed, component: 'faults-operator' }).body;
    const healthy = await startSimulatedPod({ name: 'faults-operator-healthy-0', ip: `${PREFIX}.1`, port: 0, body: generic(1), tls });
    closers.push(() => healthy.close());
    // The replicas of one component share its port, as behind one Service.
    const faulty = await startSimulatedPod({ name: 'faults-operator-faulty-1', ip: `${PREFIX}.2`, port: healthy.port, body: generic(2), tls });
    closers.push(() => faulty.close());
    const om = await startSimulatedPod({
      name: 'faults-operator-openmetrics-2',
      ip: `${PREFIX}.3`,
      port: healthy.port,
      body: renderOpenMetricsComponentMetrics({ seed: 3 }).body,
      format: 'openmetrics',
      tls,
    });
    closers.push(() => om.close());
    const byApp: Record<string, SimulatedPod[]> = { faulty: [healthy, faulty], mixed: [healthy, om], om: [om] };
    const resolver = await startStaticResolver({
      tls: { certPem: certs.resolverServing.certPem, keyPem: certs.resolverServing.keyPem, clientCaPem: certs.ca.certPem },
      pods: (sel) => (byApp[sel.app ?? ''] ?? []).map((p) => ({ name: p.name, ip: p.ip })),
    });
    closers.push(() => resolver.close());

    const configFile = join(dir, 'config.yaml');
    writeFileSync(
      configFile,
      YAML.stringify({
        endpointResolver: { url: resolver.url, caFile: certs.caFile, certFile: certs.resolverClient.certFile, keyFile: certs.resolverClient.keyFile },
        components: ['faulty', 'mixed', 'om'].map((name) => ({
          ...componentConfig(name, healthy.port),
          caFile: certs.podCaFile,
          certFile: certs.podClient.certFile,
          keyFile: certs.podClient.keyFile,
        })),
      }),
    );
    const logger = memoryLogger('faults');
    const metrics = new ProxyMetrics({ defaultMetrics: false });
    const scraper = createScraper(workers, logger);
    closers.push(() => scraper.close());
    const runtime = await ProxyRuntime.start({ configFile, namespace: NAMESPACE, metricsSet: 'All', scraper, metrics, logger, resolverCacheTtlMs: 0, watchPollMs: 500 });
    closers.push(() => runtime.close());
    const app = createProxyApp({ state: runtime, authenticator: insecureNoAuth, scraper, metrics, logger, maxBodyBytes: MAX_BODY_BYTES });
    const server = await startHttpsServer(app, {
      listen: '127.0.0.1:0',
      tls: { certFile: certs.proxyServing.certFile, keyFile: certs.proxyServing.keyFile },
      logger,
      watchPollMs: 500,
    });
    closers.push(() => server.close(1000));
    return {
      dir,
      certs,
      caPem: readFileSync(certs.caFile, 'utf8'),
      healthy,
      faulty,
      om,
      resolver,
      scraper,
      runtime,
      server,
      url: `https://127.0.0.1:${server.port}`,
      logs: logger.lines,
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

/** The labels the proxy injects for a pod of one of our components (defaults of DESIGN §4). */
function targetLabels(component: string, pod: SimulatedPod): Record<string, string> {
  return { job: component, namespace: NAMESPACE, service: component, endpoint: 'metrics', pod: pod.name, instance: `${pod.ip}:${pod.port}` };
}

/**
 * What the proxy must serve for a healthy text pod: each sample of its body with the target labels
 * injected (colliding scraped labels renamed `exported_<name>`), keyed by series, valued numerically.
 */
function expectedSeries(component: string, pod: SimulatedPod): Map<string, number> {
  const target = targetLabels(component, pod);
  const out = new Map<string, number>();
  for (const s of parseSamples(pod.body.toString('utf8'))) {
    const labels: Record<string, string> = {};
    for (const [k, v] of Object.entries(s.labels)) labels[k in target ? `exported_${k}` : k] = v;
    out.set(seriesKey(s.name, { ...labels, ...target }), floatValue(s.value));
  }
  return out;
}

function ofPod(samples: Sample[], pod: SimulatedPod): Sample[] {
  return samples.filter((s) => s.labels.pod === pod.name);
}

/** Every expected series of `pod` is in the answer with its value, and nothing else of that pod but up/scrape_duration_seconds. */
function expectPodServedInFull(samples: Sample[], component: string, pod: SimulatedPod): void {
  const want = expectedSeries(component, pod);
  const got = new Map<string, number>();
  for (const s of ofPod(samples, pod)) if (!SYNTHETIC.has(s.name)) got.set(seriesKey(s.name, s.labels), floatValue(s.value));
  const missing = [...want.keys()].filter((k) => !got.has(k));
  const extra = [...got.keys()].filter((k) => !want.has(k));
  expect(missing, `series of ${pod.name} missing from the answer`).to.deep.equal([]);
  expect(extra, `series of ${pod.name} in the answer but not in its body`).to.deep.equal([]);
  const wrong = [...want].filter(([k, v]) => !Object.is(got.get(k), v));
  expect(wrong.slice(0, 5), `values of ${pod.name} differ`).to.deep.equal([]);
  expect(want.size).to.be.greaterThan(100);
}

function upOf(samples: Sample[], pod: SimulatedPod): string[] {
  return ofPod(samples, pod)
    .filter((s) => s.name === 'up')
    .map((s) => s.value);
}

async function scrape(h: Harness, path: string, headers: Record<string, string> = {}): Promise<ScrapeAnswer> {
  return scrapeProxy(`${h.url}${path}`, { caPem: h.caPem, headers });
}

const scrapeErrors = (h: Harness, reason: string) => proxyMetric(h.url, h.caPem, 'hcp_metrics_proxy_pod_scrape_errors_total', { component: 'faulty', reason });

interface FaultCase {
  title: string;
  behaviour: PodBehaviour | PodBehaviourKind;
  /** Accepted reasons; exactly one unless noted. */
  reasons: ScrapeFailureReason[];
  /** Extra checks after the faulty scrape. */
  check?: (h: Harness, before: { bytesIn: number }) => Promise<void>;
}

const FAULTS: FaultCase[] = [
  // The answer arrives although the pod never answers: the pod timeout ends its scrape.
  { title: 'a pod that accepts the request and never answers (hang)', behaviour: 'hang', reasons: ['timeout'] },
  { title: 'a pod slower than the scrape timeout', behaviour: { kind: 'slow', delayMs: 60_000 }, reasons: ['timeout'] },
  { title: 'a pod that closes the connection mid-body', behaviour: 'close-mid-body', reasons: ['aborted'] },
  { title: 'a pod answering HTTP 500', behaviour: 'status-500', reasons: ['http_status'] },
  {
    // A 1 GiB run of line feeds is a valid, empty exposition: only the cap can make this pod fail.
    title: 'a gzip bomb (1 GiB of line feeds in ~1 MB), cut at the body cap',
    behaviour: { kind: 'gzip-bomb' },
    reasons: ['body_too_large'],
  },
  {
    title: 'an oversized body (64 MiB, chunked), cut at the body cap',
    behaviour: { kind: 'oversized', bytes: 64 << 20 },
    reasons: ['body_too_large'],
    check: async (h, before) => {
      // Cut at the cap, not read to the end: far fewer bytes than the body were taken from the wire.
      const bytesIn = await proxyMetric(h.url, h.caPem, 'hcp_metrics_proxy_pod_bytes_received_total', { component: 'faulty' });
      expect(bytesIn - before.bytesIn).to.be.lessThan(16 << 20);
    },
  },
  {
    title: 'an oversized body with a Content-Length, cut at the body cap',
    behaviour: { kind: 'oversized', bytes: 64 << 20, contentLength: true },
    reasons: ['body_too_large'],
    check: async (h, before) => {
      const bytesIn = await proxyMetric(h.url, h.caPem, 'hcp_metrics_proxy_pod_bytes_received_total', { component: 'faulty' });
      expect(bytesIn - before.bytesIn).to.be.lessThan(16 << 20);
    },
  },
  { title: 'a label value that is not UTF-8', behaviour: 'invalid-utf8', reasons: ['invalid_utf8'] },
  // The sim's garbage is an HTML error page followed by random bytes: both "not an exposition" and "not
  // UTF-8". The proxy validates a chunk's UTF-8 before parsing its lines, so it reports invalid_utf8;
  // the exposition-but-not-parseable case is covered by the next test with a clean UTF-8 body.
  { title: 'a 200 answer that is not an exposition (garbage)', behaviour: 'garbage', reasons: ['parse_error', 'invalid_utf8'] },
  { title: 'a pod that refuses connections', behaviour: 'refuse', reasons: ['connect'] },
];

for (const workers of [0, 2]) {
  describe(`proxy: pod faults cost only the faulty pod (${workers === 0 ? 'main thread' : `${workers} scrape workers`})`, function () {
    this.timeout(60_000);
    let h: Harness;

    before(async () => {
      h = await startHarness(workers);
    });
    after(async () => {
      await h?.close();
    });
    afterEach(async () => {
      await h.faulty.setBehaviour('ok');
      h.faulty.setBody(renderGenericComponentMetrics({ seed: 2, component: 'faults-operator' }).body, 'text');
    });

    it('serves both pods in full when both are healthy', async () => {
      const a = await scrape(h, '/metrics/faulty');
      expect(a.status).to.equal(200);
      const samples = parseSamples(a.body);
      expectPodServedInFull(samples, 'faulty', h.healthy);
      expectPodServedInFull(samples, 'faulty', h.faulty);
      expect(upOf(samples, h.healthy)).to.deep.equal(['1']);
      expect(upOf(samples, h.faulty)).to.deep.equal(['1']);
      if (havePrometheus()) expectPromtoolClean(a.body, '/metrics/faulty');
    });

    for (const f of FAULTS) {
      it(`${f.title}: 200, the healthy pod in full, up 0 for the faulty one, reason ${f.reasons.join('|')}`, async () => {
        // Establish keep-alive connections first: the fault must also be handled on a reused one.
        expect((await scrape(h, '/metrics/faulty')).status).to.equal(200);
        const before = new Map<string, number>();
        for (const r of new Set<string>([...f.reasons, 'timeout', 'connect', 'aborted', 'parse_error', 'invalid_utf8', 'http_status', 'body_too_large']))
          before.set(r, await scrapeErrors(h, r));
        const bytesIn = await proxyMetric(h.url, h.caPem, 'hcp_metrics_proxy_pod_bytes_received_total', { component: 'faulty' });
        await h.faulty.setBehaviour(f.behaviour);

        const a = await scrape(h, '/metrics/faulty');
        expect(a.status).to.equal(200);
        const samples = parseSamples(a.body);
        expectPodServedInFull(samples, 'faulty', h.healthy);
        expect(upOf(samples, h.healthy)).to.deep.equal(['1']);
        expect(upOf(samples, h.faulty)).to.deep.equal(['0']);
        const leaked = ofPod(samples, h.faulty).filter((s) => !SYNTHETIC.has(s.name));
        expect(leaked.slice(0, 3), 'samples of the faulty pod').to.deep.equal([]);
        expect(ofPod(samples, h.faulty).map((s) => s.name).sort()).to.deep.equal(['scrape_duration_seconds', 'up']);
        if (havePrometheus()) expectPromtoolClean(a.body, `/metrics/faulty with a ${JSON.stringify(f.behaviour)} pod`);

        // Counted once, with the right reason, and under no other reason.
        const delta: Record<string, number> = {};
        for (const [r, v] of before) delta[r] = (await scrapeErrors(h, r)) - v;
        const counted = Object.entries(delta).filter(([, d]) => d !== 0);
        expect(counted.length, `reasons counted: ${JSON.stringify(delta)}`).to.equal(1);
        expect(counted[0]![1]).to.equal(1);
        expect(f.reasons).to.include(counted[0]![0]);
        await f.check?.(h, { bytesIn });

        // The process is healthy and the next scrape, with the pod fixed, has both pods up.
        const healthz = await scrape(h, '/healthz');
        expect(healthz.status).to.equal(200);
        await h.faulty.setBehaviour('ok');
        const next = await scrape(h, '/metrics/faulty');
        expect(next.status).to.equal(200);
        const nextSamples = parseSamples(next.body);
        expect(upOf(nextSamples, h.healthy)).to.deep.equal(['1']);
        expect(upOf(nextSamples, h.faulty)).to.deep.equal(['1']);
        expectPodServedInFull(nextSamples, 'faulty', h.faulty);
      });
    }

    it('a 200 text answer that is valid UTF-8 but not an exposition (an HTML error page): reason parse_error', async () => {
      const before = await scrapeErrors(h, 'parse_error');
      h.faulty.setBody('<!DOCTYPE html>\n<html><body><h1>Application is not available</h1></body></html>\n', 'text');
      const a = await scrape(h, '/metrics/faulty');
      expect(a.status).to.equal(200);
      const samples = parseSamples(a.body);
      expectPodServedInFull(samples, 'faulty', h.healthy);
      expect(upOf(samples, h.faulty)).to.deep.equal(['0']);
      expect(ofPod(samples, h.faulty).filter((s) => !SYNTHETIC.has(s.name))).to.deep.equal([]);
      expect((await scrapeErrors(h, 'parse_error')) - before).to.equal(1);
    });

    it('serves a body with multi-byte UTF-8 throughout intact (characters split across TLS records and gzip chunks)', async () => {
      let body = '# HELP sim_unicode_info Ünïcødé — 日本語 🚀 in label values.\n# TYPE sim_unicode_info gauge\n';
      for (let i = 0; i < 6000; i++) body += `sim_unicode_info{value="日本語-${i}-é🚀ü",pad="${'ß'.repeat(i % 37)}x"} ${i}\n`;
      expect(Buffer.byteLength(body)).to.be.greaterThan(300_000).and.lessThan(MAX_BODY_BYTES);
      h.faulty.setBody(body, 'text');
      const a = await scrape(h, '/metrics/faulty');
      expect(a.status).to.equal(200);
      const samples = parseSamples(a.body);
      expect(upOf(samples, h.faulty)).to.deep.equal(['1']);
      expectPodServedInFull(samples, 'faulty', h.faulty);
      expectPodServedInFull(samples, 'faulty', h.healthy);
      expect(a.body).to.include('# HELP sim_unicode_info Ünïcødé — 日本語 🚀 in label values.\n');
      if (havePrometheus()) expectPromtoolClean(a.body, '/metrics/faulty with a UTF-8 body');
    });

    it('every pod failing still answers 200 with up 0 for each', async () => {
      await h.faulty.setBehaviour('status-500');
      const a = await scrape(h, '/metrics/mixed'); // healthy + om: both fine
      expect(a.status).to.equal(200);
      await h.om.setBehaviour('refuse');
      try {
        const b = await scrape(h, '/metrics/om');
        expect(b.status).to.equal(200);
        const samples = parseSamples(b.body);
        expect(samples.filter((s) => s.name === 'up').map((s) => [s.labels.pod, s.value])).to.deep.equal([[h.om.name, '0']]);
        expect(samples.filter((s) => !SYNTHETIC.has(s.name))).to.deep.equal([]);
        if (havePrometheus()) expectPromtoolClean(b.body, '/metrics/om with its only pod down');
      } finally {
        await h.om.setBehaviour('ok');
      }
    });

    it('never forwards the caller’s Authorization or Cookie headers to pods', async () => {
      const a = await scrape(h, '/metrics/faulty', {
        Authorization: 'Bearer caller-secret-token',
        Cookie: 'session=caller-secret-cookie',
        'X-Prometheus-Scrape-Timeout-Seconds': '10',
      });
      expect(a.status).to.equal(200);
      for (const pod of [h.healthy, h.faulty]) {
        const headers = pod.lastRequestHeaders!;
        expect(headers, pod.name).to.not.have.property('authorization');
        expect(headers, pod.name).to.not.have.property('cookie');
        expect(JSON.stringify(headers)).to.not.match(/caller-secret/);
        // What it does send: gzip, the pod timeout, and the proxy's own client certificate.
        expect(headers['accept-encoding']).to.match(/gzip/);
        expect(headers).to.have.property('x-prometheus-scrape-timeout-seconds');
        expect(pod.lastClientCertificateCN).to.equal('system:serviceaccount:hypershift:metrics-client');
      }
    });

    it('X-Prometheus-Scrape-Timeout-Seconds from the caller lowers the pod timeout', async () => {
      // 1 s is well inside the configured 2 s, and far beyond what a 0.5 s caller leaves for pods.
      await h.faulty.setBehaviour({ kind: 'slow', delayMs: 1000 });
      const relaxed = await scrape(h, '/metrics/faulty');
      expect(relaxed.status).to.equal(200);
      expect(upOf(parseSamples(relaxed.body), h.faulty), 'configured timeout 2 s, pod takes 1 s').to.deep.equal(['1']);
      expect(Number(h.faulty.lastRequestHeaders!['x-prometheus-scrape-timeout-seconds'])).to.equal(SCRAPE_TIMEOUT_SECONDS);

      const before = await scrapeErrors(h, 'timeout');
      const hurried = await scrape(h, '/metrics/faulty', { 'X-Prometheus-Scrape-Timeout-Seconds': '0.5' });
      expect(hurried.status).to.equal(200);
      const samples = parseSamples(hurried.body);
      expect(upOf(samples, h.faulty), 'caller allows 0.5 s').to.deep.equal(['0']);
      expect(upOf(samples, h.healthy)).to.deep.equal(['1']);
      expect((await scrapeErrors(h, 'timeout')) - before).to.equal(1);
      // The pod is told the lowered timeout too, as Prometheus would tell it.
      const told = Number(h.faulty.lastRequestHeaders!['x-prometheus-scrape-timeout-seconds']);
      expect(told).to.be.greaterThan(0).and.lessThan(0.5);

      // A caller allowing more than configured does not raise it.
      await h.faulty.setBehaviour('ok');
      await scrape(h, '/metrics/faulty', { 'X-Prometheus-Scrape-Timeout-Seconds': '120' });
      expect(Number(h.faulty.lastRequestHeaders!['x-prometheus-scrape-timeout-seconds'])).to.equal(SCRAPE_TIMEOUT_SECONDS);
    });

    describe('an OpenMetrics pod', () => {
      it('next to a text pod: text is served (OpenMetrics asked for), both pods up, the OpenMetrics samples converted', async () => {
        const a = await scrape(h, '/metrics/mixed', { Accept: OM_ACCEPT });
        expect(a.status).to.equal(200);
        expect(a.headers['content-type']).to.match(/^text\/plain; version=0\.0\.4/);
        expect(a.body).to.not.match(/^# EOF$/m);
        const samples = parseSamples(a.body);
        expect(upOf(samples, h.healthy)).to.deep.equal(['1']);
        expect(upOf(samples, h.om)).to.deep.equal(['1']);
        expectPodServedInFull(samples, 'mixed', h.healthy);
        const omSamples = ofPod(samples, h.om).filter((s) => !SYNTHETIC.has(s.name));
        expect(omSamples.length).to.be.greaterThan(10);
        // An OpenMetrics counter family `x` has samples `x_total`; they keep that name in text.
        expect(omSamples.some((s) => s.name === 'cluster_version_operator_http_requests_total' && s.labels.code === '200')).to.equal(true);
        if (havePrometheus()) expectPromtoolClean(a.body, '/metrics/mixed (text + OpenMetrics pods)');
      });

      it('alone: OpenMetrics is served when the caller prefers it, text otherwise', async () => {
        const om = await scrape(h, '/metrics/om', { Accept: OM_ACCEPT });
        expect(om.status).to.equal(200);
        expect(om.headers['content-type']).to.match(/^application\/openmetrics-text; version=1\.0\.0/);
        expect(om.body.endsWith('# EOF\n')).to.equal(true);
        expect(om.body.indexOf('# EOF')).to.equal(om.body.length - '# EOF\n'.length);
        expect(upOf(parseSamples(om.body.replace(/# EOF\n$/, '')), h.om)).to.deep.equal(['1']);

        const text = await scrape(h, '/metrics/om');
        expect(text.status).to.equal(200);
        expect(text.headers['content-type']).to.match(/^text\/plain; version=0\.0\.4/);
        expect(text.body).to.not.match(/^# EOF$/m);
        expect(upOf(parseSamples(text.body), h.om)).to.deep.equal(['1']);
        if (havePrometheus()) expectPromtoolClean(text.body, '/metrics/om as text');
      });

      it('next to a failed pod: OpenMetrics is still served when every pod that answered did so in OpenMetrics', async () => {
        // mixed = healthy (text) + om; the text pod fails, so every answer is OpenMetrics.
        await h.healthy.setBehaviour('status-500');
        try {
          const a = await scrape(h, '/metrics/mixed', { Accept: OM_ACCEPT });
          expect(a.status).to.equal(200);
          const samples = parseSamples(a.body.replace(/# EOF\n$/, ''));
          expect(upOf(samples, h.healthy)).to.deep.equal(['0']);
          expect(upOf(samples, h.om)).to.deep.equal(['1']);
          expect(a.headers['content-type']).to.match(/^application\/openmetrics-text; version=1\.0\.0/);
          expect(a.body.endsWith('# EOF\n')).to.equal(true);
        } finally {
          await h.healthy.setBehaviour('ok');
        }
      });
    });
  });
}
