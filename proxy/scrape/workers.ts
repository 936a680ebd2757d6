/**
 * Scrapes spread over worker threads: each worker fetches and parses whole pods, so a component's
 * pods are parsed on every core at once; the main thread merges and streams the answer.
 *
 * Each worker runs at most `maxActivePerWorker` pods at a time; further pods wait here, in the
 * proxy's own queue, and a pod's timeout starts only when it runs: time spent waiting for a worker
 * is never charged to the pod (DESIGN §10). A pod still waiting at its task's `startBy` fails as
 * `queued`, which the fan-out answers with 503 rather than a false `up 0`.
 *
 * Workers start with the first scrape and stop after `idleTrimMs` without one: a worker's isolate,
 * JIT code and block pool are tens of MB, and one proxy runs per hosted cluster (hundreds per
 * management cluster), so an idle proxy keeps only its main thread (DESIGN §9: ready and after-load RSS).
 */
import { Worker } from 'node:worker_threads';
import { errorMessage } from '../../common/errors.js';
import type { Logger } from '../../common/log.js';
import { chunkBlocks } from '../exposition/block-pool.js';
import type { Shipment } from '../exposition/parser.js';
import type { ExpositionFormat } from '../exposition/types.js';
import type { PodScrapeResult, PodScrapeSink, ReadGate } from './pod-scrape.js';
import { collectGarbage, IdleTrimmer } from './idle-gc.js';
import { failedResult, type PodScraper, type PodScrapeTask } from './task.js';

export type WorkerRequest =
  | { kind: 'scrape'; id: number; task: PodScrapeTask; stream: boolean }
  | { kind: 'cancel'; id: number }
  /** Stop or go on reading the pod of a running task (ReadGate). */
  | { kind: 'gate'; id: number; paused: boolean }
  | { kind: 'prune'; liveIds: string[] }
  | { kind: 'recycle'; blocks: ArrayBuffer[] }
  /** Let go of pooled blocks (the proxy is idle). */
  | { kind: 'trim' };
export type WorkerReply =
  | { kind: 'head'; id: number; format: ExpositionFormat }
  | { kind: 'ship'; id: number; shipment: Shipment }
  | { kind: 'done'; id: number; result: PodScrapeResult };

interface Entry {
  id: number;
  task: PodScrapeTask;
  sink: PodScrapeSink | undefined;
  gate: ReadGate | undefined;
  resolve: (r: PodScrapeResult) => void;
  slot?: Slot;
  queueTimer?: NodeJS.Timeout;
  settled: boolean;
}

interface Slot {
  worker: Worker;
  inflight: Map<number, Entry>;
  /** Stopped on purpose (idle): its exit is not a loss. */
  retired: boolean;
}

export interface WorkerPoolOptions {
  /** Pods one worker runs at once; more would only share its thread and stretch each pod's time. */
  maxActivePerWorker?: number;
  /** Idle time after which workers let go of pooled blocks and collect garbage (default IDLE_TRIM_MS). */
  idleTrimMs?: number;
}

export const DEFAULT_MAX_ACTIVE_PER_WORKER = 6;

export class WorkerPoolScraper implements PodScraper {
  private readonly slots: Slot[] = [];
  private readonly queue: Entry[] = [];
  private nextId = 1;
  private closing = false;
  private readonly maxActive: number;
  /** Which worker filled each output block still out in the main thread, to give it back there. */
  private readonly blockOwner = new WeakMap<ArrayBuffer, Slot>();
  /** After a burst, memory goes back: pooled blocks are dropped and collected (DESIGN §9). */
  private readonly idle: IdleTrimmer;
  private active = 0;

  constructor(
    readonly size: number,
    private readonly logger: Logger,
    opts: WorkerPoolOptions = {},
  ) {
    this.maxActive = Math.max(1, opts.maxActivePerWorker ?? DEFAULT_MAX_ACTIVE_PER_WORKER);
    this.idle = new IdleTrimmer(() => this.trim(), opts.idleTrimMs);
  }

  /** Workers running now (none before the first scrape and after an idle spell). */
  get running(): number {
    return this.slots.length;
  }

  /** Pods waiting for a worker (the proxy's own queue). */
  get queued(): number {
    return this.queue.length;
  }

  scrape(task: PodScrapeTask, sink?: PodScrapeSink, signal?: AbortSignal, gate?: ReadGate): Promise<PodScrapeResult> {
    if (this.active++ === 0) this.idle.busy();
    if (this.slots.length === 0 && !this.closing) for (let i = 0; i < this.size; i++) this.slots.push(this.spawn());
    return new Promise<PodScrapeResult>((resolve) => {
      const entry: Entry = {
        id: this.nextId++,
        task,
        sink,
        gate,
        resolve: (r) => {
          if (--this.active === 0) this.idle.idle();
          resolve(r);
        },
        settled: false,
      };
      if (signal?.aborted) return this.settle(entry, failedResult(task.pod, 'aborted', 'scrape cancelled by the proxy'));
      signal?.addEventListener('abort', () => this.cancel(entry), { once: true });
      const slot = this.freeSlot();
      if (slot) return this.dispatch(slot, entry);
      this.queue.push(entry);
      if (task.startBy !== undefined) {
        entry.queueTimer = setTimeout(() => {
          const i = this.queue.indexOf(entry);
          if (i >= 0) this.queue.splice(i, 1);
          this.settle(entry, failedResult(task.pod, 'queued', 'no scrape worker was free before the scrape deadline'));
        }, Math.max(0, task.startBy - Date.now()));
      }
    });
  }

