/**
 * Unicode simple case folding orbits, as Go's regexp uses them for `(?i)`: two code points match
 * case-insensitively when they fold to the same thing (e.g. `k`, `K` and the Kelvin sign U+212A).
 *
 * JavaScript has no API for simple case folding, but a `/…/iu` regex matches exactly by it, so the
 * table is built from toUpperCase/toLowerCase candidates and each orbit is confirmed by such a regex.
 * Built lazily (tens of milliseconds, once): only patterns that need case-insensitivity emulated in
 * part of the pattern (`foo(?i:bar)`) or negated classes under `(?i)` use it.
 */

/** Go's `minFold`/`maxFold`: no code point outside this range takes part in folding. */
export const MIN_FOLD = 0x41;
export const MAX_FOLD = 0x1e943;

/** Pairs whose simple folding toUpperCase/toLowerCase cannot reveal (Unicode 14 additions). */
const EXTRA_PAIRS: readonly (readonly [number, number])[] = [
  [0x390, 0x1fd3],
  [0x3b0, 0x1fe3],
  [0xfb05, 0xfb06],
];

interface FoldTable {
  /** Code point → its orbit (sorted, including itself), only for code points with an orbit > 1. */
  readonly orbit: Map<number, readonly number[]>;
  /** All code points with an orbit > 1, ascending. */
  readonly cased: readonly number[];
}

let table: FoldTable | undefined;

function singleCodePoint(s: string): number | undefined {
  const cp = s.codePointAt(0);
  if (cp === undefined) return undefined;
  return s.length === (cp > 0xffff ? 2 : 1) ? cp : undefined;
}

/** A bucket key under which all members of an orbit land (members are then confirmed by regex). */
function bucketKey(cp: number): number {
  const s = String.fromCodePoint(cp);
  const upper = singleCodePoint(s.toUpperCase()) !== undefined ? s.toUpperCase() : s;
  return singleCodePoint(upper.toLowerCase()) ?? singleCodePoint(s.toLowerCase()) ?? cp;
}

function build(): FoldTable {
  const buckets = new Map<number, number[]>();
  const put = (key: number, cp: number): void => {
    const b = buckets.get(key);
    if (b === undefined) buckets.set(key, [cp]);
    else if (!b.includes(cp)) b.push(cp);
  };
  for (let cp = MIN_FOLD; cp <= MAX_FOLD; cp++) {
    if (cp >= 0xd800 && cp <= 0xdfff) continue;
    const s = String.fromCodePoint(cp);
    if (s.toUpperCase() === s && s.toLowerCase() === s) continue;
    put(bucketKey(cp), cp);
  }
  for (const [a, b] of EXTRA_PAIRS) {
    put(bucketKey(a), a);
    put(bucketKey(a), b);
  }

  const orbit = new Map<number, readonly number[]>();
  for (const members of buckets.values()) {
    let rest = members;
    while (rest.length > 1) {
      const re = new RegExp(`^\\u{${rest[0]!.toString(16)}}$`, 'iu');
      const same = rest.filter((m) => re.test(String.fromCodePoint(m)));
      rest = rest.filter((m) => !same.includes(m));
      if (same.length > 1) {
        same.sort((x, y) => x - y);
        for (const m of same) orbit.set(m, same);
      }
    }
  }
  return { orbit, cased: [...orbit.keys()].sort((x, y) => x - y) };
}

function getTable(): FoldTable {
  return (table ??= build());
}

/** The code points that match `cp` case-insensitively (at least `cp` itself). */
export function orbitOf(cp: number): readonly number[] {
  if (cp < MIN_FOLD || cp > MAX_FOLD) return [cp];
  return getTable().orbit.get(cp) ?? [cp];
}

/** Cheap over-approximation of "folding this range could add something" (no table needed). */
export function rangeMayFold(lo: number, hi: number): boolean {
  return (lo <= 0x5a && hi >= 0x41) || (lo <= 0x7a && hi >= 0x61) || (lo <= MAX_FOLD && hi >= 0xb5);
}

/**
 * The case-folding closure of a class given as flat `[lo, hi, lo, hi, …]` ranges (Go's
 * appendFoldedRange): the ranges plus the orbit of every cased code point inside them. Not cleaned.
 */
export function foldRanges(ranges: readonly number[]): number[] {
  const out = ranges.slice();
  const { cased, orbit } = getTable();
  for (let i = 0; i < ranges.length; i += 2) {
    const lo = ranges[i]!;
    const hi = ranges[i + 1]!;
    if (hi < MIN_FOLD || lo > MAX_FOLD) continue;
    // First cased code point >= lo.
    let a = 0;
    let b = cased.length;
    while (a < b) {
      const mid = (a + b) >>> 1;
      if (cased[mid]! < lo) a = mid + 1;
      else b = mid;
    }
    for (let k = a; k < cased.length && cased[k]! <= hi; k++) {
      for (const m of orbit.get(cased[k]!)!) out.push(m, m);
    }
  }
  return out;
}

/** The cased code points for which `test` holds, with their orbits (to fold a `\p{…}` property). */
export function foldExtras(test: (cp: number) => boolean): number[] {
  const out: number[] = [];
  const { cased, orbit } = getTable();
  for (const cp of cased) {
    if (test(cp)) for (const m of orbit.get(cp)!) out.push(m, m);
  }
  return out;
}
