/**
 * A strict, independent reader of text 0.0.4 and OpenMetrics 1.0 bodies for the generator tests:
 * grammar per line, one contiguous block per family, HELP/TYPE once, histogram and summary structure.
 * Throws with the line number on the first problem.
 */
export interface CheckedFamily {
  name: string;
  type: string;
  help?: string;
  unit?: string;
  samples: { name: string; labels: Record<string, string>; value: number; exemplar?: string }[];
}

export interface CheckResult {
  families: Map<string, CheckedFamily>;
  series: number;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function parseValue(s: string, where: string): number {
  if (s === '+Inf' || s === 'Inf') return Infinity;
  if (s === '-Inf') return -Infinity;
  if (s === 'NaN') return NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s)) throw new Error(`${where}: bad value ${JSON.stringify(s)}`);
  return Number(s);
}

/** Parse `{a="x",b="y"}` at `s[i] === '{'`; returns labels and the index after `}`. */
function parseLabels(s: string, i: number, where: string): { labels: Record<string, string>; end: number } {
  const labels: Record<string, string> = {};
  i++; // '{'
  for (;;) {
    if (s[i] === '}') return { labels, end: i + 1 };
    const eq = s.indexOf('=', i);
    if (eq < 0) throw new Error(`${where}: unterminated label set`);
    const name = s.slice(i, eq);
    if (!LABEL_NAME.test(name)) throw new Error(`${where}: bad label name ${JSON.stringify(name)}`);
    if (name in labels) throw new Error(`${where}: duplicate label ${name}`);
    if (s[eq + 1] !== '"') throw new Error(`${where}: label value must be quoted`);
    let j = eq + 2;
    let v = '';
    for (;;) {
      const c = s[j];
      if (c === undefined) throw new Error(`${where}: unterminated label value`);
      if (c === '"') break;
      if (c === '\\') {
        const n = s[j + 1];
        if (n === '\\') v += '\\';
        else if (n === '"') v += '"';
        else if (n === 'n') v += '\n';
        else throw new Error(`${where}: bad escape \\${n}`);
        j += 2;
        continue;
      }
      if (c === '\n') throw new Error(`${where}: raw line feed in label value`);
      v += c;
      j++;
    }
    labels[name] = v;
    i = j + 1;
    if (s[i] === ',') i++;
    else if (s[i] !== '}') throw new Error(`${where}: expected , or } after label ${name}`);
  }
}

const SUFFIXES: Record<string, string[]> = {
  counter: ['_total', '_created', ''],
  gauge: [''],
  untyped: [''],
  unknown: [''],
  histogram: ['_bucket', '_sum', '_count', '_created'],
  summary: ['', '_sum', '_count', '_created'],
  info: ['_info'],
  stateset: [''],
};

function familyOf(sample: string, families: Map<string, CheckedFamily>, current: CheckedFamily | undefined): CheckedFamily | undefined {
  if (current) {
    for (const suffix of SUFFIXES[current.type] ?? ['']) {
      if (sample === current.name + suffix) return current;
    }
  }
  return families.get(sample);
}