  prune(liveIds: ReadonlySet<string>): void {
    this.broadcast({ kind: 'prune', liveIds: [...liveIds] });
  }

  /**
   * Idle: stop the workers that have nothing in hand (their isolates, JIT code and pooled blocks go with
   * them; the next scrape starts new ones), let the others drop their pooled blocks, and collect here.
   */
  trim(): void {
    for (const slot of [...this.slots]) {
      if (slot.inflight.size > 0) {
        slot.worker.postMessage({ kind: 'trim' } satisfies WorkerRequest);
        continue;
      }
      slot.retired = true;
      this.slots.splice(this.slots.indexOf(slot), 1);
      void slot.worker.terminate();
    }
    collectGarbage();
  }

  recycle(blocks: readonly ArrayBuffer[]): void {
    const bySlot = new Map<Slot, ArrayBuffer[]>();
    for (const b of blocks) {
      const slot = this.blockOwner.get(b);
      if (!slot || b.byteLength === 0) continue;
      this.blockOwner.delete(b);
      if (!this.slots.includes(slot)) continue; // its worker is gone
      let list = bySlot.get(slot);
      if (!list) bySlot.set(slot, (list = []));
      list.push(b);
    }
    for (const [slot, list] of bySlot) {
      const msg: WorkerRequest = { kind: 'recycle', blocks: list };
      slot.worker.postMessage(msg, list);
    }
  }

  async close(): Promise<void> {
    this.closing = true;
    this.idle.stop();
    for (const e of this.queue.splice(0)) this.settle(e, failedResult(e.task.pod, 'aborted', 'proxy shutting down'));
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }

  private broadcast(msg: WorkerRequest): void {
    for (const s of this.slots) s.worker.postMessage(msg);
  }

  private freeSlot(): Slot | undefined {
    // The least busy worker with room: pods of one scrape land on different cores.
    let best: Slot | undefined;
    for (const s of this.slots) if (s.inflight.size < this.maxActive && (!best || s.inflight.size < best.inflight.size)) best = s;
    return best;
  }

  private dispatch(slot: Slot, entry: Entry): void {
    clearTimeout(entry.queueTimer);
    entry.slot = slot;
    slot.inflight.set(entry.id, entry);
    const msg: WorkerRequest = { kind: 'scrape', id: entry.id, task: entry.task, stream: entry.sink !== undefined };
    slot.worker.postMessage(msg);
    entry.gate?.bind((paused) => {
      if (!entry.settled) slot.worker.postMessage({ kind: 'gate', id: entry.id, paused } satisfies WorkerRequest);
    });
  }

  private cancel(entry: Entry): void {
    if (entry.settled) return;
    const i = this.queue.indexOf(entry);
    if (i >= 0) {
      this.queue.splice(i, 1);
      return this.settle(entry, failedResult(entry.task.pod, 'aborted', 'scrape cancelled by the proxy'));
    }
    // Running: the worker stops it and answers 'done'.
    if (entry.slot) entry.slot.worker.postMessage({ kind: 'cancel', id: entry.id } satisfies WorkerRequest);
  }

  private settle(entry: Entry, result: PodScrapeResult): void {
    if (entry.settled) return;
    entry.settled = true;
    clearTimeout(entry.queueTimer);
    entry.resolve(result);
  }

  /** A worker has room again: start the oldest waiting pod there. */
  private next(slot: Slot): void {
    while (this.queue.length > 0 && slot.inflight.size < this.maxActive && this.slots.includes(slot)) {
      this.dispatch(slot, this.queue.shift()!);
    }
  }

  private spawn(): Slot {
    const worker = new Worker(new URL('./worker-main.js', import.meta.url));
    const slot: Slot = { worker, inflight: new Map(), retired: false };
    worker.on('message', (reply: WorkerReply) => {
      const entry = slot.inflight.get(reply.id);
      if (!entry) return;
      switch (reply.kind) {
        case 'head':
          entry.sink?.head(reply.format);
          return;
        case 'ship':
          for (const b of reply.shipment.blocks) this.blockOwner.set(b, slot);
          entry.sink?.ship(reply.shipment);
          return;
        case 'done':
          slot.inflight.delete(reply.id);
          for (const b of chunkBlocks(reply.result.exposition?.families ?? [])) this.blockOwner.set(b, slot);
          this.settle(entry, reply.result);
          this.next(slot);
          return;
      }
    });
    let dead = false;
    const lost = (why: string) => {
      if (dead || slot.retired) return;
      dead = true;
      // Every pod the worker had in hand fails; the scrape still answers, with their `up 0`.
      for (const entry of slot.inflight.values()) this.settle(entry, failedResult(entry.task.pod, 'internal', `scrape worker ${why}`));
      slot.inflight.clear();
      if (this.closing) return;
      this.logger.error('scrape worker lost; starting a new one', { reason: why });
      const i = this.slots.indexOf(slot);
      if (i >= 0) {
        const fresh = this.spawn();
        this.slots[i] = fresh;
        this.next(fresh);
      }
    };
    worker.on('error', (err) => lost(`failed: ${errorMessage(err)}`));
    worker.on('exit', (code) => {
      if (!this.closing) lost(`exited with code ${code}`);
    });
    worker.unref();
    return slot;
  }
}
