/**
 * Go RE2 syntax (what Prometheus compiles relabel regexes with) translated to a JavaScript RegExp.
 *
 * The translator walks the pattern with Go's own grammar (regexp/syntax, Perl flags), so Go's parse
 * errors are reported with Go's wording, and re-emits every construct in a form whose JS meaning is
 * the RE2 meaning:
 * - `.` → `[^\n]` (JS `.` also refuses `\r`, U+2028, U+2029; Go's only refuses `\n`); under `(?s)` → `.` with the `s` flag.
 * - `^`/`$` keep JS's no-`m` meaning (start/end of input); under `(?m)` they become lookarounds on `\n`,
 *   because the JS `m` flag would also let the outer anchors of `^(?:…)$` match at inner line breaks.
 * - `\A` → `^`, `\z` → `$`, `\Q…\E` → escaped literals, `\a`, octal and `\x{…}` escapes → code points.
 * - `\s` `\w` `\d` and POSIX `[[:alpha:]]`-style classes → explicit ASCII ranges (JS `\s` is Unicode).
 * - Go's class quirks: `]` first in a class is literal, `-` may appear anywhere, classes are rebuilt
 *   as sorted code-point ranges.
 * - `(?P<name>…)`/`(?<name>…)` → `(?<name>…)` (plain `(…)` when JS cannot take the name: leading digit,
 *   duplicate); group indexes by name are returned for template expansion.
 * - Flags: `(?i)` governing the whole pattern → the JS `i` flag (with `u`, so folding is Unicode
 *   simple case folding like Go's: `k` matches the Kelvin sign); `(?i)` on part of the pattern
 *   (`a(?i:b)`, `(?-i)`) is emulated by expanding letters into their case orbits; `(?U)` swaps greedy
 *   and lazy quantifiers.
 * - Go's rejections (lookarounds, backreferences, `\C`, `\Z`, `a**`, repeat counts > 1000) stay errors.
 *
 * The `u` flag is used only when needed: `\p{…}` classes, code points above U+FFFF in the pattern, or
 * `(?i)` (for Unicode folding). Without it a regex runs on UTF-16 code units, which keeps ordinary
 * patterns on V8's fastest path; the one observable difference is that `.` or a negated class can
 * match half of a surrogate pair, e.g. `^.$` does not match an emoji while Go's `^.$` does. Label
 * values outside the BMP are rare in control-plane metrics, so this is accepted.
 *
 * Not reproduced: Go's limits on total program size and nesting depth (V8 has its own),
 * per-iteration capture reset (`(?:(a)|b)+` on "ab": JS reports group 1 unset, Go reports "a"),
 * and under a whole-pattern `(?i)` JS's `\b` also counts `ſ` and the Kelvin sign as word characters.
 */
import { MAX_FOLD, MIN_FOLD, foldExtras, foldRanges, orbitOf, rangeMayFold } from './casefold.js';

/** A pattern Go's regexp would refuse; the message is Go's (`error parsing regexp: …: \`…\``). */
export class Re2SyntaxError extends Error {
  constructor(code: string, expr: string) {
    super(`error parsing regexp: ${code}: \`${expr}\``);
    this.name = 'Re2SyntaxError';
  }
}

export interface Re2Translation {
  /** JS regex source. */
  readonly source: string;
  /** JS regex flags (a subset of `isu`). */
  readonly flags: string;
  /** Capture-group indexes by Go group name, in pattern order (Go allows duplicates). */
  readonly groupNames: ReadonlyMap<string, readonly number[]>;
}

interface Flags {
  readonly i: boolean;
  readonly m: boolean;
  readonly s: boolean;
  readonly U: boolean;
}

/** How to emit: decided from a first scanning pass over the pattern. */
interface Mode {
  readonly unicode: boolean;
  /** The JS `i` flag is on: every case-sensitive construct is under `(?i)`. */
  readonly globalI: boolean;
  /** Expand `(?i)` parts explicitly (some of the pattern is case-sensitive). False while scanning. */
  readonly emulateI: boolean;
}