export function checkExposition(body: string | Buffer, format: 'text' | 'openmetrics'): CheckResult {
  const buf = typeof body === 'string' ? Buffer.from(body) : body;
  const text = new TextDecoder('utf-8', { fatal: true }).decode(buf); // throws on invalid UTF-8
  const lines = text.split('\n');
  if (lines[lines.length - 1] !== '') throw new Error('body must end with a line feed');
  lines.pop();
  const families = new Map<string, CheckedFamily>();
  const closed = new Set<string>();
  const seen = new Set<string>();
  let current: CheckedFamily | undefined;
  let series = 0;
  let sawEof = false;

  const declare = (name: string, where: string): CheckedFamily => {
    if (!NAME.test(name)) throw new Error(`${where}: bad metric name ${name}`);
    let f = families.get(name);
    if (f && f.samples.length > 0) throw new Error(`${where}: metadata for ${name} after its samples`);
    if (!f) {
      if (current && current.name !== name) closed.add(current.name);
      if (closed.has(name)) throw new Error(`${where}: family ${name} is not contiguous`);
      f = { name, type: format === 'openmetrics' ? 'unknown' : 'untyped', samples: [] };
      families.set(name, f);
    }
    current = f;
    return f;
  };

  lines.forEach((line, idx) => {
    const where = `line ${idx + 1}`;
    if (sawEof) throw new Error(`${where}: content after # EOF`);
    if (line === '') {
      if (format === 'openmetrics') throw new Error(`${where}: empty line in OpenMetrics`);
      return;
    }
    if (line.startsWith('#')) {
      if (format === 'openmetrics' && line === '# EOF') {
        sawEof = true;
        return;
      }
      const m = /^# (HELP|TYPE|UNIT) (\S+)(?: (.*))?$/.exec(line);
      if (!m) {
        if (format === 'openmetrics') throw new Error(`${where}: unknown comment ${line}`);
        return;
      }
      const [, kind, name, rest = ''] = m;
      const f = declare(name!, where);
      if (kind === 'HELP') {
        if (f.help !== undefined) throw new Error(`${where}: second HELP for ${name}`);
        f.help = rest;
      } else if (kind === 'TYPE') {
        if (f.type !== 'untyped' && f.type !== 'unknown') throw new Error(`${where}: second TYPE for ${name}`);
        const allowed = format === 'openmetrics' ? ['counter', 'gauge', 'histogram', 'summary', 'info', 'stateset', 'unknown', 'gaugehistogram'] : ['counter', 'gauge', 'histogram', 'summary', 'untyped'];
        if (!allowed.includes(rest)) throw new Error(`${where}: bad type ${rest}`);
        f.type = rest;
      } else {
        if (format !== 'openmetrics') throw new Error(`${where}: UNIT in text format`);
        if (!name!.endsWith(`_${rest}`)) throw new Error(`${where}: family ${name} does not end with its unit ${rest}`);
        f.unit = rest;
      }
      return;
    }
    // Sample line.
    let i = 0;
    while (i < line.length && line[i] !== '{' && line[i] !== ' ') i++;
    const sampleName = line.slice(0, i);
    if (!NAME.test(sampleName)) throw new Error(`${where}: bad sample name ${JSON.stringify(sampleName)}`);
    let labels: Record<string, string> = {};
    if (line[i] === '{') ({ labels, end: i } = parseLabels(line, i, where));
    if (line[i] !== ' ') throw new Error(`${where}: expected a space before the value`);
    let rest = line.slice(i + 1);
    let exemplar: string | undefined;
    const hash = rest.indexOf(' # ');
    if (hash >= 0) {
      if (format !== 'openmetrics') throw new Error(`${where}: exemplar in text format`);
      exemplar = rest.slice(hash + 3);
      rest = rest.slice(0, hash);
      const em = /^(\{.*\}) (\S+)(?: (\S+))?$/.exec(exemplar);
      if (!em) throw new Error(`${where}: bad exemplar ${exemplar}`);
      parseLabels(em[1]!, 0, `${where} exemplar`);
      parseValue(em[2]!, `${where} exemplar`);
    }
    const parts = rest.split(' ');
    if (parts.length > 2) throw new Error(`${where}: trailing garbage`);
    const value = parseValue(parts[0]!, where);
    let f = familyOf(sampleName, families, current);
    if (!f) {
      if (format === 'openmetrics') throw new Error(`${where}: sample ${sampleName} without metadata`);
      f = declare(sampleName, where);
    }
    if (f !== current) {
      if (closed.has(f.name) || (current && f.name !== current.name && f.samples.length > 0)) throw new Error(`${where}: family ${f.name} is not contiguous`);
      if (current) closed.add(current.name);
      current = f;
    }
    if (format === 'openmetrics' && f.type === 'counter' && sampleName === f.name) throw new Error(`${where}: OpenMetrics counter sample without _total`);
    if (format === 'text' && f.type === 'counter' && sampleName !== f.name) throw new Error(`${where}: text counter sample ${sampleName} of ${f.name}`);
    if (exemplar && !(sampleName.endsWith('_bucket') || (f.type === 'counter' && sampleName.endsWith('_total')))) throw new Error(`${where}: exemplar not allowed on ${sampleName}`);
    const key = `${sampleName}${JSON.stringify(Object.entries(labels).sort())}`;
    if (seen.has(key)) throw new Error(`${where}: duplicate series ${key}`);
    seen.add(key);
    f.samples.push({ name: sampleName, labels, value, exemplar });
    series++;
  });
  if (format === 'openmetrics' && !sawEof) throw new Error('OpenMetrics body without # EOF');
  for (const f of families.values()) {
    if (f.help === undefined) throw new Error(`family ${f.name} has no HELP`);
    if (f.type === 'histogram') checkHistogram(f);
    if (f.type === 'summary') checkSummary(f);
  }
  return { families, series };
}

function groupKey(labels: Record<string, string>, drop: string): string {
  return JSON.stringify(Object.entries(labels).filter(([k]) => k !== drop).sort());
}

function checkHistogram(f: CheckedFamily): void {
  const groups = new Map<string, { buckets: [number, number][]; sum?: number; count?: number }>();
  const get = (k: string) => groups.get(k) ?? groups.set(k, { buckets: [] }).get(k)!;
  for (const s of f.samples) {
    const k = groupKey(s.labels, 'le');
    if (s.name === `${f.name}_bucket`) {
      if (s.labels.le === undefined) throw new Error(`${f.name}: bucket without le`);
      get(k).buckets.push([parseValue(s.labels.le, f.name), s.value]);
    } else if (s.name === `${f.name}_sum`) get(k).sum = s.value;
    else if (s.name === `${f.name}_count`) get(k).count = s.value;
  }
  for (const [k, g] of groups) {
    const last = g.buckets[g.buckets.length - 1];
    if (!last || last[0] !== Infinity) throw new Error(`${f.name}${k}: no +Inf bucket`);
    for (let i = 1; i < g.buckets.length; i++) {
      if (!(g.buckets[i]![0] > g.buckets[i - 1]![0])) throw new Error(`${f.name}${k}: le not increasing`);
      if (g.buckets[i]![1] < g.buckets[i - 1]![1]) throw new Error(`${f.name}${k}: bucket counts decrease`);
    }
    if (g.count === undefined || g.sum === undefined) throw new Error(`${f.name}${k}: missing _sum or _count`);
    if (g.count !== last[1]) throw new Error(`${f.name}${k}: +Inf bucket ${last[1]} != _count ${g.count}`);
  }
}

function checkSummary(f: CheckedFamily): void {
  const counts = new Set<string>();
  for (const s of f.samples) {
    if (s.name === f.name && s.labels.quantile === undefined) throw new Error(`${f.name}: summary sample without quantile`);
    if (s.name === `${f.name}_count`) counts.add(groupKey(s.labels, 'quantile'));
  }
  for (const s of f.samples) if (!counts.has(groupKey(s.labels, 'quantile'))) throw new Error(`${f.name}: summary without _count`);
}
