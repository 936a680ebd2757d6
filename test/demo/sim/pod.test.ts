import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { createGunzip, gunzipSync, gzipSync } from 'node:zlib';
import { CONTENT_TYPE_OPENMETRICS, CONTENT_TYPE_TEXT, renderKubeApiserverMetrics, renderOpenMetricsComponentMetrics } from '../../../demo/sim/exposition/index.js';
import { acceptsGzip, type SimulatedPod, startSimulatedPod } from '../../../demo/sim/pod.js';
import { eventually, startPrometheus } from '../../support/prometheus.js';
import { PROMETHEUS, PROMTOOL, promtoolCheckMetrics } from '../../support/promtool.js';
import { checkExposition } from './exposition-check.js';
import { ClientTimeoutError, fetchRaw, mintTestPki, type TestPki } from './helpers.js';

/** Pod tests bind 127.0.77.x so they never collide with a demo on 127.0.1.x. */
const IP = '127.0.77.1';
const IP2 = '127.0.77.2';
const IP3 = '127.0.77.3';

let lf = Buffer.alloc(0);
function lineFeeds(n: number): Buffer {
  if (lf.length < n) lf = Buffer.alloc(n, 0x0a);
  return lf.subarray(0, n);
}

/** Inflate a gzip body, stopping once `cap` bytes came out; reports how many did and whether the cap was hit. */
function inflateWithCap(gz: Buffer, cap: number): Promise<{ bytes: number; capped: boolean; onlyLineFeeds: boolean }> {
  return new Promise((resolve, reject) => {
    const gunzip = createGunzip();
    let bytes = 0;
    let onlyLineFeeds = true;
    let settled = false;
    gunzip.on('data', (c: Buffer) => {
      if (settled) return;
      bytes += c.length;
      if (onlyLineFeeds && !c.equals(lineFeeds(c.length))) onlyLineFeeds = false;
      if (bytes >= cap) {
        settled = true;
        gunzip.destroy();
        resolve({ bytes, capped: true, onlyLineFeeds });
      }
    });
    gunzip.on('end', () => {
      if (!settled) resolve({ bytes, capped: false, onlyLineFeeds });
    });
    gunzip.on('error', (e) => {
      if (!settled) reject(e);
    });
    gunzip.end(gz);
  });
}

