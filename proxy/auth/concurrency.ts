/** Sharing one call among concurrent callers, and bounding how many calls run at once. */

/** Concurrent callers with the same key share one run of the function; the entry is gone once it settles. */
export class SingleFlight<V> {
  private readonly inflight = new Map<string, Promise<V>>();

  get size(): number {
    return this.inflight.size;
  }

  run(key: string, fn: () => Promise<V>): { promise: Promise<V>; shared: boolean } {
    const running = this.inflight.get(key);
    if (running) return { promise: running, shared: true };
    const promise = (async () => {
      try {
        return await fn();
      } finally {
        this.inflight.delete(key);
      }
    })();
    this.inflight.set(key, promise);
    return { promise, shared: false };
  }
}

export class LimiterFullError extends Error {
  override name = 'LimiterFullError';
}

/**
 * At most `maxRunning` calls at once, at most `maxQueued` waiting; beyond that a call fails at once
 * rather than piling up (a flood of new tokens must not become a flood of TokenReviews).
 */
export class ConcurrencyLimiter {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly maxRunning: number,
    private readonly maxQueued: number,
  ) {}

  get queued(): number {
    return this.waiting.length;
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.running >= this.maxRunning) {
      if (this.waiting.length >= this.maxQueued) throw new LimiterFullError(`too many pending reviews (${this.running} running, ${this.waiting.length} queued)`);
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running++;
    }
    try {
      return await fn();
    } finally {
      // Hand the slot straight to the next waiter, so `running` never overshoots.
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}
