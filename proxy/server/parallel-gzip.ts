/**
 * gzip for large answers on every core: the answer is cut into groups of about a megabyte, each group
 * is deflated on the libuv thread pool independently and ends with a sync flush (byte-aligned, not
 * final), and the pieces are concatenated in order into the body of ONE gzip member. One member, not
 * several: curl and browsers stop at the first member of a multi-member body. The CRC-32 and size of
 * the trailer are computed here, in order, as the groups pass by (zlib's crc32 runs at GB/s).
 */
import { promisify } from 'node:util';
import zlib from 'node:zlib';

export interface ParallelGzipOptions {
  level: number;
  /** Groups deflated at once; more than the thread pool's size only queues. */
  concurrency: number;
  /** Target uncompressed size of one group; each group restarts the compressor's window. */
  groupBytes: number;
}

const deflateRaw = promisify(zlib.deflateRaw);

// ID1 ID2, CM=8 (deflate), no flags, no mtime, XFL 0, OS 255 (unknown).
const HEADER = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);
// An empty final block: ends the deflate stream after the last sync-flushed piece.
const FINAL_BLOCK = zlib.deflateRawSync(Buffer.alloc(0));

function trailer(crc: number, size: number): Buffer {
  const t = Buffer.alloc(8);
  t.writeUInt32LE(crc >>> 0, 0);
  t.writeUInt32LE(size % 2 ** 32, 4); // ISIZE is the size modulo 2^32
  return t;
}

/** A part of the answer; one with `release` is told when its bytes are no longer needed. */
export type GzipInput = string | Uint8Array | { data: Uint8Array; release(): void };

function asBuffer(part: string | Uint8Array): Buffer {
  return typeof part === 'string' ? Buffer.from(part, 'utf8') : Buffer.from(part.buffer, part.byteOffset, part.byteLength);
}

interface Group {
  bytes: Buffer;
  /** Release the inputs behind `bytes` once deflate has read them (copied ones are released at once). */
  release: (() => void) | undefined;
}

/** Consecutive parts as groups of about `groupBytes`: small parts are copied together, large ones go alone. */
async function* groups(parts: AsyncIterable<GzipInput> | Iterable<GzipInput>, groupBytes: number): AsyncGenerator<Group> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let releases: (() => void)[] = [];
  const take = (): Group => {
    const copied = pending.length > 1;
    const g = copied ? Buffer.concat(pending, pendingBytes) : pending[0]!;
    const rs = releases;
    pending = [];
    pendingBytes = 0;
    releases = [];
    if (copied) {
      for (const r of rs) r();
      return { bytes: g, release: undefined };
    }
    return { bytes: g, release: rs.length > 0 ? () => rs.forEach((r) => r()) : undefined };
  };
  for await (const part of parts) {
    const isPiece = typeof part === 'object' && !(part instanceof Uint8Array);
    const b = asBuffer(isPiece ? part.data : part);
    if (b.length === 0) {
      if (isPiece) part.release();
      continue;
    }
    if (b.length >= groupBytes / 2) {
      if (pendingBytes > 0) yield take();
      yield { bytes: b, release: isPiece ? () => part.release() : undefined };
      continue;
    }
    pending.push(b);
    pendingBytes += b.length;
    if (isPiece) releases.push(() => part.release());
    if (pendingBytes >= groupBytes) yield take();
  }
  if (pendingBytes > 0) yield take();
}

/** The gzip encoding of everything `parts` yields, as a lazy sequence with at most `concurrency` groups in flight. */
export async function* gzipInParallel(parts: AsyncIterable<GzipInput> | Iterable<GzipInput>, opts: ParallelGzipOptions): AsyncGenerator<Buffer> {
  yield HEADER;
  const inflight: Promise<Buffer>[] = [];
  let crc = 0;
  let size = 0;
  const limit = Math.max(1, opts.concurrency);
  try {
    for await (const group of groups(parts, opts.groupBytes)) {
      crc = zlib.crc32(group.bytes, crc);
      size += group.bytes.length;
      const piece = deflateRaw(group.bytes, { level: opts.level, finishFlush: zlib.constants.Z_SYNC_FLUSH });
      // Awaited below in order; this only keeps an abandoned piece's failure from being unhandled.
      piece.catch(() => undefined);
      // The input may be reused once deflate has read it (not before: it runs on the thread pool).
      if (group.release) piece.then(group.release, () => undefined);
      inflight.push(piece);
      if (inflight.length >= limit) yield await inflight.shift()!;
    }
    while (inflight.length > 0) yield await inflight.shift()!;
  } finally {
    inflight.length = 0;
  }
  yield FINAL_BLOCK;
  yield trailer(crc, size);
}
