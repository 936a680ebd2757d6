/**
 * How many TokenReviews the proxy may send: a global token bucket and one per source address. Only
 * reviews of uncached tokens draw on it (cached answers and reviews already in flight cost nothing),
 * so a flood of distinct invalid tokens costs the hosted kube-apiserver a bounded number of reviews
 * per second while callers with cached tokens are never slowed.
 */

export interface BucketRate {
  /** Tokens added per second; 0: unlimited. */
  perSecond: number;
  /** Capacity: how many may be spent at once after a quiet period. */
  burst: number;
}

/** A token bucket on a clock of epoch milliseconds. */
export class TokenBucket {
  private tokens: number;
  private updated: number;

  constructor(
    private readonly rate: BucketRate,
    private readonly now: () => number,
  ) {
    this.tokens = rate.burst;
    this.updated = now();
  }

  private refill(): void {
    const t = this.now();
    const elapsed = Math.max(0, t - this.updated) / 1000;
    this.tokens = Math.min(this.rate.burst, this.tokens + elapsed * this.rate.perSecond);
    this.updated = t;
  }

  /** Whether one token is there now (refilling first). */
  available(): boolean {
    if (this.rate.perSecond <= 0) return true;
    this.refill();
    return this.tokens >= 1;
  }

  /** Spends one token; call only after available() said true. */
  spend(): void {
    if (this.rate.perSecond > 0) this.tokens -= 1;
  }

  /** Seconds until one token is there. */
  waitSeconds(): number {
    if (this.rate.perSecond <= 0) return 0;
    this.refill();
    return this.tokens >= 1 ? 0 : (1 - this.tokens) / this.rate.perSecond;
  }

  /** Back to capacity: such a bucket carries no information and can be forgotten. */
  full(): boolean {
    if (this.rate.perSecond <= 0) return true;
    this.refill();
    return this.tokens >= this.rate.burst;
  }
}

export interface ReviewBudgetOptions {
  global: BucketRate;
  perSource: BucketRate;
  now?: () => number;
  /** Per-source buckets kept at most; full ones are forgotten first. Default 10 000. */
  maxSources?: number;
}

export type BudgetAnswer = { ok: true } | { ok: false; scope: 'global' | 'source'; retryAfterSeconds: number };

function checkRate(name: string, r: BucketRate): void {
  if (!Number.isFinite(r.perSecond) || r.perSecond < 0) throw new Error(`${name} rate must be a number of reviews per second ≥ 0 (0: unlimited), got ${r.perSecond}`);
  if (r.perSecond > 0 && (!Number.isFinite(r.burst) || r.burst < 1)) throw new Error(`${name} burst must be at least 1, got ${r.burst}`);
}

export class ReviewBudget {
  private readonly now: () => number;
  private readonly global: TokenBucket;
  private readonly sources = new Map<string, TokenBucket>();
  private readonly maxSources: number;

  constructor(private readonly opts: ReviewBudgetOptions) {
    checkRate('token review', opts.global);
    checkRate('per-source token review', opts.perSource);
    this.now = opts.now ?? Date.now;
    this.global = new TokenBucket(opts.global, this.now);
    this.maxSources = opts.maxSources ?? 10_000;
  }

  /** Spends one review from `source` and from the global budget, or says which is empty and for how long. */
  take(source: string): BudgetAnswer {
    const bucket = this.bucketOf(source);
    // Neither is spent unless both allow it: a refused caller must not drain the other budget.
    if (bucket && !bucket.available()) return { ok: false, scope: 'source', retryAfterSeconds: retryAfter(bucket.waitSeconds()) };
    if (!this.global.available()) return { ok: false, scope: 'global', retryAfterSeconds: retryAfter(this.global.waitSeconds()) };
    bucket?.spend();
    this.global.spend();
    return { ok: true };
  }

  /** Per-source buckets currently held (tests). */
  get sourceCount(): number {
    return this.sources.size;
  }

  private bucketOf(source: string): TokenBucket | undefined {
    if (this.opts.perSource.perSecond <= 0) return undefined;
    let b = this.sources.get(source);
    if (b) return b;
    if (this.sources.size >= this.maxSources) this.forget();
    b = new TokenBucket(this.opts.perSource, this.now);
    this.sources.set(source, b);
    return b;
  }

  /** Drops refilled buckets; if every bucket is in use, the oldest (a flood of sources cannot grow the map). */
  private forget(): void {
    for (const [k, b] of this.sources) if (b.full()) this.sources.delete(k);
    while (this.sources.size >= this.maxSources) {
      const oldest = this.sources.keys().next().value;
      if (oldest === undefined) break;
      this.sources.delete(oldest);
    }
  }
}

/** Whole seconds for Retry-After, at least 1. */
function retryAfter(seconds: number): number {
  return Math.max(1, Math.ceil(seconds));
}
