/**
 * The proxy's authentication and authorization over real HTTPS, against the fake hosted
 * kube-apiserver: 401/403/200, TokenReview caching (asserted by the fake's call counter, TTLs moved
 * with a fake clock), shared reviews, client certificates, and credential hygiene.
 */
import { expect } from 'chai';
import { setLogLevel } from '../../../common/log.js';
import { fakeJwt } from '../../support/fake-kube-apiserver.js';
import { PROMETHEUS_SA, startAuthStack, type AuthStack } from './helpers.js';

const GOOD = 'good-token-7f1c2a9e-prometheus';
const STRANGER = 'stranger-token-5b8d0c31';
const BAD = 'bad-token-never-issued-93ae';
const COMPONENT = '/metrics/etcd';

describe('proxy auth: tokens and certificates over HTTPS', function () {
  this.timeout(60_000);
  let s: AuthStack;

  before(async () => {
    s = await startAuthStack({ ipPrefix: '127.0.92', settings: { allowedSubjects: [PROMETHEUS_SA, 'group:metrics-readers'] } });
    s.kas.addToken(GOOD, { username: PROMETHEUS_SA, uid: 'uid-1', groups: ['system:serviceaccounts', 'system:serviceaccounts:openshift-monitoring'] });
    s.kas.addToken(STRANGER, { username: 'system:serviceaccount:default:stranger', groups: ['system:serviceaccounts'] });
    expect(await s.auth.health!.check()).to.equal(true);
  });

  after(async () => {
    await s?.close();
  });

  beforeEach(() => {
    s.auth.tokenCache!.clear();
    s.kas.resetCounts();
  });

  describe('bearer tokens', () => {
    it('answers 401 with WWW-Authenticate: Bearer when there are no credentials, without asking the kube-apiserver', async () => {
      const r = await s.get(COMPONENT);
      expect(r.status).to.equal(401);
      expect(r.headers['www-authenticate']).to.match(/^Bearer\b/);
      expect(r.body).to.contain('no credentials');
      expect(s.kas.tokenReviews).to.equal(0);
    });

    it('answers 401 for a token the kube-apiserver rejects', async () => {
      const r = await s.get(COMPONENT, { token: BAD });
      expect(r.status).to.equal(401);
      expect(r.headers['www-authenticate']).to.match(/^Bearer\b/);
      expect(r.body).to.contain('invalid bearer token');
      expect(s.kas.tokenReviews).to.equal(1);
    });

    it('answers 401 for an Authorization header that is not a bearer token', async () => {
      const r = await s.get(COMPONENT, { headers: { authorization: 'Basic dXNlcjpwYXNz' } });
      expect(r.status).to.equal(401);
      expect(s.kas.tokenReviews).to.equal(0);
    });

    it('answers 403 naming the user when the subject is authenticated but not allowed', async () => {
      const r = await s.get(COMPONENT, { token: STRANGER });
      expect(r.status).to.equal(403);
      expect(r.body).to.contain('system:serviceaccount:default:stranger');
      expect(r.headers['www-authenticate']).to.equal(undefined);
    });

    it('answers 200 with the component for the allowed service account', async () => {
      const r = await s.get(COMPONENT, { token: GOOD });
      expect(r.status).to.equal(200);
      expect(r.headers['content-type']).to.match(/^text\/plain/);
      expect(r.body).to.match(/^up\{.*job="etcd"/m);
    });

    it('serves a cached token within the TTL without another TokenReview, and reviews again after it', async () => {
      expect((await s.get(COMPONENT, { token: GOOD })).status).to.equal(200);
      expect(s.kas.tokenReviews).to.equal(1);
      for (let i = 0; i < 5; i++) {
        s.clock.advance(59_000); // 4 min 55 s in total: inside the 5 min TTL
        expect((await s.get(COMPONENT, { token: GOOD })).status).to.equal(200);
      }
      expect(s.kas.tokenReviews).to.equal(1);
      s.clock.advance(6_000); // 5 min 1 s
      expect((await s.get(COMPONENT, { token: GOOD })).status).to.equal(200);
      expect(s.kas.tokenReviews).to.equal(2);
    });

    it('caches a rejection for the negative TTL only', async () => {
      expect((await s.get(COMPONENT, { token: BAD })).status).to.equal(401);
      s.clock.advance(9_000);
      expect((await s.get(COMPONENT, { token: BAD })).status).to.equal(401);
      expect(s.kas.tokenReviews).to.equal(1);
      s.clock.advance(2_000);
      expect((await s.get(COMPONENT, { token: BAD })).status).to.equal(401);
      expect(s.kas.tokenReviews).to.equal(2);
    });

    it('expires a cached JWT at its exp claim even when that comes before the TTL', async () => {
      const jwt = fakeJwt({ sub: PROMETHEUS_SA, exp: Math.floor(s.clock.t / 1000) + 60 });
      s.kas.addToken(jwt, { username: PROMETHEUS_SA });
      expect((await s.get(COMPONENT, { token: jwt })).status).to.equal(200);
      s.clock.advance(58_000);
      expect((await s.get(COMPONENT, { token: jwt })).status).to.equal(200);
      expect(s.kas.tokenReviews).to.equal(1);
      s.clock.advance(3_000); // past exp, far inside the 5 min TTL
      await s.get(COMPONENT, { token: jwt });
      expect(s.kas.tokenReviews).to.equal(2);
    });

    it('shares one TokenReview among 100 concurrent requests carrying the same new token', async () => {
      const token = 'concurrent-token-41d7';
      s.kas.addToken(token, { username: PROMETHEUS_SA });
      s.kas.setDelay(500); // keep the review in flight while the requests arrive
      try {
        const answers = await Promise.all(Array.from({ length: 100 }, () => s.get('/components', { token })));
        expect(answers.map((a) => a.status)).to.deep.equal(Array(100).fill(200));
      } finally {
        s.kas.setDelay(0);
      }
      expect(s.kas.tokenReviews).to.equal(1);
      expect(s.auth.tokens!.inflight).to.equal(0);
    });
  });

  describe('client certificates', () => {
    it('serves the prometheus-k8s certificate without any TokenReview', async () => {
      const r = await s.get(COMPONENT, { cert: s.certs.prometheus });
      expect(r.status).to.equal(200);
      expect(s.kas.tokenReviews).to.equal(0);
    });

    it('maps O to groups: an allowed group is served, the same CN without it is forbidden', async () => {
      expect((await s.get(COMPONENT, { cert: s.certs.groupMember })).status).to.equal(200);
      const r = await s.get(COMPONENT, { cert: s.certs.stranger });
      expect(r.status).to.equal(403);
      expect(r.body).to.contain('"someone-else"');
    });

    for (const [name, reason] of [
      ['expired', 'CERT_HAS_EXPIRED'],
      ['wrongCa', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'],
      ['serverAuthOnly', 'INVALID_PURPOSE'],
    ] as const) {
      it(`answers 401 for a ${name} certificate (${reason})`, async () => {
        const r = await s.get(COMPONENT, { cert: s.certs[name] });
        expect(r.status).to.equal(401);
        expect(r.headers['www-authenticate']).to.match(/^Bearer\b/);
        expect(r.body).to.contain(reason);
      });
    }

    it('still accepts a valid token next to a rejected certificate, as the kube-apiserver does', async () => {
      expect((await s.get(COMPONENT, { cert: s.certs.expired, token: GOOD })).status).to.equal(200);
    });
  });

  describe('hygiene', () => {
    it("never forwards the caller's Authorization header or cookies to a pod (asserted at the pod)", async () => {
      const pods = s.stack.controlPlane.component('etcd').pods;
      const before = pods.map((p) => p.requests);
      const r = await s.get(COMPONENT, { token: GOOD, headers: { cookie: 'session=secret-cookie-value' } });
      expect(r.status).to.equal(200);
      pods.forEach((p, i) => {
        expect(p.requests, p.name).to.be.greaterThan(before[i]!);
        expect(p.lastRequestHeaders, p.name).to.not.have.property('authorization');
        expect(p.lastRequestHeaders, p.name).to.not.have.property('cookie');
        expect(JSON.stringify(p.lastRequestHeaders)).to.not.contain(GOOD).and.not.contain('secret-cookie-value');
      });
    });

    it('serves /healthz and /readyz without credentials and nothing else', async () => {
      expect((await s.get('/healthz')).status).to.equal(200);
      expect((await s.get('/readyz')).status).to.equal(200);
      for (const path of ['/metrics', '/components', COMPONENT, '/metrics/etcd/1', '/nope']) {
        expect((await s.get(path)).status, path).to.equal(401);
      }
      const own = await s.get('/metrics', { token: GOOD });
      expect(own.status).to.equal(200);
      expect(own.body).to.contain('hcp_metrics_proxy_token_reviews_total');
      expect((await s.get('/components', { token: GOOD })).status).to.equal(200);
    });

    it('keeps tokens out of logs, answers and the own metrics', async () => {
      setLogLevel('debug');
      const secretGood = 'secret-good-token-0a1b2c3d4e';
      const secretBad = 'secret-bad-token-5f6a7b8c9d';
      const secretDown = 'secret-uncached-token-e0f1a2b3';
      s.kas.addToken(secretGood, { username: PROMETHEUS_SA });
      const bodies: string[] = [];
      try {
        expect((await s.get(COMPONENT, { token: secretGood })).status).to.equal(200);
        bodies.push((await s.get(COMPONENT, { token: secretBad })).body);
        bodies.push((await s.get(COMPONENT, { token: `${secretBad}x` })).body);
        s.kas.setFailure({ status: 500 });
        bodies.push((await s.get(COMPONENT, { token: secretDown })).body);
        s.kas.setFailure(undefined);
        bodies.push((await s.get('/metrics', { token: secretGood })).body);
      } finally {
        s.kas.setFailure(undefined);
        setLogLevel('info');
      }
      expect(bodies[2]).to.contain('Service Unavailable');
      const everything = [...s.logger.lines, ...bodies].join('\n');
      expect(s.logger.lines.length).to.be.greaterThan(0);
      for (const t of [secretGood, secretBad, secretDown, GOOD]) expect(everything).to.not.contain(t);
      // Not even a prefix.
      expect(everything).to.not.contain('secret-good-tok').and.not.contain('secret-bad-tok').and.not.contain('secret-uncached-tok');
    });
  });
});