describe('demo/sim pod', function () {
  this.timeout(60_000);
  const body = renderKubeApiserverMetrics({ seed: 11, targetBytes: 512 * 1024 }).body;
  let pods: SimulatedPod[] = [];
  let pki: TestPki;

  const start = async (opts: Partial<Parameters<typeof startSimulatedPod>[0]> = {}): Promise<SimulatedPod> => {
    const pod = await startSimulatedPod({ name: 'kube-apiserver-test-0', ip: IP, port: 0, body, ...opts });
    pods.push(pod);
    return pod;
  };

  before(() => {
    pki = mintTestPki();
  });
  after(() => pki.cleanup());
  afterEach(async () => {
    await Promise.all(pods.map((p) => p.close()));
    pods = [];
  });

  describe('serving', () => {
    it('serves the body on its own loopback IP with the text content type, and records the request', async () => {
      const pod = await start();
      expect(pod.ip).to.equal(IP);
      expect(pod.port).to.be.greaterThan(0);
      expect(pod.url).to.equal(`http://${IP}:${pod.port}/metrics`);
      const r = await fetchRaw(pod.url, { headers: { 'X-Prometheus-Scrape-Timeout-Seconds': '10' } });
      expect(r.status).to.equal(200);
      expect(r.headers['content-type']).to.equal(CONTENT_TYPE_TEXT);
      expect(r.headers['content-encoding']).to.equal(undefined);
      expect(r.body.toString()).to.equal(body);
      expect(pod.requests).to.equal(1);
      expect(pod.lastRequestHeaders?.['x-prometheus-scrape-timeout-seconds']).to.equal('10');
      expect(pod.lastRequestHeaders?.authorization).to.equal(undefined);
      await fetchRaw(pod.url, { headers: { Authorization: 'Bearer leaked' } });
      expect(pod.requests).to.equal(2);
      expect(pod.lastRequestHeaders?.authorization).to.equal('Bearer leaked');
    });

    it('gzips when the request accepts gzip, and not when q=0', async () => {
      const pod = await start();
      const r = await fetchRaw(pod.url, { headers: { 'Accept-Encoding': 'gzip' } });
      expect(r.headers['content-encoding']).to.equal('gzip');
      expect(r.body.length).to.be.below(Buffer.byteLength(body) / 3);
      expect(gunzipSync(r.body).toString()).to.equal(body);
      const again = await fetchRaw(pod.url, { headers: { 'Accept-Encoding': 'deflate, gzip;q=1.0' } });
      expect(again.body.equals(r.body)).to.equal(true); // the cached compressed copy
      const none = await fetchRaw(pod.url, { headers: { 'Accept-Encoding': 'gzip;q=0' } });
      expect(none.headers['content-encoding']).to.equal(undefined);
      expect(none.body.toString()).to.equal(body);
      expect(acceptsGzip('br, x-gzip')).to.equal(true);
      expect(acceptsGzip('identity')).to.equal(false);
    });

    it('serves OpenMetrics with its content type, a body function rendered once, and setBody', async () => {
      const om = renderOpenMetricsComponentMetrics().body;
      let calls = 0;
      const pod = await start({
        format: 'openmetrics',
        body: () => {
          calls++;
          return om;
        },
      });
      const r = await fetchRaw(pod.url);
      expect(r.headers['content-type']).to.equal(CONTENT_TYPE_OPENMETRICS);
      expect(r.body.toString()).to.equal(om);
      await fetchRaw(pod.url, { headers: { 'Accept-Encoding': 'gzip' } });
      expect(calls).to.equal(1);
      pod.setBody(Buffer.from('# HELP x_total X.\n# TYPE x_total counter\nx_total 1\n'), 'text');
      const r2 = await fetchRaw(pod.url, { headers: { 'Accept-Encoding': 'gzip' } });
      expect(r2.headers['content-type']).to.equal(CONTENT_TYPE_TEXT);
      expect(gunzipSync(r2.body).toString()).to.equal('# HELP x_total X.\n# TYPE x_total counter\nx_total 1\n');
      expect(pod.body.toString()).to.include('x_total 1');
    });

    it('answers 404 on other paths and 405 on other methods', async () => {
      const pod = await start({ path: '/metrics/custom' });
      expect((await fetchRaw(`http://${IP}:${pod.port}/metrics`)).status).to.equal(404);
      expect((await fetchRaw(pod.url, { method: 'POST', body: 'x' })).status).to.equal(405);
      expect((await fetchRaw(`${pod.url}?x=1`)).status).to.equal(200);
    });

    it('serves HTTPS, and requires a client certificate when given a client CA', async () => {
      const tlsPod = await start({ tls: { certPem: pki.server.certPem, keyPem: pki.server.keyPem } });
      expect(tlsPod.scheme).to.equal('https');
      const r = await fetchRaw(tlsPod.url, { ca: pki.ca.certPem, servername: 'sim-pod' });
      expect(r.body.toString()).to.equal(body);

      const mtlsPod = await start({ ip: IP2, tls: { certPem: pki.server.certPem, keyPem: pki.server.keyPem, clientCaPem: pki.ca.certPem } });
      let failed: unknown;
      try {
        await fetchRaw(mtlsPod.url, { ca: pki.ca.certPem, servername: 'sim-pod', timeoutMs: 20_000 });
      } catch (err) {
        failed = err;
      }
      expect(failed).to.be.instanceOf(Error).and.not.instanceOf(ClientTimeoutError);
      expect(mtlsPod.requests).to.equal(0);
      const ok = await fetchRaw(mtlsPod.url, { ca: pki.ca.certPem, servername: 'sim-pod', cert: pki.client.certPem, key: pki.client.keyPem });
      expect(ok.status).to.equal(200);
      expect(mtlsPod.lastClientCertificateCN).to.equal('system:serviceaccount:openshift-monitoring:prometheus-k8s');
    });

    it('binds a fixed port on several loopback IPs at once', async () => {
      const a = await start();
      const b = await start({ ip: IP2, port: a.port, name: 'b' });
      expect(b.port).to.equal(a.port);
      expect((await fetchRaw(b.url)).status).to.equal(200);
    });
  });

  describe('behaviours', () => {
    it('slow: answers after the delay, so a client with a shorter deadline gives up first', async () => {
      const pod = await start({ behaviour: { kind: 'slow', delayMs: 30_000 } });
      let err: unknown;
      try {
        await fetchRaw(pod.url, { timeoutMs: 200 });
      } catch (e) {
        err = e;
      }
      expect(err).to.be.instanceOf(ClientTimeoutError);
      await pod.setBehaviour({ kind: 'slow', delayMs: 50 });
      const r = await fetchRaw(pod.url, { timeoutMs: 30_000 });
      expect(r.status).to.equal(200);
      expect(r.body.toString()).to.equal(body);
    });

    it('hang: accepts and never answers; the client timeout fires', async () => {
      const pod = await start({ behaviour: 'hang' });
      let err: unknown;
      try {
        await fetchRaw(pod.url, { timeoutMs: 300 });
      } catch (e) {
        err = e;
      }
      expect(err).to.be.instanceOf(ClientTimeoutError);
      expect(pod.requests).to.equal(1);
    });

    it('close(): frees hung requests, so clients see the connection end and close() resolves', async () => {
      const pod = await start({ behaviour: 'hang' });
      const pending = fetchRaw(pod.url).then(
        () => 'answered',
        (e: Error) => e,
      );
      await eventually(async () => (pod.requests === 1 ? true : undefined), 20_000, 'the hung request to arrive');
      await pod.close();
      const outcome = await pending;
      expect(outcome).to.be.instanceOf(Error).and.not.instanceOf(ClientTimeoutError);
      let refused: unknown;
      try {
        await fetchRaw(pod.url);
      } catch (e) {
        refused = e;
      }
      expect((refused as NodeJS.ErrnoException).code).to.equal('ECONNREFUSED');
    });

    for (const gzip of [false, true]) {
      it(`close-mid-body${gzip ? ' (gzip)' : ''}: headers and part of the body, then an aborted response`, async () => {
        const pod = await start({ behaviour: 'close-mid-body' });
        let err: (Error & { partial?: Buffer; code?: string }) | undefined;
        try {
          await fetchRaw(pod.url, { headers: gzip ? { 'Accept-Encoding': 'gzip' } : {}, timeoutMs: 30_000 });
        } catch (e) {
          err = e as Error & { partial?: Buffer };
        }
        expect(err).to.be.instanceOf(Error).and.not.instanceOf(ClientTimeoutError);
        expect(err!.code).to.equal('ECONNRESET');
        // The bytes that did arrive are a strict prefix of the full representation.
        const full = gzip ? gzipSync(body) : Buffer.from(body);
        expect(err!.partial!.length).to.be.greaterThan(0);
        expect(err!.partial!.length).to.be.below(full.length);
        expect(err!.partial!.equals(full.subarray(0, err!.partial!.length))).to.equal(true);
      });
    }

    it('status-500 and garbage', async () => {
      const pod = await start({ behaviour: 'status-500' });
      expect((await fetchRaw(pod.url)).status).to.equal(500);
      await pod.setBehaviour('garbage');
      const r = await fetchRaw(pod.url, { headers: { 'Accept-Encoding': 'gzip' } });
      expect(r.status).to.equal(200);
      expect(r.headers['content-type']).to.equal(CONTENT_TYPE_TEXT);
      expect(() => checkExposition(r.body, 'text')).to.throw();
      if (existsSync(PROMTOOL)) expect(promtoolCheckMetrics(r.body.toString('latin1')).status).to.not.equal(0);
    });

    it('gzip-bomb: a small gzip body that inflates past any sane cap (default 1 GiB)', async () => {
      const pod = await start({ behaviour: 'gzip-bomb' });
      const r = await fetchRaw(pod.url, { headers: { 'Accept-Encoding': 'gzip' } });
      expect(r.status).to.equal(200);
      expect(r.headers['content-encoding']).to.equal('gzip');
      expect(r.body.length).to.be.below(2 * 1024 * 1024);
      const cap = 256 * 1024 * 1024;
      const inflated = await inflateWithCap(r.body, cap);
      expect(inflated.capped).to.equal(true);
      expect(inflated.bytes).to.be.at.least(cap);
      expect(inflated.bytes / r.body.length).to.be.above(200);
    });

    it('gzip-bomb: inflates to exactly the configured size of line feeds', async () => {
      const pod = await start({ behaviour: { kind: 'gzip-bomb', inflatedBytes: 16 * 1024 * 1024 } });
      const r = await fetchRaw(pod.url, { headers: { 'Accept-Encoding': 'gzip' } });
      const inflated = await inflateWithCap(r.body, 64 * 1024 * 1024);
      expect(inflated).to.deep.equal({ bytes: 16 * 1024 * 1024, capped: false, onlyLineFeeds: true });
    });

    it('oversized: a valid body larger than the given size, chunked or with Content-Length', async () => {
      const size = 5 * 1024 * 1024;
      const pod = await start({ behaviour: { kind: 'oversized', bytes: size } });
      const r = await fetchRaw(pod.url, { headers: { 'Accept-Encoding': 'gzip' } });
      expect(r.headers['transfer-encoding']).to.equal('chunked');
      expect(r.body.length).to.be.greaterThan(size);
      expect(checkExposition(r.body, 'text').series).to.be.greaterThan(1000);
      await pod.setBehaviour({ kind: 'oversized', bytes: size, contentLength: true });
      const r2 = await fetchRaw(pod.url);
      expect(Number(r2.headers['content-length'])).to.equal(r2.body.length);
      expect(r2.body.equals(r.body)).to.equal(true);
    });

    it('invalid-utf8: the normal body plus a label value with bytes 0xff 0xfe', async () => {
      const pod = await start({ behaviour: 'invalid-utf8' });
      const r = await fetchRaw(pod.url);
      expect(r.body.includes(Buffer.from([0xff, 0xfe]))).to.equal(true);
      expect(r.body.subarray(0, Buffer.byteLength(body)).toString()).to.equal(body);
      expect(() => new TextDecoder('utf-8', { fatal: true }).decode(r.body)).to.throw();
      if (existsSync(PROMTOOL)) {
        const { spawnSync } = await import('node:child_process');
        const p = spawnSync(PROMTOOL, ['check', 'metrics'], { input: r.body });
        expect(p.status).to.not.equal(0);
      }
    });

    it('refuse: connections are refused until another behaviour rebinds the same port', async () => {
      const pod = await start();
      const port = pod.port;
      await pod.setBehaviour('refuse');
      let err: unknown;
      try {
        await fetchRaw(pod.url);
      } catch (e) {
        err = e;
      }
      expect((err as NodeJS.ErrnoException).code).to.equal('ECONNREFUSED');
      await pod.setBehaviour('ok');
      expect(pod.port).to.equal(port);
      expect((await fetchRaw(pod.url)).status).to.equal(200);
    });
  });

  describe('with a real Prometheus', () => {
    it('scrapes a text pod and an OpenMetrics pod as healthy targets', async function () {
      if (!existsSync(PROMETHEUS)) return this.skip();
      this.timeout(120_000);
      const text = await start({ ip: IP2, name: 'text' });
      const om = await start({ ip: IP3, name: 'om', format: 'openmetrics', body: renderOpenMetricsComponentMetrics({ seed: 2 }).body });
      const prom = await startPrometheus([
        { job_name: 'sim', scrape_interval: '1s', scrape_timeout: '1s', static_configs: [{ targets: [`${IP2}:${text.port}`, `${IP3}:${om.port}`] }] },
      ]);
      try {
        const targets = await eventually(
          async () => {
            const t = await prom.targets();
            return t.length === 2 && t.every((x) => x.health === 'up') ? t : undefined;
          },
          60_000,
          'both targets up',
        );
        expect(targets.map((t) => t.lastError)).to.deep.equal(['', '']);
        const omSeries = await eventually(async () => {
          const r = await prom.query('cluster_version_operator_http_requests_total');
          return r.length > 0 ? r : undefined;
        });
        expect(omSeries.length).to.equal(3);
        const apiserver = await prom.query('apiserver_request_total');
        expect(apiserver.length).to.be.greaterThan(10);
      } finally {
        await prom.stop();
      }
    });
  });
});
