/**
 * TokenReview answers, cached under an HMAC of the token (a per-process random key, so neither the
 * token nor a replayable hash of it is ever held). Successes live `positiveTtlMs` but never past the
 * token's own JWT `exp`; rejections live `negativeTtlMs`. Positive and negative entries are capped
 * separately, so a flood of bad tokens evicts only other bad tokens, never the callers that work.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { BoundedTtlCache } from './bounded-cache.js';
import type { UserInfo } from './types.js';

export type CachedReview = { authenticated: true; user: UserInfo } | { authenticated: false; reason: string };

export interface TokenCacheOptions {
  positiveTtlMs: number;
  negativeTtlMs: number;
  /** Cap on each of the positive and negative partitions. */
  maxEntries: number;
  now?: () => number;
  onEvict?: (kind: 'positive' | 'negative') => void;
}

export class TokenCache {
  private readonly hmacKey = randomBytes(32);
  private readonly positive: BoundedTtlCache<CachedReview>;
  private readonly negative: BoundedTtlCache<CachedReview>;
  private readonly now: () => number;

  constructor(private readonly opts: TokenCacheOptions) {
    this.now = opts.now ?? Date.now;
    this.positive = new BoundedTtlCache({ maxEntries: opts.maxEntries, now: this.now, onEvict: () => opts.onEvict?.('positive') });
    this.negative = new BoundedTtlCache({ maxEntries: opts.maxEntries, now: this.now, onEvict: () => opts.onEvict?.('negative') });
  }

  /** The cache (and single-flight) key of a token. */
  keyOf(token: string): string {
    return createHmac('sha256', this.hmacKey).update(token).digest('base64url');
  }

  recall(key: string): CachedReview | undefined {
    return this.positive.get(key) ?? this.negative.get(key);
  }

  /** Caches a review answer; `expiresAtMs` (the JWT exp) caps a success. Returns the TTL used (0: not cached). */
  remember(key: string, review: CachedReview, expiresAtMs?: number): number {
    if (review.authenticated) {
      let ttl = this.opts.positiveTtlMs;
      if (expiresAtMs !== undefined) ttl = Math.min(ttl, expiresAtMs - this.now());
      this.negative.delete(key);
      this.positive.set(key, review, ttl);
      return Math.max(0, ttl);
    }
    this.positive.delete(key);
    this.negative.set(key, review, this.opts.negativeTtlMs);
    return Math.max(0, this.opts.negativeTtlMs);
  }

  sizes(): { positive: number; negative: number } {
    return { positive: this.positive.size, negative: this.negative.size };
  }

  clear(): void {
    this.positive.clear();
    this.negative.clear();
  }

  close(): void {
    this.positive.close();
    this.negative.close();
  }
}
