/**
 * Bodies for the fault behaviours of a simulated pod: a gzip bomb, an oversized but valid exposition,
 * non-exposition garbage and a label value that is not UTF-8.
 */
import { Readable } from 'node:stream';
import { constants as zlibConstants, createGzip } from 'node:zlib';
import { Prng } from './exposition/prng.js';

export const DEFAULT_BOMB_INFLATED_BYTES = 1024 * 1024 * 1024;

const bombs = new Map<number, Promise<Buffer>>();

/**
 * A gzip stream that inflates to `inflatedBytes` line feeds (an empty but endless exposition). Built once
 * per size by streaming deflate over a repeated buffer, so 1 GiB never sits in memory; ~1 MB per GiB.
 */
export function gzipBomb(inflatedBytes = DEFAULT_BOMB_INFLATED_BYTES): Promise<Buffer> {
  let p = bombs.get(inflatedBytes);
  if (!p) {
    p = buildBomb(inflatedBytes);
    bombs.set(inflatedBytes, p);
    p.catch(() => bombs.delete(inflatedBytes));
  }
  return p;
}

async function buildBomb(inflatedBytes: number): Promise<Buffer> {
  const block = Buffer.alloc(Math.min(1 << 20, Math.max(1, inflatedBytes)), 0x0a);
  // Z_RLE reaches deflate's ~1030:1 ceiling on a run of one byte about 5x faster than level 9.
  const gzip = createGzip({ level: 6, strategy: zlibConstants.Z_RLE });
  const out: Buffer[] = [];
  gzip.on('data', (c: Buffer) => out.push(c));
  const done = new Promise<void>((resolve, reject) => {
    gzip.on('end', resolve);
    gzip.on('error', reject);
  });
  let left = inflatedBytes;
  while (left > 0) {
    const chunk = left >= block.length ? block : block.subarray(0, left);
    left -= chunk.length;
    if (!gzip.write(chunk)) await new Promise<void>((r) => gzip.once('drain', r));
  }
  gzip.end();
  await done;
  return Buffer.concat(out);
}

/** What the "oversized" behaviour streams: a valid text exposition of more than `minBytes` bytes. */
export interface OversizedBody {
  /** Exact total length (sent as Content-Length when asked). */
  length: number;
  stream(): Readable;
}

const OVERSIZED_HEADER =
  '# HELP sim_oversized_padding Simulated: one series per line, only there to make the body large.\n# TYPE sim_oversized_padding gauge\n';
// Fixed-width lines make the exact length computable without rendering the body.
const oversizedLine = (i: number): string => `sim_oversized_padding{index="${String(i).padStart(12, '0')}"} 1\n`;
const OVERSIZED_LINE_BYTES = oversizedLine(0).length;

export function oversizedBody(minBytes: number): OversizedBody {
  const lines = Math.max(1, Math.floor((minBytes - OVERSIZED_HEADER.length) / OVERSIZED_LINE_BYTES) + 1);
  const length = OVERSIZED_HEADER.length + lines * OVERSIZED_LINE_BYTES;
  const perChunk = Math.max(1, Math.floor(65536 / OVERSIZED_LINE_BYTES));
  return {
    length,
    stream(): Readable {
      let next = 0;
      let headerSent = false;
      return new Readable({
        read(): void {
          if (!headerSent) {
            headerSent = true;
            this.push(OVERSIZED_HEADER);
            return;
          }
          if (next >= lines) {
            this.push(null);
            return;
          }
          const end = Math.min(lines, next + perChunk);
          let s = '';
          for (; next < end; next++) s += oversizedLine(next);
          this.push(s);
        },
      });
    },
  };
}

/** A 200 body that is not an exposition: the OpenShift router's error page followed by binary noise. */
export function garbageBody(seed = 7): Buffer {
  const html =
    '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>Application is not available</title></head>\n' +
    '<body><h1>Application is not available</h1><p>The application is currently not serving requests at this endpoint.</p></body></html>\n';
  const noise = Buffer.alloc(2048);
  const rng = new Prng(seed);
  for (let i = 0; i < noise.length; i++) noise[i] = rng.u32() & 0xff;
  return Buffer.concat([Buffer.from(html), noise]);
}

const INVALID_UTF8_FAMILY = Buffer.concat([
  Buffer.from(
    '# HELP sim_invalid_utf8_info Simulated: a label value that is not valid UTF-8.\n# TYPE sim_invalid_utf8_info gauge\n' +
      'sim_invalid_utf8_info{value="valid"} 1\nsim_invalid_utf8_info{value="bad-',
  ),
  Buffer.from([0xff, 0xfe]),
  Buffer.from('-bytes"} 1\n'),
]);

/** `body` with one extra family whose label value holds bytes 0xff 0xfe (before `# EOF` in OpenMetrics). */
export function withInvalidUtf8(body: Buffer): Buffer {
  const eof = Buffer.from('# EOF\n');
  const at = body.length >= eof.length && body.subarray(body.length - eof.length).equals(eof) ? body.length - eof.length : -1;
  if (at >= 0) return Buffer.concat([body.subarray(0, at), INVALID_UTF8_FAMILY, eof]);
  const sep = body.length > 0 && body[body.length - 1] !== 0x0a ? Buffer.from('\n') : Buffer.alloc(0);
  return Buffer.concat([body, sep, INVALID_UTF8_FAMILY]);
}
