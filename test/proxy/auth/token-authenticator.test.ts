/**
 * The bearer-token path without HTTP: shared reviews, failures never cached, fast failure while the
 * kube-apiserver is known down, bounded concurrency, and bounded memory under a flood of bad tokens.
 */
import { expect } from 'chai';
import v8 from 'node:v8';
import vm from 'node:vm';
import { memoryLogger } from '../../../common/log.js';
import { KasHealth } from '../../../proxy/auth/kas-health.js';
import type { HostedKubeApi } from '../../../proxy/auth/kube-client.js';
import { TokenAuthenticator } from '../../../proxy/auth/token-authenticator.js';
import { TokenCache } from '../../../proxy/auth/token-cache.js';
import { KubeTokenReviewer, type TokenReviewer } from '../../../proxy/auth/token-reviewer.js';
import { KasUnavailableError } from '../../../proxy/auth/types.js';
import { ProxyMetrics } from '../../../proxy/server/metrics.js';
import { FakeClock } from './helpers.js';

interface Deferred<T> {
  promise: Promise<T>;
  resolve(v: T): void;
}
function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** A reviewer whose answers the test releases by hand, counting calls and peak concurrency. */
class ManualReviewer implements TokenReviewer {
  calls: string[] = [];
  running = 0;
  peak = 0;
  readonly pending = new Map<string, Deferred<void>>();
  constructor(private readonly good: Set<string>) {}
  async review(token: string) {
    this.calls.push(token);
    this.running++;
    this.peak = Math.max(this.peak, this.running);
    const d = deferred<void>();
    this.pending.set(token, d);
    await d.promise;
    this.running--;
    return this.good.has(token) ? { authenticated: true as const, user: { username: `user-of-${token.length}`, groups: [] } } : { authenticated: false as const, reason: 'rejected' };
  }
  release(token: string): void {
    this.pending.get(token)?.resolve();
  }
  releaseAll(): void {
    for (const d of this.pending.values()) d.resolve();
  }
}

const flush = () => new Promise((r) => setImmediate(r));

