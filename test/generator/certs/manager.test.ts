/**
 * The certificate manager against the in-repo kube-apiserver: what it issues (checked with
 * `openssl`, a Node TLS handshake and `curl --cacert`), idempotence, repair, leaf renewal at 2/3 of
 * the lifetime and the CA overlap sequence on a fake clock, and a proxy picking up the rotated
 * serving certificate without dropping connections. Addresses: 127.0.130.x.
 */
import { expect } from 'chai';
import { execFile, execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { KubeConfig } from '@kubernetes/client-node';
import { startHttpsServer } from '../../../common/https-server.js';
import { memoryLogger } from '../../../common/log.js';
import { CertificateManager, type CertificateManagerOptions, type TrustGate } from '../../../generator/certs/manager.js';
import { certificateInfo, verifyChain } from '../../../generator/pki/index.js';
import { FakeKubeApiserver } from '../../support/fake-kube-apiserver.js';
import { eventually } from '../../support/prometheus.js';

const NS = 'clusters-certs';
const HOST = 'metrics-proxy-clusters-certs.apps.example.com';
const LEAVES = ['metrics-proxy-serving-cert', 'endpoint-resolver-serving-cert', 'endpoint-resolver-client-cert'];
const DAY = 86_400_000;

function runCurl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('curl', args, { encoding: 'utf8' }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

describe('generator: certificate manager', function () {
  this.timeout(60_000);
  let kas: FakeKubeApiserver;
  let dir: string;
  let kc: KubeConfig;
  let clock: number;

  beforeEach(async () => {
    kas = await FakeKubeApiserver.start({ host: '127.0.130.1' });
    dir = mkdtempSync(join(tmpdir(), 'certs-'));
    kc = new KubeConfig();
    kc.loadFromFile(kas.writeKubeconfig(dir).kubeconfig);
    clock = Date.now(); // real TLS handshakes below check validity against the real clock
  });
  afterEach(async () => {
    await kas.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const manager = (o: Partial<CertificateManagerOptions> = {}) =>
    new CertificateManager({ kubeConfig: kc, namespace: NS, routeHost: HOST, logger: memoryLogger('certs'), now: () => new Date(clock), propagationMs: 10 * 60_000, ...o });
  const secretFile = (name: string, key: string): string => Buffer.from((kas.resources.get('secrets', NS, name)!.data as Record<string, string>)[key]!, 'base64').toString();
  const bundle = (): string => (kas.resources.get('configmaps', NS, 'metrics-proxy-serving-ca')!.data as Record<string, string>)['ca.crt']!;
  const bundleCerts = (): string[] => bundle().match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g) ?? [];
  const write = (name: string, text: string): string => {
    const f = join(dir, name);
    writeFileSync(f, text);
    return f;
  };

  it('issues the CA, the three leaves and the bundle; openssl agrees; a second pass writes nothing', async () => {
    const m = manager();
    const first = await m.reconcile();
    expect(first.caRotated).to.equal(true);
    expect(first.issued.sort()).to.deep.equal([...LEAVES].sort());
    const caFile = write('bundle.crt', bundle());
    expect(secretFile('metrics-proxy-ca-cert', 'tls.key')).to.match(/PRIVATE KEY/);
    expect(kas.resources.get('configmaps', NS, 'metrics-proxy-serving-ca')!.data, 'no key in the ConfigMap').not.to.have.property('tls.key');
    for (const leaf of LEAVES) {
      const s = kas.resources.get('secrets', NS, leaf)!;
      expect(s.type).to.equal('kubernetes.io/tls');
      expect(secretFile(leaf, 'ca.crt')).to.equal(bundle());
      const crt = write(`${leaf}.crt`, secretFile(leaf, 'tls.crt'));
      expect(execFileSync('openssl', ['verify', '-CAfile', caFile, crt]).toString()).to.match(/: OK/);
      const text = execFileSync('openssl', ['x509', '-in', crt, '-noout', '-text']).toString();
      expect(text).to.match(/Signature Algorithm: sha256WithRSAEncryption/);
      expect(text).to.match(/Public-Key: \((2048|3072|4096) bit\)/);
      expect(text).to.match(/X509v3 Subject Key Identifier/);
      expect(text).to.match(/X509v3 Authority Key Identifier/);
      expect(text).to.match(/CA:FALSE/);
      // The key in the Secret is the certificate's.
      expect(new X509Certificate(secretFile(leaf, 'tls.crt')).checkPrivateKey(await import('node:crypto').then((c) => c.createPrivateKey(secretFile(leaf, 'tls.key'))))).to.equal(true);
    }
    const serving = certificateInfo(secretFile('metrics-proxy-serving-cert', 'tls.crt'));
    expect(serving.dnsNames.sort()).to.deep.equal([HOST, 'metrics-proxy', `metrics-proxy.${NS}.svc`, `metrics-proxy.${NS}.svc.cluster.local`].sort());
    expect(serving.usages).to.deep.equal(['serverAuth']);
    expect(certificateInfo(secretFile('endpoint-resolver-serving-cert', 'tls.crt')).dnsNames).to.include(`endpoint-resolver.${NS}.svc`);
    expect(certificateInfo(secretFile('endpoint-resolver-client-cert', 'tls.crt')).usages).to.deep.equal(['clientAuth']);
    const caText = execFileSync('openssl', ['x509', '-noout', '-text'], { input: secretFile('metrics-proxy-ca-cert', 'tls.crt') }).toString();
    expect(caText).to.match(/CA:TRUE/);

    const rv = kas.resources.resourceVersion;
    const second = await m.reconcile();
    expect(second).to.deep.equal({ caRotated: false, issued: [], previousCaRetired: false, writes: 0 });
    expect(kas.resources.resourceVersion, 'nothing written').to.equal(rv);
  });

  it('serves a TLS handshake that Node and curl --cacert accept for the Route host', async () => {
    await manager().reconcile();
    const server = tls.createServer({ cert: secretFile('metrics-proxy-serving-cert', 'tls.crt'), key: secretFile('metrics-proxy-serving-cert', 'tls.key') }, (s) => {
      s.end('HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.130.2', () => r()));
    const port = (server.address() as { port: number }).port;
    try {
      const authorized = await new Promise<boolean>((resolve, reject) => {
        const s = tls.connect({ host: '127.0.130.2', port, servername: HOST, ca: bundle() }, () => {
          resolve(s.authorized);
          s.destroy();
        });
        s.on('error', reject);
      });
      expect(authorized).to.equal(true);
      const caFile = write('bundle.crt', bundle());
      // Asynchronous: the TLS server answering curl lives in this process.
      const curl = await runCurl(['-sS', '--cacert', caFile, '--resolve', `${HOST}:${port}:127.0.130.2`, `https://${HOST}:${port}/`]);
      expect(curl.stderr).to.equal('');
      expect(curl.stdout).to.equal('ok\n');
      const wrongName = await runCurl(['-sS', '--cacert', caFile, '--resolve', `other.example.com:${port}:127.0.130.2`, `https://other.example.com:${port}/`]);
      expect(wrongName.code).not.to.equal(0);
    } finally {
      server.close();
    }
  });

  it('renews a leaf at 2/3 of its lifetime, not before', async () => {
    const m = manager({ leafValidityDays: 90 });
    await m.reconcile();
    const serial = certificateInfo(secretFile('metrics-proxy-serving-cert', 'tls.crt')).serialHex;
    clock += 59 * DAY;
    expect((await m.reconcile()).issued).to.deep.equal([]);
    clock += 2 * DAY;
    expect((await m.reconcile()).issued.sort()).to.deep.equal([...LEAVES].sort());
    const renewed = certificateInfo(secretFile('metrics-proxy-serving-cert', 'tls.crt'));
    expect(renewed.serialHex).not.to.equal(serial);
    expect(renewed.notAfter.getTime()).to.equal(Math.floor((clock + 90 * DAY) / 1000) * 1000); // X.509 keeps whole seconds
  });

  it('rotates the CA with overlap: new CA in the bundle first, then the leaves, then the old CA leaves', async () => {
    const m = manager({ caValidityDays: 30, leafValidityDays: 300 });
    await m.reconcile();
    const oldCa = secretFile('metrics-proxy-ca-cert', 'tls.crt');
    const everyLeafTrusted = () => {
      for (const leaf of LEAVES) expect(verifyChain(secretFile(leaf, 'tls.crt'), bundleCerts(), new Date(clock)), leaf).to.equal(true);
    };
    clock += 21 * DAY; // past 2/3 of 30 days
    const step1 = await m.reconcile();
    expect(step1.caRotated).to.equal(true);
    const newCa = secretFile('metrics-proxy-ca-cert', 'tls.crt');
    expect(newCa).not.to.equal(oldCa);
    expect(bundleCerts()).to.have.length(2);
    expect(step1.issued, 'leaves wait until the new CA is trusted everywhere').to.deep.equal([]);
    everyLeafTrusted();

    clock += 11 * 60_000;
    const step2 = await m.reconcile();
    expect(step2.issued.sort()).to.deep.equal([...LEAVES].sort());
    const newSki = certificateInfo(newCa).subjectKeyId;
    for (const leaf of LEAVES) expect(certificateInfo(secretFile(leaf, 'tls.crt')).authorityKeyId, leaf).to.equal(newSki);
    expect(bundleCerts(), 'the old CA stays while consumers pick up the new leaves').to.have.length(2);
    everyLeafTrusted();

    clock += 11 * 60_000;
    const step3 = await m.reconcile();
    expect(step3.previousCaRetired).to.equal(true);
    expect(bundleCerts()).to.deep.equal([newCa.trim()]);
    everyLeafTrusted();
    for (const leaf of LEAVES) expect(secretFile(leaf, 'ca.crt')).to.equal(bundle());
  });

  describe('with a trust gate (guest sync)', () => {
    /** A consumer outside the kubelet's reach: holds the CAs the test says it holds, since when it says. */
    const held = new Map<string, number>();
    const gate: TrustGate = { name: 'guest cluster', trustedSince: (pem) => held.get(pem.trim()) };
    const issuerOf = (leaf: string) => certificateInfo(secretFile(leaf, 'tls.crt')).authorityKeyId;
    const ski = (pem: string) => certificateInfo(pem).subjectKeyId;
    beforeEach(() => held.clear());

    it('keeps the leaves on the old CA until the gate has held the new one for propagationMs', async () => {
      const m = manager({ caValidityDays: 300, leafValidityDays: 90, trustGate: gate });
      await m.reconcile();
      const oldCa = secretFile('metrics-proxy-ca-cert', 'tls.crt');
      held.set(oldCa.trim(), clock);
      clock += 201 * DAY; // past 2/3 of 300 days
      const step1 = await m.reconcile();
      expect(step1.caRotated).to.equal(true);
      const newCa = secretFile('metrics-proxy-ca-cert', 'tls.crt');
      for (const leaf of LEAVES) expect(issuerOf(leaf), leaf).to.equal(ski(oldCa));

      clock += 11 * 60_000; // the kubelet's share of the propagation is over, the gate's is not
      const waiting = await m.reconcile();
      expect(waiting.waitingFor).to.equal('guest cluster');
      expect(waiting.issued).to.deep.equal([]);
      expect(m.rotationWaitingFor()).to.equal('guest cluster');
      for (const leaf of LEAVES) expect(issuerOf(leaf), leaf).to.equal(ski(oldCa));

      held.set(newCa.trim(), clock); // the guest bundle now has it...
      expect((await m.reconcile()).issued, '...but its Prometheus has not picked it up yet').to.deep.equal([]);
      clock += 11 * 60_000;
      // A restart (or the next --once Job) forgets what guest sync saw: the first sighting is kept in the CA Secret.
      held.set(newCa.trim(), clock);
      const restarted = manager({ caValidityDays: 300, leafValidityDays: 90, trustGate: gate });
      const moved = await restarted.reconcile();
      expect(moved.issued.sort()).to.deep.equal([...LEAVES].sort());
      expect(moved.waitingFor).to.equal(undefined);
      expect(restarted.rotationWaitingFor()).to.equal(undefined);
      for (const leaf of LEAVES) expect(issuerOf(leaf), leaf).to.equal(ski(newCa));
      clock += 11 * 60_000;
      expect((await m.reconcile()).previousCaRetired).to.equal(true);
      expect(bundleCerts()).to.deep.equal([newCa.trim()]);
    });

    it('waits only while the old CA can still sign: renewals come from the old CA, and near its expiry the leaves move anyway', async () => {
      const logger = memoryLogger('certs');
      const m = manager({ caValidityDays: 30, leafValidityDays: 3, trustGate: gate, logger });
      await m.reconcile();
      const oldCa = secretFile('metrics-proxy-ca-cert', 'tls.crt');
      const oldExpiry = certificateInfo(oldCa).notAfter.getTime();
      clock += 20 * DAY + 60_000; // rotation; the guest never confirms
      await m.reconcile();
      const newCa = secretFile('metrics-proxy-ca-cert', 'tls.crt');
      clock += 11 * 60_000;
      expect((await m.reconcile()).waitingFor).to.equal('guest cluster');
      clock = oldExpiry - 5 * DAY; // leaves due for renewal (2/3 of 3 days), old CA still 5 days > the 3-day margin
      const renewed = await m.reconcile();
      expect(renewed.issued.sort()).to.deep.equal([...LEAVES].sort());
      expect(renewed.waitingFor).to.equal('guest cluster');
      for (const leaf of LEAVES) expect(issuerOf(leaf), `${leaf} renewed by the old CA`).to.equal(ski(oldCa));
      expect(logger.lines.filter((l) => l.includes('leaves stay with the old CA')), 'the wait is logged once').to.have.length(1);

      clock = oldExpiry - 2 * DAY; // within one leaf lifetime of the old CA's expiry
      const forced = await m.reconcile();
      expect(forced.gateOverridden).to.equal('guest cluster');
      expect(forced.issued.sort()).to.deep.equal([...LEAVES].sort());
      for (const leaf of LEAVES) expect(issuerOf(leaf), leaf).to.equal(ski(newCa));
      expect(logger.lines.some((l) => l.includes('"level":"error"') && l.includes('moving the leaves anyway'))).to.equal(true);
    });
  });

  it('repairs a deleted or tampered Secret and refuses to take over a Secret it does not own', async () => {
    const m = manager();
    await m.reconcile();
    kas.resources.remove('secrets', NS, 'endpoint-resolver-client-cert');
    const cur = kas.resources.get('secrets', NS, 'endpoint-resolver-serving-cert')!;
    kas.resources.update('secrets', { ...cur, data: { ...(cur.data as Record<string, string>), 'tls.crt': Buffer.from('garbage').toString('base64') } });
    expect((await m.reconcile()).issued.sort()).to.deep.equal(['endpoint-resolver-client-cert', 'endpoint-resolver-serving-cert']);
    expect(certificateInfo(secretFile('endpoint-resolver-serving-cert', 'tls.crt')).commonName).to.equal('endpoint-resolver');

    kas.resources.remove('secrets', NS, 'metrics-proxy-serving-cert');
    kas.resources.create('secrets', { metadata: { name: 'metrics-proxy-serving-cert', namespace: NS }, type: 'kubernetes.io/tls', stringData: { 'tls.crt': 'user-provided', 'tls.key': 'user-provided' } });
    const s = await m.reconcile();
    expect(s.issued).to.deep.equal([]);
    expect(secretFile('metrics-proxy-serving-cert', 'tls.crt')).to.equal('user-provided');
  });

  it('knows its own objects, and puts a deleted one back when nudged instead of at the next interval', async () => {
    const m = new CertificateManager({ kubeConfig: kc, namespace: NS, routeHost: HOST, logger: memoryLogger('certs'), intervalMs: 10 * 60_000 });
    expect(LEAVES.every((l) => m.owns('Secret', l))).to.equal(true);
    expect(m.owns('Secret', 'metrics-proxy-ca-cert')).to.equal(true);
    expect(m.owns('ConfigMap', 'metrics-proxy-serving-ca')).to.equal(true);
    expect(m.owns('Secret', 'someone-else')).to.equal(false);
    expect(m.owns('ConfigMap', 'metrics-proxy-config')).to.equal(false);
    await m.start();
    try {
      const before = secretFile('metrics-proxy-serving-cert', 'tls.crt');
      kas.resources.remove('secrets', NS, 'metrics-proxy-serving-cert');
      kas.resources.remove('configmaps', NS, 'metrics-proxy-serving-ca');
      m.nudge(10);
      m.nudge(10); // a burst is one repair
      await eventually(async () => (kas.resources.get('secrets', NS, 'metrics-proxy-serving-cert') && kas.resources.get('configmaps', NS, 'metrics-proxy-serving-ca') ? true : undefined), 10_000, 'the Secret and the bundle back');
      const after = secretFile('metrics-proxy-serving-cert', 'tls.crt');
      expect(after).to.not.equal(before);
      expect(verifyChain(after, [bundle()])).to.equal(true);
    } finally {
      m.stop();
    }
  });

  it('lets a serving proxy pick up the rotated certificate without dropping its connections', async () => {
    // Real TLS checks validity against the real clock: start in the past so the renewal lands now.
    clock = Date.now() - 61 * DAY - 60_000;
    const m = manager({ leafValidityDays: 90 });
    await m.reconcile();
    // What the kubelet does for a Secret volume: new files appear atomically.
    const sync = () => {
      for (const k of ['tls.crt', 'tls.key']) {
        writeFileSync(join(dir, `${k}.tmp`), secretFile('metrics-proxy-serving-cert', k));
        renameSync(join(dir, `${k}.tmp`), join(dir, k));
      }
    };
    sync();
    const server = await startHttpsServer((_req, res) => res.end('ok'), { listen: '127.0.130.3:0', tls: { certFile: join(dir, 'tls.crt'), keyFile: join(dir, 'tls.key') }, logger: memoryLogger('https'), watchPollMs: 50 });
    const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
    const get = () =>
      new Promise<{ serial: string; reused: boolean }>((resolve, reject) => {
        const req = https.get({ host: '127.0.130.3', port: server.port, servername: HOST, ca: bundle(), agent, path: '/' }, (res) => {
          const serial = (res.socket as tls.TLSSocket).getPeerCertificate().serialNumber.toLowerCase();
          res.resume();
          res.on('end', () => resolve({ serial, reused: req.reusedSocket }));
        });
        req.on('error', reject);
      });
    try {
      const before = await get();
      clock += 61 * DAY;
      expect((await m.reconcile()).issued).to.include('metrics-proxy-serving-cert');
      const newSerial = certificateInfo(secretFile('metrics-proxy-serving-cert', 'tls.crt')).serialHex.replace(/^0+/, '');
      sync();
      const freshSerial = () =>
        new Promise<string>((resolve, reject) => {
          https.get({ host: '127.0.130.3', port: server.port, servername: HOST, ca: bundle(), agent: false, path: '/' }, (res) => {
            resolve((res.socket as tls.TLSSocket).getPeerCertificate().serialNumber.toLowerCase().replace(/^0+/, ''));
            res.resume();
          }).on('error', reject);
        });
      // The file watch picks the new files up: new connections get the new certificate...
      await eventually(async () => ((await freshSerial()) === newSerial ? true : undefined), 10_000, 'a new connection to get the new certificate');
      // ...while the connection kept alive from before still works, on the certificate it started with.
      const onOld = await get();
      expect(onOld.reused, 'the kept-alive connection survived').to.equal(true);
      expect(onOld.serial).to.equal(before.serial);
    } finally {
      agent.destroy();
      await server.close(0);
    }
  });
});
