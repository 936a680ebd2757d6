/**
 * Turns synthesized objects into Helm template text without a second hand-written copy of them.
 *
 * The constructs are synthesized many times: once with the values.yaml defaults (the baseline), and once per
 * combination of each *knob group* (knobs that change the structure of the output: auth modes, generator mode,
 * MetricsSet, ...), the other groups staying at the baseline. {@link mergeVariants} folds those variants into
 * one tree in which whatever differs between variants is guarded by a Helm condition on the knobs that
 * explain the difference; {@link applySentinels} then replaces the placeholder values the synthesis used for
 * free-form settings (route host, image, labels, resources, ...) with Helm expressions, and {@link emit}
 * writes the tree as YAML with template directives.
 *
 * A difference that no single knob group explains is an error naming the path and the groups, so a new
 * interaction between knobs shows up when the chart is generated (the fix: put those knobs in one group).
 */

export type Json = string | number | boolean | null | Json[] | { [k: string]: Json };

/** One option of a knob: how to set it on the props, and the Helm condition that holds when it is chosen. */
export interface KnobOption<P> {
  readonly label: string;
  readonly when: string;
  readonly apply: (props: P) => P;
}

export interface Knob<P> {
  readonly id: string;
  /** The first option is the values.yaml default (the baseline). */
  readonly options: readonly KnobOption<P>[];
}

/** Knobs whose effects interact: every combination is synthesized. */
export interface KnobGroup<P> {
  readonly id: string;
  readonly knobs: readonly Knob<P>[];
}

/** One synthesis: the option index of every knob of every group (baseline: all 0). */
export interface Variant {
  readonly choice: readonly (readonly number[])[];
  readonly objects: Json[];
}

// --- The template tree ---------------------------------------------------------------------------------

export type Node =
  | { readonly t: 'lit'; readonly v: string | number | boolean | null }
  /** A scalar from a Helm expression (rendered with toJson). */
  | { readonly t: 'expr'; readonly e: string }
  /** A string built from literal parts and expressions. */
  | { readonly t: 'str'; readonly parts: readonly (string | { readonly e: string })[] }
  | { readonly t: 'map'; readonly entries: readonly Entry[] }
  | { readonly t: 'list'; readonly items: readonly Item[] }
  /** A whole map or list from a Helm expression (toYaml). */
  | { readonly t: 'block'; readonly e: string }
  /** One of several scalars, by condition; the last case has no condition. */
  | { readonly t: 'switch'; readonly cases: readonly { readonly cond?: string; readonly node: Node }[] };

export type Entry =
  | { readonly key: string; readonly value: Node; readonly cond?: string }
  /**
   * Keys of a map from a Helm expression, merged into this map. Keys the map sets itself win (as in every
   * construct, which spreads user maps first), as do the keys of the spreads in `yieldsTo`; `helper` names the
   * template that drops them (see {@link spreadHelper}).
   */
  | { readonly spread: string; readonly drop?: { readonly fixed: readonly string[]; readonly yieldsTo: readonly string[]; readonly helper: string } };

export type Item =
  | { readonly value: Node; readonly cond?: string }
  /** Items of a list from a Helm expression. */
  | { readonly spread: string }
  /** One item per element of a list: `$<var>` is the element inside `value`. */
  | { readonly range: string; readonly variable: string; readonly value: Node; readonly cond?: string };

export function literal(v: Json): Node {
  if (Array.isArray(v)) return { t: 'list', items: v.map((x) => ({ value: literal(x) })) };
  if (v !== null && typeof v === 'object') return { t: 'map', entries: Object.entries(v).map(([key, x]) => ({ key, value: literal(x) })) };
  return { t: 'lit', v };
}

/** The JSON of a tree without template parts, else undefined. */
export function toJson(n: Node): Json | undefined {
  if (n.t === 'lit') return n.v;
  if (n.t === 'map') {
    const out: Record<string, Json> = {};
    for (const e of n.entries) {
      if (!('key' in e) || e.cond !== undefined) return undefined;
      const v = toJson(e.value);
      if (v === undefined) return undefined;
      out[e.key] = v;
    }
    return out;
  }
  if (n.t === 'list') {
    const out: Json[] = [];
    for (const i of n.items) {
      if (!('value' in i) || 'range' in i || i.cond !== undefined) return undefined;
      const v = toJson(i.value);
      if (v === undefined) return undefined;
      out.push(v);
    }
    return out;
  }
  return undefined;
}

