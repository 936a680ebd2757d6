/**
 * The proxy's endpoint-resolver client: a short cache per selector, one call per burst, zero targets
 * on 404, and stale-while-error for 60 s before ResolverUnavailableError (503 upstream). A fake clock
 * drives every time-dependent case. Addresses: 127.0.111.x.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCA, issueCertificate } from '../../generator/pki/index.js';
import { ResolverClient, ResolverUnavailableError } from '../../proxy/resolver-client.js';
import { startStaticResolver, type ResolvedPod, type StaticResolver } from '../../demo/sim/static-resolver.js';

describe('proxy: endpoint-resolver client', function () {
  this.timeout(30_000);
  let dir: string;
  let resolver: StaticResolver;
  let pods: ResolvedPod[];
  let clock: number;
  let errors: string[];
  let client: ResolverClient;
  const files = { caFile: '', certFile: '', keyFile: '' };
  let tls: { certPem: string; keyPem: string; clientCaPem: string };

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'resolver-client-'));
    const ca = createCA({ commonName: 'resolver-client test CA' });
    const serving = issueCertificate(ca, { commonName: 'endpoint-resolver', ipAddresses: ['127.0.111.1'], usages: ['serverAuth'] });
    const clientCert = issueCertificate(ca, { commonName: 'metrics-proxy', usages: ['clientAuth'] });
    files.caFile = join(dir, 'ca.crt');
    files.certFile = join(dir, 'client.crt');
    files.keyFile = join(dir, 'client.key');
    writeFileSync(files.caFile, ca.certPem);
    writeFileSync(files.certFile, clientCert.certPem);
    writeFileSync(files.keyFile, clientCert.keyPem);
    tls = { certPem: serving.certPem, keyPem: serving.keyPem, clientCaPem: ca.certPem };
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  beforeEach(async () => {
    pods = [{ name: 'etcd-0', ip: '10.0.0.1' }];
    resolver = await startStaticResolver({ ip: '127.0.111.1', tls, pods: () => pods });
    clock = 1_000_000;
    errors = [];
    client = new ResolverClient({ url: resolver.url, ...files }, { cacheTtlMs: 5000, staleGraceMs: 60_000, now: () => clock, onError: (r) => errors.push(r) });
  });
  afterEach(async () => {
    client.close();
    await resolver.close();
  });

  it('sends one call for a burst and reuses the answer for the cache TTL, per selector', async () => {
    const burst = await Promise.all(Array.from({ length: 20 }, () => client.resolve({ app: 'etcd' })));
    expect(burst.every((b) => b[0]?.ip === '10.0.0.1')).to.equal(true);
    expect(resolver.calls).to.equal(1);
    expect(resolver.lastClientCertificateCN).to.equal('metrics-proxy');
    clock += 4999;
    await client.resolve({ app: 'etcd' });
    expect(resolver.calls).to.equal(1);
    await client.resolve({ app: 'kube-apiserver' });
    expect(resolver.calls, 'another selector is another entry').to.equal(2);
    pods = [{ name: 'etcd-0', ip: '10.0.0.9' }];
    clock += 2;
    expect((await client.resolve({ app: 'etcd' }))[0]!.ip).to.equal('10.0.0.9');
    expect(resolver.calls).to.equal(3);
  });

  it("passes on each pod's labels when the resolver answers them, and refuses malformed ones", async () => {
    pods = [{ name: 'etcd-0', ip: '10.0.0.1', labels: { app: 'etcd', 'app.kubernetes.io/version': '3.5' } }];
    expect(await client.resolve({ app: 'etcd' })).to.deep.equal(pods);
    pods = [{ name: 'etcd-0', ip: '10.0.0.1', labels: { app: 7 } as unknown as Record<string, string> }];
    const err = await client.resolve({ app: 'other' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(ResolverUnavailableError);
    expect(errors).to.have.length(1);
  });

  it('treats 404 (no ready pods) as zero targets', async () => {
    pods = [];
    expect(await client.resolve({ app: 'etcd' })).to.deep.equal([]);
    expect(errors).to.deep.equal([]);
  });

  it('keeps serving the last answer for 60 s while the resolver fails, then throws ResolverUnavailableError', async () => {
    await client.resolve({ app: 'etcd' });
    resolver.setFault('status-500');
    clock += 30_000;
    expect(await client.resolve({ app: 'etcd' })).to.deep.equal([{ name: 'etcd-0', ip: '10.0.0.1' }]);
    expect(errors).to.deep.equal(['http_500']);
    await resolver.close();
    clock += 29_000;
    expect(await client.resolve({ app: 'etcd' })).to.deep.equal([{ name: 'etcd-0', ip: '10.0.0.1' }]);
    expect(errors).to.deep.equal(['http_500', 'unreachable']);
    clock += 1_001;
    const err = await client.resolve({ app: 'etcd' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(ResolverUnavailableError);
    expect((err as ResolverUnavailableError).retryAfterSeconds).to.be.greaterThan(0);
    expect((err as Error).message).to.match(/endpoint resolver unavailable/);
    const never = await client.resolve({ app: 'never-resolved' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(never, 'nothing cached: unavailable at once').to.be.instanceOf(ResolverUnavailableError);
  });

  it('counts a hung resolver as a failure', async () => {
    resolver.setFault('hang');
    const quick = new ResolverClient({ url: resolver.url, ...files }, { timeoutMs: 200, now: () => clock, onError: (r) => errors.push(r) });
    try {
      const err = await quick.resolve({ app: 'etcd' }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).to.be.instanceOf(ResolverUnavailableError);
      expect((err as Error).message).to.match(/no answer within 200 ms/);
      expect(errors).to.deep.equal(['unreachable']);
    } finally {
      quick.close();
    }
  });
});
