/**
 * The memory budget of in-flight scrapes (DESIGN §10): each scrape reserves what it is expected to
 * hold (learned per path from earlier scrapes: a streaming answer holds the lag between its pods and
 * what its caller has not read yet); scrapes beyond the budget wait in a bounded FIFO queue, each no
 * longer than its own deadline, and are then refused (503 with Retry-After) — never an OOM kill.
 *
 * CPU time is budgeted too: scrapes running together share the cores, so each is admitted only if
 * the work of the fan-outs already running plus its own (each path's cheapest recent one: pod parsing
 * time, times a factor for merging, gzip and TLS, spread over the cores) fits in what is left of its
 * deadline. Otherwise the pods of every scrape would be read too slowly and reported down while they
 * were fine: a false `up 0`, where an honest 503 is right.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

/** Without a readable container limit (a laptop, a test). */
export const DEFAULT_BUDGET_BYTES = 512 * 1024 * 1024;
/** Share of the container's memory limit given to in-flight scrapes; the rest is the process itself and the workers' block pools. */
export const BUDGET_SHARE_OF_LIMIT = 0.4;
/** What one pod of a component is expected to hold before anything was learnt. */
export const INITIAL_ESTIMATE_PER_POD = 8 * 1024 * 1024;
export const DEFAULT_MAX_QUEUE = 64;
/** Share of a scrape's remaining deadline that the running fan-outs' time may fill (the rest is slack for what estimates miss). */
export const DEADLINE_SHARE = 0.7;
/** CPU costs remembered per path; the cheapest is the estimate. */
const DURATIONS_KEPT = 8;
/** A scrape's CPU work per second of pod parsing: parsing, plus merging, gzip and TLS on the other threads. */
export const WORK_PER_PARSE_SECOND = 2.5;

/** The container's memory limit from cgroup v2 or v1, if there is one. */
export function cgroupMemoryLimit(read: (path: string) => string = (p) => readFileSync(p, 'utf8')): number | undefined {
  for (const path of ['/sys/fs/cgroup/memory.max', '/sys/fs/cgroup/memory/memory.limit_in_bytes']) {
    let text: string;
    try {
      text = read(path).trim();
    } catch {
      continue;
    }
    const n = Number(text);
    // cgroup v2 says "max"; v1 says a huge number (page-rounded 2^63) when there is no limit.
    if (text !== 'max' && Number.isFinite(n) && n > 0 && n < 2 ** 50) return n;
  }
  return undefined;
}

/** The default budget: a share of the container's limit, else DEFAULT_BUDGET_BYTES. */
export function defaultBudgetBytes(limit = cgroupMemoryLimit()): number {
  return limit === undefined ? DEFAULT_BUDGET_BYTES : Math.floor(limit * BUDGET_SHARE_OF_LIMIT);
}

export type AdmissionRefusal = 'queue_full' | 'deadline';

export interface Ticket {
  readonly reserved: number;
  /** Report what the scrape holds now (its peak is learnt for the next scrape of the same key). */
  observe(heldBytes: number): void;
  /** Report the thread time its pods' parsing took (learnt as the path's cost). */
  took(parseSeconds: number): void;
  /** The scrape is over: its reservation goes back to the budget. */
  release(): void;
}

interface Waiter {
  bytes: number;
  seconds: number;
  deadline: number;
  key: string;
  resolve: (t: Ticket | AdmissionRefusal) => void;
  timer: NodeJS.Timeout;
  enqueuedAt: number;
}

export interface AdmissionOptions {
  budgetBytes: number;
  maxQueue?: number;
  /** Cores the scrape work spreads over (default: availableParallelism()). */
  cores?: number;
  now?: () => number;
}

export class Admission {
  readonly budgetBytes: number;
  private readonly maxQueue: number;
  private reservedBytes = 0;
  /** Work (seconds of the whole machine) and deadline of each admitted scrape. */
  private readonly running = new Set<{ work: number; deadline: number }>();
  private active = 0;
  private readonly durations = new Map<string, number[]>();
  private readonly queue: Waiter[] = [];
  /** Peak bytes held per key, learnt from finished scrapes. */
  private readonly learnt = new Map<string, number>();
  private readonly now: () => number;
  /** Seconds each admitted scrape waited, for the queue-time histogram. */
  onAdmit: ((waitedSeconds: number) => void) | undefined;

  private readonly cores: number;

