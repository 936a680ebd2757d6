/**
 * Byte storage for one pod's rendered samples. The parser records, per input buffer, what to emit
 * (runs of input bytes, injected-label templates, rebuilt lines, family switches); `flush` then
 * stages the input next to the output in one block and replays the record with `copyWithin`, which,
 * unlike `Buffer#copy`, allocates nothing per call. Each family ends up with a list of views into a
 * few large blocks.
 *
 * Blocks are *sealed* when the arena moves on to a new one (or when `seal` is called): a sealed block
 * gets no more bytes, so it can be shipped to another thread (its ArrayBuffer transferred) while the
 * parser goes on. The streaming merge relies on this (see parser.ts `takeShipment`).
 */
import { allocateBlock } from './block-pool.js';

const FIRST_BLOCK = 64 * 1024;
const MAX_BLOCK = 1024 * 1024;

const OP_COPY = 0;
const OP_TEMPLATE = 1;
const OP_TEXT = 2;
const OP_SELECT = 3;

export class OutputArena {
  private block: Buffer = Buffer.allocUnsafe(0);
  private nextSize = FIRST_BLOCK;
  private pos = 0;
  private segStart = 0;
  private owner: Uint8Array[] | undefined;
  /** Offsets of the templates inside the current block. */
  private readonly templateAt: number[];
  private readonly templatesLen: number;

  // The record for the current input buffer.
  private src: Buffer | undefined;
  private ops = new Int32Array(3 * 1024);
  private nops = 0;
  private outBytes = 0;
  private srcMin = Number.MAX_SAFE_INTEGER;
  private srcMax = 0;
  private readonly texts: string[] = [];
  private readonly owners: Uint8Array[][] = [];
  /** Blocks that receive no more bytes and have not been taken yet. */
  private sealed: ArrayBuffer[] = [];
  /** The owner of the last bytes of the last sealed block. */
  private sealedOwner: Uint8Array[] | undefined;
  /** Where the current block's own output starts (after the templates). */
  private dataStart = 0;

  constructor(private readonly templates: readonly Buffer[]) {
    this.templateAt = templates.map(() => 0);
    this.templatesLen = templates.reduce((n, t) => n + t.length, 0);
  }

  /** Start recording against this input buffer (flush the previous one first). */
  begin(src: Buffer): void {
    this.src = src;
  }

  private op(kind: number, a: number, b: number): void {
    if (this.nops + 3 > this.ops.length) {
      const bigger = new Int32Array(this.ops.length * 2);
      bigger.set(this.ops);
      this.ops = bigger;
    }
    this.ops[this.nops++] = kind;
    this.ops[this.nops++] = a;
    this.ops[this.nops++] = b;
  }

  /** Direct subsequent output to this family's chunk list. */
  select(owner: Uint8Array[]): void {
    this.op(OP_SELECT, this.owners.length, 0);
    this.owners.push(owner);
  }

  /** Emit input bytes [start, end) of the buffer given to `begin`. */
  copy(start: number, end: number): void {
    if (end <= start) return;
    this.op(OP_COPY, start, end);
    this.outBytes += end - start;
    if (start < this.srcMin) this.srcMin = start;
    if (end > this.srcMax) this.srcMax = end;
  }

  template(index: number): void {
    this.op(OP_TEMPLATE, index, 0);
    this.outBytes += this.templates[index]!.length;
  }

  text(s: string): void {
    const n = Buffer.byteLength(s);
    this.op(OP_TEXT, this.texts.length, n);
    this.texts.push(s);
    this.outBytes += n;
  }

  /** Replay the record into the output blocks. */
  flush(): void {
    if (this.nops === 0) return;
    const staged = this.srcMax > this.srcMin ? this.srcMax - this.srcMin : 0;
    if (this.pos + this.outBytes + staged > this.block.length) this.newBlock(this.outBytes + staged);
    const block = this.block;
    // Stage the input right after where this record's output will end: no write can reach it.
    const delta = this.pos + this.outBytes - this.srcMin;
    if (staged > 0) this.src!.copy(block, this.pos + this.outBytes, this.srcMin, this.srcMax);
    const ops = this.ops;
    let pos = this.pos;
    for (let i = 0; i < this.nops; i += 3) {
      const a = ops[i + 1]!;
      const b = ops[i + 2]!;
      switch (ops[i]) {
        case OP_COPY:
          block.copyWithin(pos, a + delta, b + delta);
          pos += b - a;
          break;
        case OP_TEMPLATE: {
          const at = this.templateAt[a]!;
          const len = this.templates[a]!.length;
          block.copyWithin(pos, at, at + len);
          pos += len;
          break;
        }
        case OP_TEXT:
          pos += block.write(this.texts[a]!, pos);
          break;
        case OP_SELECT: {
          const owner = this.owners[a]!;
          if (owner !== this.owner) {
            this.pos = pos;
            this.closeSegment();
            this.owner = owner;
          }
          break;
        }
      }
    }
    this.pos = pos;
    this.nops = 0;
    this.outBytes = 0;
    this.srcMin = Number.MAX_SAFE_INTEGER;
    this.srcMax = 0;
    this.texts.length = 0;
    this.owners.length = 0;
    this.src = undefined;
  }

  /** Flush and hand the last bytes to their family. */
  close(): void {
    this.flush();
    this.closeSegment();
  }

  /** The family chunk list receiving output right now. */
  get currentOwner(): Uint8Array[] | undefined {
    return this.owner;
  }

  /** The owner of the last bytes of the last sealed block (its family may continue in the next block). */
  get lastSealedOwner(): Uint8Array[] | undefined {
    return this.sealedOwner;
  }

  /**
   * Seal the current block now, between two input buffers (after `flush`): everything emitted so far
   * becomes shippable, the next bytes go to a new block. A block with no output yet is kept.
   */
  seal(): void {
    if (this.nops !== 0) throw new Error('seal during a record');
    if (this.pos === this.dataStart) return;
    this.closeSegment();
    this.sealed.push(this.block.buffer as ArrayBuffer);
    this.sealedOwner = this.owner;
    this.block = Buffer.allocUnsafe(0);
    this.pos = 0;
    this.segStart = 0;
    this.dataStart = 0;
  }

  /** Sealed blocks not taken yet, oldest first; the caller now owns them. */
  takeSealed(): ArrayBuffer[] {
    const taken = this.sealed;
    this.sealed = [];
    return taken;
  }

  private closeSegment(): void {
    if (this.owner && this.pos > this.segStart) this.owner.push(this.block.subarray(this.segStart, this.pos));
    this.segStart = this.pos;
  }

  private newBlock(need: number): void {
    this.closeSegment();
    if (this.pos > this.dataStart) {
      this.sealed.push(this.block.buffer as ArrayBuffer);
      this.sealedOwner = this.owner;
    }
    // Small pods stay small; big ones quickly reach large blocks.
    const size = Math.max(this.nextSize, this.templatesLen + need);
    this.nextSize = Math.min(MAX_BLOCK, this.nextSize * 2);
    this.block = allocateBlock(size);
    let at = 0;
    this.templates.forEach((t, i) => {
      t.copy(this.block, at);
      this.templateAt[i] = at;
      at += t.length;
    });
    this.pos = at;
    this.segStart = at;
    this.dataStart = at;
  }
}