interface Stats {
  /** Case-relevant constructs under `(?i)` / outside it. */
  caseI: number;
  caseNonI: number;
  /** Some `.` runs under `(?s)`: turn on the JS `s` flag for them. */
  dotS: boolean;
  needU: boolean;
}

interface Atom {
  /** Index in the output chunks where the atom starts (so a quantifier can wrap it). */
  start: number;
  /** Zero-width assertion: JS cannot quantify it without a group. */
  assert: boolean;
  repeated: boolean;
  /** Largest product of counted repeats nested inside (Go's repeatIsValid limit of 1000). */
  rp: number;
}

interface Frame {
  /** Flags to restore at the closing paren. */
  readonly saved: Flags;
  /** Output index of the opening paren. */
  readonly open: number;
  atoms: Atom[];
  last: Atom | null;
}

const MAX_RUNE = 0x10ffff;
const MAX_REPEAT = 1000;

// ASCII classes as flat [lo, hi, …] ranges (Go's perl_groups.go).
const DIGIT = [0x30, 0x39];
const SPACE_PERL = [0x09, 0x0a, 0x0c, 0x0d, 0x20, 0x20];
const WORD = [0x30, 0x39, 0x41, 0x5a, 0x5f, 0x5f, 0x61, 0x7a];

const PERL_CLASSES: Readonly<Record<string, readonly number[]>> = { d: DIGIT, s: SPACE_PERL, w: WORD };

const POSIX_CLASSES: Readonly<Record<string, readonly number[]>> = {
  alnum: [0x30, 0x39, 0x41, 0x5a, 0x61, 0x7a],
  alpha: [0x41, 0x5a, 0x61, 0x7a],
  ascii: [0x00, 0x7f],
  blank: [0x09, 0x09, 0x20, 0x20],
  cntrl: [0x00, 0x1f, 0x7f, 0x7f],
  digit: DIGIT,
  graph: [0x21, 0x7e],
  lower: [0x61, 0x7a],
  print: [0x20, 0x7e],
  punct: [0x21, 0x2f, 0x3a, 0x40, 0x5b, 0x60, 0x7b, 0x7e],
  space: [0x09, 0x0d, 0x20, 0x20],
  upper: [0x41, 0x5a],
  word: WORD,
  xdigit: [0x30, 0x39, 0x41, 0x46, 0x61, 0x66],
};

/** Go's unicode.Categories keys. */
const CATEGORIES = new Set(
  'C Cc Cf Co Cs L Ll Lm Lo Lt Lu M Mc Me Mn N Nd Nl No P Pc Pd Pe Pf Pi Po Ps S Sc Sk Sm So Z Zl Zp Zs'.split(' '),
);

/**
 * The JS property (`L`, `Script=Greek`, …) for a Go `\p{name}`: a general category, `Any`, or a
 * script name. Go's `C` omits unassigned code points while JS's includes them; such code points
 * do not occur in real label values.
 */
function unicodeProperty(name: string): string | undefined {
  if (name === 'Any' || CATEGORIES.has(name)) return name;
  if (!/^[A-Z][A-Za-z_]*$/.test(name)) return undefined;
  try {
    new RegExp(`\\p{Script=${name}}`, 'u');
    return `Script=${name}`;
  } catch {
    return undefined;
  }
}

