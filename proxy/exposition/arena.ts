/**
 * Append-only byte storage for one pod's rendered samples. Writes go to the family selected last;
 * each family ends up with a list of views into a few large blocks, so a scrape allocates a handful
 * of buffers instead of one object per sample.
 */
const FIRST_BLOCK = 64 * 1024;
const MAX_BLOCK = 1024 * 1024;
const SHORT_COPY = 16;

export class OutputArena {
  private block: Buffer = Buffer.allocUnsafe(0);
  private nextSize = FIRST_BLOCK;
  private pos = 0;
  private segStart = 0;
  private owner: Uint8Array[] | undefined;

  /** Direct subsequent writes to this family's chunk list. */
  select(owner: Uint8Array[]): void {
    if (owner === this.owner) return;
    this.close();
    this.owner = owner;
  }

  /** Hand the bytes written since the last close to their family. */
  close(): void {
    if (this.owner && this.pos > this.segStart) this.owner.push(this.block.subarray(this.segStart, this.pos));
    this.segStart = this.pos;
  }

  private room(n: number): void {
    if (this.pos + n <= this.block.length) return;
    this.close();
    // Small pods stay small; big ones quickly reach large blocks.
    this.block = Buffer.allocUnsafe(Math.max(this.nextSize, n));
    this.nextSize = Math.min(MAX_BLOCK, this.nextSize * 2);
    this.pos = 0;
    this.segStart = 0;
  }

  copy(src: Uint8Array, start: number, end: number): void {
    const n = end - start;
    this.room(n);
    if (n <= SHORT_COPY) {
      // Buffer#copy allocates a view per call; a plain loop is cheaper for line-sized pieces.
      const b = this.block;
      let p = this.pos;
      for (let i = start; i < end; i++) b[p++] = src[i]!;
    } else {
      (src as Buffer).copy(this.block, this.pos, start, end);
    }
    this.pos += n;
  }

  bytes(src: Uint8Array): void {
    this.copy(src, 0, src.length);
  }

  byte(c: number): void {
    this.room(1);
    this.block[this.pos++] = c;
  }

  text(s: string): void {
    const n = Buffer.byteLength(s);
    this.room(n);
    this.pos += this.block.write(s, this.pos);
  }
}
