/**
 * Certificate serial numbers. node-forge writes cert.serialNumber's bytes verbatim as the DER
 * INTEGER content, so we must produce a valid positive, minimally encoded integer ourselves:
 * a first byte >= 0x80 would make the serial negative, and a needless leading 0x00 is invalid DER.
 */
import { randomBytes } from 'node:crypto';

const SERIAL_BYTES = 16; // 128 bits of randomness (CA/B Forum asks for at least 64)

/**
 * Returns the hex DER INTEGER content for a random positive 128-bit serial.
 * `random` is injectable so tests can force the edge cases.
 */
export function randomSerialHex(random: (size: number) => Buffer = randomBytes): string {
  let bytes = random(SERIAL_BYTES);
  // A zero first byte would need a shorter encoding; redraw rather than bias the value.
  while (bytes.length !== SERIAL_BYTES || bytes[0] === 0) bytes = random(SERIAL_BYTES);
  const hex = bytes.toString('hex');
  return (bytes[0]! & 0x80) !== 0 ? `00${hex}` : hex;
}

/** Turns DER INTEGER content hex into the positive magnitude hex (drops the 0x00 sign byte). */
export function serialMagnitudeHex(derHex: string): string {
  let hex = derHex.toLowerCase();
  while (hex.length > 2 && hex.startsWith('00')) hex = hex.slice(2);
  return hex;
}