function isAlnum(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

function unhex(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

function hasCase(cp: number): boolean {
  if (cp < MIN_FOLD || cp > MAX_FOLD) return false;
  const s = String.fromCodePoint(cp);
  return s.toLowerCase() !== s || s.toUpperCase() !== s;
}

/** Sorted, merged copy of flat ranges (Go's cleanClass). */
function cleanRanges(r: readonly number[]): number[] {
  const pairs: [number, number][] = [];
  for (let i = 0; i < r.length; i += 2) pairs.push([r[i]!, r[i + 1]!]);
  pairs.sort((a, b) => a[0] - b[0] || b[1] - a[1]);
  const out: number[] = [];
  for (const [lo, hi] of pairs) {
    const n = out.length;
    if (n > 0 && lo <= out[n - 1]! + 1) {
      if (hi > out[n - 1]!) out[n - 1] = hi;
    } else {
      out.push(lo, hi);
    }
  }
  return out;
}

/** Complement of clean ranges within [0, U+10FFFF]. */
function negateRanges(r: readonly number[]): number[] {
  const out: number[] = [];
  let next = 0;
  for (let i = 0; i < r.length; i += 2) {
    if (next <= r[i]! - 1) out.push(next, r[i]! - 1);
    next = r[i + 1]! + 1;
  }
  if (next <= MAX_RUNE) out.push(next, MAX_RUNE);
  return out;
}

const SYNTAX_CHARS = '^$\\.*+?()[]{}|/';
const CLASS_SPECIAL = '\\]^-[';

function hex(cp: number, width: number): string {
  return cp.toString(16).padStart(width, '0');
}

/** One code point as JS regex source, outside or inside a class; valid with or without `u`. */
function escapeCodePoint(cp: number, inClass: boolean): string {
  const ch = String.fromCodePoint(cp);
  if (cp < 0x80 && (inClass ? CLASS_SPECIAL : SYNTAX_CHARS).includes(ch)) return '\\' + ch;
  if (cp >= 0x20 && cp <= 0x7e) return ch;
  if (cp <= 0xff) return '\\x' + hex(cp, 2);
  if (cp <= 0xffff) return '\\u' + hex(cp, 4);
  return `\\u{${cp.toString(16)}}`;
}

/** A character set in the making: Go's class semantics, emitted as one JS single-character matcher. */
class CharSet {
  private ranges: number[] = [];
  /** JS properties (`L`, `Script=Greek`), `\p{…}` or `\P{…}` items of the class. */
  private props: string[] = [];
  /**
   * Whole single-character matchers OR-ed with the class: a negated property under case folding,
   * which a JS class item cannot express (JS folds before complementing, Go after).
   */
  private pieces: string[] = [];

  constructor(
    private readonly t: Translator,
    private readonly f: Flags,
  ) {}

  addRange(lo: number, hi: number): void {
    this.t.noteCase(this.f.i || rangeMayFold(lo, hi), this.f.i);
    if (hi > 0xffff) this.t.stats.needU = true;
    if (this.f.i && this.t.mode.emulateI) this.ranges.push(...foldRanges([lo, hi]));
    else this.ranges.push(lo, hi);
  }

  /** A Perl or POSIX ASCII class, possibly negated: Go folds the positive set, then complements. */
  addGroup(set: readonly number[], negated: boolean): void {
    const full = negated ? negateRanges(set) : set;
    let mayFold = false;
    for (let i = 0; i < full.length; i += 2) mayFold ||= rangeMayFold(full[i]!, full[i + 1]!);
    this.t.noteCase(this.f.i || mayFold, this.f.i);
    let r: readonly number[] = set;
    const mode = this.t.mode;
    if (this.f.i && (mode.emulateI || (mode.globalI && negated))) r = cleanRanges(foldRanges(set));
    this.ranges.push(...(negated ? negateRanges(r) : r));
  }

  /** A Unicode property `\p{…}` (or `\P{…}` when negated). */
  addProperty(prop: string, negated: boolean): void {
    this.t.stats.needU = true;
    this.t.noteCase(true, this.f.i);
    const mode = this.t.mode;
    if (!this.f.i || (!mode.globalI && !mode.emulateI)) {
      this.props.push(`\\${negated ? 'P' : 'p'}{${prop}}`);
    } else if (mode.globalI) {
      // JS's `i` folds a positive property exactly as Go does.
      if (negated) this.pieces.push(`[^\\p{${prop}}]`);
      else this.props.push(`\\p{${prop}}`);
    } else {
      const re = new RegExp(`^\\p{${prop}}$`, 'u');
      const extras = cleanRanges(foldExtras((cp) => re.test(String.fromCodePoint(cp))));
      if (negated) this.pieces.push(`[^\\p{${prop}}${this.t.emitRanges(extras)}]`);
      else {
        this.props.push(`\\p{${prop}}`);
        this.ranges.push(...extras);
      }
    }
  }

  emit(negated: boolean): string {
    const body = this.t.emitRanges(cleanRanges(this.ranges)) + this.props.join('');
    if (this.pieces.length === 0) return negated ? `[^${body}]` : `[${body}]`;
    if (!negated) {
      const alts = body === '' ? this.pieces : [`[${body}]`, ...this.pieces];
      return alts.length === 1 ? alts[0]! : `(?:${alts.join('|')})`;
    }
    const excluded = body === '' ? this.pieces : [`[${body}]`, ...this.pieces];
    return `(?:${excluded.map((p) => `(?!${p})`).join('')}[^])`;
  }
}

class Translator {
  readonly stats: Stats = { caseI: 0, caseNonI: 0, dotS: false, needU: false };
  readonly groupNames = new Map<string, number[]>();
  private readonly out: string[] = [];
  private readonly frames: Frame[];
  private readonly jsNames = new Set<string>();
  private flags: Flags = { i: false, m: false, s: false, U: false };
  private pos = 0;
  private ncap = 0;
  /** Start of the previous token when it was a repetition operator, else -1 (Go's lastRepeat). */
  private prevRepeat = -1;

  constructor(
    private readonly src: string,
    readonly mode: Mode,
  ) {
    this.frames = [{ saved: this.flags, open: -1, atoms: [], last: null }];
  }

  private fail(code: string, expr: string): never {
    throw new Re2SyntaxError(code, expr);
  }

  noteCase(relevant: boolean, underI: boolean): void {
    if (underI) this.stats.caseI++;
    else if (relevant) this.stats.caseNonI++;
  }

  /** Clean ranges as JS class items; without `u`, clipped to the BMP (code units). */
  emitRanges(r: readonly number[]): string {
    let s = '';
    for (let i = 0; i < r.length; i += 2) {
      const lo = r[i]!;
      let hi = r[i + 1]!;
      if (!this.mode.unicode) {
        if (lo > 0xffff) break;
        if (hi > 0xffff) hi = 0xffff;
      }
      s += escapeCodePoint(lo, true);
      if (hi === lo + 1) s += escapeCodePoint(hi, true);
      else if (hi > lo) s += '-' + escapeCodePoint(hi, true);
    }
    return s;
  }

  private get frame(): Frame {
    return this.frames[this.frames.length - 1]!;
  }

  private atom(text: string, assert = false, rp = 1): void {
    const a: Atom = { start: this.out.length, assert, repeated: false, rp };
    this.out.push(text);
    this.frame.atoms.push(a);
    this.frame.last = a;
  }

  /** Reads one code point at pos (Go works on runes; a lone surrogate is Go's invalid UTF-8). */
  private nextCodePoint(): number {
    const cp = this.src.codePointAt(this.pos)!;
    if (cp >= 0xd800 && cp <= 0xdfff) this.fail('invalid UTF-8', this.src.slice(this.pos));
    this.pos += cp > 0xffff ? 2 : 1;
    return cp;
  }

  private literal(cp: number): void {
    if (cp > 0xffff) this.stats.needU = true;
    const f = this.flags;
    const cased = hasCase(cp);
    this.noteCase(cased, f.i && cased);
    if (f.i && cased && this.mode.emulateI) {
      const orbit = orbitOf(cp);
      if (orbit.length > 1) {
        this.atom(`[${orbit.map((c) => escapeCodePoint(c, true)).join('')}]`);
        return;
      }
    }
    this.atom(escapeCodePoint(cp, false));
  }

  translate(): string {
    const src = this.src;
    while (this.pos < src.length) {
      const start = this.pos;
      const lastRepeat = this.prevRepeat;
      this.prevRepeat = -1;
      const c = src.charCodeAt(start);
      switch (c) {
        case 0x28 /* ( */:
          if (src.charCodeAt(start + 1) === 0x3f /* ? */) this.perlGroup();
          else {
            this.pos++;
            this.openGroup('(', this.flags);
            this.ncap++;
          }
          break;
        case 0x7c /* | */:
          this.pos++;
          this.out.push('|');
          this.frame.last = null;
          break;
        case 0x29 /* ) */:
          this.pos++;
          this.closeGroup();
          break;
        case 0x5e /* ^ */:
          this.pos++;
          this.atom(this.flags.m ? '(?<![^\\n])' : '^', true);
          break;
        case 0x24 /* $ */:
          this.pos++;
          this.atom(this.flags.m ? '(?![^\\n])' : '$', true);
          break;
        case 0x2e /* . */:
          this.pos++;
          if (this.flags.s) this.stats.dotS = true;
          this.atom(this.flags.s ? '.' : '[^\\n]');
          break;
        case 0x5b /* [ */:
          this.bracketClass();
          break;
        case 0x2a /* * */:
        case 0x2b /* + */:
        case 0x3f /* ? */:
          this.pos++;
          this.repeat(start, lastRepeat, src[start]!, 0, 0, false);
          break;
        case 0x7b /* { */: {
          const r = this.parseRepeat();
          if (r === undefined) {
            this.pos++;
            this.literal(0x7b);
            break;
          }
          const [min, max, end] = r;
          this.pos = end;
          if (min < 0 || min > MAX_REPEAT || max > MAX_REPEAT || (max >= 0 && min > max)) {
            this.fail('invalid repeat count', src.slice(start, end));
          }
          this.repeat(start, lastRepeat, src.slice(start, end), min, max, true);
          break;
        }
        case 0x5c /* \ */:
          this.escape();
          break;
        default:
          this.literal(this.nextCodePoint());
      }
    }
    if (this.frames.length > 1) this.fail('missing closing )', src);
    return this.out.join('');
  }

  private openGroup(text: string, saved: Flags): void {
    this.frames.push({ saved, open: this.out.length, atoms: [], last: null });
    this.out.push(text);
  }

  private closeGroup(): void {
    if (this.frames.length === 1) this.fail('unexpected )', this.src);
    const f = this.frames.pop()!;
    this.out.push(')');
    this.flags = f.saved;
    let rp = 1;
    for (const a of f.atoms) rp = Math.max(rp, a.rp);
    const a: Atom = { start: f.open, assert: false, repeated: false, rp };
    this.frame.atoms.push(a);
    this.frame.last = a;
  }

  /** `(?…`: named capture, non-capturing group, or flag change (Go's parsePerlFlags). */
  private perlGroup(): void {
    const src = this.src;
    const start = this.pos;
    const withP = src.length - start > 4 && src[start + 2] === 'P' && src[start + 3] === '<';
    const withName = src.length - start > 3 && src[start + 2] === '<';
    if (withP || withName) {
      const end = src.indexOf('>', start);
      if (end < 0) this.fail('invalid named capture', src.slice(start));
      const name = src.slice(start + (withP ? 4 : 3), end);
      if (!/^[A-Za-z0-9_]+$/.test(name)) this.fail('invalid named capture', src.slice(start, end + 1));
      this.pos = end + 1;
      const index = ++this.ncap;
      const list = this.groupNames.get(name);
      if (list) list.push(index);
      else this.groupNames.set(name, [index]);
      // JS group names must be unique identifiers; otherwise the group stays unnamed in JS.
      const jsOk = /^[A-Za-z_]/.test(name) && !this.jsNames.has(name);
      if (jsOk) this.jsNames.add(name);
      this.openGroup(jsOk ? `(?<${name}>` : '(', this.flags);
      return;
    }

    let { i, m, s, U } = this.flags;
    let negate = false;
    let sawFlag = false;
    let p = start + 2;
    while (p < src.length) {
      const c = src[p++]!;
      if (c === 'i' || c === 'm' || c === 's' || c === 'U') {
        const v = !negate;
        if (c === 'i') i = v;
        else if (c === 'm') m = v;
        else if (c === 's') s = v;
        else U = v;
        sawFlag = true;
      } else if (c === '-') {
        if (negate) break;
        negate = true;
        sawFlag = false;
      } else if (c === ':' || c === ')') {
        if (negate && !sawFlag) break;
        this.pos = p;
        const flags: Flags = { i, m, s, U };
        if (c === ':') this.openGroup('(?:', this.flags);
        this.flags = flags;
        return;
      } else {
        break;
      }
    }
    this.fail('invalid or unsupported Perl syntax', src.slice(start, p));
  }

  /** `{n}`, `{n,}`, `{n,m}` at pos → [min, max (-1: none), end], or undefined when `{` is literal. */
  private parseRepeat(): [number, number, number] | undefined {
    const src = this.src;
    let p = this.pos + 1;
    const int = (): number | undefined => {
      const s = p;
      if (!(src.charCodeAt(p) >= 48 && src.charCodeAt(p) <= 57)) return undefined;
      if (src[p] === '0' && src.charCodeAt(p + 1) >= 48 && src.charCodeAt(p + 1) <= 57) return undefined; // leading zero
      while (src.charCodeAt(p) >= 48 && src.charCodeAt(p) <= 57) p++;
      const n = Number(src.slice(s, p));
      return p - s > 8 ? -1 : n; // Go caps at 1e8 (then reports an invalid count)
    };
    let min = int();
    if (min === undefined || p >= src.length) return undefined;
    let max: number;
    if (src[p] !== ',') max = min;
    else {
      p++;
      if (p >= src.length) return undefined;
      if (src[p] === '}') max = -1;
      else {
        const m = int();
        if (m === undefined) return undefined;
        max = m;
        if (max < 0) min = -1;
      }
    }
    if (src[p] !== '}') return undefined;
    return [min, max, p + 1];
  }

  /** A repetition operator just read (pos is after it); Go's parser.repeat. */
  private repeat(start: number, lastRepeat: number, op: string, min: number, max: number, counted: boolean): void {
    let lazy = false;
    if (this.src[this.pos] === '?') {
      lazy = true;
      this.pos++;
    }
    if (lastRepeat >= 0) this.fail('invalid nested repetition operator', this.src.slice(lastRepeat, this.pos));
    const atom = this.frame.last;
    if (atom === null) this.fail('missing argument to repetition operator', this.src.slice(start, this.pos));
    let rp = atom.rp;
    if (counted) {
      const m = max === -1 ? min : max;
      if (m > 0) {
        if ((min >= 2 || max >= 2) && m * atom.rp > MAX_REPEAT) this.fail('invalid repeat count', this.src.slice(start, this.pos));
        rp = m * atom.rp;
      } else {
        rp = 1; // x{0}: Go stops counting below it
      }
    }
    if (atom.assert || atom.repeated) {
      // `^*` and Go's `a*(?i)*` are legal in Go; JS needs a group to quantify them.
      this.out.splice(atom.start, 0, '(?:');
      this.out.push(')');
    }
    this.out.push(op + (lazy === this.flags.U ? '' : '?'));
    atom.assert = false;
    atom.repeated = true;
    atom.rp = rp;
    this.prevRepeat = start;
  }

  /** `\…` outside a class (Go's main loop, then parseEscape). */
  private escape(): void {
    const src = this.src;
    const start = this.pos;
    const c = src[start + 1];
    switch (c) {
      case 'A':
        this.pos += 2;
        this.atom('^', true);
        return;
      case 'z':
        this.pos += 2;
        this.atom('$', true);
        return;
      case 'b':
      case 'B':
        this.pos += 2;
        this.atom('\\' + c, true);
        return;
      case 'C':
        return this.fail('invalid escape sequence', '\\C');
      case 'Q': {
        const end = src.indexOf('\\E', start + 2);
        const lit = end < 0 ? src.slice(start + 2) : src.slice(start + 2, end);
        this.pos = end < 0 ? src.length : end + 2;
        for (const ch of lit) {
          const cp = ch.codePointAt(0)!;
          if (cp >= 0xd800 && cp <= 0xdfff) this.fail('invalid UTF-8', lit);
          this.literal(cp);
        }
        return;
      }
      case 'p':
      case 'P': {
        const set = new CharSet(this, this.flags);
        this.unicodeClass(set);
        this.atom(set.emit(false));
        return;
      }
      case 'd':
      case 'D':
      case 's':
      case 'S':
      case 'w':
      case 'W': {
        this.pos += 2;
        const set = new CharSet(this, this.flags);
        set.addGroup(PERL_CLASSES[c.toLowerCase()]!, c !== c.toLowerCase());
        this.atom(set.emit(false));
        return;
      }
    }
    this.literal(this.parseEscape());
  }

  /** Go's parseEscape: one escaped code point at pos. */
  private parseEscape(): number {
    const src = this.src;
    const start = this.pos;
    this.pos++;
    if (this.pos >= src.length) this.fail('trailing backslash at end of expression', '');
    const c = this.nextCodePoint();
    const bad = (): never => this.fail('invalid escape sequence', src.slice(start, this.pos));
    const isOctal = (k: number): boolean => src.charCodeAt(k) >= 48 && src.charCodeAt(k) <= 55;
    if (c < 0x80 && !isAlnum(c)) return c; // escaped punctuation is itself
    if (c >= 0x31 && c <= 0x37 && !isOctal(this.pos)) return bad(); // \1 alone: a backreference
    if (c >= 0x30 && c <= 0x37) {
      let r = c - 48;
      for (let k = 1; k < 3 && isOctal(this.pos); k++) r = r * 8 + src.charCodeAt(this.pos++) - 48;
      return r;
    }
    switch (c) {
      case 0x78 /* x */: {
        if (this.pos >= src.length) return bad();
        const c1 = this.nextCodePoint();
        if (c1 === 0x7b /* { */) {
          let r = 0;
          let digits = 0;
          for (;;) {
            if (this.pos >= src.length) return bad();
            const d = this.nextCodePoint();
            if (d === 0x7d /* } */) break;
            const v = unhex(d);
            if (v < 0) return bad();
            r = r * 16 + v;
            if (r > MAX_RUNE) return bad();
            digits++;
          }
          return digits === 0 ? bad() : r;
        }
        const x = unhex(c1);
        const y = this.pos < src.length ? unhex(this.nextCodePoint()) : -1;
        return x < 0 || y < 0 ? bad() : x * 16 + y;
      }
      case 0x61 /* a */:
        return 0x07;
      case 0x66 /* f */:
        return 0x0c;
      case 0x6e /* n */:
        return 0x0a;
      case 0x72 /* r */:
        return 0x0d;
      case 0x74 /* t */:
        return 0x09;
      case 0x76 /* v */:
        return 0x0b;
    }
    return bad();
  }

  /** `\pL`, `\p{Greek}`, `\P{^Lu}` at pos, added to `set` (Go's parseUnicodeClass). */
  private unicodeClass(set: CharSet): void {
    const src = this.src;
    const start = this.pos;
    let negated = src[start + 1] === 'P';
    let name: string;
    if (start + 2 >= src.length) this.fail('invalid character class range', src.slice(start));
    if (src[start + 2] !== '{') {
      this.pos = start + 2;
      name = String.fromCodePoint(this.nextCodePoint());
    } else {
      const end = src.indexOf('}', start);
      if (end < 0) this.fail('invalid character class range', src.slice(start));
      name = src.slice(start + 3, end);
      this.pos = end + 1;
    }
    if (name.startsWith('^')) {
      negated = !negated;
      name = name.slice(1);
    }
    const prop = unicodeProperty(name);
    if (prop === undefined) this.fail('invalid character class range', src.slice(start, this.pos));
    set.addProperty(prop, negated);
  }

  /** `[…]` at pos (Go's parseClass). */
  private bracketClass(): void {
    const src = this.src;
    const start = this.pos;
    this.pos++;
    let negated = false;
    if (src[this.pos] === '^') {
      negated = true;
      this.pos++;
    }
    const set = new CharSet(this, this.flags);
    let first = true;
    while (this.pos >= src.length || src[this.pos] !== ']' || first) {
      first = false;
      const p = this.pos;
      // POSIX [:alnum:] etc.
      if (src.length - p > 2 && src[p] === '[' && src[p + 1] === ':') {
        const end = src.indexOf(':]', p + 2);
        if (end >= 0) {
          const name = src.slice(p, end + 2);
          const neg = name[2] === '^';
          const group = POSIX_CLASSES[name.slice(neg ? 3 : 2, -2)];
          if (group === undefined) this.fail('invalid character class range', name);
          set.addGroup(group, neg);
          this.pos = end + 2;
          continue;
        }
      }
      if (src[p] === '\\' && (src[p + 1] === 'p' || src[p + 1] === 'P')) {
        this.unicodeClass(set);
        continue;
      }
      if (src[p] === '\\' && p + 1 < src.length && 'dDsSwW'.includes(src[p + 1]!)) {
        const c = src[p + 1]!;
        set.addGroup(PERL_CLASSES[c.toLowerCase()]!, c !== c.toLowerCase());
        this.pos += 2;
        continue;
      }
      const lo = this.classChar(start);
      let hi = lo;
      if (src.length - this.pos >= 2 && src[this.pos] === '-' && src[this.pos + 1] !== ']') {
        this.pos++;
        hi = this.classChar(start);
        if (hi < lo) this.fail('invalid character class range', src.slice(p, this.pos));
      }
      set.addRange(lo, hi);
    }
    this.pos++; // ]
    this.atom(set.emit(negated));
  }

  private classChar(classStart: number): number {
    if (this.pos >= this.src.length) this.fail('missing closing ]', this.src.slice(classStart));
    return this.src[this.pos] === '\\' ? this.parseEscape() : this.nextCodePoint();
  }
}

/**
 * Translates a complete Go regex (the caller adds Prometheus's `^(?:…)$` anchoring) to JS.
 * Throws Re2SyntaxError where Go's regexp.Compile would fail.
 */
export function translateRe2(pattern: string): Re2Translation {
  // First pass: Go validation and what the pattern needs (output kept when no `(?i)` is involved).
  const scan = new Translator(pattern, { unicode: false, globalI: false, emulateI: false });
  let source = scan.translate();
  const st = scan.stats;
  const globalI = st.caseI > 0 && st.caseNonI === 0;
  const mode: Mode = { unicode: st.needU || globalI, globalI, emulateI: st.caseI > 0 && !globalI };
  if (mode.unicode || mode.emulateI || globalI) source = new Translator(pattern, mode).translate();
  const flags = (globalI ? 'i' : '') + (st.dotS ? 's' : '') + (mode.unicode ? 'u' : '');
  return { source, flags, groupNames: scan.groupNames };
}

export interface CompiledRegex {
  readonly regex: RegExp;
  readonly groupNames: ReadonlyMap<string, readonly number[]>;
}

/**
 * Prometheus's relabel.NewRegexp: `^(?:` + re + `)$` compiled as Go would, as a JS RegExp.
 * Throws Re2SyntaxError (Go would refuse it) or SyntaxError (JS cannot compile the translation).
 */
export function compileAnchoredRe2(re: string): CompiledRegex {
  const t = translateRe2(`^(?:${re})$`);
  return { regex: new RegExp(t.source, t.flags), groupNames: t.groupNames };
}
