/**
 * Number syntax exactly as Go's strconv parses it (what Prometheus and promtool accept), checked on
 * bytes so the hot path needs no string. Decimal floats are checked inline; the rare forms (Inf, NaN,
 * hex floats) fall back to a regex on the token.
 */

const SPECIAL = /^[+-]?(?:inf|infinity|nan)$/i;
const HEX_FLOAT = /^[+-]?0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)[pP][+-]?\d+$/;

/** `[+-] (digits [. digits] | . digits) [(e|E) [+-] digits]`, or Inf/NaN/hex float. */
export function isFloatBytes(b: Uint8Array, start: number, end: number): boolean {
  let p = start;
  let c = b[p];
  if (c === 43 || c === 45) c = b[++p];
  let digits = 0;
  while (p < end && (c = b[p]!) >= 48 && c <= 57) {
    p++;
    digits++;
  }
  if (p < end && b[p] === 46) {
    p++;
    while (p < end && (c = b[p]!) >= 48 && c <= 57) {
      p++;
      digits++;
    }
  }
  if (digits > 0 && p < end && ((c = b[p]!) === 101 || c === 69)) {
    p++;
    c = b[p]!;
    if (c === 43 || c === 45) p++;
    let exp = 0;
    while (p < end && (c = b[p]!) >= 48 && c <= 57) {
      p++;
      exp++;
    }
    if (exp === 0) return false;
  }
  if (digits > 0 && p === end) return true;
  return isSpecialFloat(Buffer.from(b.buffer, b.byteOffset + start, end - start).toString('latin1'));
}

export function isSpecialFloat(tok: string): boolean {
  return SPECIAL.test(tok) || HEX_FLOAT.test(tok);
}

/** `[-]digits`: text-format timestamps are int64 milliseconds. */
export function isIntBytes(b: Uint8Array, start: number, end: number): boolean {
  let p = start;
  if (b[p] === 45) p++;
  if (p === end) return false;
  for (; p < end; p++) {
    const c = b[p]!;
    if (c < 48 || c > 57) return false;
  }
  return true;
}
