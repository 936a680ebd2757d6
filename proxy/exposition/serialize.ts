/**
 * Render merged families as text 0.0.4 or OpenMetrics 1.0, as a lazy sequence of strings so the
 * HTTP layer can stream with backpressure; each chunk is released once it has been handed over.
 */
import type { MergedFamily } from './merge.js';
import type { ExpositionFormat } from './types.js';

/** The HELP, TYPE and UNIT lines of a family ('' when it has none). */
export function familyHeader(f: Pick<MergedFamily, 'name' | 'type' | 'typed' | 'help' | 'unit'>, format: ExpositionFormat): string {
  const om = format === 'openmetrics';
  let header = '';
  if (f.help !== undefined) header += `# HELP ${f.name} ${f.help}\n`;
  if (f.typed || (om ? f.type !== 'unknown' : f.type !== 'untyped')) header += `# TYPE ${f.name} ${f.type}\n`;
  if (om && f.unit !== undefined) header += `# UNIT ${f.name} ${f.unit}\n`;
  return header;
}

export function* renderExposition(families: MergedFamily[], format: ExpositionFormat): Generator<string | Uint8Array> {
  const om = format === 'openmetrics';
  for (const f of families) {
    if (f.samples === 0) continue;
    const header = familyHeader(f, format);
    if (header !== '') yield header;
    for (let i = 0; i < f.chunks.length; i++) {
      const c = f.chunks[i]!;
      f.chunks[i] = EMPTY;
      yield c;
    }
  }
  if (om) yield '# EOF\n';
}

/** Whole exposition as one string: for tests and small answers, not for the scrape path. */
export function renderToString(families: MergedFamily[], format: ExpositionFormat): string {
  const parts: Buffer[] = [];
  for (const c of renderExposition(families, format)) parts.push(typeof c === 'string' ? Buffer.from(c) : Buffer.from(c.buffer, c.byteOffset, c.byteLength));
  return Buffer.concat(parts).toString('utf8');
}

const EMPTY = new Uint8Array(0);
