/**
 * One scrape answer read by several callers: identical scrapes that arrive together (same path,
 * negotiated format and encoding, and timeout; a burst of dashboards, retries) share one fan-out
 * instead of parsing the same pods again. Callers can join during a short window after the answer
 * started (its pieces are all kept until the window closes), so every one of them gets the whole
 * answer. A piece is released once every caller has written it; a caller that goes away gives up its
 * share, and the last one leaving stops the fan-out.
 */

/** How long after its start an answer can still be joined; what it produces meanwhile is kept... */
export const JOIN_WINDOW_MS = 250;
/** ...up to this many bytes: a joiner arriving later starts its own fan-out instead. */
export const JOIN_WINDOW_BYTES = 8 * 1024 * 1024;

export interface SharedPiece {
  data: Uint8Array;
  release(): void;
}

interface Slot {
  piece: SharedPiece;
  /** Readers that have not finished writing it yet. */
  pending: number;
}

export class SharedAnswer {
  private readonly slots: Slot[] = [];
  /** Index in the whole answer of `slots[0]`. */
  private base = 0;
  private readers = 0;
  private producing: Promise<boolean> | undefined;
  private ended = false;
  private produced = 0;
  private readonly readerDone = new Set<number>();
  private nextReaderId = 0;
  /** Called once every reader has left (nobody can join any more then). */
  onIdle: (() => void) | undefined;

  private readonly joinUntil: number;
  /** Bytes of the pieces kept now. */
  private keptBytes = 0;

  constructor(
    private readonly source: () => Promise<SharedPiece | undefined>,
    /** Called when the last reader leaves before the end. */
    private readonly onAbandoned: () => void,
    joinWindowMs = JOIN_WINDOW_MS,
    private readonly now: () => number = Date.now,
  ) {
    this.joinUntil = now() + joinWindowMs;
    // When the window closes, what every reader has written can go.
    setTimeout(() => this.trim(), joinWindowMs + 1).unref();
  }

  /** Whether a new caller can still get the whole answer. */
  get joinable(): boolean {
    return this.base === 0 && !this.ended && this.readers > 0 && (this.produced === 0 || this.windowOpen());
  }

  private windowOpen(): boolean {
    return this.now() < this.joinUntil && this.keptBytes < JOIN_WINDOW_BYTES;
  }

  /** Bytes produced and not yet written by every reader. */
  get heldBytes(): number {
    return this.keptBytes;
  }

  attach(): SharedReader {
    if (this.readers > 0 && !this.joinable) throw new Error('the answer can no longer be joined; a new caller needs its own');
    this.readers++;
    // The new reader starts at the beginning: every piece kept so far waits for it too.
    for (const slot of this.slots) slot.pending++;
    return new SharedReader(this, this.nextReaderId++);
  }

  /** The piece at `index`, producing it if needed; undefined at the end. */
  async pieceAt(index: number): Promise<SharedPiece | undefined> {
    for (;;) {
      const i = index - this.base;
      if (i < this.slots.length) return this.slots[i]!.piece;
      if (this.ended) return undefined;
      this.producing ??= this.produceOne().finally(() => (this.producing = undefined));
      await this.producing;
    }
  }

  private async produceOne(): Promise<boolean> {
    const piece = await this.source();
    if (!piece) {
      this.ended = true;
      return false;
    }
    this.produced++;
    if (this.readers === 0) {
      piece.release();
      return true;
    }
    this.slots.push({ piece, pending: this.readers });
    this.keptBytes += piece.data.byteLength;
    return true;
  }

  /** A reader finished writing the piece at `index`. */
  written(index: number): void {
    const slot = this.slots[index - this.base];
    if (!slot) return;
    slot.pending--;
    this.trim();
  }

  /** A reader leaves at `next` (the index of the first piece it did not write). */
  leave(readerId: number, next: number, completed: boolean): void {
    if (this.readerDone.has(readerId)) return;
    this.readerDone.add(readerId);
    this.readers--;
    for (let i = Math.max(next, this.base) - this.base; i < this.slots.length; i++) this.slots[i]!.pending--;
    this.trim();
    if (this.readers > 0) return;
    if (!completed && !this.ended) {
      this.ended = true;
      for (const s of this.slots) s.piece.release();
      this.slots.length = 0;
      this.keptBytes = 0;
      this.onAbandoned();
    }
    this.onIdle?.();
  }

  private trim(): void {
    if (this.readers > 0 && this.windowOpen()) return;
    let n = 0;
    while (n < this.slots.length && this.slots[n]!.pending <= 0) {
      this.slots[n]!.piece.release();
      this.keptBytes -= this.slots[n]!.piece.data.byteLength;
      n++;
    }
    if (n > 0) {
      this.slots.splice(0, n);
      this.base += n;
    }
  }
}

export class SharedReader {
  private index = 0;
  private left = false;

  constructor(
    private readonly answer: SharedAnswer,
    private readonly id: number,
  ) {}

  /** The next piece to write; call `written` once it has been, then ask again. Undefined at the end. */
  async next(): Promise<{ data: Uint8Array; written: () => void } | undefined> {
    if (this.left) return undefined;
    const index = this.index;
    const piece = await this.answer.pieceAt(index);
    if (!piece || this.left) return undefined;
    this.index++;
    return { data: piece.data, written: () => this.answer.written(index) };
  }

  /** Done with the answer: `completed` when every piece was read. */
  leave(completed: boolean): void {
    if (this.left) return;
    this.left = true;
    this.answer.leave(this.id, this.index, completed);
  }
}
