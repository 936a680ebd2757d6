/**
 * The merge of one scrape's pods while their bodies are still arriving (the streaming form of
 * `mergePods`, with the same output when pods keep their families in a stable order).
 *
 * Families are written in `mergePods` order: the first pod's families in its order, then each next
 * pod's new ones. A family is written once every pod has finished or moved past it:
 * - a pod that has the family has moved past it when its frontier (see parser.ts `Shipment`) is beyond it;
 * - a pod that lacks it has moved past it when it has reached a family placed after it in the
 *   answer: pods of one component expose families in one order, so it would have come earlier.
 * A pod whose own order proved unstable, and a pod whose OpenMetrics must be converted to text, only
 * move past anything by finishing. Families that can be placed only once earlier pods have finished
 * (a pod's extra ones) wait for that. Bytes a pod sends for a family already written cannot be
 * placed any more: they are dropped and reported (`out_of_order`); a stable pod never does that.
 *
 * Nothing here does I/O: pods' shipments go in, rendered pieces come out through the sink in order,
 * and every pod chunk ends up either written or discarded exactly once (so its block can be reused).
 */
import { openMetricsToText } from './convert.js';
import { RESERVED_FAMILIES, type MergeDrop } from './merge.js';
import type { FamilyDelta } from './parser.js';
import { familyHeader } from './serialize.js';
import type { ExpositionFormat, MetricType, PodExposition, PodFamily } from './types.js';

export interface MergeSink {
  /** The next piece of the answer. Pod chunks are passed as they are. */
  write(piece: string | Uint8Array): void;
  /** A pod chunk that will never be written. */
  discard(chunk: Uint8Array): void;
}

/** A pod's shipment as the merger needs it (blocks are the caller's business). */
export interface PodShipment {
  families: readonly FamilyDelta[];
  frontier: number;
  ordered: boolean;
}

/** A family as one pod sent it so far. */
interface PodFam extends PodFamily {
  index: number;
}

type PodStatus = 'waiting' | 'reading' | 'done' | 'failed';

interface PodState {
  status: PodStatus;
  format: ExpositionFormat | undefined;
  fams: PodFam[];
  byName: Map<string, PodFam>;
  frontier: number;
  ordered: boolean;
  /** OpenMetrics to be served as text: held whole, converted when the pod is done. */
  converting: boolean;
}

const VALUE_TYPES: ReadonlySet<MetricType> = new Set(['counter', 'gauge', 'untyped', 'unknown']);

function compatible(a: MetricType, b: MetricType): boolean {
  return a === b || (VALUE_TYPES.has(a) && VALUE_TYPES.has(b));
}

export class StreamingMerge {
  private readonly pods: PodState[];
  private decided: ExpositionFormat | undefined;
  /** Family names in answer order, as far as they can be placed yet. */
  private ref: string[] = [];
  private refPos = new Map<string, number>();
  /** Pods before `contrib` are done; `scan` is how far the contributing pod's families were placed. */
  private contrib = 0;
  private scan = 0;
  /** Position in `ref` of the next family to write. */
  private cursor = 0;
  private readonly written = new Set<string>();
  private finished = false;

  constructor(
    podCount: number,
    private readonly acceptOpenMetrics: boolean,
    private readonly sink: MergeSink,
    /** Samples not served, by pod index and reason. */
    readonly drops: MergeDrop[] = [],
  ) {
    this.pods = Array.from({ length: podCount }, () => ({
      status: 'waiting' as PodStatus,
      format: undefined,
      fams: [],
      byName: new Map(),
      frontier: -1,
      ordered: true,
      converting: false,
    }));
    this.pump();
  }

  /** The answer's format, once every pod has answered or failed. */
  get format(): ExpositionFormat | undefined {
    return this.decided;
  }

  /** Every family has been written (the caller adds its own closing lines). */
  get complete(): boolean {
    return this.finished;
  }

  /** Whether any family has been written yet. */
  get started(): boolean {
    return this.written.size > 0;
  }

  /**
   * Whether the answer cannot go on without more from this pod: such a pod must never be held back
   * (the others may be, while the answer catches up).
   */
  needs(pod: number): boolean {
    const p = this.pods[pod]!;
    if (this.finished || p.status === 'done' || p.status === 'failed') return false;
    if (!this.decided || p.status === 'waiting' || p.converting) return true;
    if (this.cursor < this.ref.length) return !this.passed(p, this.ref[this.cursor]!);
    // The order itself waits: for the pod whose families are being placed.
    return pod === this.contrib;
  }