function same(a: Json, b: Json): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

// --- Conditions ----------------------------------------------------------------------------------------

/** Conditions over the knobs of one group, as option indices (undefined: any option). */
type Term = (number | undefined)[];

export class Conditions<P> {
  constructor(readonly groups: readonly KnobGroup<P>[]) {}

  /**
   * The condition under which `holds` is true, from the variants where it was observed; undefined when it
   * holds in all of them. Throws when no single group explains it.
   */
  explain(path: string, variants: readonly Variant[], holds: (v: Variant) => boolean): string | undefined {
    const values = variants.map(holds);
    if (values.every((x) => x)) return undefined;
    if (values.every((x) => !x)) return 'false';
    const explaining: number[] = [];
    for (let g = 0; g < this.groups.length; g++) {
      const seen = new Map<string, boolean>();
      let ok = true;
      variants.forEach((v, i) => {
        const k = v.choice[g]!.join(',');
        if (seen.has(k) && seen.get(k) !== values[i]) ok = false;
        seen.set(k, values[i]!);
      });
      if (ok) explaining.push(g);
    }
    if (explaining.length === 0) {
      const varying = this.groups.filter((_, g) => new Set(variants.map((v) => v.choice[g]!.join(','))).size > 1).map((x) => x.id);
      throw new Error(`${path}: no single knob group explains where this differs (groups involved: ${varying.join(', ')}); put those knobs in one group`);
    }
    // Prefer the group with the fewest distinct combinations among the variants (the most specific one).
    const g = explaining.sort((a, b) => this.distinct(variants, a) - this.distinct(variants, b))[0]!;
    const pos: Term[] = [];
    const neg: Term[] = [];
    variants.forEach((v, i) => (values[i] ? pos : neg).push([...v.choice[g]!]));
    return this.render(g, this.cover(pos, neg));
  }

  private distinct(variants: readonly Variant[], g: number): number {
    return new Set(variants.map((v) => v.choice[g]!.join(','))).size;
  }

  /** Greedy prime implicants: widen each positive term knob by knob while it covers no negative one. */
  private cover(pos: Term[], neg: Term[]): Term[] {
    const covers = (t: Term, x: Term) => t.every((o, k) => o === undefined || o === x[k]);
    const terms: Term[] = [];
    for (const p of pos) {
      if (terms.some((t) => covers(t, p))) continue;
      const t = [...p];
      for (let k = 0; k < t.length; k++) {
        const saved = t[k];
        t[k] = undefined;
        if (neg.some((n) => covers(t, n))) t[k] = saved;
      }
      terms.push(t);
    }
    return terms.filter((t, i) => !terms.some((u, j) => j !== i && covers(u, t as number[]) && JSON.stringify(u) !== JSON.stringify(t)));
  }

  private render(g: number, terms: Term[]): string {
    const knobs = this.groups[g]!.knobs;
    const conj = (t: Term): string => {
      const parts = t.flatMap((o, k) => (o === undefined ? [] : [knobs[k]!.options[o]!.when]));
      if (parts.length === 0) return 'true';
      return parts.length === 1 ? parts[0]! : `and ${parts.map(paren).join(' ')}`;
    };
    if (terms.length === 1) return conj(terms[0]!);
    return `or ${terms.map((t) => paren(conj(t))).join(' ')}`;
  }
}

