/**
 * Streaming parser for Prometheus text 0.0.4 and OpenMetrics 1.0 that transforms while it parses:
 * every sample gets the target labels injected (colliding scraped labels become `exported_*`),
 * relabel rules applied, and is appended, rendered, to its family. Input arrives as decoded string
 * chunks straight from the socket, so a body is never held whole.
 *
 * The common case (no colliding label, canonical spacing, rules that only look at the name) emits
 * each sample as two slices of the input around the injected label text; everything else takes a
 * slower path through a label map with exact Prometheus semantics.
 */
import { classifyRules, filterKeeps, relabel } from '../relabel/index.js';
import type { RelabelRule } from '../relabel/types.js';
import { NAME_CHARS, escapeLabelValue, isValidMetricName, unescapeLabelValue } from './labels.js';
import type { TargetLabels } from './target.js';
import { ExpositionParseError, type ExpositionFormat, type MetricType, type PodExposition, type PodFamily } from './types.js';

/** Relabel rules with their precomputed shape; build once per component, share across scrapes. */
export interface PreparedRules {
  readonly rules: readonly RelabelRule[];
  readonly classification: ReturnType<typeof classifyRules>;
}

export function prepareRules(rules: readonly RelabelRule[]): PreparedRules {
  return { rules, classification: classifyRules(rules) };
}

export interface SampleTransform {
  readonly target: TargetLabels;
  readonly rules: PreparedRules;
}

/** What a sample is within its family; decides which labels it must carry. */
const enum Role {
  Value,
  Quantile,
  Bucket,
  Other,
}

interface FamilyState extends PodFamily {
  pending: string[];
}

const TEXT_TYPES: ReadonlySet<string> = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
const OM_TYPES: ReadonlySet<string> = new Set(['counter', 'gauge', 'histogram', 'gaugehistogram', 'stateset', 'info', 'summary', 'unknown']);

/** Suffixes a sample may carry beyond its family name, per family type and format. */
function suffixRole(type: MetricType, suffix: string, om: boolean): Role | undefined {
  switch (type) {
    case 'histogram':
      if (suffix === '_bucket') return Role.Bucket;
      if (suffix === '_sum' || suffix === '_count' || (om && suffix === '_created')) return Role.Other;
      return undefined;
    case 'summary':
      if (suffix === '_sum' || suffix === '_count' || (om && suffix === '_created')) return Role.Other;
      return undefined;
    case 'gaugehistogram':
      if (suffix === '_bucket') return Role.Bucket;
      return suffix === '_gsum' || suffix === '_gcount' ? Role.Other : undefined;
    case 'counter':
      return om && (suffix === '_total' || suffix === '_created') ? Role.Other : undefined;
    case 'info':
      return om && suffix === '_info' ? Role.Other : undefined;
    default:
      return undefined;
  }
}

const SUFFIXES = ['_bucket', '_count', '_sum', '_created', '_total', '_info', '_gsum', '_gcount'];

function isBlank(c: number): boolean {
  return c === 32 || c === 9;
}

/** Go's strconv.ParseFloat accepts these; JS Number() accepts a few forms Go does not (0x10, 0b1, 0o7). */
const SPECIAL_FLOAT = /^[+-]?(?:inf|infinity|nan)$/i;
const HEX_FLOAT = /^[+-]?0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)[pP][+-]?\d+$/;

function isFloatToken(tok: string): boolean {
  const c = tok.charCodeAt(tok.length > 1 ? 1 : 0);
  if (c === 120 || c === 88 || c === 98 || c === 66 || c === 111 || c === 79 || tok.includes('x') || tok.includes('X')) {
    return HEX_FLOAT.test(tok);
  }
  if (tok.includes('_')) return false;
  return !Number.isNaN(Number(tok)) || SPECIAL_FLOAT.test(tok);
}

const INT_TOKEN = /^-?\d+$/;

export class PodExpositionParser {
  private readonly om: boolean;
  private readonly families: FamilyState[] = [];
  private readonly byName = new Map<string, FamilyState>();
  private carry = '';
  private lineNo = 0;
  private sawEOF = false;
  private samples = 0;
  private dropped = 0;

  // Cache of the previous sample's name resolution: consecutive samples usually share a name.
  private lastName = '';
  private lastFam: FamilyState | undefined;
  private lastRole = Role.Value;
  private lastKeep = true;
  private currentFam: FamilyState | undefined;

