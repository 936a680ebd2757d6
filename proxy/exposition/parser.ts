/**
 * Streaming parser for Prometheus text 0.0.4 and OpenMetrics 1.0 that transforms while it parses:
 * every sample gets the target labels injected (colliding scraped labels become `exported_*`),
 * relabel rules applied, and is appended, rendered, to its family. It works on the raw bytes as they
 * arrive from the socket: a body is never held whole, nor decoded into JS strings.
 *
 * The common case (no colliding label, canonical spacing, rules that only read labels) copies runs
 * of input bytes around the injected label text; everything else takes a slower path through a
 * label map with exact Prometheus semantics.
 */
import { isUtf8 } from 'node:buffer';
import { classifyRules, compatiblePrefix, filterKeeps, literalPrefix, relabel } from '../relabel/index.js';
import type { RelabelRule } from '../relabel/types.js';
import { OutputArena } from './arena.js';
import { isFloatBytes, isIntBytes } from './floats.js';
import { NAME_CHARS, escapeLabelValue, isValidMetricName, unescapeLabelValue } from './labels.js';
import type { TargetLabels } from './target.js';
import { ExpositionParseError, type ExpositionFormat, type MetricType, type PodExposition, type PodFamily } from './types.js';

/** Relabel rules with their precomputed shape; build once per component, share across scrapes. */
export interface PreparedRules {
  readonly rules: readonly RelabelRule[];
  readonly classification: ReturnType<typeof classifyRules>;
  /**
   * For 'nameOnly' and 'filter' rules: what the name alone decides (`keep`), and the rules that must
   * still be evaluated per sample for this name. Cached per name.
   */
  forName(name: string): NameVerdict;
}

export interface NameVerdict {
  readonly keep: boolean;
  readonly sampleFilters: readonly RelabelRule[];
}

const NAME_CACHE_LIMIT = 100_000;
const VERDICT_CACHE_LIMIT = 4096;
const RECENT_NAMES = 8;

/** A sample name's resolution, remembered by its bytes. */
interface NameMemo {
  bytes: Buffer;
  name: string;
  fam: FamilyState;
  role: Role;
  keep: boolean;
  filters: readonly RelabelRule[];
}

/** Scraped labels a list of filter rules reads (sources, and targets of *equal actions), minus __name__ and target labels. */
function labelsRead(rules: readonly RelabelRule[], target: TargetLabels): string[] {
  const names = new Set<string>();
  for (const r of rules) {
    for (const l of r.sourceLabels) names.add(l);
    if (r.action === 'keepequal' || r.action === 'dropequal') names.add(r.targetLabel);
  }
  names.delete('__name__');
  for (const t of target.names) names.delete(t);
  return [...names].sort();
}

const KEEP_ALL: NameVerdict = { keep: true, sampleFilters: [] };

function nameOnly(r: RelabelRule): boolean {
  return (r.action === 'keep' || r.action === 'drop') && r.sourceLabels.length === 1 && r.sourceLabels[0] === '__name__';
}

/** Keep/drop rules whose joined value starts with the name: their literal regex prefix may rule them out per name. */
function namePrefixed(r: RelabelRule): string | undefined {
  if ((r.action !== 'keep' && r.action !== 'drop') || r.sourceLabels[0] !== '__name__' || r.sourceLabels.length < 2) return undefined;
  const prefix = literalPrefix(r.regexSource);
  return prefix === '' ? undefined : prefix;
}

export function prepareRules(rules: readonly RelabelRule[]): PreparedRules {
  const classification = classifyRules(rules);
  if (classification.kind !== 'nameOnly' && classification.kind !== 'filter') {
    return { rules, classification, forName: () => KEEP_ALL };
  }
  // Filters never change labels, so they commute: decide what the name alone can, per name.
  const byName = rules.filter(nameOnly);
  const named = classifyRules(byName);
  const keepName = named.kind === 'nameOnly' ? named.keep : () => true;
  const others = rules.filter((r) => !nameOnly(r)).map((r) => ({ rule: r, prefix: namePrefixed(r) }));
  const cache = new Map<string, NameVerdict>();
  const forName = (name: string): NameVerdict => {
    let v = cache.get(name);
    if (v) return v;
    let keep = keepName(name);
    const sampleFilters: RelabelRule[] = [];
    for (const { rule, prefix } of others) {
      if (!keep) break;
      if (prefix !== undefined && !compatiblePrefix(name + rule.separator, prefix)) {
        // The regex cannot match any sample of this name: a keep drops them all, a drop does nothing.
        if (rule.action === 'keep') keep = false;
        continue;
      }
      sampleFilters.push(rule);
    }
    v = { keep, sampleFilters: keep ? sampleFilters : [] };
    if (cache.size >= NAME_CACHE_LIMIT) cache.clear();
    cache.set(name, v);
    return v;
  };
  return { rules, classification, forName };
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
  /** Position in this pod's families (order of first appearance). */
  index: number;
  /** Samples already reported by `takeShipment`. */
  shippedSamples: number;
  /** HELP, TYPE or UNIT changed since the last shipment. */
  metaDirty: boolean;
}

