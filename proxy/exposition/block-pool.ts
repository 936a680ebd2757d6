/**
 * Output blocks handed back once an answer has been sent, for the next scrape to fill. Without it,
 * each scrape of a big component allocates its whole answer anew (~150 MB for 3 kube-apiservers)
 * while the previous one waits for a major GC that the main thread's small JS heap rarely triggers,
 * so the process holds two answers instead of one. Each thread has its own pool.
 */

/**
 * Bytes a thread keeps for reuse; blocks given beyond it are left to the GC. Answers stream, so blocks
 * come back while their pod is still being read: a worker needs about the lag between its pod and
 * the answer, not a whole pod's output (a 30 MB kube-apiserver body renders to ~50 MB). 8 workers keep
 * at most 128 MiB, and every pool empties when the workers stop after an idle spell.
 */
export const POOL_LIMIT_BYTES = 16 * 1024 * 1024;

export class BlockPool {
  private blocks: ArrayBuffer[] = [];
  private bytes = 0;

  constructor(private readonly limitBytes = POOL_LIMIT_BYTES) {}

  /** A block of at least `minBytes` (the smallest that fits), or undefined. */
  take(minBytes: number): Buffer | undefined {
    let best = -1;
    for (let i = 0; i < this.blocks.length; i++) {
      const len = this.blocks[i]!.byteLength;
      if (len >= minBytes && (best < 0 || len < this.blocks[best]!.byteLength)) best = i;
    }
    if (best < 0) return undefined;
    const block = this.blocks[best]!;
    this.blocks[best] = this.blocks[this.blocks.length - 1]!;
    this.blocks.pop();
    this.bytes -= block.byteLength;
    return Buffer.from(block);
  }

  /** Blocks nobody reads any more; detached (zero-length) ones are ignored. */
  give(blocks: Iterable<ArrayBuffer>): void {
    for (const b of blocks) {
      if (b.byteLength === 0 || this.bytes + b.byteLength > this.limitBytes) continue;
      this.blocks.push(b);
      this.bytes += b.byteLength;
    }
  }

  /** Let every pooled block go (to the GC): the thread is idle and should give its memory back. */
  clear(): void {
    this.blocks = [];
    this.bytes = 0;
  }

  get size(): { blocks: number; bytes: number } {
    return { blocks: this.blocks.length, bytes: this.bytes };
  }
}

/** This thread's pool of output blocks (a worker thread has its own module instance). */
export const outputBlocks = new BlockPool();

/** Blocks this thread allocated for output: only those may be pooled (never a slab of Buffer's shared pool). */
const born = new WeakSet<ArrayBuffer>();

export function allocateBlock(bytes: number, pool: BlockPool = outputBlocks): Buffer {
  const pooled = pool.take(bytes);
  if (pooled) return pooled;
  const b = Buffer.allocUnsafeSlow(bytes);
  born.add(b.buffer as ArrayBuffer);
  return b;
}

/** The blocks behind these families' sample chunks, each once: what is transferred and recycled. */
export function chunkBlocks(families: Iterable<{ readonly chunks: readonly Uint8Array[] }>): ArrayBuffer[] {
  const blocks = new Set<ArrayBuffer>();
  for (const f of families) for (const c of f.chunks) blocks.add(c.buffer as ArrayBuffer);
  return [...blocks];
}

/** Whether `block` came from allocateBlock in this thread. */
export function isOutputBlock(block: ArrayBuffer): boolean {
  return born.has(block);
}
