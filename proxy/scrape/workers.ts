/**
 * Scrapes spread over worker threads: each worker fetches and parses whole pods, so a component's
 * pods are parsed on every core at once; the main thread merges and streams the answer.
 */
import { Worker } from 'node:worker_threads';
import { errorMessage } from '../../common/errors.js';
import type { Logger } from '../../common/log.js';
import { chunkBlocks } from '../exposition/block-pool.js';
import type { PodScrapeResult } from './pod-scrape.js';
import { failedResult, type PodScraper, type PodScrapeTask } from './task.js';

export type WorkerRequest =
  | { kind: 'scrape'; id: number; task: PodScrapeTask }
  | { kind: 'prune'; liveIds: string[] }
  | { kind: 'recycle'; blocks: ArrayBuffer[] };
export interface WorkerReply {
  id: number;
  result: PodScrapeResult;
}

interface Slot {
  worker: Worker;
  inflight: Map<number, { task: PodScrapeTask; resolve: (r: PodScrapeResult) => void }>;
}

export class WorkerPoolScraper implements PodScraper {
  private readonly slots: Slot[] = [];
  private nextId = 1;
  private closing = false;
  /** Which worker filled each output block still out in the main thread, to give it back there. */
  private readonly blockOwner = new WeakMap<ArrayBuffer, Slot>();

  constructor(
    readonly size: number,
    private readonly logger: Logger,
  ) {
    for (let i = 0; i < size; i++) this.slots.push(this.spawn());
  }

  scrape(task: PodScrapeTask): Promise<PodScrapeResult> {
    // The least busy worker: pods of one scrape land on different cores.
    let slot = this.slots[0]!;
    for (const s of this.slots) if (s.inflight.size < slot.inflight.size) slot = s;
    const id = this.nextId++;
    return new Promise<PodScrapeResult>((resolve) => {
      slot.inflight.set(id, { task, resolve });
      const msg: WorkerRequest = { kind: 'scrape', id, task };
      slot.worker.postMessage(msg);
    });
  }

  prune(liveIds: ReadonlySet<string>): void {
    const msg: WorkerRequest = { kind: 'prune', liveIds: [...liveIds] };
    for (const s of this.slots) s.worker.postMessage(msg);
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
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }

  private spawn(): Slot {
    const worker = new Worker(new URL('./worker-main.js', import.meta.url));
    const slot: Slot = { worker, inflight: new Map() };
    worker.on('message', (reply: WorkerReply) => {
      const entry = slot.inflight.get(reply.id);
      if (!entry) return;
      slot.inflight.delete(reply.id);
      for (const b of chunkBlocks(reply.result.exposition?.families ?? [])) this.blockOwner.set(b, slot);
      entry.resolve(reply.result);
    });
    let dead = false;
    const lost = (why: string) => {
      if (dead) return;
      dead = true;
      // Every pod the worker had in hand fails; the scrape still answers, with their `up 0`.
      for (const { task, resolve } of slot.inflight.values()) resolve(failedResult(task.pod, 'internal', `scrape worker ${why}`));
      slot.inflight.clear();
      if (this.closing) return;
      this.logger.error('scrape worker lost; starting a new one', { reason: why });
      const i = this.slots.indexOf(slot);
      if (i >= 0) this.slots[i] = this.spawn();
    };
    worker.on('error', (err) => lost(`failed: ${errorMessage(err)}`));
    worker.on('exit', (code) => {
      if (!this.closing) lost(`exited with code ${code}`);
    });
    worker.unref();
    return slot;
  }
}