/**
 * New or changed data of one family since the previous shipment: its current metadata, the rendered
 * lines since then (continuing its earlier chunks), and the samples parsed since then (some may still
 * sit in unshipped bytes).
 */
export interface FamilyDelta extends PodFamily {
  /** Position in the pod's families (order of first appearance); deltas of new families come in this order. */
  index: number;
}

/**
 * What a pod's parser hands over while the body is still arriving: every family declared so far (new
 * ones with their metadata), the rendered bytes of sealed blocks, and how far the pod has got.
 */
export interface Shipment {
  families: FamilyDelta[];
  /**
   * The pod's position: all bytes of families with a smaller index have been shipped, and, the pod's
   * order being stable, it will not return to them. Never decreases.
   */
  frontier: number;
  /** False once this pod was seen out of its own order (a family revisited, or a sample renamed into another family). */
  ordered: boolean;
  /** The blocks behind `chunks`, each once; the receiver owns them now. */
  blocks: ArrayBuffer[];
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

const FLAG_LE = 1;
const FLAG_QUANTILE = 2;
const FLAG_COLLISION = 4;
const FLAG_ESCAPE = 8;
const FLAG_NONCANONICAL = 16;
const FLAG_DUPLICATE = 32;

const QUANTILE = Buffer.from('quantile');
const NEWLINE = Buffer.from('\n');
/** No real exposition line comes close; a pod sending one endless line fails instead of eating memory. */
const MAX_LINE_BYTES = 16 * 1024 * 1024;
/** Arena templates: the injected labels after `{` (before the scraped ones), or as the whole set. */
const TEMPLATE_COMMA = 0;
const TEMPLATE_BRACED = 1;

function isBlank(c: number | undefined): boolean {
  return c === 32 || c === 9;
}

/** Bytes [a, a+len) and [b, b+len) of one buffer are equal; four at a time (cheaper than a native call for ~100 bytes). */
function sameRange(v: DataView, a: number, b: number, len: number): boolean {
  let i = 0;
  for (; i + 4 <= len; i += 4) if (v.getUint32(a + i) !== v.getUint32(b + i)) return false;
  for (; i < len; i++) if (v.getUint8(a + i) !== v.getUint8(b + i)) return false;
  return true;
}

function sameBytes(s: Buffer, start: number, ref: Uint8Array): boolean {
  for (let i = 0; i < ref.length; i++) if (s[start + i] !== ref[i]) return false;
  return true;
}

export class PodExpositionParser {
  private readonly om: boolean;
  private readonly families: FamilyState[] = [];
  private readonly byName = new Map<string, FamilyState>();
  private readonly out: OutputArena;
  private carry: Buffer[] = [];
  private carryBytes = 0;
  private lineNo = 0;
  private sawEOF = false;
  private samples = 0;
  private dropped = 0;

  // Streaming: what has been shipped, and where the pod is in its families.
  private readonly familyIndex = new Map<Uint8Array[], number>();
  private shippedFamilies = 0;
  /** Index of the family of the last line read (sample or declaration). */
  private at = -1;
  private frontier = -1;
  private ordered = true;

  // The previous sample's name resolution: consecutive samples usually share a name.
  private last: NameMemo | undefined;
  private readonly recentNames: NameMemo[] = [];
  private recentNext = 0;

  // A run of kept, canonical lines copied verbatim between injection points (within the current buffer).
  private runFam: FamilyState | undefined;
  private runStart = 0;
  private runEnd = -1;

