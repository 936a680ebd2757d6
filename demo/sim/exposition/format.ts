/**
 * Writing Prometheus text format 0.0.4 and OpenMetrics 1.0 the way Go's client_golang/expfmt does:
 * label names sorted with `le`/`quantile` last, floats as strconv 'g' -1, families sorted by name.
 */
export type ExpositionFormat = 'text' | 'openmetrics';
export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped' | 'info' | 'stateset';

export const CONTENT_TYPE_TEXT = 'text/plain; version=0.0.4; charset=utf-8';
export const CONTENT_TYPE_OPENMETRICS = 'application/openmetrics-text; version=1.0.0; charset=utf-8';

export function contentTypeFor(format: ExpositionFormat): string {
  return format === 'openmetrics' ? CONTENT_TYPE_OPENMETRICS : CONTENT_TYPE_TEXT;
}

/** A rendered exposition body and what it contains. */
export interface Exposition {
  format: ExpositionFormat;
  contentType: string;
  body: string;
  /** Sample lines (every non-comment, non-empty line). */
  series: number;
  families: number;
  /** UTF-8 byte length of `body`. */
  bytes: number;
}

/** Options shared by the size-scalable generators. Either bound stops generation once reached. */
export interface SizeOptions {
  seed?: number;
  /** Stop adding series once the body has at least this many bytes. */
  targetBytes?: number;
  /** Stop adding series once the body has at least this many samples. */
  seriesCount?: number;
}

/** Go's strconv.FormatFloat(v, 'g', -1, 64), as used by expfmt for values and `le`/`quantile`. */
export function formatFloat(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  const e = v.toExponential(); // shortest round-trip digits, e.g. "1.2345e+6"
  const at = e.indexOf('e');
  const exp = Number(e.slice(at + 1));
  // Go switches to %e below 1e-4 and from 1e6 up ("shortest" uses precision 6 for that decision).
  if (exp < -4 || exp >= 6) {
    const mant = e.slice(0, at);
    const abs = Math.abs(exp);
    return `${mant}e${exp < 0 ? '-' : '+'}${abs < 10 ? '0' : ''}${abs}`;
  }
  return String(v); // plain decimal in this range, same digits as Go

}

/** Label value escaping shared by both formats: backslash, double quote, line feed. */
export function escapeLabelValue(v: string): string {
  if (!/[\\"\n]/.test(v)) return v;
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** HELP escaping: text 0.0.4 escapes backslash and line feed; OpenMetrics also double quotes. */
export function escapeHelp(help: string, format: ExpositionFormat): string {
  let out = help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
  if (format === 'openmetrics') out = out.replace(/"/g, '\\"');
  return out;
}

/** Inner label text (no braces) from name/value pairs, names sorted as client_golang does. */
export function labelText(labels: Record<string, string>): string {
  const names = Object.keys(labels).sort();
  let out = '';
  for (const n of names) {
    if (out) out += ',';
    out += `${n}="${escapeLabelValue(labels[n]!)}"`;
  }
  return out;
}

function braces(inner: string, extraName?: string, extraValue?: string): string {
  if (extraName !== undefined) {
    const extra = `${extraName}="${extraValue}"`;
    return inner ? `{${inner},${extra}}` : `{${extra}}`;
  }
  return inner ? `{${inner}}` : '';
}

/**
 * One metric family being built. `name` is the name written in HELP/TYPE (in text format a counter's
 * family name carries `_total`; in OpenMetrics it does not and samples add the suffix).
 */
export class Family {
  readonly lines: string[] = [];
  bytes = 0;
  series = 0;

  constructor(
    readonly name: string,
    readonly type: MetricType,
    readonly help: string,
    readonly unit?: string,
  ) {}

  /** Append one sample line; `labels` is inner label text, `trailer` e.g. an OpenMetrics exemplar. */
  sample(suffix: string, labels: string, value: number, trailer = ''): void {
    const line = `${this.name}${suffix}${braces(labels)} ${formatFloat(value)}${trailer}\n`;
    this.lines.push(line);
    this.bytes += line.length;
    this.series++;
  }

  /** Append one sample with an extra trailing label (`le` or `quantile`), as client_golang orders it. */
  sampleWith(suffix: string, labels: string, extraName: string, extraValue: string, value: number, trailer = ''): void {
    const line = `${this.name}${suffix}${braces(labels, extraName, extraValue)} ${formatFloat(value)}${trailer}\n`;
    this.lines.push(line);
    this.bytes += line.length;
    this.series++;
  }

  header(format: ExpositionFormat): string {
    let h = `# HELP ${this.name} ${escapeHelp(this.help, format)}\n# TYPE ${this.name} ${this.type}\n`;
    if (format === 'openmetrics' && this.unit) h += `# UNIT ${this.name} ${this.unit}\n`;
    return h;
  }

  headerBytes(format: ExpositionFormat): number {
    return this.header(format).length;
  }
}

/**
 * A set of families rendered together. Families keep their creation slot but are emitted sorted by name,
 * each once and contiguous, as the Go registry does.
 */
export class ExpositionBuilder {
  private readonly families = new Map<string, Family>();

  constructor(readonly format: ExpositionFormat = 'text') {}

  family(name: string, type: MetricType, help: string, unit?: string): Family {
    const existing = this.families.get(name);
    if (existing) {
      if (existing.type !== type) throw new Error(`family ${name} declared as ${existing.type} and ${type}`);
      return existing;
    }
    const f = new Family(name, type, help, unit);
    this.families.set(name, f);
    return f;
  }

  get series(): number {
    let n = 0;
    for (const f of this.families.values()) n += f.series;
    return n;
  }

  /** Bytes the body would have if rendered now (families without samples are omitted). */
  get bytes(): number {
    let n = this.format === 'openmetrics' ? '# EOF\n'.length : 0;
    for (const f of this.families.values()) if (f.series > 0) n += f.bytes + f.headerBytes(this.format);
    return n;
  }

  render(): Exposition {
    const names = [...this.families.keys()].sort();
    const parts: string[] = [];
    let families = 0;
    let series = 0;
    for (const name of names) {
      const f = this.families.get(name)!;
      if (f.series === 0) continue;
      families++;
      series += f.series;
      parts.push(f.header(this.format));
      for (const line of f.lines) parts.push(line);
    }
    if (this.format === 'openmetrics') parts.push('# EOF\n');
    const body = parts.join('');
    return {
      format: this.format,
      contentType: contentTypeFor(this.format),
      body,
      series,
      families,
      bytes: Buffer.byteLength(body, 'utf8'),
    };
  }
}
