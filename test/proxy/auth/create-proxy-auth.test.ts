/** createProxyAuth without HTTP: settings validation, wiring of SAR and readiness, bearer parsing, credential scrubbing. */
import { expect } from 'chai';
import type { IncomingMessage } from 'node:http';
import { memoryLogger } from '../../../common/log.js';
import { createProxyAuth, type ProxyAuth } from '../../../proxy/auth/index.js';
import type { HostedKubeApi } from '../../../proxy/auth/kube-client.js';
import { bearerToken, scrubCredentials } from '../../../proxy/auth/proxy-authenticator.js';
import { KasUnavailableError } from '../../../proxy/auth/types.js';
import { ProxyMetrics } from '../../../proxy/server/metrics.js';
import { PROMETHEUS_SA } from './helpers.js';

function fakeRequest(headers: Record<string, string>): IncomingMessage {
  const rawHeaders = Object.entries(headers).flat();
  return { headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v])), rawHeaders, socket: {} } as unknown as IncomingMessage;
}

/** An in-process hosted kube-apiserver: two tokens, SAR allows `frank` on /metrics/etcd only. */
function fakeApi(): HostedKubeApi & { up: boolean; reviews: number; sars: number } {
  const api = {
    up: true,
    reviews: 0,
    sars: 0,
    async tokenReview(spec: { token?: string }) {
      api.reviews++;
      if (!api.up) throw new KasUnavailableError('connect ECONNREFUSED');
      const users: Record<string, string> = { prom: PROMETHEUS_SA, frank: 'frank' };
      const u = users[spec.token ?? ''];
      return u ? { authenticated: true, user: { username: u, groups: ['system:authenticated'] } } : { user: {}, error: 'invalid bearer token' };
    },
    async subjectAccessReview(spec: { user?: string; nonResourceAttributes?: { path?: string; verb?: string } }) {
      api.sars++;
      return { allowed: spec.user === 'frank' && spec.nonResourceAttributes?.path === '/metrics/etcd' && spec.nonResourceAttributes.verb === 'get' };
    },
    async probe() {
      if (!api.up) throw new KasUnavailableError('connect ECONNREFUSED');
    },
  };
  return api;
}