  // Label positions of the current line: [nameStart, nameEnd, valueStart, valueEnd] per pair.
  private pairs = new Int32Array(64 * 4);
  private npairs = 0;
  private labelFlags = 0;
  private readonly targetByLen: (number[] | undefined)[] = [];
  private readonly inject: string;
  private readonly rules: PreparedRules;
  private readonly target: TargetLabels;
  private readonly getLabel: (name: string) => string;
  private lineStr = '';
  private lineName = '';

  constructor(
    readonly format: ExpositionFormat,
    transform: SampleTransform,
  ) {
    this.om = format === 'openmetrics';
    this.target = transform.target;
    this.rules = transform.rules;
    this.inject = transform.target.rendered;
    transform.target.names.forEach((n, i) => {
      (this.targetByLen[n.length] ??= []).push(i);
    });
    this.getLabel = (name) => this.labelOfCurrentLine(name);
  }

  /** Complete lines consumed so far (for locating errors found outside the parser). */
  get linesSeen(): number {
    return this.lineNo;
  }

  /** Feed the next decoded chunk; throws ExpositionParseError on the first bad line. */
  push(chunk: string): void {
    const s = this.carry === '' ? chunk : this.carry + chunk;
    let pos = 0;
    for (;;) {
      const nl = s.indexOf('\n', pos);
      if (nl < 0) break;
      this.line(s, pos, nl);
      pos = nl + 1;
    }
    this.carry = pos === 0 ? s : s.slice(pos);
  }

  /** Finish the body and hand over the families. */
  end(): PodExposition {
    if (this.carry !== '') {
      const s = this.carry;
      this.carry = '';
      this.line(s, 0, s.length);
    }
    if (this.om && !this.sawEOF) throw new ExpositionParseError(this.lineNo, 'OpenMetrics exposition does not end with "# EOF"');
    for (const f of this.families) flush(f);
    return {
      format: this.format,
      families: this.families.filter((f) => f.samples > 0),
      samples: this.samples,
      dropped: this.dropped,
      lines: this.lineNo,
    };
  }

  private fail(detail: string): never {
    throw new ExpositionParseError(this.lineNo, detail);
  }

  private line(s: string, start: number, end: number): void {
    this.lineNo++;
    if (end > start && s.charCodeAt(end - 1) === 13) end--;
    if (this.sawEOF) this.fail('content after "# EOF"');
    if (start === end) {
      if (this.om) this.fail('empty line in OpenMetrics exposition');
      return;
    }
    const c = s.charCodeAt(start);
    if (c === 35) this.comment(s, start, end);
    else this.sample(s, start, end);
  }

  // ---- comments: HELP, TYPE, UNIT, EOF ----

  private comment(s: string, start: number, end: number): void {
    let p = start + 1;
    if (this.om) {
      if (s.charCodeAt(p) !== 32) this.fail('expected a space after "#"');
      p++;
    } else {
      while (p < end && isBlank(s.charCodeAt(p))) p++;
    }
    let q = p;
    while (q < end && !isBlank(s.charCodeAt(q))) q++;
    const keyword = s.slice(p, q);
    if (keyword === 'EOF' && this.om) {
      if (q !== end) this.fail('unexpected text after "# EOF"');
      this.sawEOF = true;
      return;
    }
    if (keyword !== 'HELP' && keyword !== 'TYPE' && !(this.om && keyword === 'UNIT')) {
      if (this.om) this.fail(`unknown comment "# ${keyword}"; OpenMetrics allows HELP, TYPE, UNIT and EOF`);
      return; // free-form comment in text format
    }
    if (q === end) this.fail(`"# ${keyword}" needs a metric name`);
    p = q;
    while (p < end && isBlank(s.charCodeAt(p))) p++;
    q = p;
    while (q < end && !isBlank(s.charCodeAt(q))) q++;
    const name = s.slice(p, q);
    if (!isValidMetricName(name)) this.fail(`invalid metric name "${name}" in ${keyword} line`);
    // The text format allows any run of blanks; OpenMetrics exactly one.
    p = q;
    if (this.om) {
      if (p < end) p++;
    } else {
      while (p < end && isBlank(s.charCodeAt(p))) p++;
    }
    const rest = s.slice(p, end);
    const fam = this.declare(name);
    this.lastName = '';
    if (keyword === 'HELP') {
      this.checkHelpEscapes(rest);
      fam.help ??= rest;
    } else if (keyword === 'UNIT') {
      fam.unit ??= rest;
    } else {
      this.setType(fam, rest.trimEnd());
    }
  }

