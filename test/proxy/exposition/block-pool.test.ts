import { expect } from 'chai';
import { allocateBlock, BlockPool, chunkBlocks, isOutputBlock } from '../../../proxy/exposition/block-pool.js';

describe('proxy/exposition/block-pool', () => {
  it('hands out the smallest block that fits, each once', () => {
    const pool = new BlockPool(1 << 20);
    const [small, big] = [new ArrayBuffer(1000), new ArrayBuffer(5000)];
    pool.give([big, small]);
    expect(pool.take(800)!.buffer).to.equal(small);
    expect(pool.take(800)!.buffer).to.equal(big);
    expect(pool.take(1)).to.equal(undefined);
  });

  it('returns undefined when no block is large enough, and keeps the blocks', () => {
    const pool = new BlockPool(1 << 20);
    pool.give([new ArrayBuffer(100)]);
    expect(pool.take(101)).to.equal(undefined);
    expect(pool.size).to.deep.equal({ blocks: 1, bytes: 100 });
  });

  it('keeps no more than its limit and ignores detached blocks', () => {
    const pool = new BlockPool(2500);
    const detached = new ArrayBuffer(10);
    structuredClone(detached, { transfer: [detached] });
    pool.give([new ArrayBuffer(1000), detached, new ArrayBuffer(1000), new ArrayBuffer(1000)]);
    expect(pool.size).to.deep.equal({ blocks: 2, bytes: 2000 });
  });

  it('allocateBlock reuses what was given back, and only its own blocks count as output blocks', () => {
    const pool = new BlockPool(1 << 20);
    const a = allocateBlock(64 * 1024, pool);
    expect(isOutputBlock(a.buffer as ArrayBuffer)).to.equal(true);
    // Small Buffers share one slab: giving that back would hand other Buffers' bytes to a parser.
    expect(isOutputBlock(Buffer.from('shared slab').buffer as ArrayBuffer)).to.equal(false);
    pool.give([a.buffer as ArrayBuffer]);
    const b = allocateBlock(32 * 1024, pool);
    expect(b.buffer).to.equal(a.buffer);
    expect(b.length).to.equal(64 * 1024);
  });

  it('names each block behind a set of chunks once, in first-seen order', () => {
    const [a, b] = [new ArrayBuffer(64), new ArrayBuffer(64)];
    const families = [{ chunks: [new Uint8Array(a, 0, 8), new Uint8Array(b, 0, 8)] }, { chunks: [new Uint8Array(a, 8, 8)] }, { chunks: [] }];
    expect(chunkBlocks(families)).to.deep.equal([a, b]);
    const [first, second] = chunkBlocks(families);
    expect(first).to.equal(a);
    expect(second).to.equal(b);
  });
});
