import { expect } from 'chai';
import { gunzipSync } from 'node:zlib';
import { type SimulatedControlPlane, startSimulatedControlPlane } from '../../../demo/sim/control-plane.js';
import { CONTENT_TYPE_OPENMETRICS, CONTENT_TYPE_TEXT } from '../../../demo/sim/exposition/index.js';
import { checkExposition } from './exposition-check.js';
import { fetchRaw, mintTestPki, type TestPki } from './helpers.js';

describe('demo/sim control plane', function () {
  this.timeout(120_000);
  let pki: TestPki;

  before(() => {
    pki = mintTestPki();
  });
  after(() => pki.cleanup());

  describe('ephemeral ports (tests)', () => {
    let cp: SimulatedControlPlane;
    before(async () => {
      cp = await startSimulatedControlPlane({
        tls: { certPem: pki.server.certPem, keyPem: pki.server.keyPem, clientCaPem: pki.ca.certPem },
        ipPrefix: '127.0.78',
        ports: 'ephemeral',
        apiserver: { seriesCount: 5000 },
        slowDelayMs: 100,
        resolver: { ip: '127.0.78.200', tls: { certPem: pki.server.certPem, keyPem: pki.server.keyPem, clientCaPem: pki.ca.certPem } },
      });
    });
    after(async () => cp?.close());

    const scrape = (url: string, serverName: string, gzip = false) =>
      fetchRaw(url, {
        ca: pki.ca.certPem,
        servername: serverName,
        cert: pki.client.certPem,
        key: pki.client.keyPem,
        headers: gzip ? { 'Accept-Encoding': 'gzip' } : {},
        timeoutMs: 60_000,
      });

    it('has the expected components and replicas, each pod on its own address, replicas sharing a port', () => {
      const counts = Object.fromEntries(cp.components.map((c) => [c.name, c.pods.length]));
      expect(counts).to.deep.equal({
        'kube-apiserver': 3,
        etcd: 3,
        'kube-controller-manager': 2,
        'openshift-apiserver': 2,
        'openshift-controller-manager': 2,
        'cluster-version-operator': 1,
      });
      const ips = cp.pods.map((p) => p.ip);
      expect(new Set(ips).size).to.equal(ips.length);
      for (const ip of ips) expect(ip).to.match(/^127\.0\.78\.\d+$/);
      for (const c of cp.components) {
        expect(c.selector).to.deep.equal({ app: c.name });
        expect(c.podLabels).to.include(c.selector);
        expect(c.scheme).to.equal('https');
        for (const p of c.pods) expect(p.port).to.equal(c.port);
      }
      expect(cp.component('etcd').pods.map((p) => p.name)).to.deep.equal(['etcd-0', 'etcd-1', 'etcd-2']);
      expect(() => cp.component('nope')).to.throw();
    });

    it('resolve() matches pod labels and sorts by name', () => {
      const etcd = cp.resolve({ app: 'etcd' });
      expect(etcd.map((p) => p.name)).to.deep.equal(['etcd-0', 'etcd-1', 'etcd-2']);
      expect(etcd.map((p) => p.ip)).to.deep.equal(cp.component('etcd').pods.map((p) => p.ip));
      const kas = cp.resolve({ app: 'kube-apiserver', 'hypershift.openshift.io/control-plane-component': 'kube-apiserver' });
      expect(kas).to.have.length(3);
      expect(kas.map((p) => p.name)).to.deep.equal([...kas.map((p) => p.name)].sort());
      expect(cp.resolve({ app: 'kube-apiserver', tier: 'other' })).to.deep.equal([]);
    });

    it('serves every healthy pod over mTLS under its tlsServerName, in its format', async () => {
      for (const c of cp.components) {
        for (const p of c.pods) {
          if (c.name === 'openshift-controller-manager' && p === c.pods[1]) continue; // the broken one
          const r = await scrape(p.url, c.tlsServerName, true);
          expect(r.status, p.name).to.equal(200);
          expect(r.headers['content-type']).to.equal(c.format === 'openmetrics' ? CONTENT_TYPE_OPENMETRICS : CONTENT_TYPE_TEXT);
          const body = gunzipSync(r.body);
          expect(checkExposition(body, c.format).series, p.name).to.be.greaterThan(0);
        }
      }
      expect(cp.component('kube-apiserver').pods[0]!.lastClientCertificateCN).to.equal('system:serviceaccount:openshift-monitoring:prometheus-k8s');
    });

    it('kube-apiserver replicas have the requested size and differ in values', () => {
      const bodies = cp.component('kube-apiserver').pods.map((p) => p.body.toString());
      for (const b of bodies) expect(checkExposition(b, 'text').series).to.be.at.least(5000);
      expect(new Set(bodies).size).to.equal(3);
    });

    it('has one slow pod and one broken pod', async () => {
      const slow = cp.component('openshift-apiserver').pods[1]!;
      expect(slow.behaviour).to.deep.equal({ kind: 'slow', delayMs: 100 });
      expect((await scrape(slow.url, 'openshift-apiserver')).status).to.equal(200);
      const broken = cp.component('openshift-controller-manager').pods[1]!;
      expect(broken.behaviour.kind).to.equal('garbage');
      const r = await scrape(broken.url, 'openshift-controller-manager');
      expect(() => checkExposition(r.body, 'text')).to.throw();
    });

    it('starts a static resolver answering from resolve()', async () => {
      const r = await fetchRaw(`${cp.resolver!.url}/resolve`, {
        method: 'POST',
        body: JSON.stringify({ selector: { app: 'kube-controller-manager' } }),
        ca: pki.ca.certPem,
        servername: 'endpoint-resolver',
        cert: pki.client.certPem,
        key: pki.client.keyPem,
      });
      expect(r.status).to.equal(200);
      expect(JSON.parse(r.body.toString())).to.deep.equal({ pods: cp.resolve({ app: 'kube-controller-manager' }) });
    });
  });

  it('starts only the requested components (benchmarks), with precompressed bodies', async () => {
    const cp = await startSimulatedControlPlane({
      tls: { certPem: pki.server.certPem, keyPem: pki.server.keyPem },
      ipPrefix: '127.0.78',
      firstHost: 150,
      ports: 'ephemeral',
      only: ['kube-apiserver'],
      apiserver: { targetBytes: 2 * 1024 * 1024 },
      precompress: true,
    });
    try {
      expect(cp.components.map((c) => c.name)).to.deep.equal(['kube-apiserver']);
      expect(cp.pods.map((p) => p.ip)).to.deep.equal(['127.0.78.150', '127.0.78.151', '127.0.78.152']);
      for (const p of cp.pods) expect(p.body.length).to.be.at.least(2 * 1024 * 1024);
      expect(cp.resolve({ app: 'etcd' })).to.deep.equal([]);
    } finally {
      await cp.close();
    }
    let err: unknown;
    try {
      await startSimulatedControlPlane({ tls: { certPem: pki.server.certPem, keyPem: pki.server.keyPem }, ports: 'ephemeral', only: ['kube-proxy'] });
    } catch (e) {
      err = e;
    }
    expect(String(err)).to.include('kube-proxy');
  });

  describe('real ports (demo)', () => {
    it('binds each component on its real port on 127.0.x.y addresses, and close() frees them', async function () {
      let cp: SimulatedControlPlane;
      try {
        cp = await startSimulatedControlPlane({
          tls: { certPem: pki.server.certPem, keyPem: pki.server.keyPem },
          ipPrefix: '127.0.79',
          apiserver: { seriesCount: 2000 },
          brokenBehaviour: 'status-500',
        });
      } catch (err) {
        // Something on this machine holds e.g. 0.0.0.0:6443; nothing this test can fix.
        if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') return this.skip();
        throw err;
      }
      try {
        const ports = Object.fromEntries(cp.components.map((c) => [c.name, c.port]));
        expect(ports).to.deep.equal({
          'kube-apiserver': 6443,
          etcd: 2381,
          'kube-controller-manager': 10257,
          'openshift-apiserver': 8443,
          'openshift-controller-manager': 8443,
          'cluster-version-operator': 8443,
        });
        const kas = cp.component('kube-apiserver').pods[0]!;
        expect(kas.url).to.equal('https://127.0.79.1:6443/metrics');
        const r = await fetchRaw(kas.url, { ca: pki.ca.certPem, servername: 'kube-apiserver' });
        expect(r.status).to.equal(200);
        const broken = cp.component('openshift-controller-manager').pods[1]!;
        expect((await fetchRaw(broken.url, { ca: pki.ca.certPem, servername: 'openshift-controller-manager' })).status).to.equal(500);
      } finally {
        await cp.close();
      }
      let refused: unknown;
      try {
        await fetchRaw('https://127.0.79.1:6443/metrics', { ca: pki.ca.certPem, servername: 'kube-apiserver' });
      } catch (e) {
        refused = e;
      }
      expect((refused as NodeJS.ErrnoException).code).to.equal('ECONNREFUSED');
    });
  });
});
