/**
 * The hosted kube-apiserver going away, failing and coming back: cached decisions and client
 * certificates keep working, uncached tokens get 503 + Retry-After (never 401), readiness follows
 * reachability, and the proxy's own rotated credentials are picked up without a restart.
 */
import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROMETHEUS_SA, startAuthStack, waitFor, type AuthStack } from './helpers.js';

const CACHED = 'cached-token-3c9e1f';
const UNCACHED = 'uncached-token-8a2d4b';
const COMPONENT = '/metrics/kube-controller-manager';

describe('proxy auth: hosted kube-apiserver outages', function () {
  this.timeout(60_000);
  let s: AuthStack;

  before(async () => {
    s = await startAuthStack({ ipPrefix: '127.0.93', tokenFile: true });
    s.kas.addToken(CACHED, { username: PROMETHEUS_SA });
    s.kas.addToken(UNCACHED, { username: PROMETHEUS_SA });
    await waitFor(async () => (await s.get('/readyz')).status === 200, 'readiness before the outage');
  });

  after(async () => {
    await s?.close();
  });

  afterEach(async () => {
    s.kas.setFailure(undefined);
    s.kas.setDelay(0);
    await s.kas.setReachable(true);
    await waitFor(async () => (await s.get('/readyz')).status === 200, 'readiness after the test');
  });

  it('keeps serving a cached token, answers 503 + Retry-After for an uncached one, fails readiness, and recovers', async () => {
    expect((await s.get(COMPONENT, { token: CACHED })).status).to.equal(200);
    await s.kas.setReachable(false);

    const uncached = await s.get(COMPONENT, { token: UNCACHED });
    expect(uncached.status).to.equal(503);
    expect(Number(uncached.headers['retry-after'])).to.be.greaterThan(0);
    expect(uncached.headers['www-authenticate']).to.equal(undefined);
    expect((await s.get(COMPONENT, { token: CACHED })).status).to.equal(200);

    await waitFor(async () => (await s.get('/readyz')).status === 503, 'readiness to fail');
    const ready = await s.get('/readyz');
    expect(ready.body).to.match(/^\[-\]kube-apiserver failed: /m);
    // The manifests' readiness probe excludes the hosted kube-apiserver: the replica stays in the Service.
    const probe = await s.get('/readyz?exclude=kube-apiserver');
    expect(probe.status, String(probe.body)).to.equal(200);
    expect((await s.get('/readyz?exclude=kube-apiserver&verbose')).body).to.match(/^\[\+\]kube-apiserver excluded: ok$/m);
    // Once known down, still 503 (not 401) and still a Retry-After; the cached token still works.
    const again = await s.get(COMPONENT, { token: UNCACHED });
    expect(again.status).to.equal(503);
    expect(again.headers['retry-after']).to.match(/^\d+$/);
    expect((await s.get(COMPONENT, { token: CACHED })).status).to.equal(200);
    expect((await s.get('/healthz')).status).to.equal(200);

    await s.kas.setReachable(true);
    await waitFor(async () => (await s.get('/readyz')).status === 200, 'readiness to recover');
    expect((await s.get(COMPONENT, { token: UNCACHED })).status).to.equal(200);
    const metrics = await s.get('/metrics', { token: CACHED });
    expect(metrics.body).to.match(/^hcp_metrics_proxy_kube_apiserver_up 1$/m);
    expect(metrics.body).to.match(/^hcp_metrics_proxy_auth_decisions_total\{outcome="unavailable",method="token"\} [1-9]/m);
  });

  it('does not cache a failed review: the same token works as soon as the kube-apiserver does', async () => {
    const token = 'flaky-token-7e0a';
    s.kas.addToken(token, { username: PROMETHEUS_SA });
    s.kas.setFailure({ status: 500 });
    expect((await s.get(COMPONENT, { token })).status).to.equal(503);
    s.kas.setFailure(undefined);
    // The background check may have seen the 500 too; once it sees the API server again, the token must work.
    await waitFor(async () => (await s.get('/readyz')).status === 200, 'readiness');
    expect((await s.get(COMPONENT, { token })).status).to.equal(200);
  });

  it("answers 503 with the kube-apiserver's own Retry-After when it throttles (429)", async () => {
    s.kas.setFailure({ status: 429, retryAfterSeconds: 7 });
    const r = await s.get(COMPONENT, { token: 'throttled-token-1' });
    expect(r.status).to.equal(503);
    expect(r.headers['retry-after']).to.equal('7');
  });

  it('answers 503 when the kube-apiserver is too slow to answer', async () => {
    s.kas.setDelay(6000); // the stack's KAS timeout is 3 s
    const r = await s.get(COMPONENT, { token: 'slow-token-1' });
    expect(r.status).to.equal(503);
    expect(Number(r.headers['retry-after'])).to.be.greaterThan(0);
  });

  it('serves client certificates while the kube-apiserver is down', async () => {
    await s.kas.setReachable(false);
    await waitFor(async () => (await s.get('/readyz')).status === 503, 'readiness to fail');
    const r = await s.get(COMPONENT, { cert: s.certs.prometheus });
    expect(r.status).to.equal(200);
    expect(r.body).to.match(/^up\{/m);
  });

  it("re-reads the proxy's own token file when it is rotated, without a restart", async () => {
    const tokenFile = join(s.dir, 'kas', 'kubeconfig-token');
    const generation = s.auth.kube!.generation;
    const rotated = 'rotated-client-token-2b7f';
    s.kas.acceptClientTokens([rotated]); // the old token is revoked
    await waitFor(async () => (await s.get('/readyz')).status === 503, 'readiness to fail with the revoked token');
    const before = await s.get(COMPONENT, { token: 'token-after-rotation' });
    expect(before.status).to.equal(503); // our credentials are refused: no verdict about the caller's token
    writeFileSync(tokenFile, rotated + '\n');
    await waitFor(() => s.auth.kube!.generation > generation, 'the kubeconfig reload');
    await waitFor(async () => (await s.get('/readyz')).status === 200, 'readiness with the rotated token');
    s.kas.addToken('token-after-rotation', { username: PROMETHEUS_SA });
    expect((await s.get(COMPONENT, { token: 'token-after-rotation' })).status).to.equal(200);
    s.kas.acceptClientTokens([rotated, s.kas.clientToken]);
  });
});
