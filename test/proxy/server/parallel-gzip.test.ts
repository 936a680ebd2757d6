/**
 * gzipInParallel: the concatenated pieces must be one valid gzip member (curl and browsers read only
 * the first member), with the right CRC-32 and size, for any mix of part sizes.
 */
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import zlib from 'node:zlib';
import { gzipInParallel, type ParallelGzipOptions } from '../../../proxy/server/parallel-gzip.js';

async function encode(parts: (string | Uint8Array)[], opts: Partial<ParallelGzipOptions> = {}): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const b of gzipInParallel(parts, { level: 1, concurrency: 3, groupBytes: 1024, ...opts })) out.push(b);
  return Buffer.concat(out);
}

function plain(parts: (string | Uint8Array)[]): Buffer {
  return Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));
}

/** Checks the member by hand: header, a raw deflate stream that ends exactly at the trailer, CRC, ISIZE. */
function expectOneMember(gz: Buffer, expected: Buffer): void {
  expect([...gz.subarray(0, 4)]).to.deep.equal([0x1f, 0x8b, 8, 0]);
  const deflated = gz.subarray(10, gz.length - 8);
  // inflateRawSync fails on trailing garbage after the final block, so this also proves one member.
  const inflated = zlib.inflateRawSync(deflated);
  expect(inflated.equals(expected)).to.equal(true);
  expect(gz.readUInt32LE(gz.length - 8)).to.equal(zlib.crc32(expected));
  expect(gz.readUInt32LE(gz.length - 4)).to.equal(expected.length);
  expect(zlib.gunzipSync(gz).equals(expected)).to.equal(true);
}

describe('proxy/server/parallel-gzip', () => {
  it('encodes many small, some large and some empty parts as one gzip member', async () => {
    const parts: (string | Uint8Array)[] = [];
    for (let i = 0; i < 300; i++) parts.push(`metric_${i}{pod="p-${i % 3}",le="${i}"} ${i * 1.5}\n`);
    parts.push(new Uint8Array(0), '', Buffer.alloc(5000, 'x'), 'ünïcödé "quoted" \\n\n');
    parts.push(randomBytes(3000)); // incompressible: deflate falls back to stored blocks
    const view = Buffer.from('....a view into a larger buffer....');
    parts.push(view.subarray(4, 20));
    const gz = await encode(parts);
    expectOneMember(gz, plain(parts));
  });

  it('encodes an empty answer as a valid empty member', async () => {
    const gz = await encode([]);
    expectOneMember(gz, Buffer.alloc(0));
  });

  it('gives the same content whatever the group size and concurrency', async () => {
    const parts = Array.from({ length: 600 }, (_, i) => `x{i="${i}"} ${i}\n`);
    const expected = plain(parts);
    for (const [groupBytes, concurrency] of [
      [1, 1],
      [64, 2],
      [4096, 4],
      [1 << 20, 2],
    ] as const) {
      expectOneMember(await encode(parts, { groupBytes, concurrency }), expected);
    }
  });

  it('keeps at most `concurrency` groups in flight while the consumer is slow', async () => {
    let pulled = 0;
    function* parts() {
      for (let i = 0; i < 50; i++) {
        pulled++;
        yield Buffer.alloc(2048, 'a');
      }
    }
    const it = gzipInParallel(parts(), { level: 1, concurrency: 2, groupBytes: 1024 });
    await it.next(); // header
    await it.next(); // first piece: its group and at most one more were read
    expect(pulled).to.be.at.most(2);
    await it.return(undefined);
  });
});