  /** The pod answered in this format; its shipments follow. */
  head(pod: number, format: ExpositionFormat): void {
    const p = this.pods[pod]!;
    if (p.status !== 'waiting') return;
    p.status = 'reading';
    p.format = format;
    this.pump();
  }

  ship(pod: number, s: PodShipment): void {
    const p = this.pods[pod]!;
    if (p.status === 'failed' || p.status === 'done') {
      for (const d of s.families) for (const c of d.chunks) this.sink.discard(c);
      return;
    }
    for (const d of s.families) this.take(pod, p, d);
    if (s.frontier > p.frontier) p.frontier = s.frontier;
    if (!s.ordered) p.ordered = false;
    this.pump();
  }

  /** The pod's body is complete (after its last shipment). */
  finish(pod: number): void {
    const p = this.pods[pod]!;
    if (p.status === 'failed' || p.status === 'done') return;
    p.status = 'done';
    if (p.converting) this.convert(pod, p);
    this.pump();
  }

  /** The pod failed: what it sent and was not written yet is dropped. */
  fail(pod: number): void {
    const p = this.pods[pod]!;
    if (p.status === 'failed' || p.status === 'done') return;
    p.status = 'failed';
    this.release(p);
    // Before anything is written, the answer can still be what it would have been without this pod.
    if (this.written.size === 0) this.resetOrder();
    this.pump();
  }

  /** Drop everything held (the caller went away). */
  abort(): void {
    for (const p of this.pods) {
      if (p.status !== 'done') p.status = 'failed';
      this.release(p);
    }
    this.finished = true;
  }

  private take(podIndex: number, p: PodState, d: FamilyDelta): void {
    let f = p.fams[d.index];
    if (!f) {
      f = { index: d.index, name: d.name, type: d.type, typed: d.typed, help: d.help, unit: d.unit, chunks: [], samples: 0 };
      p.fams[d.index] = f;
      p.byName.set(d.name, f);
    } else {
      f.type = d.type;
      f.typed = d.typed;
      f.help = d.help;
      f.unit = d.unit;
    }
    if (this.written.has(f.name) && !p.converting) {
      // Too late: the family is already in the answer.
      for (const c of d.chunks) this.sink.discard(c);
      if (d.samples > 0) this.drops.push({ pod: podIndex, family: f.name, samples: d.samples, reason: 'out_of_order' });
      return;
    }
    for (const c of d.chunks) f.chunks.push(c);
    f.samples += d.samples;
  }

  private release(p: PodState): void {
    for (const f of p.fams) {
      if (!f) continue;
      for (const c of f.chunks) this.sink.discard(c);
      f.chunks = [];
    }
  }

  private resetOrder(): void {
    this.ref = [];
    this.refPos.clear();
    this.contrib = 0;
    this.scan = 0;
    this.cursor = 0;
  }

  private decide(): boolean {
    if (this.decided) return true;
    if (this.pods.some((p) => p.status === 'waiting')) return false;
    const answered = this.pods.filter((p) => p.status !== 'failed' && p.format !== undefined);
    const om = this.acceptOpenMetrics && answered.length > 0 && answered.every((p) => p.format === 'openmetrics');
    this.decided = om ? 'openmetrics' : 'text';
    if (!om) {
      this.pods.forEach((p, i) => {
        if (p.format !== 'openmetrics' || p.status === 'failed') return;
        p.converting = true;
        if (p.status === 'done') this.convert(i, p);
      });
    }
    return true;
  }

  /** Replace a finished OpenMetrics pod's families with their text form. */
  private convert(podIndex: number, p: PodState): void {
    const families: PodFamily[] = p.fams.filter((f) => f && f.samples > 0);
    const om: PodExposition = { format: 'openmetrics', families, samples: 0, dropped: 0, lines: 0 };
    let text: PodExposition;
    try {
      text = openMetricsToText(om);
    } catch {
      // Unreachable for parser output; never let it break the answer.
      p.status = 'failed';
      this.release(p);
      this.drops.push({ pod: podIndex, family: '*', samples: families.reduce((n, f) => n + f.samples, 0), reason: 'type_conflict' });
      return;
    }
    this.release(p);
    p.fams = [];
    p.byName.clear();
    text.families.forEach((f, index) => {
      const pf: PodFam = { index, name: f.name, type: f.type, typed: f.typed, help: f.help, unit: f.unit, chunks: f.chunks, samples: f.samples };
      p.fams.push(pf);
      p.byName.set(pf.name, pf);
    });
    p.converting = false;
    p.format = 'text';
    p.frontier = p.fams.length;
    for (const f of p.fams) {
      if (!this.written.has(f.name)) continue;
      for (const c of f.chunks) this.sink.discard(c);
      this.drops.push({ pod: podIndex, family: f.name, samples: f.samples, reason: 'out_of_order' });
      f.chunks = [];
      f.samples = 0;
    }
  }