function paren(e: string): string {
  return /^[$.\w"]+$/.test(e) ? e : `(${e})`;
}

// --- Merging variants ----------------------------------------------------------------------------------

type Kind = 'map' | 'list' | 'scalar';
const kindOf = (v: Json): Kind => (Array.isArray(v) ? 'list' : v !== null && typeof v === 'object' ? 'map' : 'scalar');

/** Identity of a list item across variants: its name if it has one, else its content. */
function itemKey(v: Json): string {
  if (v !== null && typeof v === 'object' && !Array.isArray(v) && typeof v.name === 'string') return `name:${v.name}`;
  return `json:${JSON.stringify(v)}`;
}

/** Union of item orders: each sequence's items keep their relative order. */
function unionOrder(seqs: string[][]): string[] {
  const out: string[] = [];
  for (const s of seqs) {
    let at = -1;
    for (const k of s) {
      const i = out.indexOf(k);
      if (i >= 0) at = i;
      else out.splice(++at, 0, k);
    }
  }
  return out;
}

/** Keyed items with a repeat counter, so equal items stay distinct. */
function keyed(list: Json[], keyOf: (v: Json) => string): Map<string, Json> {
  const m = new Map<string, Json>();
  const seen = new Map<string, number>();
  for (const v of list) {
    const k = keyOf(v);
    const n = seen.get(k) ?? 0;
    seen.set(k, n + 1);
    m.set(`${k}#${n}`, v);
  }
  return m;
}

/** Merges the value at `path` of the given variants (in each it is `pick(variant)`). */
function merge<P>(c: Conditions<P>, path: string, variants: readonly Variant[], pick: Map<Variant, Json>): Node {
  const vals = variants.map((v) => pick.get(v)!);
  if (vals.every((v) => same(v, vals[0]!))) return literal(vals[0]!);
  const kinds = new Set(vals.map(kindOf));
  if (kinds.size === 1 && kinds.has('map')) {
    const maps = vals as Record<string, Json>[];
    const keys = unionOrder(maps.map((m) => Object.keys(m)));
    return {
      t: 'map',
      entries: keys.map((key) => {
        const having = variants.filter((_, i) => key in maps[i]!);
        const cond = c.explain(`${path}.${key}`, variants, (v) => key in (pick.get(v) as Record<string, Json>));
        const sub = new Map(having.map((v) => [v, (pick.get(v) as Record<string, Json>)[key]!]));
        return { key, value: merge(c, `${path}.${key}`, having, sub), ...(cond ? { cond } : {}) };
      }),
    };
  }
  if (kinds.size === 1 && kinds.has('list')) {
    const lists = vals.map((l) => keyed(l as Json[], itemKey));
    const keys = unionOrder(lists.map((l) => [...l.keys()]));
    return {
      t: 'list',
      items: keys.map((k) => {
        const having = variants.filter((_, i) => lists[i]!.has(k));
        const cond = c.explain(`${path}[${k}]`, variants, (v) => lists[variants.indexOf(v)]!.has(k));
        const sub = new Map(having.map((v) => [v, lists[variants.indexOf(v)]!.get(k)!]));
        return { value: merge(c, `${path}[${k}]`, having, sub), ...(cond ? { cond } : {}) };
      }),
    };
  }
  // Scalars (or a change of type): one case per distinct value.
  const distinct: Json[] = [];
  for (const v of vals) if (!distinct.some((d) => same(d, v))) distinct.push(v);
  const cases = distinct.map((d, i) => {
    const having = variants.filter((v) => same(pick.get(v)!, d));
    const node = merge(c, path, having, new Map(having.map((v) => [v, d])));
    return i === distinct.length - 1 ? { node } : { cond: c.explain(path, variants, (v) => same(pick.get(v)!, d)) ?? 'true', node };
  });
  return { t: 'switch', cases };
}

/** Object identity across variants: kind and name (`idOf` may map names that vary, such as hashed Job names). */
export type ObjectId = (o: Record<string, Json>) => string;

/** Merges the objects of all variants into one list of possibly conditional objects. */
export function mergeVariants<P>(groups: readonly KnobGroup<P>[], variants: readonly Variant[], idOf: ObjectId): { id: string; cond?: string; node: Node }[] {
  const c = new Conditions(groups);
  const lists = variants.map((v) => new Map(v.objects.map((o) => [idOf(o as Record<string, Json>), o])));
  const ids = unionOrder(lists.map((l) => [...l.keys()]));
  return ids.map((id) => {
    const having = variants.filter((_, i) => lists[i]!.has(id));
    const cond = c.explain(id, variants, (v) => lists[variants.indexOf(v)]!.has(id));
    const pick = new Map(having.map((v) => [v, lists[variants.indexOf(v)]!.get(id)!]));
    return { id, node: merge(c, id, having, pick), ...(cond ? { cond } : {}) };
  });
}

// --- Sentinels -----------------------------------------------------------------------------------------

/**
 * A placeholder value the constructs were synthesized with, and the Helm expression that replaces it:
 * - `scalar`: a string token (also inside longer strings) or a number (inside strings only with `inStrings`);
 * - `optional`: like scalar, but the map entry or list item holding it exists only when the expression is set;
 * - `mapSpread`: a map key whose entry stands for all entries of a map value (labels, nodeSelector); where it
 *   meets the spreads `yieldsTo` in one map, their keys win;
 * - `listSpread`: a list item that stands for all items of a list value (tolerations, command);
 * - `subtree`: a synthesized subtree that stands for a whole value (resources, NetworkPolicy peers);
 *   `optional` then means its entry exists only when the value is set;
 * - `range`: a token inside a list item that is repeated per element of a list value.
 */
export type Sentinel =
  | { readonly kind: 'scalar' | 'optional'; readonly token: string | number; readonly expr: string; readonly inStrings?: boolean }
  | { readonly kind: 'mapSpread'; readonly key: string; readonly expr: string; readonly yieldsTo?: readonly string[] }
  | { readonly kind: 'listSpread'; readonly item: Json; readonly expr: string }
  | { readonly kind: 'subtree'; readonly match: Json; readonly expr: string; readonly optional?: boolean }
  | { readonly kind: 'range'; readonly token: string; readonly expr: string };

/** Splits a string at the tokens of scalar sentinels. */
function interpolate(s: string, sentinels: readonly Sentinel[]): { node: Node; optional: string[]; ranges: string[] } {
  const scalar = sentinels.filter((x): x is Extract<Sentinel, { token: string | number }> => 'token' in x);
  let parts: (string | { e: string })[] = [s];
  const optional: string[] = [];
  const ranges: string[] = [];
  for (const x of scalar) {
    // A number sentinel matches only numbers, unless it is known to appear inside strings too (a port in a flag).
    if (typeof x.token === 'number' && !('inStrings' in x && x.inStrings)) continue;
    const tok = String(x.token);
    const next: (string | { e: string })[] = [];
    for (const p of parts) {
      if (typeof p !== 'string' || !p.includes(tok)) {
        next.push(p);
        continue;
      }
      if (x.kind === 'optional') optional.push(x.expr);
      const e = x.kind === 'range' ? '$item' : x.expr;
      if (x.kind === 'range') ranges.push(x.expr);
      p.split(tok).forEach((piece, i) => {
        if (i > 0) next.push({ e });
        if (piece !== '') next.push(piece);
      });
    }
    parts = next;
  }
  if (parts.length === 1 && typeof parts[0] === 'string') return { node: { t: 'lit', v: s }, optional, ranges };
  if (parts.length === 1 && typeof parts[0] !== 'string') return { node: { t: 'expr', e: parts[0]!.e }, optional, ranges };
  return { node: { t: 'str', parts }, optional, ranges };
}

interface Found {
  node: Node;
  /** Expressions that must be set for the enclosing entry/item to exist. */
  optional: string[];
  ranges: string[];
}

interface Options {
  /** Named template that merges a spread under the keys that win over it. */
  readonly spreadHelper: string;
}

function replace(n: Node, sentinels: readonly Sentinel[], opts: Options): Found {
  const json = toJson(n);
  if (json !== undefined) {
    for (const x of sentinels) {
      if (x.kind === 'subtree' && same(x.match, json)) return { node: { t: 'block', e: x.expr }, optional: x.optional ? [x.expr] : [], ranges: [] };
    }
  }
  switch (n.t) {
    case 'lit': {
      if (typeof n.v === 'number') {
        const x = sentinels.find((s) => 'token' in s && s.token === n.v);
        if (x && 'token' in x) return { node: { t: 'expr', e: x.expr }, optional: x.kind === 'optional' ? [x.expr] : [], ranges: [] };
      }
      return typeof n.v === 'string' ? interpolate(n.v, sentinels) : { node: n, optional: [], ranges: [] };
    }
    case 'switch': {
      const found = n.cases.map((k) => ({ cond: k.cond, f: replace(k.node, sentinels, opts) }));
      return { node: { t: 'switch', cases: found.map((k) => ({ ...(k.cond ? { cond: k.cond } : {}), node: k.f.node })) }, optional: found.flatMap((k) => k.f.optional), ranges: found.flatMap((k) => k.f.ranges) };
    }
    case 'map': {
      const entries: Entry[] = [];
      const ranges: string[] = [];
      for (const e of n.entries) {
        if (!('key' in e)) {
          entries.push(e);
          continue;
        }
        const spread = sentinels.find((s) => s.kind === 'mapSpread' && s.key === e.key);
        if (spread) {
          entries.push({ spread: spread.expr });
          continue;
        }
        const f = replace(e.value, sentinels, opts);
        ranges.push(...f.ranges);
        const conds = [...(e.cond ? [e.cond] : []), ...f.optional];
        entries.push({ key: e.key, value: f.node, ...(conds.length ? { cond: conds.length === 1 ? conds[0]! : `and ${conds.map(paren).join(' ')}` } : {}) });
      }
      // A map that is nothing but one spread: the entry holding it exists only when the spread has keys.
      const only = entries.length === 1 && 'spread' in entries[0]! ? [entries[0].spread] : [];
      const fixed = entries.flatMap((e) => ('key' in e ? [e.key] : []));
      const spreads = entries.flatMap((e) => ('spread' in e ? [e.spread] : []));
      const withDrops = entries.map((e): Entry => {
        if (!('spread' in e)) return e;
        const s = sentinels.find((x) => x.kind === 'mapSpread' && x.expr === e.spread);
        const yieldsTo = (s && s.kind === 'mapSpread' ? (s.yieldsTo ?? []) : []).filter((w) => spreads.includes(w));
        return fixed.length || yieldsTo.length ? { spread: e.spread, drop: { fixed, yieldsTo, helper: opts.spreadHelper } } : e;
      });
      return { node: { t: 'map', entries: withDrops }, optional: only, ranges: [...new Set(ranges)] };
    }
    case 'list': {
      const items: Item[] = [];
      for (const i of n.items) {
        if (!('value' in i) || 'range' in i) {
          items.push(i);
          continue;
        }
        const json = toJson(i.value);
        const spread = json === undefined ? undefined : sentinels.find((s) => s.kind === 'listSpread' && same(s.item, json));
        if (spread) {
          items.push({ spread: spread.expr });
          continue;
        }
        const f = replace(i.value, sentinels, opts);
        const conds = [...(i.cond ? [i.cond] : []), ...f.optional];
        const cond = conds.length ? { cond: conds.length === 1 ? conds[0]! : `and ${conds.map(paren).join(' ')}` } : {};
        if (f.ranges.length > 1) throw new Error(`a list item repeats over two lists (${f.ranges.join(', ')})`);
        if (f.ranges.length === 1) {
          items.push({ range: f.ranges[0]!, variable: '$item', value: f.node, ...cond });
        } else {
          items.push({ value: f.node, ...cond });
        }
      }
      const only = items.length === 1 && 'spread' in items[0]! ? [items[0].spread] : [];
      return { node: { t: 'list', items }, optional: only, ranges: [] };
    }
    default:
      return { node: n, optional: [], ranges: [] };
  }
}

/** Replaces the sentinels in a merged object; the object itself may become conditional (returned as `cond`). */
export function applySentinels(n: Node, sentinels: readonly Sentinel[], opts: Options): Node {
  return replace(n, sentinels, opts).node;
}

/**
 * The named template a chart needs for spreads that yield: `(list <map> <keys to drop> <maps whose keys win>...)`
 * -> the YAML of what is left, or nothing.
 */
export function spreadHelper(name: string): string {
  return [
    `{{/* A map's entries minus the keys that win over them: (list map (list key...) winner-map...). */}}`,
    `{{- define ${JSON.stringify(name)} -}}`,
    `{{- $out := dict }}{{ $drop := index . 1 }}{{ $winners := slice . 2 }}`,
    `{{- range $k, $v := index . 0 }}{{ $lost := has $k $drop }}{{ range $w := $winners }}{{ if hasKey $w $k }}{{ $lost = true }}{{ end }}{{ end }}{{ if not $lost }}{{ $_ := set $out $k $v }}{{ end }}{{ end }}`,
    `{{- if $out }}{{ toYaml $out }}{{ end }}`,
    `{{- end }}`,
  ].join('\n');
}

// --- Emitting ------------------------------------------------------------------------------------------

function goString(s: string): string {
  return JSON.stringify(s);
}

/** A Helm action rendering a scalar expression as YAML (JSON is valid YAML and keeps types). */
function scalarAction(n: Node): string {
  switch (n.t) {
    case 'lit':
      return JSON.stringify(n.v);
    case 'expr':
      return `{{ ${n.e} | toJson }}`;
    case 'str': {
      const fmt = n.parts.map((p) => (typeof p === 'string' ? p.replace(/%/g, '%%') : '%v')).join('');
      const args = n.parts.filter((p): p is { e: string } => typeof p !== 'string').map((p) => paren(p.e));
      return `{{ printf ${goString(fmt)} ${args.join(' ')} | toJson }}`;
    }
    case 'switch':
      return n.cases.map((k, i) => `${i === 0 ? `{{ if ${k.cond} }}` : k.cond ? `{{ else if ${k.cond} }}` : '{{ else }}'}${scalarAction(k.node)}`).join('') + '{{ end }}';
    default:
      throw new Error(`not a scalar: ${n.t}`);
  }
}

const isScalar = (n: Node): boolean => n.t === 'lit' || n.t === 'expr' || n.t === 'str' || (n.t === 'switch' && n.cases.every((k) => isScalar(k.node)));

/** YAML lines (each starting with a newline) for `n` as the value after `prefix` at indent `ind`. */
function emitValue(prefix: string, n: Node, ind: number): string {
  const pad = ' '.repeat(ind);
  if (isScalar(n)) return `\n${pad}${prefix}${scalarAction(n)}`;
  if (n.t === 'block') return `\n${pad}${prefix.trimEnd()}\n${pad}  {{- toYaml ${paren(n.e)} | nindent ${ind + 2} }}`;
  if (n.t === 'switch') {
    // Non-scalar alternatives: the whole entry per case.
    return n.cases.map((k, i) => `\n${pad}${i === 0 ? `{{- if ${k.cond} }}` : k.cond ? `{{- else if ${k.cond} }}` : '{{- else }}'}${emitValue(prefix, k.node, ind)}`).join('') + `\n${pad}{{- end }}`;
  }
  if (n.t === 'map') {
    if (n.entries.length === 0) return `\n${pad}${prefix}{}`;
    return `\n${pad}${prefix.trimEnd()}${emitEntries(n.entries, ind + 2)}`;
  }
  if (n.t === 'list') {
    if (n.items.length === 0) return `\n${pad}${prefix}[]`;
    return `\n${pad}${prefix.trimEnd()}${emitItems(n.items, ind + 2)}`;
  }
  throw new Error(`cannot emit ${n.t}`);
}

function guarded(cond: string | undefined, body: string, ind: number): string {
  if (cond === undefined) return body;
  const pad = ' '.repeat(ind);
  return `\n${pad}{{- if ${cond} }}${body}\n${pad}{{- end }}`;
}

function emitEntries(entries: readonly Entry[], ind: number): string {
  const pad = ' '.repeat(ind);
  return entries
    .map((e) => {
      if ('spread' in e) {
        if (!e.drop) return `\n${pad}{{- with ${e.spread} }}{{ toYaml . | nindent ${ind} }}{{- end }}`;
        const args = [paren(e.spread), `(list ${e.drop.fixed.map((k) => JSON.stringify(k)).join(' ')})`, ...e.drop.yieldsTo.map((w) => `(${w} | default dict)`)];
        return `\n${pad}{{- with include ${JSON.stringify(e.drop.helper)} (list ${args.join(' ')}) }}{{ . | nindent ${ind} }}{{- end }}`;
      }
      return guarded(e.cond, emitValue(`${JSON.stringify(e.key)}: `, e.value, ind), ind);
    })
    .join('');
}

function emitItems(items: readonly Item[], ind: number): string {
  const pad = ' '.repeat(ind);
  return items
    .map((i) => {
      if ('spread' in i) return `\n${pad}{{- with ${i.spread} }}{{ toYaml . | nindent ${ind} }}{{- end }}`;
      if ('range' in i) return guarded(i.cond, `\n${pad}{{- range ${i.variable} := ${i.range} }}${emitItem(i.value, ind)}\n${pad}{{- end }}`, ind);
      return guarded(i.cond, emitItem(i.value, ind), ind);
    })
    .join('');
}

function emitItem(n: Node, ind: number): string {
  const pad = ' '.repeat(ind);
  if (n.t === 'map' && n.entries.length > 0) {
    // `- ` then the first entry on the same line, the rest indented under it.
    const body = emitEntries(n.entries, ind + 2);
    const first = body.indexOf(`\n${' '.repeat(ind + 2)}"`);
    if (first === 0) return `\n${pad}- ${body.slice(ind + 3)}`;
    return `\n${pad}-${body}`;
  }
  return emitValue('- ', n, ind);
}

/** The YAML of one object, at indent 0, with template directives. */
export function emit(n: Node): string {
  if (n.t !== 'map') throw new Error('an object must be a map');
  return emitEntries(n.entries, 0).replace(/^\n/, '');
}
