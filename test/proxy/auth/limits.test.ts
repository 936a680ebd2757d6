/**
 * Limits before authentication through the real HTTPS app (createProxyAuth behind createProxyApp):
 * the TokenReview budget answers 429 with Retry-After past its global and per-source rates while
 * cached tokens are still served, a flood costs the fake hosted kube-apiserver a bounded number of
 * reviews, and tokens that cannot be valid are refused without any review.
 */
import { expect } from 'chai';
import https from 'node:https';
import { fakeJwt } from '../../support/fake-kube-apiserver.js';
import { PROMETHEUS_SA, startAuthStack, type Answer, type AuthStack } from './helpers.js';

const COMPONENT = '/metrics/etcd';
const GOOD = 'limits-good-token-3c9e';

/** One request from `localAddress` (a loopback address: a distinct source for the proxy). */
function from(s: AuthStack, localAddress: string, token: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    https
      .get(`${s.stack.proxyUrl}${COMPONENT}`, { ca: s.stack.certs.ca.certPem, agent: false, localAddress, headers: { authorization: `Bearer ${token}` } }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      })
      .on('error', reject);
  });
}

async function counter(s: AuthStack, name: string, labels: string): Promise<number> {
  const text = await s.stack.metrics.registry.metrics();
  const m = new RegExp(`^${name}\\{${labels}\\} (\\d+)$`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

describe('proxy auth: limits before authentication', function () {
  this.timeout(60_000);

  describe('global TokenReview budget', () => {
    let s: AuthStack;
    before(async () => {
      s = await startAuthStack({ ipPrefix: '127.0.140', settings: { tokenReviewRate: { perSecond: 1, burst: 5 }, tokenReviewRatePerSource: { perSecond: 0, burst: 0 } } });
      s.kas.addToken(GOOD, { username: PROMETHEUS_SA });
      expect(await s.auth.health!.check()).to.equal(true);
    });
    after(async () => {
      await s?.close();
    });

    it('sends a bounded number of reviews for a flood of distinct bad tokens, answers the rest 429, and keeps serving cached tokens', async () => {
      expect((await s.get(COMPONENT, { token: GOOD })).status).to.equal(200); // cached from now on
      s.kas.resetCounts();
      const flood = await Promise.all(Array.from({ length: 60 }, (_v, i) => s.get(COMPONENT, { token: `flood-${i}-never-issued` })));
      const codes = flood.map((r) => r.status);
      expect(codes.filter((c) => c === 401)).to.have.length(4); // the burst left after GOOD's review
      expect(codes.filter((c) => c === 429)).to.have.length(56);
      expect(s.kas.tokenReviews).to.equal(4);
      const throttled = flood.find((r) => r.status === 429)!;
      expect(Number(throttled.headers['retry-after'])).to.be.at.least(1);
      expect(throttled.body).to.match(/^Too Many Requests: too many new bearer tokens to review in all; cached tokens are not affected/);

      // While the budget is spent: the cached token is served, a new one (even valid) waits its turn.
      expect((await s.get(COMPONENT, { token: GOOD })).status).to.equal(200);
      s.kas.addToken('limits-new-valid', { username: PROMETHEUS_SA });
      expect((await s.get(COMPONENT, { token: 'limits-new-valid' })).status).to.equal(429);
      // Cached rejections cost nothing either: still 401, no review.
      expect((await s.get(COMPONENT, { token: `flood-${codes.indexOf(401)}-never-issued` })).status).to.equal(401);
      expect(s.kas.tokenReviews).to.equal(4);

      s.clock.advance(1000);
      expect((await s.get(COMPONENT, { token: 'limits-new-valid' })).status).to.equal(200);
      expect(s.kas.tokenReviews).to.equal(5);
      expect(await counter(s, 'hcp_metrics_proxy_token_reviews_throttled_total', 'scope="global"')).to.equal(57);
      expect(await counter(s, 'hcp_metrics_proxy_auth_decisions_total', 'outcome="throttled",method="token"')).to.equal(57);
    });
  });

  describe('per-source TokenReview budget', () => {
    let s: AuthStack;
    before(async () => {
      s = await startAuthStack({ ipPrefix: '127.0.141', settings: { tokenReviewRate: { perSecond: 100, burst: 100 }, tokenReviewRatePerSource: { perSecond: 1, burst: 2 }, throttleDelayMs: 0 } });
      s.kas.addToken(GOOD, { username: PROMETHEUS_SA });
      expect(await s.auth.health!.check()).to.equal(true);
    });
    after(async () => {
      await s?.close();
    });

    it('throttles the flooding address only; other addresses still get their tokens reviewed', async () => {
      const flooder = '127.0.0.21';
      const codes: number[] = [];
      for (let i = 0; i < 6; i++) codes.push((await from(s, flooder, `source-flood-${i}`)).status);
      expect(codes).to.deep.equal([401, 401, 429, 429, 429, 429]);
      const r = await from(s, flooder, 'source-flood-7');
      expect(r.status).to.equal(429);
      expect(r.body).to.contain('too many new bearer tokens to review from this address');
      expect(s.kas.tokenReviews).to.equal(2);

      expect((await from(s, '127.0.0.22', GOOD)).status).to.equal(200);
      expect((await from(s, '127.0.0.22', 'another-bad-token')).status).to.equal(401);
      expect(s.kas.tokenReviews).to.equal(4);
      // GOOD is cached now: served from the flooding address too, without a review.
      expect((await from(s, flooder, GOOD)).status).to.equal(200);
      expect(s.kas.tokenReviews).to.equal(4);
      expect(await counter(s, 'hcp_metrics_proxy_token_reviews_throttled_total', 'scope="source"')).to.equal(5);
    });
  });

  describe('local rejection', () => {
    let s: AuthStack;
    before(async () => {
      s = await startAuthStack({ ipPrefix: '127.0.142', settings: { tokenAudiences: ['metrics-proxy'] } });
      expect(await s.auth.health!.check()).to.equal(true);
    });
    after(async () => {
      await s?.close();
    });
    beforeEach(() => s.kas.resetCounts());

    it('refuses a token that is not a JWT when audiences are required, without a review', async () => {
      for (const token of ['sha256~opaque-oauth-token', 'a.b.c', `${Buffer.from('{"alg":"RS256"}').toString('base64url')}.not-json.sig`]) {
        const r = await s.get(COMPONENT, { token });
        expect(r.status, token).to.equal(401);
        expect(r.body).to.contain('the bearer token is not a JWT, and this proxy accepts only audience-bound (service-account) tokens');
      }
      expect(s.kas.tokenReviews).to.equal(0);
      expect(await counter(s, 'hcp_metrics_proxy_tokens_rejected_locally_total', 'reason="not_jwt"')).to.equal(3);
    });

    it('refuses a JWT whose exp is past (beyond the clock skew), without a review', async () => {
      const nowS = Math.floor(s.clock.t / 1000);
      const expired = fakeJwt({ sub: PROMETHEUS_SA, aud: ['metrics-proxy'], exp: nowS - 120 });
      s.kas.addToken(expired, { username: PROMETHEUS_SA, audiences: ['metrics-proxy'] });
      const r = await s.get(COMPONENT, { token: expired });
      expect(r.status).to.equal(401);
      expect(r.body).to.contain(`the bearer token expired at ${new Date((nowS - 120) * 1000).toISOString()}`);
      expect(s.kas.tokenReviews).to.equal(0);
      expect(await counter(s, 'hcp_metrics_proxy_tokens_rejected_locally_total', 'reason="expired"')).to.equal(1);

      // Within the skew, and valid JWTs, the kube-apiserver decides.
      const justExpired = fakeJwt({ sub: PROMETHEUS_SA, aud: ['metrics-proxy'], exp: nowS - 5 });
      s.kas.addToken(justExpired, { username: PROMETHEUS_SA, audiences: ['metrics-proxy'] });
      expect((await s.get(COMPONENT, { token: justExpired })).status).to.equal(200);
      const valid = fakeJwt({ sub: PROMETHEUS_SA, aud: ['metrics-proxy'], exp: nowS + 3600 });
      s.kas.addToken(valid, { username: PROMETHEUS_SA, audiences: ['metrics-proxy'] });
      expect((await s.get(COMPONENT, { token: valid })).status).to.equal(200);
      expect(s.kas.tokenReviews).to.equal(2);
    });
  });
});
