/**
 * Go's strings.ToLower / strings.ToUpper: per code point, Unicode *simple* case mapping.
 * JS's toLowerCase/toUpperCase apply full mappings (`ß` → `SS`, `İ` → `i̇`) and context (final
 * sigma), so non-ASCII text is mapped one code point at a time, keeping the code point when JS's
 * mapping is not a single code point — except for the few characters that have a simple mapping
 * different from their full one.
 */

const NON_ASCII = /[^\x00-\x7f]/;

/** Simple mappings that differ from JS's multi-character full mapping. */
const SIMPLE_LOWER = new Map<number, number>([[0x130, 0x69]]); // İ → i
const SIMPLE_UPPER = new Map<number, number>([
  [0x1fb3, 0x1fbc],
  [0x1fc3, 0x1fcc],
  [0x1ff3, 0x1ffc],
]);
for (const base of [0x1f80, 0x1f90, 0x1fa0]) {
  // Greek with ypogegrammeni: ᾀ → ᾈ, … (simple uppercase is the titlecase-like form).
  for (let k = 0; k < 8; k++) SIMPLE_UPPER.set(base + k, base + k + 8);
}

function mapSimple(s: string, full: (ch: string) => string, simple: ReadonlyMap<number, number>): string {
  let out = '';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    const special = simple.get(cp);
    if (special !== undefined) {
      out += String.fromCodePoint(special);
      continue;
    }
    const m = full(ch);
    const mcp = m.codePointAt(0);
    out += mcp !== undefined && m.length === (mcp > 0xffff ? 2 : 1) ? m : ch;
  }
  return out;
}

export function goToLower(s: string): string {
  return NON_ASCII.test(s) ? mapSimple(s, (c) => c.toLowerCase(), SIMPLE_LOWER) : s.toLowerCase();
}

export function goToUpper(s: string): string {
  return NON_ASCII.test(s) ? mapSimple(s, (c) => c.toUpperCase(), SIMPLE_UPPER) : s.toUpperCase();
}
