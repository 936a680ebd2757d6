/**
 * The endpoint resolver against the in-repo kube-apiserver with @kubernetes/client-node's informer:
 * pod changes, dropped watches, 410 relists, readiness, TLS client certificates, every 4xx.
 * Addresses: 127.0.110.x.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { memoryLogger } from '../../common/log.js';
import { createCA, issueCertificate, type CertificatePair } from '../../generator/pki/index.js';
import { startResolver, type RunningResolver } from '../../resolver/resolver.js';
import { FakeKubeApiserver, type KubeObject } from '../support/fake-kube-apiserver.js';

const NS = 'clusters-a';

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function pod(name: string, ip: string, o: { labels?: Record<string, string>; ready?: boolean } = {}): KubeObject {
  return {
    metadata: { name, namespace: NS, labels: o.labels ?? { app: 'etcd' } },
    spec: { containers: [{ name: 'etcd', image: 'etcd' }] },
    status: { phase: 'Running', podIP: ip, conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True' }] },
  };
}

async function until<T>(fn: () => Promise<T | undefined> | T | undefined, what: string, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('resolver: endpoint resolver', function () {
  this.timeout(60_000);
  let dir: string;
  let ca: CertificatePair;
  let client: CertificatePair;
  let kas: FakeKubeApiserver;
  let resolver: RunningResolver | undefined;
  let clock: number;
  const files = { certFile: '', keyFile: '', clientCaFile: '' };

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'resolver-test-'));
    ca = createCA({ commonName: 'resolver-test CA' });
    const serving = issueCertificate(ca, { commonName: 'endpoint-resolver', ipAddresses: ['127.0.110.2'], usages: ['serverAuth'] });
    client = issueCertificate(ca, { commonName: 'metrics-proxy', usages: ['clientAuth'] });
    files.certFile = join(dir, 'tls.crt');
    files.keyFile = join(dir, 'tls.key');
    files.clientCaFile = join(dir, 'ca.crt');
    writeFileSync(files.certFile, serving.certPem);
    writeFileSync(files.keyFile, serving.keyPem);
    writeFileSync(files.clientCaFile, ca.certPem);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  beforeEach(async () => {
    clock = 1_000_000;
    kas = await FakeKubeApiserver.start({ host: '127.0.110.1' });
  });
  afterEach(async () => {
    await resolver?.close();
    resolver = undefined;
    await kas.close();
  });

  async function start(): Promise<RunningResolver> {
    const kc = new KubeConfig();
    kc.loadFromFile(kas.writeKubeconfig(dir).kubeconfig);
    resolver = await startResolver({
      kubeConfig: kc,
      namespace: NS,
      listen: '127.0.110.2:0',
      healthListen: '127.0.110.2:0',
      tls: files,
      staleAfterMs: 60_000,
      logger: memoryLogger('resolver'),
      now: () => clock,
      backoff: { initialMs: 20, maxMs: 100 },
      defaultMetrics: false,
    });
    return resolver;
  }

  function request(method: string, path: string, body?: string | Buffer, opts: { cert?: CertificatePair | null } = {}): Promise<Answer> {
    const cert = opts.cert === undefined ? client : opts.cert;
    return new Promise((resolve, reject) => {
      const req = https.request(`${resolver!.url}${path}`, {
        method,
        ca: ca.certPem,
        agent: false,
        ...(cert ? { cert: cert.certPem, key: cert.keyPem } : {}),
        headers: body === undefined ? {} : { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) },
      });
      req.on('response', (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  const resolve = (selector: unknown) => request('POST', '/resolve', JSON.stringify({ selector }));
  const names = async (selector: unknown): Promise<string> => {
    const a = await resolve(selector);
    if (a.status === 404) return '';
    expect(a.status, a.body).to.equal(200);
    return (JSON.parse(a.body) as { pods: { name: string; ip: string }[] }).pods.map((p) => `${p.name}=${p.ip}`).join(',');
  };
  const health = (path: string): Promise<Answer> =>
    new Promise((resolve, reject) => {
      http
        .get(`http://127.0.0.1:${resolver!.healthPort}${path}`.replace('127.0.0.1', '127.0.110.2'), (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
        })
        .on('error', reject);
    });

  it('answers ready pods sorted by name and follows readiness, deletion and IP changes', async () => {
    kas.resources.create('pods', pod('etcd-1', '10.0.0.2'));
    kas.resources.create('pods', pod('etcd-0', '10.0.0.1'));
    kas.resources.create('pods', pod('etcd-2', '10.0.0.3', { ready: false }));
    kas.resources.create('pods', pod('kas-0', '10.0.1.1', { labels: { app: 'kube-apiserver' } }));
    await start();
    expect(resolver!.readiness().ready).to.equal(true);
    expect(await names({ app: 'etcd' })).to.equal('etcd-0=10.0.0.1,etcd-1=10.0.0.2');
    const a = await resolve({ app: 'etcd' });
    expect(a.headers['content-type']).to.equal('application/json');
    expect(JSON.parse(a.body)).to.deep.equal({ pods: [{ name: 'etcd-0', ip: '10.0.0.1', labels: { app: 'etcd' } }, { name: 'etcd-1', ip: '10.0.0.2', labels: { app: 'etcd' } }] });

    kas.resources.patch('pods', NS, 'etcd-2', { status: { conditions: [{ type: 'Ready', status: 'True' }] } });
    await until(async () => ((await names({ app: 'etcd' })) === 'etcd-0=10.0.0.1,etcd-1=10.0.0.2,etcd-2=10.0.0.3' ? true : undefined), 'etcd-2 to become ready');
    kas.resources.patch('pods', NS, 'etcd-0', { status: { conditions: [{ type: 'Ready', status: 'False' }] } });
    kas.resources.remove('pods', NS, 'etcd-1');
    kas.resources.patch('pods', NS, 'etcd-2', { status: { podIP: '10.0.0.33' } });
    await until(async () => ((await names({ app: 'etcd' })) === 'etcd-2=10.0.0.33' ? true : undefined), 'unready, deleted and moved pods');
    expect(await names({ matchExpressions: [{ key: 'app', operator: 'In', values: ['kube-apiserver', 'x'] }] })).to.equal('kas-0=10.0.1.1');
  });

  it('answers 404 when nothing is ready, and 400/405 with a precise message for bad requests', async () => {
    kas.resources.create('pods', pod('etcd-0', '10.0.0.1', { ready: false }));
    await start();
    const none = await resolve({ app: 'etcd' });
    expect(none.status).to.equal(404);
    expect(JSON.parse(none.body)).to.deep.include({ pods: [] });
    const cases: [string, string | Buffer | undefined, number, RegExp][] = [
      ['GET', undefined, 405, /method GET not allowed: use POST/],
      ['POST', '{"selector": ', 400, /not valid JSON/],
      ['POST', '[1]', 400, /must be a JSON object/],
      ['POST', '{"app": "etcd"}', 400, /no "selector"/],
      ['POST', '{"selector": {}}', 400, /selector must not be empty/],
      ['POST', '{"selector": {"app": 5}}', 400, /selector\["app"\] must be a string/],
      ['POST', '{"selector": {"matchExpressions": [{"key": "a", "operator": "Gt", "values": ["1"]}]}}', 400, /operator must be one of/],
      ['POST', JSON.stringify({ selector: { app: 'x'.repeat(70_000) } }), 400, /request body exceeds 65536 bytes/],
    ];
    for (const [method, body, status, message] of cases) {
      const a = await request(method, '/resolve', body);
      expect(a.status, `${method} ${String(body).slice(0, 60)}`).to.equal(status);
      expect((JSON.parse(a.body) as { error: string }).error).to.match(message);
      if (status === 405) expect(a.headers.allow).to.equal('POST');
    }
    const metrics = await request('GET', '/metrics');
    expect(metrics.body).to.match(/^hcp_endpoint_resolver_resolve_requests_total\{code="400"\} 7$/m);
    expect(metrics.body).to.match(/^hcp_endpoint_resolver_resolve_requests_total\{code="404"\} 1$/m);
    expect(metrics.body).to.match(/^hcp_endpoint_resolver_pods_cached 1$/m);
    expect(metrics.body).to.match(/^hcp_endpoint_resolver_pods_ready 0$/m);
  });

  it('refuses a client without a certificate, or with one from another CA, at the TLS layer', async () => {
    await start();
    const err = await request('POST', '/resolve', '{"selector":{"app":"etcd"}}', { cert: null }).then(
      (a) => new Error(`got HTTP ${a.status}`),
      (e: Error) => e,
    );
    expect(err.message).to.match(/certificate required|ECONNRESET|socket hang up|handshake/i);
    const stranger = issueCertificate(createCA({ commonName: 'other CA' }), { commonName: 'intruder', usages: ['clientAuth'] });
    const err2 = await request('POST', '/resolve', '{"selector":{"app":"etcd"}}', { cert: stranger }).then(
      (a) => new Error(`got HTTP ${a.status}`),
      (e: Error) => e,
    );
    expect(err2.message).to.match(/unknown ca|certificate|ECONNRESET|socket hang up/i);
    // The plain-HTTP health port serves probes only.
    expect((await health('/healthz')).status).to.equal(200);
    expect((await health('/resolve')).status).to.equal(404);
  });

  it('resumes a dropped watch from its resourceVersion and replays what it missed, without relisting', async () => {
    kas.resources.create('pods', pod('etcd-0', '10.0.0.1'));
    await start();
    await until(() => (kas.resources.watchCount('pods') === 1 ? true : undefined), 'the watch');
    const callsBefore = kas.callCount('pods');
    kas.resources.dropWatches();
    // Changed while no watch is open: only a resume from the old resourceVersion can see it.
    kas.resources.create('pods', pod('etcd-1', '10.0.0.2'));
    await until(async () => ((await names({ app: 'etcd' })) === 'etcd-0=10.0.0.1,etcd-1=10.0.0.2' ? true : undefined), 'the missed pod');
    await until(() => (kas.resources.watchCount('pods') === 1 ? true : undefined), 'the watch to be back');
    expect(kas.callCount('pods') - callsBefore, 'one new watch, no list').to.equal(1);
    expect((await request('GET', '/metrics')).body).to.match(/^hcp_endpoint_resolver_watch_restarts_total\{reason="connection"\} [1-9]/m);
  });

  it('relists after 410 Gone and drops pods deleted meanwhile', async () => {
    kas.resources.create('pods', pod('etcd-0', '10.0.0.1'));
    kas.resources.create('pods', pod('etcd-1', '10.0.0.2'));
    await start();
    await until(() => (kas.resources.watchCount('pods') === 1 ? true : undefined), 'the watch');
    const callsBefore = kas.callCount('pods');
    kas.resources.dropWatches();
    kas.resources.remove('pods', NS, 'etcd-1');
    kas.resources.create('pods', pod('etcd-2', '10.0.0.3'));
    kas.resources.compact();
    await until(async () => ((await names({ app: 'etcd' })) === 'etcd-0=10.0.0.1,etcd-2=10.0.0.3' ? true : undefined), 'the relisted pods');
    await until(() => (kas.resources.watchCount('pods') === 1 ? true : undefined), 'the watch to be back');
    expect(kas.callCount('pods') - callsBefore, 'watch (410), list, watch').to.equal(3);
  });

  it('is ready once synced and not ready while the watch has been broken longer than --stale-after', async () => {
    await kas.setReachable(false);
    await start();
    expect(resolver!.readiness()).to.deep.include({ ready: false, synced: false });
    expect((await health('/readyz')).status).to.equal(503);
    expect((await resolve({ app: 'etcd' })).status, 'no answer before the first list').to.equal(503);
    await kas.setReachable(true);
    await until(async () => ((await health('/readyz')).status === 200 ? true : undefined), 'readiness after the first list');

    await kas.setReachable(false);
    await until(() => (resolver!.watch.state.brokenSince !== undefined ? true : undefined), 'the watch to break');
    clock += 59_000;
    expect((await health('/readyz')).status, 'within --stale-after').to.equal(200);
    clock += 2_000;
    const stale = await health('/readyz');
    expect(stale.status).to.equal(503);
    expect(stale.body).to.match(/pod watch broken for 61 s/);
    await kas.setReachable(true);
    await until(async () => ((await health('/readyz')).status === 200 ? true : undefined), 'readiness after recovery');
  });
});
