/**
 * Bearer tokens: tokens that cannot be valid (not a JWT while audiences are required, an expired
 * `exp`) are refused locally; then the cache (success, rejection); then one shared TokenReview per
 * uncached token however many requests carry it at once, within a review budget (global and per
 * source address: past it `throttled`, 429) and bounded in concurrency. Failures to get a verdict
 * are never cached and become `unavailable` (503 + Retry-After); while the hosted kube-apiserver is
 * known to be down, uncached tokens fail fast instead of each waiting for a timeout.
 */
import { errorMessage } from '../../common/errors.js';
import type { Logger } from '../../common/log.js';
import type { ProxyMetrics } from '../server/metrics.js';
import { ConcurrencyLimiter, LimiterFullError, SingleFlight } from './concurrency.js';
import { jwtExpiryMs, tokenShapeProblem } from './jwt.js';
import type { KasHealth } from './kas-health.js';
import type { ReviewBudget } from './review-budget.js';
import type { CachedReview, TokenCache } from './token-cache.js';
import type { TokenReviewer } from './token-reviewer.js';
import { KasUnavailableError, retryAfterOf, type UserInfo } from './types.js';

export type TokenOutcome =
  | { kind: 'authenticated'; user: UserInfo }
  /** `local`: refused without a review; the reason is ours and safe to tell the caller. */
  | { kind: 'rejected'; reason: string; local?: true }
  | { kind: 'unavailable'; retryAfterSeconds: number; message: string }
  | { kind: 'throttled'; retryAfterSeconds: number; message: string };

export interface TokenAuthenticatorOptions {
  reviewer: TokenReviewer;
  cache: TokenCache;
  logger: Logger;
  metrics?: ProxyMetrics;
  health?: KasHealth;
  /** TokenReviews in flight at once; default 32. */
  maxConcurrentReviews?: number;
  /** Reviews waiting for a slot before new ones are refused with 503; default 1024. */
  maxQueuedReviews?: number;
  /** Reviews per second, in all and per source; absent: unlimited. */
  budget?: ReviewBudget;
  /** Audiences are configured: only JWTs can be valid (jwt.ts). */
  audiencesRequired?: boolean;
  /** Clock skew tolerated past a JWT's exp; default 60 000 ms. */
  expirySkewMs?: number;
  /**
   * A throttled answer is held this long (never past its Retry-After) before it is sent: a flooding
   * client then gets at most one answer per connection per delay, instead of as many 429s as the
   * proxy can write, and the CPU stays with the callers whose tokens are cached. Default 1000 ms.
   */
  throttleDelayMs?: number;
  now?: () => number;
}

function outcomeOf(r: CachedReview): TokenOutcome {
  return r.authenticated ? { kind: 'authenticated', user: r.user } : { kind: 'rejected', reason: r.reason };
}

export class TokenAuthenticator {
  private readonly flight = new SingleFlight<TokenOutcome>();
  private readonly limiter: ConcurrencyLimiter;

  constructor(private readonly opts: TokenAuthenticatorOptions) {
    this.limiter = new ConcurrencyLimiter(opts.maxConcurrentReviews ?? 32, opts.maxQueuedReviews ?? 1024);
  }

  /** Reviews in flight (tests assert it drains to zero). */
  get inflight(): number {
    return this.flight.size;
  }

  /** `source`: the caller's address, whose budget an uncached token spends. */
  async authenticate(token: string, source = 'unknown'): Promise<TokenOutcome> {
    const { cache, metrics } = this.opts;
    const problem = tokenShapeProblem(token, { audiencesRequired: this.opts.audiencesRequired ?? false, nowMs: (this.opts.now ?? Date.now)(), skewMs: this.opts.expirySkewMs ?? 60_000 });
    if (problem) {
      metrics?.tokensRejectedLocally.inc({ reason: problem.reason });
      return { kind: 'rejected', reason: problem.message, local: true };
    }
    const key = cache.keyOf(token);
    const cached = cache.recall(key);
    if (cached) {
      metrics?.tokenCacheLookups.inc({ result: cached.authenticated ? 'hit' : 'negative_hit' });
      return outcomeOf(cached);
    }
    const { promise, shared } = this.flight.run(key, () => this.review(key, token, source));
    metrics?.tokenCacheLookups.inc({ result: shared ? 'inflight' : 'miss' });
    const outcome = await promise;
    if (outcome.kind === 'throttled') await holdBack(Math.min(this.opts.throttleDelayMs ?? 1000, outcome.retryAfterSeconds * 1000));
    return outcome;
  }

  private async review(key: string, token: string, source: string): Promise<TokenOutcome> {
    const { cache, metrics, health, logger } = this.opts;
    const spent = this.opts.budget?.take(source);
    if (spent && !spent.ok) {
      metrics?.tokenReviewsThrottled.inc({ scope: spent.scope });
      const whose = spent.scope === 'source' ? 'from this address' : 'in all';
      return { kind: 'throttled', retryAfterSeconds: spent.retryAfterSeconds, message: `too many new bearer tokens to review ${whose}; cached tokens are not affected, retry in ${spent.retryAfterSeconds} s` };
    }
    if (health?.unreachable) {
      return { kind: 'unavailable', retryAfterSeconds: retryAfterOf(undefined), message: 'the hosted kube-apiserver is unreachable and this token is not cached' };
    }
    let review: CachedReview;
    try {
      review = await this.limiter.run(() => this.opts.reviewer.review(token));
    } catch (err) {
      if (err instanceof LimiterFullError) {
        metrics?.tokenReviews.inc({ result: 'throttled' });
        return { kind: 'unavailable', retryAfterSeconds: 1, message: 'too many token reviews in flight' };
      }
      metrics?.tokenReviews.inc({ result: 'error' });
      // A transport failure says the KAS is down; a 5xx/429 or a refusal of our credentials is logged only.
      if (err instanceof KasUnavailableError && err.status === undefined) health?.markDown(err.message);
      logger.warn('TokenReview failed; answering 503', { error: errorMessage(err) });
      return { kind: 'unavailable', retryAfterSeconds: retryAfterOf(err), message: 'the hosted kube-apiserver cannot review the token now' };
    }
    health?.markUp();
    metrics?.tokenReviews.inc({ result: review.authenticated ? 'authenticated' : 'unauthenticated' });
    cache.remember(key, review, review.authenticated ? jwtExpiryMs(token) : undefined);
    if (!review.authenticated) logger.debug('bearer token rejected', { reason: review.reason });
    return outcomeOf(review);
  }
}

function holdBack(ms: number): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
