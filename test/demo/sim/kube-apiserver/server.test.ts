/** The fake hosted kube-apiserver itself: API shapes and status codes, caller authentication, switches, counters, the router. */
import { expect } from 'chai';
import https from 'node:https';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { issueCertificate, type CertificatePair } from '../../../../generator/pki/index.js';
import { fakeJwt, FakeKubeApiserver, sendJson } from '../../../../demo/sim/kube-apiserver/index.js';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

describe('test support: fake kube-apiserver', function () {
  this.timeout(30_000);
  let kas: FakeKubeApiserver;

  const call = (method: string, path: string, opts: { body?: unknown; token?: string | null; cert?: CertificatePair } = {}): Promise<Answer> =>
    new Promise((resolve, reject) => {
      const token = opts.token === undefined ? kas.clientToken : opts.token;
      const req = https.request(
        `${kas.url}${path}`,
        {
          method,
          ca: kas.ca.certPem,
          agent: false,
          ...(opts.cert ? { cert: opts.cert.certPem, key: opts.cert.keyPem } : {}),
          headers: { 'content-type': 'application/json', ...(token !== null ? { authorization: `Bearer ${token}` } : {}) },
        },
        (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () => {
            let body: unknown = text;
            try {
              body = JSON.parse(text);
            } catch {
              // plain text (health endpoints)
            }
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
          });
        },
      );
      req.on('error', reject);
      req.end(opts.body === undefined ? undefined : JSON.stringify(opts.body));
    });
  const tokenReview = (token: string, audiences?: string[]) =>
    call('POST', '/apis/authentication.k8s.io/v1/tokenreviews', { body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token, ...(audiences ? { audiences } : {}) } } });

  before(async () => {
    kas = await FakeKubeApiserver.start();
    kas.addToken('t-alice', { username: 'alice', uid: 'a-1', groups: ['dev'] });
  });
  after(async () => {
    await kas?.close();
  });
  afterEach(async () => {
    kas.setFailure(undefined);
    kas.setDelay(0);
    await kas.setReachable(true);
    kas.resetCounts();
  });

  it('answers a TokenReview with 201 and the real object shape', async () => {
    const r = await tokenReview('t-alice');
    expect(r.status).to.equal(201);
    expect(r.body).to.deep.equal({
      kind: 'TokenReview',
      apiVersion: 'authentication.k8s.io/v1',
      metadata: { creationTimestamp: null },
      spec: { token: 't-alice' },
      status: { authenticated: true, user: { username: 'alice', uid: 'a-1', groups: ['dev', 'system:authenticated'] }, audiences: ['https://kubernetes.default.svc'] },
    });
    const bad = await tokenReview('t-unknown');
    expect(bad.status).to.equal(201);
    expect((bad.body as { status: unknown }).status).to.deep.equal({ user: {}, error: '[invalid bearer token, token lookup failed]' });
    expect(kas.tokenReviews).to.equal(2);
  });

  it('answers 400 with a Status for a TokenReview without a token', async () => {
    const r = await tokenReview('');
    expect(r.status).to.equal(400);
    expect(r.body).to.deep.include({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'BadRequest', code: 400 });
  });

  it('honours requested audiences', async () => {
    kas.addToken('t-aud', { username: 'bob', audiences: ['metrics'] });
    expect(((await tokenReview('t-aud', ['metrics', 'other'])).body as { status: { audiences: string[] } }).status.audiences).to.deep.equal(['metrics']);
    expect(((await tokenReview('t-aud')).body as { status: { authenticated?: boolean } }).status.authenticated).to.equal(undefined);
  });

  it('authenticates its callers: 401 for a wrong token, 403 for anonymous API calls, health is public', async () => {
    expect((await call('GET', '/readyz', { token: null })).status).to.equal(200);
    const wrong = await call('POST', '/apis/authentication.k8s.io/v1/tokenreviews', { token: 'nope', body: { spec: { token: 't-alice' } } });
    expect(wrong.status).to.equal(401);
    expect(wrong.body).to.deep.include({ kind: 'Status', reason: 'Unauthorized', code: 401 });
    expect((await call('GET', '/readyz', { token: 'nope' })).status).to.equal(401);
    expect((await call('POST', '/apis/authentication.k8s.io/v1/tokenreviews', { token: null, body: { spec: { token: 't-alice' } } })).status).to.equal(403);
    const cert = issueCertificate(kas.ca, { commonName: 'cert-user', usages: ['clientAuth'] });
    expect((await call('POST', '/apis/authentication.k8s.io/v1/tokenreviews', { token: null, cert, body: { spec: { token: 't-alice' } } })).status).to.equal(201);
  });

  it('answers SubjectAccessReviews from grants (users, groups, path prefixes)', async () => {
    kas.grant('alice', '/metrics/etcd');
    kas.grant('group:ops', '/metrics/*');
    const sar = (spec: Record<string, unknown>) => call('POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', { body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec } });
    const allowed = async (spec: Record<string, unknown>) => ((await sar(spec)).body as { status: { allowed: boolean } }).status.allowed;
    const r = await sar({ user: 'alice', nonResourceAttributes: { path: '/metrics/etcd', verb: 'get' } });
    expect(r.status).to.equal(201);
    expect(r.body).to.deep.include({ kind: 'SubjectAccessReview', apiVersion: 'authorization.k8s.io/v1' });
    expect(await allowed({ user: 'alice', nonResourceAttributes: { path: '/metrics/etcd', verb: 'get' } })).to.equal(true);
    expect(await allowed({ user: 'alice', nonResourceAttributes: { path: '/metrics/etcd', verb: 'post' } })).to.equal(false);
    expect(await allowed({ user: 'zed', groups: ['ops'], nonResourceAttributes: { path: '/metrics/kube-apiserver/1', verb: 'get' } })).to.equal(true);
    expect(await allowed({ user: 'zed', nonResourceAttributes: { path: '/metrics/etcd', verb: 'get' } })).to.equal(false);
    expect((await sar({ nonResourceAttributes: { path: '/', verb: 'get' } })).status).to.equal(400);
    expect(kas.subjectAccessReviews).to.equal(6);
    kas.revokeAll();
  });

  it('goes unreachable (connection refused) and comes back on the same port', async () => {
    const port = kas.port;
    await kas.setReachable(false);
    const err = await call('GET', '/readyz').then(
      () => undefined,
      (e: NodeJS.ErrnoException) => e,
    );
    expect(err?.code).to.equal('ECONNREFUSED');
    await kas.setReachable(true);
    expect(kas.port).to.equal(port);
    expect((await call('GET', '/readyz')).status).to.equal(200);
  });

  it('answers every call with a programmed 5xx or 429 (with Retry-After), and can be slow', async () => {
    kas.setFailure({ status: 500 });
    const r = await tokenReview('t-alice');
    expect(r.status).to.equal(500);
    expect(r.body).to.deep.include({ kind: 'Status', reason: 'InternalError', code: 500 });
    kas.setFailure({ status: 429, retryAfterSeconds: 3 });
    const t = await call('GET', '/readyz');
    expect(t.status).to.equal(429);
    expect(t.headers['retry-after']).to.equal('3');
    kas.setFailure(undefined);
    kas.setDelay(300);
    const started = process.hrtime.bigint();
    expect((await call('GET', '/livez')).status).to.equal(200);
    expect(Number(process.hrtime.bigint() - started) / 1e6).to.be.at.least(290); // a lower bound only: never asserts speed
    expect(kas.callCount('livez')).to.equal(1);
  });

  it('is a router: routes with parameters can be added and removed, unknown paths are 404 Status objects', async () => {
    const remove = kas.route('GET', '/apis/example.com/v1/namespaces/:namespace/widgets', (req, res) => sendJson(res, 200, { kind: 'WidgetList', apiVersion: 'example.com/v1', metadata: {}, items: [], namespace: req.params.namespace, caller: req.caller?.username }), { kind: 'widgets' });
    const r = await call('GET', '/apis/example.com/v1/namespaces/clusters-a/widgets?watch=false');
    expect(r.status).to.equal(200);
    expect(r.body).to.deep.include({ kind: 'WidgetList', namespace: 'clusters-a', caller: 'system:serviceaccount:hypershift:metrics-proxy' });
    expect(kas.callCount('widgets')).to.equal(1);
    expect((await call('POST', '/apis/example.com/v1/namespaces/clusters-a/widgets', { body: {} })).status).to.equal(405);
    remove();
    const gone = await call('GET', '/apis/example.com/v1/namespaces/clusters-a/widgets');
    expect(gone.status).to.equal(404);
    expect(gone.body).to.deep.include({ kind: 'Status', reason: 'NotFound' });
  });

  it('writes a kubeconfig that points at it, with the token inline or in a file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hcp-fake-kas-'));
    try {
      const inline = kas.writeKubeconfig(dir);
      const doc = YAML.parse(readFileSync(inline.kubeconfig, 'utf8'));
      expect(doc.clusters[0].cluster).to.deep.equal({ server: kas.url, 'certificate-authority': inline.caFile });
      expect(doc.users[0].user).to.deep.equal({ token: kas.clientToken });
      const withFile = kas.writeKubeconfig(dir, { tokenFile: true, name: 'other', token: 'xyz' });
      expect(YAML.parse(readFileSync(withFile.kubeconfig, 'utf8')).users[0].user).to.deep.equal({ tokenFile: withFile.tokenFile });
      expect(readFileSync(withFile.tokenFile!, 'utf8')).to.equal('xyz\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('mints JWT-shaped tokens with the given claims', () => {
    const [, payload] = fakeJwt({ exp: 123, sub: 's' }).split('.');
    expect(JSON.parse(Buffer.from(payload!, 'base64url').toString())).to.deep.equal({ exp: 123, sub: 's' });
  });
});