  private checkHelpEscapes(help: string): void {
    for (let i = help.indexOf('\\'); i >= 0; i = help.indexOf('\\', i + 2)) {
      const n = help.charCodeAt(i + 1);
      if (!(n === 92 || n === 110 || (this.om && n === 34))) this.fail(`invalid escape sequence "\\${help.charAt(i + 1)}" in HELP text`);
    }
  }

  private setType(fam: FamilyState, type: string): void {
    if (!(this.om ? OM_TYPES : TEXT_TYPES).has(type)) this.fail(`unknown metric type "${type}" for ${fam.name}`);
    const t = type as MetricType;
    if (fam.typed) {
      if (fam.type !== t) this.fail(`second TYPE line for ${fam.name} ("${fam.type}" then "${t}")`);
      return;
    }
    // A family inferred from earlier samples can only take a type whose samples carry the bare name.
    if (fam.samples > 0 && !(t === 'counter' || t === 'gauge' || t === 'untyped' || t === 'unknown') ) {
      this.fail(`TYPE ${t} for ${fam.name} comes after its samples`);
    }
    fam.type = t;
    fam.typed = true;
  }

  private declare(name: string): FamilyState {
    let fam = this.byName.get(name);
    if (!fam) {
      fam = { name, type: this.om ? 'unknown' : 'untyped', typed: false, help: undefined, unit: undefined, chunks: [], samples: 0, pending: [] };
      this.byName.set(name, fam);
      this.families.push(fam);
    }
    return fam;
  }

  /** The family a sample name belongs to, and its role in it. */
  private resolve(name: string): [FamilyState, Role] {
    const exact = this.byName.get(name);
    if (exact) {
      switch (exact.type) {
        case 'summary':
          return [exact, Role.Quantile];
        case 'histogram':
        case 'gaugehistogram':
          this.fail(`sample "${name}" needs a _bucket, _sum or _count suffix in ${exact.type} ${name}`);
        case 'info':
          if (this.om) this.fail(`info sample "${name}" needs the _info suffix`);
          return [exact, Role.Value];
        case 'counter':
          // OpenMetrics counters carry _total; some exporters put the suffix in the family name too.
          return [exact, Role.Value];
        default:
          return [exact, Role.Value];
      }
    }
    for (const suffix of SUFFIXES) {
      if (name.length > suffix.length && name.endsWith(suffix)) {
        const base = this.byName.get(name.slice(0, -suffix.length));
        if (base) {
          const role = suffixRole(base.type, suffix, this.om);
          if (role !== undefined) return [base, role];
        }
      }
    }
    return [this.declare(name), Role.Value];
  }

  // ---- samples ----

