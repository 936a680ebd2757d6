import { expect } from 'chai';
import { MAX_RESOLVE_BODY_BYTES, type StaticResolver, startStaticResolver } from '../../../demo/sim/static-resolver.js';
import { ClientTimeoutError, fetchRaw, type FetchOptions, type FetchResult, mintTestPki, type TestPki } from './helpers.js';

const IP = '127.0.77.101';

describe('demo/sim static resolver (DESIGN §3)', function () {
  this.timeout(60_000);
  let pki: TestPki;
  let resolver: StaticResolver;

  const pods = (selector: Record<string, string>): { name: string; ip: string }[] => {
    if (selector.app === 'etcd') {
      return [
        { name: 'etcd-2', ip: '10.0.1.7' },
        { name: 'etcd-0', ip: '10.0.1.5' },
        { name: 'etcd-1', ip: '10.0.1.6' },
      ];
    }
    return [];
  };

  const call = (path: string, opts: FetchOptions = {}): Promise<FetchResult> =>
    fetchRaw(`${resolver.url}${path}`, {
      ca: pki.ca.certPem,
      servername: 'endpoint-resolver',
      cert: pki.client.certPem,
      key: pki.client.keyPem,
      timeoutMs: 30_000,
      ...opts,
    });
  const resolve = (body: string | Buffer, opts: FetchOptions = {}): Promise<FetchResult> =>
    call('/resolve', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body, ...opts });
  const json = (r: FetchResult): unknown => JSON.parse(r.body.toString());

  before(async () => {
    pki = mintTestPki();
    resolver = await startStaticResolver({
      ip: IP,
      tls: { certPem: pki.server.certPem, keyPem: pki.server.keyPem, clientCaPem: pki.ca.certPem },
      pods,
    });
  });
  after(async () => {
    await resolver.close();
    pki.cleanup();
  });

  it('listens on the requested loopback IP and a free port', () => {
    expect(resolver.ip).to.equal(IP);
    expect(resolver.port).to.be.greaterThan(0);
    expect(resolver.url).to.equal(`https://${IP}:${resolver.port}`);
  });

  it('200: the matching pods sorted by name, and counts the call', async () => {
    const before = resolver.calls;
    const r = await resolve(JSON.stringify({ selector: { app: 'etcd' } }));
    expect(r.status).to.equal(200);
    expect(r.headers['content-type']).to.equal('application/json');
    expect(json(r)).to.deep.equal({
      pods: [
        { name: 'etcd-0', ip: '10.0.1.5' },
        { name: 'etcd-1', ip: '10.0.1.6' },
        { name: 'etcd-2', ip: '10.0.1.7' },
      ],
    });
    expect(resolver.calls).to.equal(before + 1);
    expect(resolver.lastSelector).to.deep.equal({ app: 'etcd' });
    expect(resolver.lastClientCertificateCN).to.equal('system:serviceaccount:openshift-monitoring:prometheus-k8s');
  });

  it('404 when no pods match', async () => {
    const r = await resolve(JSON.stringify({ selector: { app: 'nothing' } }));
    expect(r.status).to.equal(404);
  });

  const bad: [string, string | Buffer][] = [
    ['bad JSON', '{"selector": '],
    ['a non-object body', '["app"]'],
    ['a missing selector', '{}'],
    ['a null selector', '{"selector": null}'],
    ['an array selector', '{"selector": ["app"]}'],
    ['an empty selector', '{"selector": {}}'],
    ['a non-string selector value', '{"selector": {"app": 1}}'],
    ['a body over 64 KiB', JSON.stringify({ selector: { app: 'etcd', pad: 'x'.repeat(MAX_RESOLVE_BODY_BYTES) } })],
  ];
  for (const [what, body] of bad) {
    it(`400 for ${what}`, async () => {
      const r = await resolve(body);
      expect(r.status).to.equal(400);
      expect(json(r)).to.have.property('error').that.is.a('string');
    });
  }

  it('accepts a body of exactly 64 KiB', async () => {
    const base = JSON.stringify({ selector: { app: 'etcd', pad: '' } });
    const body = JSON.stringify({ selector: { app: 'etcd', pad: 'x'.repeat(MAX_RESOLVE_BODY_BYTES - base.length) } });
    expect(Buffer.byteLength(body)).to.equal(MAX_RESOLVE_BODY_BYTES);
    expect((await resolve(body)).status).to.equal(200);
  });

  it('405 with Allow: POST for other methods on /resolve', async () => {
    for (const method of ['GET', 'PUT', 'DELETE']) {
      const r = await call('/resolve', { method });
      expect(r.status, method).to.equal(405);
      expect(r.headers.allow).to.equal('POST');
    }
  });

  it('404 for other paths; 200 on /healthz and /readyz', async () => {
    expect((await call('/')).status).to.equal(404);
    expect((await call('/resolve/x', { method: 'POST', body: '{}' })).status).to.equal(404);
    expect((await call('/healthz')).status).to.equal(200);
    expect((await call('/readyz')).status).to.equal(200);
  });

  for (const [what, opts] of [
    ['without a client certificate', {}],
    ['with a certificate from another CA', { cert: 'rogue', key: 'rogue' }],
  ] as const) {
    it(`refuses a client ${what} at the TLS layer`, async () => {
      const before = resolver.calls;
      const tlsOpts: FetchOptions =
        'cert' in opts ? { cert: pki.rogueClient.certPem, key: pki.rogueClient.keyPem } : { cert: undefined, key: undefined };
      let err: unknown;
      let status: number | undefined;
      try {
        status = (await resolve(JSON.stringify({ selector: { app: 'etcd' } }), tlsOpts)).status;
      } catch (e) {
        err = e;
      }
      expect(status, 'no HTTP answer at all').to.equal(undefined);
      expect(err).to.be.instanceOf(Error).and.not.instanceOf(ClientTimeoutError);
      expect(String((err as NodeJS.ErrnoException).code ?? (err as Error).message)).to.match(/SSL|TLS|ECONNRESET|certificate|EPIPE/i);
      expect(resolver.calls).to.equal(before);
    });
  }

  it('setPods and setFault change the answers', async () => {
    resolver.setPods(() => [{ name: 'only', ip: '10.0.0.9' }]);
    expect(json(await resolve('{"selector":{"app":"any"}}'))).to.deep.equal({ pods: [{ name: 'only', ip: '10.0.0.9' }] });
    resolver.setFault('status-500');
    expect((await resolve('{"selector":{"app":"any"}}')).status).to.equal(500);
    resolver.setFault('hang');
    let err: unknown;
    try {
      await resolve('{"selector":{"app":"any"}}', { timeoutMs: 200 });
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(ClientTimeoutError);
    resolver.setFault('none');
    resolver.setPods(pods);
  });
});