  /** Extend the answer order as far as the pods allow (mergePods: pod by pod, first appearance). */
  private place(): void {
    while (this.contrib < this.pods.length) {
      const p = this.pods[this.contrib]!;
      if (p.status === 'failed') {
        this.contrib++;
        this.scan = 0;
        continue;
      }
      if (p.status === 'waiting' || p.converting) return;
      const done = p.status === 'done';
      while (this.scan < p.fams.length) {
        const f = p.fams[this.scan];
        if (!f) return; // not shipped yet
        if (f.samples === 0) {
          // Families without samples take no place, unless samples may still come.
          if (!done && !(p.ordered && p.frontier > f.index)) return;
        } else if (!this.refPos.has(f.name)) {
          this.refPos.set(f.name, this.ref.length);
          this.ref.push(f.name);
        }
        this.scan++;
      }
      if (!done) return;
      this.contrib++;
      this.scan = 0;
    }
  }

  /** Whether pod p can send no more samples of `name`, the family at position `this.cursor`. */
  private passed(p: PodState, name: string): boolean {
    if (p.status === 'done' || p.status === 'failed') return true;
    if (p.status === 'waiting' || p.converting || !p.ordered) return false;
    const f = p.byName.get(name);
    if (f) return p.frontier > f.index;
    // It lacks the family: has it reached one placed after it?
    for (let i = Math.min(p.frontier, p.fams.length - 1); i >= 0; i--) {
      const g = p.fams[i];
      const pos = g ? this.refPos.get(g.name) : undefined;
      if (pos !== undefined) return pos > this.cursor;
    }
    return false;
  }

  private pump(): void {
    if (this.finished || !this.decide()) return;
    for (;;) {
      this.place();
      if (this.cursor < this.ref.length) {
        const name = this.ref[this.cursor]!;
        if (!this.pods.every((p) => this.passed(p, name))) return;
        this.writeFamily(name);
        this.cursor++;
        continue;
      }
      if (this.contrib < this.pods.length) return;
      // Every pod is done: what an unstable pod sent for families it had already moved past
      // ("out of order") and that are not written yet goes at the end.
      if (this.sweepLeftovers()) continue;
      this.finished = true;
      return;
    }
  }

  private sweepLeftovers(): boolean {
    const before = this.ref.length;
    for (const p of this.pods) {
      if (p.status === 'failed') continue;
      for (const f of p.fams) {
        if (!f || f.samples === 0 || this.written.has(f.name) || this.refPos.has(f.name)) continue;
        this.refPos.set(f.name, this.ref.length);
        this.ref.push(f.name);
      }
    }
    return this.ref.length > before;
  }

  private writeFamily(name: string): void {
    this.written.add(name);
    let merged: PodFam | undefined;
    const parts: Uint8Array[][] = [];
    this.pods.forEach((p, i) => {
      if (p.status === 'failed') return;
      const f = p.byName.get(name);
      if (!f || f.samples === 0) return;
      const chunks = f.chunks;
      f.chunks = [];
      const dropAll = (reason: MergeDrop['reason']) => {
        for (const c of chunks) this.sink.discard(c);
        this.drops.push({ pod: i, family: name, samples: f.samples, reason });
      };
      if (RESERVED_FAMILIES.has(name)) return dropAll('reserved_name');
      if (!merged) {
        merged = { ...f, chunks: [], samples: 0 };
      } else if (!compatible(merged.type, f.type)) {
        return dropAll('type_conflict');
      } else if (!merged.typed && f.typed) {
        merged.type = f.type;
        merged.typed = true;
      }
      merged.help ??= f.help;
      merged.unit ??= f.unit;
      merged.samples += f.samples;
      parts.push(chunks);
    });
    if (!merged) return;
    const header = familyHeader(merged, this.decided!);
    if (header !== '') this.sink.write(header);
    for (const chunks of parts) for (const c of chunks) this.sink.write(c);
  }
}