  private sample(s: string, start: number, end: number): void {
    let p = start;
    while (p < end && isBlank(s.charCodeAt(p))) p++;
    const nameStart = p;
    let c = s.charCodeAt(p);
    if (!(c < 128 && (NAME_CHARS[c]! & 5) !== 0)) this.fail(`invalid character ${JSON.stringify(s.charAt(p))} at start of metric name`);
    p++;
    while (p < end && (c = s.charCodeAt(p)) < 128 && NAME_CHARS[c]! !== 0) p++;
    const nameEnd = p;

    let name: string;
    let fam: FamilyState;
    let role: Role;
    let keep: boolean;
    if (nameEnd - nameStart === this.lastName.length && s.startsWith(this.lastName, nameStart)) {
      name = this.lastName;
      fam = this.lastFam!;
      role = this.lastRole;
      keep = this.lastKeep;
    } else {
      name = s.slice(nameStart, nameEnd);
      [fam, role] = this.resolve(name);
      const cls = this.rules.classification;
      keep = cls.kind === 'nameOnly' ? cls.keep(name) : true;
      this.lastName = name;
      this.lastFam = fam;
      this.lastRole = role;
      this.lastKeep = keep;
    }

    // Label set.
    let canonical = true;
    let open = -1;
    let close = -1;
    this.npairs = 0;
    this.labelFlags = 0;
    if (p < end && isBlank(s.charCodeAt(p))) {
      const q = p;
      while (p < end && isBlank(s.charCodeAt(p))) p++;
      if (s.charCodeAt(p) !== 123) p = q; // blanks before the value, not before '{'
      else canonical = false;
    }
    if (s.charCodeAt(p) === 123) {
      open = p;
      p = this.scanLabels(s, p, end);
      close = p - 1;
      if (this.labelFlags & FLAG_NONCANONICAL) canonical = false;
    } else if (p < end && !isBlank(s.charCodeAt(p))) {
      this.fail(`invalid character ${JSON.stringify(s.charAt(p))} in metric name "${name}"`);
    }
    const tailStart = p;

    // Value, optional timestamp, optional exemplar (OpenMetrics).
    while (p < end && isBlank(s.charCodeAt(p))) p++;
    if (p === end) this.fail(`missing value for "${name}"`);
    let q = p;
    while (q < end && !isBlank(s.charCodeAt(q))) q++;
    const value = s.slice(p, q);
    if (!isFloatToken(value)) this.fail(`invalid value "${value}" for "${name}"`);
    p = q;
    while (p < end && isBlank(s.charCodeAt(p))) p++;
    if (p < end && s.charCodeAt(p) !== 35) {
      q = p;
      while (q < end && !isBlank(s.charCodeAt(q))) q++;
      const ts = s.slice(p, q);
      if (this.om ? !isFloatToken(ts) || !Number.isFinite(Number(ts)) : !INT_TOKEN.test(ts)) {
        this.fail(`invalid timestamp "${ts}" for "${name}"`);
      }
      p = q;
      while (p < end && isBlank(s.charCodeAt(p))) p++;
    }
    if (p < end) {
      if (this.om && s.charCodeAt(p) === 35) this.exemplar(s, p, end, name);
      else this.fail(`unexpected text ${JSON.stringify(s.slice(p, Math.min(end, p + 20)))} after the value of "${name}"`);
    }

    if (role === Role.Bucket && !(this.labelFlags & FLAG_LE)) this.fail(`histogram bucket "${name}" has no "le" label`);
    if (role === Role.Quantile && !(this.labelFlags & FLAG_QUANTILE)) this.fail(`summary sample "${name}" has no "quantile" label`);

    if (!keep) {
      this.dropped++;
      return;
    }

    if (this.labelFlags & FLAG_DUPLICATE) this.checkDuplicates(s, name);
    const kind = this.rules.classification.kind;
    const simple = canonical && (this.labelFlags & FLAG_COLLISION) === 0;
    if (!simple || kind === 'general' || (kind === 'filter' && (this.labelFlags & FLAG_ESCAPE) !== 0)) {
      this.slowSample(s, name, fam, open, tailStart, end);
      return;
    }
    if (kind === 'filter') {
      this.lineStr = s;
      this.lineName = name;
      if (!filterKeeps(this.rules.rules, this.getLabel)) {
        this.dropped++;
        return;
      }
    }

    if (fam !== this.currentFam) this.switchFamily(fam);
    const pending = fam.pending;
    if (this.npairs > 0) {
      pending.push(s.slice(nameStart, open + 1), this.inject, ',', s.slice(open + 1, end), '\n');
    } else {
      const tail = s.slice(close >= 0 ? close + 1 : nameEnd, end);
      pending.push(name, '{', this.inject, isBlank(tail.charCodeAt(0)) ? '}' : '} ', tail, '\n');
    }
    fam.samples++;
    this.samples++;
  }

  private exemplar(s: string, p: number, end: number, name: string): void {
    // " # {labels} value [timestamp]"
    p++;
    if (s.charCodeAt(p) !== 32 || s.charCodeAt(p + 1) !== 123) this.fail(`malformed exemplar on "${name}"`);
    const saved = [this.npairs, this.labelFlags] as const;
    const savedPairs = this.pairs.slice(0, this.npairs * 4);
    p = this.scanLabels(s, p + 1, end);
    this.npairs = saved[0];
    this.labelFlags = saved[1];
    this.pairs.set(savedPairs);
    if (s.charCodeAt(p) !== 32) this.fail(`exemplar on "${name}" needs a value`);
    const rest = s.slice(p + 1, end).split(' ');
    if (rest.length > 2 || !isFloatToken(rest[0]!) || (rest.length === 2 && !Number.isFinite(Number(rest[1])))) {
      this.fail(`malformed exemplar value on "${name}"`);
    }
  }