  // Label positions of the current line: [nameStart, nameEnd, valueStart, valueEnd] per pair.
  private pairs = new Int32Array(64 * 4);
  private npairs = 0;
  private labelFlags = 0;
  /** The buffer being parsed, for sameRange; the memos below point into it and are dropped when push returns. */
  private view: DataView = new DataView(new ArrayBuffer(0));
  // The last label set scanned, up to its last pair: histogram buckets and other neighbours usually
  // repeat it byte for byte, so its pairs and flags are reused instead of scanned again.
  private prevOpen = 0;
  private prevLastPair = 0;
  private prevPairs = 0;
  private prevFlags = 0;
  private prevSeen = 0;
  /** Length of the previous sample's name when its '{' followed it directly (the memo covers both), else -1. */
  private prevNameLen = -1;
  private readonly targetByLen: (number[] | undefined)[] = [];
  private readonly targetNameBytes: Buffer[];
  private readonly targetFirst = new Uint8Array(64 << 7);
  private readonly injComma: Buffer;
  private readonly injBraced: Buffer;
  private readonly rules: PreparedRules;
  private readonly target: TargetLabels;
  private readonly getLabel: (name: string) => string;
  private cur: Buffer = Buffer.alloc(0);
  private lineName = '';
  private readonly ruleNameBytes = new Map<string, Buffer>();
  private verdictsFor: readonly RelabelRule[] | undefined;
  private readonly verdicts = new Map<number, { key: Buffer; keep: boolean }>();
  private verdictReads: Buffer[] = [];
  private verdictKey = Buffer.allocUnsafe(256);

  constructor(
    readonly format: ExpositionFormat,
    transform: SampleTransform,
  ) {
    this.om = format === 'openmetrics';
    this.target = transform.target;
    this.rules = transform.rules;
    this.injComma = Buffer.from(transform.target.rendered === '' ? '' : transform.target.rendered + ',');
    this.injBraced = Buffer.from('{' + transform.target.rendered + '}');
    this.out = new OutputArena([this.injComma, this.injBraced]);
    this.targetNameBytes = transform.target.names.map((n) => Buffer.from(n));
    transform.target.names.forEach((n, i) => {
      (this.targetByLen[n.length] ??= []).push(i);
      if (n.length < 64) this.targetFirst[(n.length << 7) | (n.charCodeAt(0) & 127)] = 1;
    });
    this.getLabel = (name) => this.labelOfCurrentLine(name);
  }

  /** Complete lines consumed so far. */
  get linesSeen(): number {
    return this.lineNo;
  }

  /** Feed the next chunk of the body (any split); throws ExpositionParseError on the first bad line. */
  push(chunk: Uint8Array): void {
    const s = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let from = 0;
    if (this.carry.length > 0) {
      // Only the line that spans chunks is joined; the rest of the chunk is parsed where it lies.
      const nl = s.indexOf(10);
      if (nl < 0) {
        this.keep(s);
        return;
      }
      this.carry.push(s.subarray(0, nl + 1));
      const line = Buffer.concat(this.carry);
      this.carry = [];
      this.carryBytes = 0;
      this.lines(line, 0, line.length);
      from = nl + 1;
    }
    const last = s.lastIndexOf(10);
    if (last >= from) this.lines(s, from, last + 1);
    const rest = Math.max(from, last + 1);
    if (rest < s.length) this.keep(s.subarray(rest));
  }

  /** Hold the start of an unfinished line (a copy: the caller may reuse its buffer). */
  private keep(part: Buffer): void {
    this.carryBytes += part.length;
    if (this.carryBytes > MAX_LINE_BYTES) throw new ExpositionParseError(this.lineNo + 1, `line longer than ${MAX_LINE_BYTES} bytes`);
    this.carry.push(Buffer.from(part));
  }

  /** Finish the body and hand over the families. */
  end(): PodExposition {
    if (this.carry.length > 0) {
      // A last line without its newline: complete it so every line is processed alike.
      const s = Buffer.concat([...this.carry, NEWLINE]);
      this.carry = [];
      this.lines(s, 0, s.length);
    }
    if (this.om && !this.sawEOF) throw new ExpositionParseError(this.lineNo, 'OpenMetrics exposition does not end with "# EOF"');
    this.out.close();
    return {
      format: this.format,
      families: this.families.filter((f) => f.samples > 0),
      samples: this.samples,
      dropped: this.dropped,
      lines: this.lineNo,
    };
  }

  /** The resolution of the sample name s[start, end): one of the last few, or a new one remembered. */
  private recentName(s: Buffer, start: number, end: number): NameMemo {
    // Histograms and summaries cycle through a few names (_bucket, _sum, _count): look there first.
    const len = end - start;
    for (const m of this.recentNames) if (m.bytes.length === len && sameBytes(s, start, m.bytes)) return m;
    const name = s.toString('latin1', start, end);
    const [fam, role] = this.resolve(name);
    const verdict = this.rules.forName(name);
    // The bytes are copied: the memo outlives this chunk.
    const memo: NameMemo = { bytes: Buffer.from(s.subarray(start, end)), name, fam, role, keep: verdict.keep, filters: verdict.sampleFilters };
    this.recentNames[this.recentNext] = memo;
    this.recentNext = (this.recentNext + 1) % RECENT_NAMES;
    return memo;
  }