describe('auth: createProxyAuth', () => {
  const logger = memoryLogger();
  const made: ProxyAuth[] = [];
  const make = (...args: Parameters<typeof createProxyAuth>) => {
    const a = createProxyAuth(...args);
    made.push(a);
    return a;
  };
  afterEach(() => made.splice(0).forEach((a) => a.close()));

  it('refuses settings that cannot work, naming the flags', () => {
    expect(() => make({}, { logger })).to.throw(/--kubeconfig.*--client-ca-file.*--insecure-no-auth/);
    expect(() => make({ clientCaFile: '/ca.crt', authorizeWithSar: true }, { logger })).to.throw(/--authorize-with-sar needs --kubeconfig/);
    expect(() => make({ clientCaFile: '/ca.crt', tokenAudiences: ['a'] }, { logger })).to.throw(/--token-audiences needs --kubeconfig/);
    expect(() => make({ clientCaFile: '/ca.crt', allowedSubjects: [] }, { logger })).to.throw(/nobody could be served/);
    expect(() => make({ api: fakeApi(), tokenCacheTtlSeconds: -1 }, { logger })).to.throw(/--token-cache-ttl/);
    expect(() => make({ kubeconfigFile: '/nonexistent/kubeconfig' }, { logger })).to.throw(/cannot read kubeconfig/);
  });

  it('is always ready with client certificates only (no kube-apiserver involved)', () => {
    const a = make({ clientCaFile: '/ca.crt' }, { logger });
    expect(a.ready()).to.deep.equal({ ok: true });
    expect(a.health).to.equal(undefined);
  });

  it('is not ready until the kube-apiserver was reached, and not while it is down', async () => {
    const api = fakeApi();
    api.up = false;
    const a = make({ api, healthIntervalMs: 60_000 }, { logger });
    expect(a.ready().ok).to.equal(false);
    await a.health!.check();
    expect(a.ready()).to.deep.include({ ok: false });
    expect(a.ready().reason).to.contain('kube-apiserver');
    api.up = true;
    await a.health!.check();
    expect(a.ready()).to.deep.equal({ ok: true });
  });

  it('with --authorize-with-sar, allows whom the SubjectAccessReview allows, and counts decisions by outcome and method', async () => {
    const api = fakeApi();
    const metrics = new ProxyMetrics({ defaultMetrics: false });
    const a = make({ api, authorizeWithSar: true, healthIntervalMs: 60_000 }, { logger, metrics });
    expect(await a.authorize(fakeRequest({ Authorization: 'Bearer prom' }), '/metrics/etcd')).to.deep.equal({ kind: 'allow', user: PROMETHEUS_SA });
    expect(api.sars).to.equal(0); // listed: no SAR
    expect(await a.authorize(fakeRequest({ Authorization: 'Bearer frank' }), '/metrics/etcd')).to.deep.equal({ kind: 'allow', user: 'frank' });
    expect(await a.authorize(fakeRequest({ Authorization: 'Bearer frank' }), '/metrics/kube-apiserver')).to.deep.include({ kind: 'forbidden', user: 'frank' });
    expect(await a.authorize(fakeRequest({ Authorization: 'Bearer nobody' }), '/metrics/etcd')).to.deep.equal({ kind: 'unauthenticated', message: 'invalid bearer token' });
    expect(await a.authorize(fakeRequest({}), '/metrics/etcd')).to.deep.include({ kind: 'unauthenticated' });
    expect(api.sars).to.equal(2);
    const text = await metrics.registry.metrics();
    expect(text).to.match(/hcp_metrics_proxy_auth_decisions_total\{outcome="allow",method="token"\} 2/);
    expect(text).to.match(/hcp_metrics_proxy_auth_decisions_total\{outcome="forbidden",method="token"\} 1/);
    expect(text).to.match(/hcp_metrics_proxy_auth_decisions_total\{outcome="unauthenticated",method="none"\} 1/);
    expect(text).to.match(/hcp_metrics_proxy_subject_access_reviews_total\{result="allowed"\} 1/);
    expect(text).to.match(/hcp_metrics_proxy_token_cache_entries\{kind="positive"\} 2/);
    expect(text).to.match(/hcp_metrics_proxy_token_cache_entries\{kind="negative"\} 1/);
  });

  it('rejects bearer tokens when there is no kubeconfig', async () => {
    const a = make({ clientCaFile: '/ca.crt' }, { logger });
    expect(await a.authorize(fakeRequest({ authorization: 'Bearer anything' }), '/metrics/etcd')).to.deep.include({ kind: 'unauthenticated' });
  });

  it('parses only well-formed bearer headers', () => {
    expect(bearerToken('Bearer abc.def-ghi_jkl')).to.equal('abc.def-ghi_jkl');
    expect(bearerToken('bearer abc')).to.equal('abc');
    for (const h of [undefined, '', 'Bearer', 'Bearer ', 'Basic dXNlcg==', 'Bearer a b', 'Bearerabc']) expect(bearerToken(h), String(h)).to.equal(undefined);
  });

  it('removes the Authorization and Cookie headers, parsed and raw, once read', async () => {
    const req = fakeRequest({ Authorization: 'Bearer prom', Cookie: 'a=b', Accept: 'text/plain', 'X-Prometheus-Scrape-Timeout-Seconds': '10' });
    scrubCredentials(req);
    expect(req.headers).to.deep.equal({ accept: 'text/plain', 'x-prometheus-scrape-timeout-seconds': '10' });
    expect(req.rawHeaders).to.deep.equal(['Accept', 'text/plain', 'X-Prometheus-Scrape-Timeout-Seconds', '10']);
    const a = make({ api: fakeApi(), healthIntervalMs: 60_000 }, { logger });
    const req2 = fakeRequest({ authorization: 'Bearer prom', cookie: 'c=d' });
    await a.authorize(req2, '/metrics/etcd');
    expect(req2.headers).to.deep.equal({});
    expect(req2.rawHeaders).to.deep.equal([]);
  });
});
