/**
 * A TTL cache with a hard cap on entries, over node-cache. Expiry is decided by an injectable clock
 * (tests use a fake one); node-cache's own real-time TTL is only a backstop that frees memory of
 * entries nobody asks for again. When full, the oldest entry (by insertion) is evicted, so a flood
 * of distinct keys costs at most `maxEntries` entries and never an error.
 */
import NodeCache from 'node-cache';

export interface BoundedTtlCacheOptions {
  maxEntries: number;
  /** Epoch milliseconds; default Date.now. */
  now?: () => number;
  /** Seconds between node-cache's sweeps of entries expired in real time; default 60. */
  checkPeriodSeconds?: number;
  /** Called once per entry evicted because the cache was full. */
  onEvict?: () => void;
}

interface Entry<V> {
  value: V;
  expiresAt: number;
}

export class BoundedTtlCache<V> {
  private readonly store: NodeCache;
  /** Keys in insertion order (a Set iterates that way): the first one is the oldest, found in O(1). */
  private readonly order = new Set<string>();
  private readonly now: () => number;

  constructor(private readonly opts: BoundedTtlCacheOptions) {
    if (!(opts.maxEntries >= 1)) throw new RangeError(`maxEntries must be at least 1, got ${opts.maxEntries}`);
    this.now = opts.now ?? Date.now;
    this.store = new NodeCache({ stdTTL: 0, checkperiod: opts.checkPeriodSeconds ?? 60, useClones: false, deleteOnExpire: true });
    // node-cache deletes entries whose real-time TTL passed (on get and in its sweep): keep the order in step.
    this.store.on('del', (key: string) => this.order.delete(key));
  }

  get size(): number {
    return this.order.size;
  }

  get(key: string): V | undefined {
    const e = this.store.get<Entry<V>>(key);
    if (e === undefined) return undefined;
    if (e.expiresAt <= this.now()) {
      this.delete(key);
      return undefined;
    }
    return e.value;
  }

  /** Stores `value` for `ttlMs` from now; a TTL of zero or less stores nothing. */
  set(key: string, value: V, ttlMs: number): void {
    if (!(ttlMs > 0)) return;
    if (this.order.has(key)) this.delete(key); // re-inserted keys become the newest
    while (this.order.size >= this.opts.maxEntries) {
      const oldest = this.order.values().next().value as string;
      this.delete(oldest);
      this.opts.onEvict?.();
    }
    const entry: Entry<V> = { value, expiresAt: this.now() + ttlMs };
    this.store.set(key, entry, Math.max(1, Math.ceil(ttlMs / 1000)));
    this.order.add(key);
  }

  delete(key: string): void {
    this.order.delete(key);
    this.store.del(key);
  }

  clear(): void {
    this.store.flushAll();
    this.order.clear();
  }

  /** Stops node-cache's sweep timer (it is unref'd, so this only matters for tidy tests). */
  close(): void {
    this.store.close();
  }
}