  constructor(opts: AdmissionOptions) {
    this.budgetBytes = Math.max(1, opts.budgetBytes);
    this.cores = Math.max(1, opts.cores ?? availableParallelism());
    this.maxQueue = opts.maxQueue ?? DEFAULT_MAX_QUEUE;
    this.now = opts.now ?? Date.now;
  }

  /** Bytes reserved by admitted scrapes, and how many there are. */
  get inFlight(): { scrapes: number; reservedBytes: number; queued: number } {
    return { scrapes: this.active, reservedBytes: this.reservedBytes, queued: this.queue.length };
  }

  /** What a scrape of `key` over `pods` pods is expected to hold. */
  estimate(key: string, pods: number): number {
    return this.learnt.get(key) ?? Math.max(1, pods) * INITIAL_ESTIMATE_PER_POD;
  }

  /** Wall-clock seconds a fan-out of `key` occupies the machine for, as far as known (0: not yet). */
  expectedSeconds(key: string): number {
    const d = this.durations.get(key);
    return d && d.length > 0 ? (Math.min(...d) * WORK_PER_PARSE_SECOND) / this.cores : 0;
  }

  /** Admit now if the budget allows, else wait in the queue until `deadline` (ms, same clock as `now`). */
  admit(key: string, bytes: number, deadline: number): Promise<Ticket | AdmissionRefusal> {
    const seconds = this.expectedSeconds(key);
    if (this.queue.length === 0 && this.fits(bytes, seconds, deadline)) return Promise.resolve(this.grant(key, bytes, seconds, deadline, this.now()));
    if (this.queue.length >= this.maxQueue) return Promise.resolve('queue_full');
    return new Promise((resolve) => {
      const waiter: Waiter = {
        bytes,
        seconds,
        deadline,
        key,
        resolve,
        enqueuedAt: this.now(),
        timer: setTimeout(() => {
          const i = this.queue.indexOf(waiter);
          if (i >= 0) this.queue.splice(i, 1);
          resolve('deadline');
        }, Math.max(0, deadline - this.now())),
      };
      this.queue.push(waiter);
    });
  }

  /** A scrape bigger than the whole budget still runs, alone. */
  private fits(bytes: number, seconds: number, deadline: number): boolean {
    if (this.active === 0) return true;
    if (this.reservedBytes + bytes > this.budgetBytes) return false;
    // Processor sharing: while a scrape of work w runs, each other one takes at most w of the machine
    // from it. The new scrape must finish in its deadline, and must not push a running one past its own.
    const now = this.now();
    const limit = (d: number) => (Math.max(0, d - now) / 1000) * DEADLINE_SHARE;
    const load = (w: number, self?: object) => {
      let l = w;
      for (const r of this.running) if (r !== self) l += Math.min(r.work, w);
      return l;
    };
    if (load(seconds) > limit(deadline)) return false;
    for (const r of this.running) {
      const before = load(r.work, r);
      if (before <= limit(r.deadline) && before + Math.min(seconds, r.work) > limit(r.deadline)) return false;
    }
    return true;
  }

  private grant(key: string, bytes: number, seconds: number, deadline: number, enqueuedAt: number): Ticket {
    this.reservedBytes += bytes;
    const slot = { work: seconds, deadline };
    this.running.add(slot);
    this.active++;
    this.onAdmit?.((this.now() - enqueuedAt) / 1000);
    let peak = 0;
    let released = false;
    return {
      reserved: bytes,
      observe: (held) => {
        if (held > peak) peak = held;
      },
      took: (s) => {
        const d = this.durations.get(key) ?? [];
        d.push(s);
        if (d.length > DURATIONS_KEPT) d.shift();
        this.durations.set(key, d);
        if (this.durations.size > 10_000) this.durations.clear();
      },
      release: () => {
        if (released) return;
        released = true;
        this.reservedBytes -= bytes;
        this.running.delete(slot);
        this.active--;
        // Next time, reserve what this one held at most, with room to spare.
        if (peak > 0) this.learnt.set(key, Math.ceil(peak * 1.25));
        if (this.learnt.size > 10_000) this.learnt.clear();
        this.drain();
      },
    };
  }

  private drain(): void {
    while (this.queue.length > 0) {
      const w = this.queue[0]!;
      if (!this.fits(w.bytes, w.seconds, w.deadline)) return;
      this.queue.shift();
      clearTimeout(w.timer);
      w.resolve(this.grant(w.key, w.bytes, w.seconds, w.deadline, w.enqueuedAt));
    }
  }
}