  /** Scan `{name="value",...}` from the '{' at p; returns the index after '}'. Records pairs and flags. */
  private scanLabels(s: string, p: number, end: number): number {
    p++;
    let flags = 0;
    let n = 0;
    let nextBackslash = s.indexOf('\\', p);
    if (nextBackslash >= end) nextBackslash = -1;
    let seen = 0;
    for (;;) {
      while (p < end && isBlank(s.charCodeAt(p))) {
        p++;
        flags |= FLAG_NONCANONICAL;
      }
      if (p >= end) this.fail('unterminated label set');
      let c = s.charCodeAt(p);
      if (c === 125) {
        // '}' right after '{' or after a trailing comma.
        if (n > 0) flags |= FLAG_NONCANONICAL;
        p++;
        break;
      }
      const ns = p;
      if (!(c < 128 && (NAME_CHARS[c]! & 1) !== 0)) {
        if (c === 34) this.fail('quoted (UTF-8) label names are not supported');
        this.fail(`invalid character ${JSON.stringify(s.charAt(p))} at start of label name`);
      }
      p++;
      while (p < end && (c = s.charCodeAt(p)) < 128 && (NAME_CHARS[c]! & 3) !== 0) p++;
      const ne = p;
      while (p < end && isBlank(s.charCodeAt(p))) {
        p++;
        flags |= FLAG_NONCANONICAL;
      }
      if (s.charCodeAt(p) !== 61) this.fail(`expected "=" after label name "${s.slice(ns, ne)}"`);
      p++;
      while (p < end && isBlank(s.charCodeAt(p))) {
        p++;
        flags |= FLAG_NONCANONICAL;
      }
      if (s.charCodeAt(p) !== 34) this.fail(`expected '"' to open the value of label "${s.slice(ns, ne)}"`);
      const vs = ++p;
      let quote = s.indexOf('"', p);
      if (nextBackslash >= 0 && nextBackslash < p) {
        nextBackslash = s.indexOf('\\', p);
        if (nextBackslash >= end) nextBackslash = -1;
      }
      // Escapes are rare; only then walk the value character by character.
      while (nextBackslash >= 0 && quote >= 0 && nextBackslash < quote) {
        const e = s.charCodeAt(nextBackslash + 1);
        if (e !== 92 && e !== 34 && e !== 110) this.fail(`invalid escape sequence "\\${s.charAt(nextBackslash + 1)}" in the value of label "${s.slice(ns, ne)}"`);
        flags |= FLAG_ESCAPE;
        const after = nextBackslash + 2;
        if (quote < after) quote = s.indexOf('"', after);
        nextBackslash = s.indexOf('\\', after);
        if (nextBackslash >= end) nextBackslash = -1;
      }
      if (quote < 0 || quote >= end) this.fail(`unterminated value of label "${s.slice(ns, ne)}"`);
      p = quote + 1;
      // Record the pair.
      if ((n + 1) * 4 > this.pairs.length) {
        const bigger = new Int32Array(this.pairs.length * 2);
        bigger.set(this.pairs);
        this.pairs = bigger;
      }
      const k = n * 4;
      this.pairs[k] = ns;
      this.pairs[k + 1] = ne;
      this.pairs[k + 2] = vs;
      this.pairs[k + 3] = quote;
      n++;
      const len = ne - ns;
      if (len === 2 && s.charCodeAt(ns) === 108 && s.charCodeAt(ns + 1) === 101) flags |= FLAG_LE;
      else if (len === 8 && s.startsWith('quantile', ns)) flags |= FLAG_QUANTILE;
      const cands = len < this.targetByLen.length ? this.targetByLen[len] : undefined;
      if (cands) {
        for (const i of cands) if (s.startsWith(this.target.names[i]!, ns)) flags |= FLAG_COLLISION;
      }
      // A cheap signature of the name; two equal names always share a bit, so a clash is checked exactly later.
      const bit = 1 << ((len * 7 + s.charCodeAt(ns) + s.charCodeAt(ne - 1) * 3) & 31);
      if (seen & bit) flags |= FLAG_DUPLICATE;
      seen |= bit;
      while (p < end && isBlank(s.charCodeAt(p))) {
        p++;
        flags |= FLAG_NONCANONICAL;
      }
      c = s.charCodeAt(p);
      if (c === 44) {
        p++;
        continue;
      }
      if (c === 125) {
        p++;
        break;
      }
      this.fail(`expected "," or "}" after the value of label "${s.slice(ns, ne)}"`);
    }
    if (n === 0) flags |= FLAG_NONCANONICAL; // "{}" is rendered without the empty set
    this.npairs = n;
    this.labelFlags = flags;
    return p;
  }