describe('auth: token authenticator', () => {
  const logger = memoryLogger();
  let clock: FakeClock;
  let cache: TokenCache;
  beforeEach(() => {
    clock = new FakeClock();
    cache = new TokenCache({ positiveTtlMs: 300_000, negativeTtlMs: 10_000, maxEntries: 10_000, now: clock.now });
  });
  afterEach(() => cache.close());

  it('shares one review among 100 concurrent requests with the same new token', async () => {
    const reviewer = new ManualReviewer(new Set(['tok']));
    const metrics = new ProxyMetrics({ defaultMetrics: false });
    const a = new TokenAuthenticator({ reviewer, cache, logger, metrics });
    const all = Array.from({ length: 100 }, () => a.authenticate('tok'));
    await flush();
    expect(reviewer.calls).to.deep.equal(['tok']);
    expect(a.inflight).to.equal(1);
    reviewer.release('tok');
    const outcomes = await Promise.all(all);
    expect(outcomes.every((o) => o.kind === 'authenticated')).to.equal(true);
    expect(a.inflight).to.equal(0);
    expect((await a.authenticate('tok')).kind).to.equal('authenticated');
    expect(reviewer.calls).to.have.length(1);
    const text = await metrics.registry.metrics();
    expect(text).to.match(/hcp_metrics_proxy_token_cache_lookups_total\{result="inflight"\} 99/);
    expect(text).to.match(/hcp_metrics_proxy_token_cache_lookups_total\{result="hit"\} 1/);
    expect(text).to.match(/hcp_metrics_proxy_token_reviews_total\{result="authenticated"\} 1/);
  });

  it('never caches a failure to get a verdict', async () => {
    let calls = 0;
    const reviewer: TokenReviewer = {
      review: async () => {
        calls++;
        if (calls === 1) throw new KasUnavailableError('boom', 9, 503);
        return { authenticated: true, user: { username: 'u', groups: [] } };
      },
    };
    const a = new TokenAuthenticator({ reviewer, cache, logger });
    expect(await a.authenticate('t')).to.deep.include({ kind: 'unavailable', retryAfterSeconds: 9 });
    expect((await a.authenticate('t')).kind).to.equal('authenticated');
    expect(calls).to.equal(2);
  });

  it('fails uncached tokens fast while the kube-apiserver is known down, and still serves cached ones', async () => {
    let calls = 0;
    const reviewer: TokenReviewer = {
      review: async (t) => {
        calls++;
        if (t === 'later') throw new KasUnavailableError('connect ECONNREFUSED'); // no status: a transport failure
        return { authenticated: true, user: { username: 'u', groups: [] } };
      },
    };
    const health = new KasHealth({ probe: async () => {}, logger });
    const a = new TokenAuthenticator({ reviewer, cache, logger, health });
    expect((await a.authenticate('early')).kind).to.equal('authenticated');
    expect((await a.authenticate('later')).kind).to.equal('unavailable');
    expect(health.unreachable).to.equal(true);
    expect(health.ready().ok).to.equal(false);
    const before = calls;
    expect((await a.authenticate('another')).kind).to.equal('unavailable');
    expect(calls).to.equal(before); // not even tried
    expect((await a.authenticate('early')).kind).to.equal('authenticated');
    await health.check();
    expect(health.ready().ok).to.equal(true);
    expect((await a.authenticate('another')).kind).to.equal('authenticated');
    health.close();
  });

  it('bounds concurrent reviews and refuses beyond the queue with a short Retry-After', async () => {
    const tokens = ['t1', 't2', 't3', 't4', 't5'];
    const reviewer = new ManualReviewer(new Set(tokens));
    const a = new TokenAuthenticator({ reviewer, cache, logger, maxConcurrentReviews: 2, maxQueuedReviews: 2 });
    const outcomes = tokens.map((t) => a.authenticate(t));
    await flush();
    expect(reviewer.calls).to.have.length(2);
    expect(await outcomes[4]).to.deep.equal({ kind: 'unavailable', retryAfterSeconds: 1, message: 'too many token reviews in flight' });
    for (let i = 0; i < 10 && reviewer.pending.size < 4; i++) {
      reviewer.releaseAll();
      await flush();
    }
    reviewer.releaseAll();
    const done = await Promise.all(outcomes.slice(0, 4));
    expect(done.map((o) => o.kind)).to.deep.equal(Array(4).fill('authenticated'));
    expect(reviewer.peak).to.equal(2);
  });

  it('keeps memory bounded under a flood of 100 000 distinct bad tokens', async function () {
    this.timeout(120_000);
    let reviews = 0;
    // The real reviewer over an in-process kube-apiserver that knows one token.
    const api: Pick<HostedKubeApi, 'tokenReview'> = {
      tokenReview: async (spec) => {
        reviews++;
        return spec.token === 'the-good-one' ? { authenticated: true, user: { username: 'u', groups: [] }, audiences: [] } : { user: {}, error: '[invalid bearer token, token lookup failed]' };
      },
    };
    const metrics = new ProxyMetrics({ defaultMetrics: false });
    cache.close();
    cache = new TokenCache({ positiveTtlMs: 300_000, negativeTtlMs: 10_000, maxEntries: 10_000, now: clock.now, onEvict: (kind) => metrics.tokenCacheEvictions.inc({ kind }) });
    const a = new TokenAuthenticator({ reviewer: new KubeTokenReviewer(api), cache, logger, metrics });
    expect((await a.authenticate('the-good-one')).kind).to.equal('authenticated');

    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as (() => void) | undefined;
    const heap = () => {
      gc?.();
      gc?.();
      return process.memoryUsage().heapUsed;
    };
    const flood = async (round: number) => {
      for (let i = 0; i < 100_000; i += 1000) {
        const batch = Array.from({ length: 1000 }, (_v, j) => a.authenticate(`flood-${round}-${i + j}-${Math.random().toString(36).slice(2)}`));
        for (const o of await Promise.all(batch)) if (o.kind !== 'rejected') throw new Error(`unexpected ${o.kind}`);
      }
    };
    const h0 = heap();
    await flood(1);
    const h1 = heap();
    await flood(2);
    const h2 = heap();

    expect(reviews).to.equal(200_001);
    expect(cache.sizes()).to.deep.equal({ positive: 1, negative: 10_000 });
    expect(a.inflight).to.equal(0);
    expect((await a.authenticate('the-good-one')).kind).to.equal('authenticated');
    expect(reviews).to.equal(200_001); // the success survived the flood
    expect(await metrics.registry.metrics()).to.match(/hcp_metrics_proxy_token_cache_evictions_total\{kind="negative"\} 190000/);
    if (process.env.DEBUG_AUTH_FLOOD) console.log({ h0, h1, h2, d1: h1 - h0, d2: h2 - h1 });
    if (gc) {
      // 10 000 negative entries are a few MB; an unbounded cache would hold ten times that per round.
      expect(h1 - h0, 'growth over the first flood').to.be.below(24 * 1024 * 1024);
      expect(h2 - h1, 'growth over the second flood').to.be.below(6 * 1024 * 1024);
    }
  });
});