  /** Drop every remembered name → family resolution. */
  private forgetNames(): void {
    this.last = undefined;
    this.prevNameLen = -1; // the name+prefix memo stands for `last`
    this.recentNames.length = 0;
    this.recentNext = 0;
  }

  private fail(detail: string): never {
    throw new ExpositionParseError(this.lineNo, detail);
  }

  /** Process the complete lines in s[0, stop). */
  private lines(s: Buffer, from: number, stop: number): void {
    // Newline bytes never occur inside a multi-byte sequence, so whole lines validate on their own.
    if (!isUtf8(s.subarray(from, stop))) this.failUtf8(s, from, stop);
    this.cur = s;
    this.view = new DataView(s.buffer, s.byteOffset, s.byteLength);
    this.out.begin(s);
    let pos = from;
    while (pos < stop) {
      let nl = s.indexOf(10, pos);
      if (nl < 0 || nl >= stop) nl = stop;
      this.line(s, pos, nl);
      pos = nl + 1;
    }
    this.closeRun();
    this.out.flush();
    this.cur = Buffer.alloc(0);
    // The caller may reuse its buffer once push returns: forget what pointed into it.
    this.prevPairs = 0;
    this.prevNameLen = -1;
  }

  private failUtf8(s: Buffer, from: number, stop: number): never {
    let pos = from;
    let line = this.lineNo;
    while (pos < stop) {
      let nl = s.indexOf(10, pos);
      if (nl < 0 || nl >= stop) nl = stop;
      line++;
      if (!isUtf8(s.subarray(pos, nl))) throw new ExpositionParseError(line, 'invalid UTF-8', 'invalid_utf8');
      pos = nl + 1;
    }
    throw new ExpositionParseError(line, 'invalid UTF-8', 'invalid_utf8');
  }

  private line(s: Buffer, start: number, end: number): void {
    this.lineNo++;
    let crlf = false;
    if (end > start && s[end - 1] === 13) {
      end--;
      crlf = true;
    }
    if (this.sawEOF) this.fail('content after "# EOF"');
    if (start === end) {
      if (this.om) this.fail('empty line in OpenMetrics exposition');
      return;
    }
    if (s[start] === 35) this.comment(s.toString('utf8', start, end));
    else this.sample(s, start, end, crlf);
  }

  // ---- comments: HELP, TYPE, UNIT, EOF (few per family: plain string code) ----

  private comment(line: string): void {
    const end = line.length;
    let p = 1;
    if (this.om) {
      if (line.charCodeAt(p) !== 32) this.fail('expected a space after "#"');
      p++;
    } else {
      while (p < end && isBlank(line.charCodeAt(p))) p++;
    }
    let q = p;
    while (q < end && !isBlank(line.charCodeAt(q))) q++;
    const keyword = line.slice(p, q);
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
    while (p < end && isBlank(line.charCodeAt(p))) p++;
    q = p;
    while (q < end && !isBlank(line.charCodeAt(q))) q++;
    const name = line.slice(p, q);
    if (!isValidMetricName(name)) this.fail(`invalid metric name "${name}" in ${keyword} line`);
    // The text format allows any run of blanks; OpenMetrics exactly one.
    p = q;
    if (this.om) {
      if (p < end) p++;
    } else {
      while (p < end && isBlank(line.charCodeAt(p))) p++;
    }
    const rest = line.slice(p);
    const fam = this.declare(name);
    this.forgetNames(); // a declaration can change which family a name belongs to
    this.reach(fam);
    fam.metaDirty = true;
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
    if (fam.samples > 0 && !(t === 'counter' || t === 'gauge' || t === 'untyped' || t === 'unknown')) {
      this.fail(`TYPE ${t} for ${fam.name} comes after its samples`);
    }
    fam.type = t;
    fam.typed = true;
  }

  private declare(name: string): FamilyState {
    let fam = this.byName.get(name);
    if (!fam) {
      const index = this.families.length;
      fam = { name, type: this.om ? 'unknown' : 'untyped', typed: false, help: undefined, unit: undefined, chunks: [], samples: 0, index, shippedSamples: 0, metaDirty: true };
      this.byName.set(name, fam);
      this.families.push(fam);
      this.familyIndex.set(fam.chunks, index);
    }
    return fam;
  }

  /** The pod moved on to this family's lines; going back to an earlier one breaks the order streaming relies on. */
  private reach(fam: FamilyState): void {
    if (fam.index < this.at) this.ordered = false;
    this.at = fam.index;
  }