  private checkDuplicates(s: string, name: string): void {
    const seen = new Set<string>();
    for (let i = 0; i < this.npairs; i++) {
      const ln = s.slice(this.pairs[i * 4]!, this.pairs[i * 4 + 1]!);
      if (seen.has(ln)) this.fail(`label "${ln}" appears twice on "${name}"`);
      seen.add(ln);
    }
    this.labelFlags &= ~FLAG_DUPLICATE;
  }

  /** Label lookup for filter-only rules on a simple line (no collisions, no escapes). */
  private labelOfCurrentLine(name: string): string {
    if (name === '__name__') return this.lineName;
    const t = this.target.byName.get(name);
    if (t !== undefined) return t;
    const s = this.lineStr;
    for (let i = 0; i < this.npairs; i++) {
      const k = i * 4;
      const ns = this.pairs[k]!;
      if (this.pairs[k + 1]! - ns === name.length && s.startsWith(name, ns)) return s.slice(this.pairs[k + 2]!, this.pairs[k + 3]!);
    }
    return '';
  }

  /** Exact Prometheus semantics through a label map: collisions, odd spacing, label-changing rules. */
  private slowSample(s: string, name: string, fam: FamilyState, open: number, tailStart: number, end: number): void {
    const lb = new Map<string, string>();
    lb.set('__name__', name);
    const target = this.target;
    for (let i = 0; i < target.names.length; i++) if (target.values[i] !== '') lb.set(target.names[i]!, target.values[i]!);
    const conflicts: [string, string][] = [];
    if (open >= 0) {
      for (let i = 0; i < this.npairs; i++) {
        const k = i * 4;
        const ln = s.slice(this.pairs[k]!, this.pairs[k + 1]!);
        const lv = unescapeLabelValue(s.slice(this.pairs[k + 2]!, this.pairs[k + 3]!));
        if (lv === '') continue; // empty means absent
        if (target.byName.has(ln)) conflicts.push([ln, lv]);
        else lb.set(ln, lv);
      }
    }
    // As Prometheus: shortest names first, prefixing until the name is free.
    conflicts.sort((a, b) => a[0].length - b[0].length);
    for (const [ln, lv] of conflicts) {
      let newName = ln;
      do newName = 'exported_' + newName;
      while (lb.has(newName));
      lb.set(newName, lv);
    }
    const rules = this.rules.rules;
    if (rules.length > 0 && !relabel(lb, rules)) {
      this.dropped++;
      return;
    }
    const outName = lb.get('__name__');
    if (outName === undefined || !isValidMetricName(outName)) {
      this.dropped++;
      return;
    }
    let outFam = fam;
    if (outName !== name) {
      // Renamed by a rule: it joins the family of its new name.
      outFam = this.resolve(outName)[0];
      this.lastName = '';
    }
    let labels = '';
    for (const [k, v] of lb) {
      if (k === '__name__' || v === '') continue;
      labels += (labels === '' ? '' : ',') + k + '="' + escapeLabelValue(v) + '"';
    }
    let tail = s.slice(tailStart, end);
    if (!isBlank(tail.charCodeAt(0))) tail = ' ' + tail;
    if (outFam !== this.currentFam) this.switchFamily(outFam);
    outFam.pending.push(outName, '{', labels, '}', tail, '\n');
    outFam.samples++;
    this.samples++;
  }

  private switchFamily(fam: FamilyState): void {
    if (this.currentFam) flush(this.currentFam);
    this.currentFam = fam;
  }
}

const FLAG_LE = 1;
const FLAG_QUANTILE = 2;
const FLAG_COLLISION = 4;
const FLAG_ESCAPE = 8;
const FLAG_NONCANONICAL = 16;
const FLAG_DUPLICATE = 32;

/** Join a family's pending pieces into one chunk, releasing the slices (and the input they pin). */
function flush(f: FamilyState): void {
  if (f.pending.length > 0) {
    f.chunks.push(f.pending.join(''));
    f.pending.length = 0;
  }
}
