/**
 * Reading proxy answers in tests: a small, strict parser of text-format sample lines, label-set keys
 * that ignore order, and the proxy's own counters. Independent of proxy/exposition on purpose.
 */
import { expect } from 'chai';
import { scrapeProxy } from '../../demo/client.js';
import { promtoolCheckMetrics } from './promtool.js';

export interface Sample {
  name: string;
  labels: Record<string, string>;
  /** The value as written. */
  value: string;
  timestamp?: string;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;

/** One sample line (text 0.0.4 or OpenMetrics), or throws with the line. */
export function parseSampleLine(line: string): Sample {
  const m = NAME.exec(line);
  if (!m) throw new Error(`no metric name: ${line}`);
  const name = m[0];
  let p = name.length;
  const labels: Record<string, string> = {};
  if (line[p] === '{') {
    p++;
    for (;;) {
      while (line[p] === ' ') p++;
      if (line[p] === '}') {
        p++;
        break;
      }
      const ln = LABEL_NAME.exec(line.slice(p));
      if (!ln) throw new Error(`bad label name at ${p}: ${line}`);
      p += ln[0].length;
      if (line[p] !== '=' || line[p + 1] !== '"') throw new Error(`expected ="" at ${p}: ${line}`);
      p += 2;
      let v = '';
      for (;;) {
        const c = line[p];
        if (c === undefined) throw new Error(`unterminated label value: ${line}`);
        if (c === '"') break;
        if (c === '\\') {
          const e = line[p + 1];
          v += e === 'n' ? '\n' : e;
          p += 2;
        } else {
          v += c;
          p++;
        }
      }
      p++;
      if (ln[0] in labels) throw new Error(`duplicate label ${ln[0]}: ${line}`);
      labels[ln[0]] = v;
      if (line[p] === ',') p++;
    }
  }
  // OpenMetrics exemplars follow " # ".
  const rest = line.slice(p).split(' # ')[0]!.trim().split(/ +/);
  if (rest.length < 1 || rest.length > 2 || rest[0] === '') throw new Error(`bad value part: ${line}`);
  return { name, labels, value: rest[0]!, timestamp: rest[1] };
}

/** Every sample line of an exposition. */
export function parseSamples(body: string): Sample[] {
  return body
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map(parseSampleLine);
}

/** Name and labels, independent of label order. */
export function seriesKey(name: string, labels: Record<string, string>): string {
  return name + JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Numeric value of a Prometheus float as written (`+Inf`, `NaN`, Go's `1e+06`). */
export function floatValue(v: string): number {
  if (v === '+Inf' || v === 'Inf') return Infinity;
  if (v === '-Inf') return -Infinity;
  if (v === 'NaN') return NaN;
  return Number(v);
}

/** True if `labels` has every pair of `want`. */
export function hasLabels(labels: Record<string, string>, want: Record<string, string>): boolean {
  return Object.entries(want).every(([k, v]) => labels[k] === v);
}

/** Sum of the samples named `name` whose labels include `want` (0 when there are none). */
export function sumSamples(body: string, name: string, want: Record<string, string> = {}): number {
  return parseSamples(body)
    .filter((s) => s.name === name && hasLabels(s.labels, want))
    .reduce((a, s) => a + floatValue(s.value), 0);
}

/** A counter or gauge of the proxy's own /metrics. */
export async function proxyMetric(proxyUrl: string, caPem: string, name: string, want: Record<string, string> = {}): Promise<number> {
  const a = await scrapeProxy(`${proxyUrl}/metrics`, { caPem });
  expect(a.status, `GET /metrics: ${a.body}`).to.equal(200);
  return sumSamples(a.body, name, want);
}

/** `promtool check metrics` must accept the answer without a lint complaint (exit status 0). */
export function expectPromtoolClean(body: string, what: string): void {
  const r = promtoolCheckMetrics(body);
  expect(r.status, `promtool check metrics on ${what} (exit ${r.status}):\n${r.output.slice(0, 2000)}`).to.equal(0);
}
