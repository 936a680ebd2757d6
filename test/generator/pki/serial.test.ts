import { expect } from 'chai';
import { randomSerialHex, serialMagnitudeHex } from '../../../generator/pki/serial.js';

/** Feeds the given byte patterns, one per call. */
function scripted(...firstBytes: number[]): (size: number) => Buffer {
  let i = 0;
  return (size) => {
    const b = Buffer.alloc(size, 0x11);
    b[0] = firstBytes[Math.min(i++, firstBytes.length - 1)]!;
    return b;
  };
}

/** DER INTEGER content rules: positive (top bit clear) and minimal (no needless 0x00). */
function assertPositiveMinimal(hex: string): void {
  const b = Buffer.from(hex, 'hex');
  expect(b[0]! & 0x80, `negative serial ${hex}`).to.equal(0);
  if (b[0] === 0) expect(b[1]! & 0x80, `non-minimal serial ${hex}`).to.not.equal(0);
}

describe('pki serial numbers', () => {
  it('prepends a 0x00 sign byte when the top bit is set', () => {
    const hex = randomSerialHex(scripted(0x80));
    expect(hex).to.equal('0080' + '11'.repeat(15));
    assertPositiveMinimal(hex);
  });

  it('keeps a 16-byte value whose top bit is clear as is', () => {
    expect(randomSerialHex(scripted(0x7f))).to.equal('7f' + '11'.repeat(15));
  });

  it('redraws when the first byte is zero instead of emitting a non-minimal integer', () => {
    const firstBytes = [0x00, 0x00, 0x42];
    let calls = 0;
    const hex = randomSerialHex((size) => {
      const b = Buffer.alloc(size, 0x11);
      b[0] = firstBytes[calls++]!;
      return b;
    });
    expect(calls).to.equal(3);
    expect(hex).to.equal('42' + '11'.repeat(15));
  });

  it('random serials are always positive, minimal and carry 128 bits', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const hex = randomSerialHex();
      assertPositiveMinimal(hex);
      expect(serialMagnitudeHex(hex)).to.have.lengthOf(32);
      seen.add(hex);
    }
    expect(seen.size).to.equal(2000);
  });

  it('serialMagnitudeHex strips only the sign byte', () => {
    expect(serialMagnitudeHex('0080ab')).to.equal('80ab');
    expect(serialMagnitudeHex('7FAB')).to.equal('7fab');
    expect(serialMagnitudeHex('00')).to.equal('00');
  });
});
