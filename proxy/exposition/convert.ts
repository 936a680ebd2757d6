/**
 * OpenMetrics → text 0.0.4, for when the caller cannot take OpenMetrics or pods answered in both.
 * Text has no exemplars, units, _created samples or second timestamps, so: exemplars are dropped,
 * timestamps become milliseconds, `_created` samples become gauges of their own (as the Python
 * client renders them), and OpenMetrics-only types become gauges.
 */
import type { MetricType, PodExposition, PodFamily } from './types.js';

/** Where a rendered sample line's label set ends (index of the closing brace), honouring quotes. */
function labelSetEnd(line: string, open: number): number {
  let inQuote = false;
  for (let i = open + 1; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (inQuote) {
      if (c === 92) i++;
      else if (c === 34) inQuote = false;
    } else if (c === 34) inQuote = true;
    else if (c === 125) return i;
  }
  return -1;
}

/** Rewrite one OpenMetrics sample line (no newline) as text; returns [sampleName, textLine]. */
export function omLineToText(line: string): [string, string] {
  const brace = line.indexOf('{');
  const space = line.indexOf(' ');
  let nameEnd: number;
  let tailStart: number;
  if (brace >= 0 && (space < 0 || brace < space)) {
    nameEnd = brace;
    tailStart = labelSetEnd(line, brace) + 1;
  } else {
    nameEnd = space;
    tailStart = space;
  }
  const tokens = line.slice(tailStart).trim().split(/[ \t]+/);
  let out = line.slice(0, tailStart) + ' ' + tokens[0];
  const ts = tokens[1];
  if (ts !== undefined && ts !== '#') out += ' ' + Math.round(Number(ts) * 1000).toString();
  return [line.slice(0, nameEnd), out + '\n'];
}

function textHelp(omHelp: string | undefined): string | undefined {
  if (omHelp === undefined) return undefined;
  // OpenMetrics escapes `"` in HELP, text 0.0.4 does not allow that escape.
  return omHelp.replace(/\\(.)/g, (m, c: string) => (c === '"' ? '"' : m));
}

function target(fam: PodFamily, sampleName: string): [string, MetricType] {
  const suffixOf = (s: string) => sampleName.endsWith(s) && sampleName.length > s.length;
  switch (fam.type) {
    case 'counter':
      return suffixOf('_created') ? [sampleName, 'gauge'] : [sampleName, 'counter'];
    case 'histogram':
    case 'summary':
      return suffixOf('_created') ? [sampleName, 'gauge'] : [fam.name, fam.type];
    case 'gaugehistogram':
    case 'info':
      return [sampleName, 'gauge'];
    case 'stateset':
    case 'gauge':
      return [fam.name, 'gauge'];
    default:
      return [fam.name, 'untyped'];
  }
}

export function openMetricsToText(pod: PodExposition): PodExposition {
  if (pod.format === 'text') return pod;
  const families: PodFamily[] = [];
  const byName = new Map<string, PodFamily>();
  for (const fam of pod.families) {
    const help = textHelp(fam.help);
    for (const bytes of fam.chunks) {
      const chunk = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
      let pos = 0;
      while (pos < chunk.length) {
        const nl = chunk.indexOf('\n', pos);
        const [sampleName, text] = omLineToText(chunk.slice(pos, nl));
        pos = nl + 1;
        const [name, type] = target(fam, sampleName);
        let out = byName.get(name);
        if (!out) {
          out = { name, type, typed: fam.typed || type !== 'untyped', help, unit: undefined, chunks: [], samples: 0 };
          byName.set(name, out);
          families.push(out);
        }
        out.chunks.push(Buffer.from(text));
        out.samples++;
      }
    }
  }
  return { ...pod, format: 'text', families };
}