  /**
   * Hand over what can be shipped: with `all`, everything parsed so far (the current block is sealed,
   * e.g. when the pod pauses); otherwise only blocks the arena has already sealed. Undefined when there
   * is nothing new. Only between `push` calls.
   */
  takeShipment(all: boolean): Shipment | undefined {
    if (all) this.out.seal();
    const blocks = this.out.takeSealed();
    if (blocks.length === 0 && this.shippedFamilies === this.families.length && !all) return undefined;
    const sealed = new Set(blocks);
    const families: FamilyDelta[] = [];
    for (const f of this.families) {
      let n = 0;
      while (n < f.chunks.length && sealed.has(f.chunks[n]!.buffer as ArrayBuffer)) n++;
      const isNew = f.index >= this.shippedFamilies;
      const samples = f.samples - f.shippedSamples;
      if (!isNew && n === 0 && samples === 0 && !f.metaDirty) continue;
      families.push({ index: f.index, name: f.name, type: f.type, typed: f.typed, help: f.help, unit: f.unit, chunks: f.chunks.splice(0, n), samples });
      f.shippedSamples = f.samples;
      f.metaDirty = false;
    }
    this.shippedFamilies = this.families.length;
    // Families before the owner of the last sealed bytes are complete in what was shipped; after a
    // full seal, everything before the family being read is.
    const owner = all ? undefined : this.out.lastSealedOwner;
    const reached = all ? this.at : owner ? (this.familyIndex.get(owner) ?? -1) : -1;
    if (reached > this.frontier) this.frontier = reached;
    if (families.length === 0 && blocks.length === 0 && !all) return undefined;
    return { families, frontier: this.frontier, ordered: this.ordered, blocks };
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
        default:
          // Includes OpenMetrics counters whose family name already carries _total.
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

  private sample(s: Buffer, start: number, end: number, crlf: boolean): void {
    let p = start;
    while (p < end && isBlank(s[p])) p++;
    let canonical = p === start && !crlf;
    const nameStart = p;
    let nameEnd: number;
    let name: string;
    let fam: FamilyState;
    let role: Role;
    let keep: boolean;
    const last = this.last;
    let c: number;
    // The previous sample's name, '{' and every label pair but the last, repeated byte for byte
    // (histogram buckets): one comparison establishes the name and most of the label set.
    let sameName = false;
    const pn = this.prevNameLen;
    if (pn > 0 && this.prevPairs > 1) {
      const from = this.prevOpen - pn;
      const len = this.prevLastPair - from;
      sameName = nameStart + len < end && sameRange(this.view, from, nameStart, len);
    }
    const reuse = sameName;
    // Else consecutive samples usually share a name: matching the last one (already validated) saves the scan.
    const kl = last?.bytes.length ?? 0;
    if (!sameName && last && nameStart + kl <= end && sameBytes(s, nameStart, last.bytes)) {
      sameName = nameStart + kl === end || !((c = s[nameStart + kl]!) < 128 && NAME_CHARS[c]! !== 0);
    }
    let memo: NameMemo;
    if (sameName) {
      memo = last!;
      nameEnd = nameStart + memo.bytes.length;
      p = nameEnd;
    } else {
      c = s[p]!;
      if (!(c < 128 && (NAME_CHARS[c]! & 5) !== 0)) this.fail(`invalid character ${JSON.stringify(s.toString('utf8', p, p + 1))} at start of metric name`);
      p++;
      while (p < end && (c = s[p]!) < 128 && NAME_CHARS[c]! !== 0) p++;
      nameEnd = p;
      memo = this.recentName(s, nameStart, nameEnd);
      this.last = memo;
      if (memo.fam.index !== this.at) this.reach(memo.fam);
    }
    name = memo.name;
    fam = memo.fam;
    role = memo.role;
    keep = memo.keep;

    // Label set.
    let open = -1;
    this.npairs = 0;
    this.labelFlags = 0;
    if (p < end && isBlank(s[p])) {
      const q = p;
      while (p < end && isBlank(s[p])) p++;
      if (s[p] !== 123) p = q; // blanks before the value, not before '{'
      else canonical = false;
    }
    if (s[p] === 123) {
      open = p;
      p = this.scanLabels(s, p, end, reuse);
      if (this.labelFlags & FLAG_NONCANONICAL) canonical = false;
    } else if (p < end && !isBlank(s[p])) {
      this.fail(`invalid character ${JSON.stringify(s.toString('utf8', p, p + 1))} in metric name "${name}"`);
    }
    const tailStart = p;
    this.prevNameLen = open === nameEnd ? nameEnd - nameStart : -1;
    if (open < 0 && tailStart === end) this.fail(`missing value for "${name}"`);

    // Value, optional timestamp, optional exemplar (OpenMetrics).
    while (p < end && isBlank(s[p])) p++;
    if (p === end) this.fail(`missing value for "${name}"`);
    let q = p;
    while (q < end && !isBlank(s[q])) q++;
    if (!isFloatBytes(s, p, q)) this.fail(`invalid value "${s.toString('utf8', p, q)}" for "${name}"`);
    p = q;
    while (p < end && isBlank(s[p])) p++;
    if (p < end && s[p] !== 35) {
      q = p;
      while (q < end && !isBlank(s[q])) q++;
      const ok = this.om ? isFloatBytes(s, p, q) && Number.isFinite(Number(s.toString('latin1', p, q))) : isIntBytes(s, p, q);
      if (!ok) this.fail(`invalid timestamp "${s.toString('utf8', p, q)}" for "${name}"`);
      p = q;
      while (p < end && isBlank(s[p])) p++;
    }
    if (p < end) {
      if (this.om && s[p] === 35) this.exemplar(s, p, end, name);
      else this.fail(`unexpected text ${JSON.stringify(s.toString('utf8', p, Math.min(end, p + 20)))} after the value of "${name}"`);
    }

    if (role === Role.Bucket && !(this.labelFlags & FLAG_LE)) this.fail(`histogram bucket "${name}" has no "le" label`);
    if (role === Role.Quantile && !(this.labelFlags & FLAG_QUANTILE)) this.fail(`summary sample "${name}" has no "quantile" label`);
    if (this.labelFlags & FLAG_DUPLICATE) this.checkDuplicates(s, name);

    if (!keep) {
      this.dropped++;
      return;
    }

    const kind = this.rules.classification.kind;
    const simple = canonical && (this.labelFlags & FLAG_COLLISION) === 0;
    const filters = memo.filters;
    if (!simple || kind === 'general' || (filters.length > 0 && (this.labelFlags & FLAG_ESCAPE) !== 0)) {
      this.slowSample(s, name, fam, open, tailStart, end);
      return;
    }
    if (filters.length > 0 && !this.filtersKeep(s, name, filters)) {
      this.dropped++;
      return;
    }

    // Fast path: extend the verbatim run, or start a new one at this line.
    const cut = open >= 0 && this.npairs > 0 ? open + 1 : nameEnd;
    const out = this.out;
    if (this.runFam === fam && this.runEnd === start) {
      out.copy(this.runStart, cut);
    } else {
      this.closeRun();
      out.select(fam.chunks);
      this.runFam = fam;
      out.copy(start, cut);
    }
    out.template(open >= 0 && this.npairs > 0 ? TEMPLATE_COMMA : TEMPLATE_BRACED);
    // `{}` is skipped: the run resumes after it.
    this.runStart = open >= 0 && this.npairs === 0 ? tailStart : cut;
    this.runEnd = end + 1;
    fam.samples++;
    this.samples++;
  }

  /** Copy the pending tail of the verbatim run (up to and including the last kept newline). */
  private closeRun(): void {
    if (this.runFam) {
      this.out.copy(this.runStart, this.runEnd);
      this.runFam = undefined;
      this.runEnd = -1;
    }
  }

  private exemplar(s: Buffer, p: number, end: number, name: string): void {
    // " # {labels} value [timestamp]"
    p++;
    if (s[p] !== 32 || s[p + 1] !== 123) this.fail(`malformed exemplar on "${name}"`);
    const savedN = this.npairs;
    const savedFlags = this.labelFlags;
    const savedPairs = this.pairs.slice(0, savedN * 4);
    p = this.scanLabels(s, p + 1, end);
    this.prevPairs = 0; // the restore below would not match what the memo says
    this.npairs = savedN;
    this.labelFlags = savedFlags;
    this.pairs.set(savedPairs);
    if (s[p] !== 32) this.fail(`exemplar on "${name}" needs a value`);
    const rest = s.toString('utf8', p + 1, end).split(' ');
    const value = Buffer.from(rest[0]!);
    if (rest.length > 2 || !isFloatBytes(value, 0, value.length) || (rest.length === 2 && !Number.isFinite(Number(rest[1])))) {
      this.fail(`malformed exemplar value on "${name}"`);
    }
  }

  /** Scan `{name="value",...}` from the '{' at p; returns the index after '}'. Records pairs and flags. */
  private scanLabels(s: Buffer, p: number, end: number, prefixKnown = false): number {
    const open = p;
    let flags = 0;
    let n = 0;
    let seen = 0;
    // Same bytes as the last label set up to its last pair: same pairs (shifted) and flags so far.
    // Checked four bytes at a time (sameRange).
    const same = this.prevLastPair - this.prevOpen;
    if (this.prevPairs > 1 && open + same < end && (prefixKnown || sameRange(this.view, this.prevOpen, open, same))) {
      const delta = open - this.prevOpen;
      n = this.prevPairs - 1;
      const pairs = this.pairs;
      for (let i = 0; i < n * 4; i++) pairs[i]! += delta;
      flags = this.prevFlags;
      seen = this.prevSeen;
      p = open + same;
    } else {
      p++;
    }
    let lastPair = open;
    let flagsBefore = 0;
    let seenBefore = 0;
    for (;;) {
      while (p < end && isBlank(s[p])) {
        p++;
        flags |= FLAG_NONCANONICAL;
      }
      if (p >= end) this.fail('unterminated label set');
      let c = s[p]!;
      if (c === 125) {
        // '}' right after '{' or after a trailing comma.
        if (n > 0) flags |= FLAG_NONCANONICAL;
        p++;
        break;
      }
      const ns = p;
      lastPair = ns;
      flagsBefore = flags;
      seenBefore = seen;
      if (!(c < 128 && (NAME_CHARS[c]! & 1) !== 0)) {
        if (c === 34) this.fail('quoted (UTF-8) label names are not supported');
        this.fail(`invalid character ${JSON.stringify(s.toString('utf8', p, p + 1))} at start of label name`);
      }
      p++;
      while (p < end && (c = s[p]!) < 128 && (NAME_CHARS[c]! & 3) !== 0) p++;
      const ne = p;
      while (p < end && isBlank(s[p])) {
        p++;
        flags |= FLAG_NONCANONICAL;
      }
      if (s[p] !== 61) this.fail(`expected "=" after label name "${s.toString('latin1', ns, ne)}"`);
      p++;
      while (p < end && isBlank(s[p])) {
        p++;
        flags |= FLAG_NONCANONICAL;
      }
      if (s[p] !== 34) this.fail(`expected '"' to open the value of label "${s.toString('latin1', ns, ne)}"`);
      const vs = ++p;
      for (;;) {
        if (p >= end) this.fail(`unterminated value of label "${s.toString('latin1', ns, ne)}"`);
        c = s[p]!;
        if (c === 34) break;
        if (c === 92) {
          const e = s[p + 1];
          if (e !== 92 && e !== 34 && e !== 110) this.fail(`invalid escape sequence "\\${s.toString('utf8', p + 1, p + 2)}" in the value of label "${s.toString('latin1', ns, ne)}"`);
          flags |= FLAG_ESCAPE;
          p += 2;
        } else p++;
      }
      const ve = p;
      p++;
      if ((n + 1) * 4 > this.pairs.length) {
        const bigger = new Int32Array(this.pairs.length * 2);
        bigger.set(this.pairs);
        this.pairs = bigger;
      }
      const k = n * 4;
      this.pairs[k] = ns;
      this.pairs[k + 1] = ne;
      this.pairs[k + 2] = vs;
      this.pairs[k + 3] = ve;
      n++;
      const len = ne - ns;
      if (len === 2 && s[ns] === 108 && s[ns + 1] === 101) flags |= FLAG_LE;
      else if (len === 8 && sameBytes(s, ns, QUANTILE)) flags |= FLAG_QUANTILE;
      // Most label names share no length and first byte with a target label: skip them at once.
      if (len < 64 ? this.targetFirst[(len << 7) | (s[ns]! & 127)] === 1 : this.targetByLen[len] !== undefined) {
        for (const i of this.targetByLen[len] ?? []) if (sameBytes(s, ns, this.targetNameBytes[i]!)) flags |= FLAG_COLLISION;
      }
      // A cheap signature of the name; equal names always share a bit, so a clash is checked exactly later.
      const bit = 1 << ((len * 7 + s[ns]! + s[ne - 1]! * 3) & 31);
      if (seen & bit) flags |= FLAG_DUPLICATE;
      seen |= bit;
      while (p < end && isBlank(s[p])) {
        p++;
        flags |= FLAG_NONCANONICAL;
      }
      c = s[p]!;
      if (c === 44 && p < end) {
        p++;
        continue;
      }
      if (c === 125 && p < end) {
        p++;
        break;
      }
      this.fail(`expected "," or "}" after the value of label "${s.toString('latin1', ns, ne)}"`);
    }
    this.npairs = n;
    this.labelFlags = flags;
    this.prevOpen = open;
    this.prevLastPair = lastPair;
    this.prevPairs = n;
    this.prevFlags = flagsBefore;
    this.prevSeen = seenBefore;
    return p;
  }

  private checkDuplicates(s: Buffer, name: string): void {
    const seen = new Set<string>();
    for (let i = 0; i < this.npairs; i++) {
      const ln = s.toString('latin1', this.pairs[i * 4]!, this.pairs[i * 4 + 1]!);
      if (seen.has(ln)) this.fail(`label "${ln}" appears twice on "${name}"`);
      seen.add(ln);
    }
  }

  /**
   * The filter rules' verdict for a simple line, remembered per name by the raw bytes of the scraped
   * labels the rules read: histogram buckets repeat a handful of `le` values, so most samples cost a
   * hash of a few bytes instead of strings and a regex. (Target labels are constant per parser and
   * `__name__` is fixed while the cache lives, so neither is part of the key.)
   */
  private filtersKeep(s: Buffer, name: string, filters: readonly RelabelRule[]): boolean {
    if (filters !== this.verdictsFor) {
      this.verdictsFor = filters;
      this.verdicts.clear();
      this.verdictReads = labelsRead(filters, this.target).map((n) => Buffer.from(n, 'latin1'));
    }
    // Key: each read label's value bytes followed by 0xff (never part of UTF-8), FNV-1a hashed.
    let key = this.verdictKey;
    let len = 0;
    let h = 0x811c9dc5;
    for (const want of this.verdictReads) {
      for (let i = 0; i < this.npairs; i++) {
        const k = i * 4;
        const ns = this.pairs[k]!;
        if (this.pairs[k + 1]! - ns !== want.length || !sameBytes(s, ns, want)) continue;
        const vs = this.pairs[k + 2]!;
        const ve = this.pairs[k + 3]!;
        if (len + (ve - vs) + 1 > key.length) this.verdictKey = key = Buffer.concat([key, Buffer.alloc(key.length + (ve - vs) + 1)]);
        for (let j = vs; j < ve; j++) {
          const b = s[j]!;
          key[len++] = b;
          h = Math.imul(h ^ b, 0x01000193);
        }
        break;
      }
      key[len++] = 0xff;
      h = Math.imul(h ^ 0xff, 0x01000193);
    }
    const hit = this.verdicts.get(h);
    if (hit !== undefined && hit.key.length === len && sameBytes(key, 0, hit.key)) return hit.keep;
    this.lineName = name;
    const keep = filterKeeps(filters, this.getLabel);
    // Bounded: a pod inventing label values must not grow memory without limit.
    if (this.verdicts.size >= VERDICT_CACHE_LIMIT) this.verdicts.clear();
    this.verdicts.set(h, { key: Buffer.from(key.subarray(0, len)), keep });
    return keep;
  }

  /** Label lookup for filter rules on a simple line (no collisions, no escapes). */
  private labelOfCurrentLine(name: string): string {
    if (name === '__name__') return this.lineName;
    const t = this.target.byName.get(name);
    if (t !== undefined) return t;
    const s = this.cur;
    // Compared as bytes: no string per label per sample. Names come from the rules, so the cache is small.
    let want = this.ruleNameBytes.get(name);
    if (want === undefined) this.ruleNameBytes.set(name, (want = Buffer.from(name, 'latin1')));
    for (let i = 0; i < this.npairs; i++) {
      const k = i * 4;
      const ns = this.pairs[k]!;
      if (this.pairs[k + 1]! - ns === want.length && sameBytes(s, ns, want)) return s.toString('utf8', this.pairs[k + 2]!, this.pairs[k + 3]!);
    }
    return '';
  }

  /** Exact Prometheus semantics through a label map: collisions, odd spacing, label-changing rules. */
  private slowSample(s: Buffer, name: string, fam: FamilyState, open: number, tailStart: number, end: number): void {
    const lb = new Map<string, string>();
    lb.set('__name__', name);
    const target = this.target;
    for (let i = 0; i < target.names.length; i++) if (target.values[i] !== '') lb.set(target.names[i]!, target.values[i]!);
    const conflicts: [string, string][] = [];
    if (open >= 0) {
      for (let i = 0; i < this.npairs; i++) {
        const k = i * 4;
        const ln = s.toString('latin1', this.pairs[k]!, this.pairs[k + 1]!);
        const lv = unescapeLabelValue(s.toString('utf8', this.pairs[k + 2]!, this.pairs[k + 3]!));
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
      // Renamed by a rule: it joins the family of its new name, wherever that is in the pod's order.
      outFam = this.resolve(outName)[0];
      this.forgetNames();
      this.ordered = false;
    }
    let line = outName + '{';
    let first = true;
    for (const [k, v] of lb) {
      if (k === '__name__' || v === '') continue;
      line += (first ? '' : ',') + k + '="' + escapeLabelValue(v) + '"';
      first = false;
    }
    const tail = s.toString('utf8', tailStart, end);
    line += (isBlank(tail.charCodeAt(0)) ? '}' : '} ') + tail + '\n';
    this.closeRun();
    this.out.select(outFam.chunks);
    this.out.text(line);
    outFam.samples++;
    this.samples++;
  }
}
