import { expect } from 'chai';
import { openMetricsToText } from '../../../proxy/exposition/convert.js';
import { mergePods, type MergeDrop } from '../../../proxy/exposition/merge.js';
import { PodExpositionParser, prepareRules } from '../../../proxy/exposition/parser.js';
import { renderToString } from '../../../proxy/exposition/serialize.js';
import { StreamingMerge } from '../../../proxy/exposition/stream-merge.js';
import { makeTargetLabels } from '../../../proxy/exposition/target.js';
import type { ExpositionFormat } from '../../../proxy/exposition/types.js';
import { compileRelabelConfigs } from '../../../proxy/relabel/index.js';
import { parse } from './helpers.js';

/** A small deterministic PRNG (mulberry32): the same seed, the same interleaving. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface FamilySpec {
  name: string;
  type: 'counter' | 'gauge' | 'histogram';
  samples: number;
}

function family(name: string, i: number): FamilySpec {
  return { name, type: (['counter', 'gauge', 'histogram'] as const)[i % 3]!, samples: 1 + ((i * 7) % 40) };
}

function body(fams: readonly FamilySpec[], pod: string, om = false): string {
  let out = '';
  for (const f of fams) {
    const name = om && f.type === 'counter' ? f.name.replace(/_total$/, '') : f.name;
    out += `# HELP ${name} Help of ${name} with enough words to make a line.\n# TYPE ${name} ${f.type}\n`;
    for (let s = 0; s < f.samples; s++) {
      const labels = `code="${200 + s}",resource="resource-${s}",verb="GET",scope="cluster",pod_name="${pod}"`;
      if (f.type === 'histogram') {
        for (const le of ['0.1', '1', '+Inf']) out += `${name}_bucket{${labels},le="${le}"} ${s}\n`;
        out += `${name}_sum{${labels}} ${s * 1.5}\n${name}_count{${labels}} ${s}\n`;
      } else {
        out += `${om && f.type === 'counter' ? name + '_total' : name}{${labels}} ${s}\n`;
      }
    }
  }
  return om ? out + '# EOF\n' : out;
}

const names = (n: number, from = 0) => Array.from({ length: n }, (_, i) => family(`fam_${String(from + i).padStart(3, '0')}_total`, from + i));

interface PodInput {
  text: string;
  format?: ExpositionFormat;
  /** Fail after this many bytes. */
  failAt?: number;
}

interface StreamRun {
  out: string;
  drops: MergeDrop[];
  discardedBytes: number;
  /** Bytes written before the first pod finished. */
  writtenBeforeAnyFinished: number;
}

function parserFor(format: ExpositionFormat, pod: number): PodExpositionParser {
  return new PodExpositionParser(format, { target: makeTargetLabels([['pod', `p${pod}`]]), rules: prepareRules(compileRelabelConfigs([], 'rules')) });
}

/** Feed the pods to a StreamingMerge in random slices and interleavings, shipping as the proxy's workers do. */
function streamMerge(pods: readonly PodInput[], seed: number, acceptOpenMetrics = false): StreamRun {
  const rnd = prng(seed);
  const pieces: Buffer[] = [];
  let discardedBytes = 0;
  let anyFinished = false;
  let writtenBeforeAnyFinished = 0;
  const drops: MergeDrop[] = [];
  const merge = new StreamingMerge(
    pods.length,
    acceptOpenMetrics,
    {
      write: (p) => {
        const b = typeof p === 'string' ? Buffer.from(p) : Buffer.from(p.buffer, p.byteOffset, p.byteLength);
        pieces.push(Buffer.from(b));
        if (!anyFinished) writtenBeforeAnyFinished += b.length;
      },
      discard: (c) => {
        discardedBytes += c.byteLength;
      },
    },
    drops,
  );
  const state = pods.map((p, i) => ({ bytes: Buffer.from(p.text), pos: 0, parser: parserFor(p.format ?? 'text', i), over: false }));
  for (;;) {
    const open = state.map((_s, i) => i).filter((i) => !state[i]!.over);
    if (open.length === 0) break;
    const i = open[Math.floor(rnd() * open.length)]!;
    const s = state[i]!;
    const pod = pods[i]!;
    if (s.pos === 0) merge.head(i, pod.format ?? 'text');
    const n = 1 + Math.floor(rnd() * 30_000);
    const end = Math.min(s.bytes.length, s.pos + n);
    if (pod.failAt !== undefined && end >= pod.failAt) {
      merge.fail(i);
      s.over = true;
      anyFinished = true;
      continue;
    }
    s.parser.push(s.bytes.subarray(s.pos, end));
    s.pos = end;
    let ship = s.parser.takeShipment(rnd() < 0.2);
    if (s.pos === s.bytes.length) {
      if (ship) merge.ship(i, ship);
      s.parser.end();
      ship = s.parser.takeShipment(true);
      if (ship) merge.ship(i, ship);
      anyFinished = true;
      merge.finish(i);
      s.over = true;
    } else if (ship) {
      merge.ship(i, ship);
    }
  }
  expect(merge.complete).to.equal(true);
  return { out: Buffer.concat(pieces).toString('utf8'), drops, discardedBytes, writtenBeforeAnyFinished };
}

function batchMerge(pods: readonly PodInput[], format: ExpositionFormat = 'text'): string {
  const parsed = pods
    .map((p, i) => ({ p, i }))
    .filter(({ p }) => p.failAt === undefined)
    .map(({ p, i }) => parse(p.text, { format: p.format ?? 'text', target: [['pod', `p${i}`]] }));
  const parts = format === 'text' ? parsed.map(openMetricsToText) : parsed;
  return renderToString(mergePods(parts), format);
}

const SEEDS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];

describe('exposition: streaming merge', () => {
  it('gives the same bytes as mergePods when pods have the same families, whatever the slices and interleaving', () => {
    const fams = names(60);
    const pods = [0, 1, 2].map((i) => ({ text: body(fams, `p${i}`) }));
    const expected = batchMerge(pods);
    for (const seed of SEEDS) {
      const run = streamMerge(pods, seed);
      expect(run.out, `seed ${seed}`).to.equal(expected);
      expect(run.drops).to.deep.equal([]);
      expect(run.discardedBytes).to.equal(0);
    }
  });

  it('streams: families are written before any pod has finished', () => {
    const fams = names(60);
    const pods = [0, 1, 2].map((i) => ({ text: body(fams, `p${i}`) }));
    const total = batchMerge(pods).length;
    const written = SEEDS.map((seed) => streamMerge(pods, seed).writtenBeforeAnyFinished);
    // Every run writes something early; on average a good part of the answer.
    expect(Math.min(...written)).to.be.greaterThan(0);
    expect(written.reduce((a, b) => a + b, 0) / written.length).to.be.greaterThan(total / 10);
  });

  it('gives the same bytes as mergePods when pods miss some families or have extra ones', () => {
    const all = names(50);
    const pods = [
      { text: body(all.filter((_, i) => i % 7 !== 3), 'p0') },
      { text: body(all.filter((_, i) => i % 5 !== 1).concat(names(3, 90)), 'p1') },
      { text: body(all.filter((_, i) => i % 4 !== 2 && i !== 0), 'p2') },
    ];
    const expected = batchMerge(pods);
    for (const seed of SEEDS) expect(streamMerge(pods, seed).out, `seed ${seed}`).to.equal(expected);
  });

  it('gives the answer mergePods gives without a pod that fails before anything is written', () => {
    const fams = names(30);
    const pods = [{ text: body(fams, 'p0'), failAt: 10 }, { text: body(fams, 'p1') }, { text: body(fams.slice(5), 'p2') }];
    const expected = batchMerge(pods);
    for (const seed of SEEDS) expect(streamMerge(pods, seed).out, `seed ${seed}`).to.equal(expected);
  });

  it('a pod failing mid-body costs only its own unwritten samples; the answer stays whole', () => {
    const fams = names(40);
    const pods = [{ text: body(fams, 'p0') }, { text: body(fams, 'p1'), failAt: 120_000 }, { text: body(fams, 'p2') }];
    for (const seed of SEEDS) {
      const run = streamMerge(pods, seed);
      // Every family is present once, with all samples of p0 and p2.
      for (const f of fams) expect(run.out.split(`# TYPE ${f.name} `).length - 1, f.name).to.equal(1);
      const p0 = (run.out.match(/pod="p0"/g) ?? []).length;
      const p2 = (run.out.match(/pod="p2"/g) ?? []).length;
      expect(p0).to.equal(p2);
      expect(p0).to.equal((batchMerge([pods[0]!]).match(/pod="p0"/g) ?? []).length);
    }
  });

  it('serves OpenMetrics only when every pod answered in it, converting otherwise', () => {
    const fams = names(20);
    const om = [0, 1].map((i) => ({ text: body(fams, `p${i}`, true), format: 'openmetrics' as const }));
    // The caller closes an OpenMetrics answer with its own lines and "# EOF".
    for (const seed of SEEDS.slice(0, 4)) expect(streamMerge(om, seed, true).out + '# EOF\n').to.equal(batchMerge(om, 'openmetrics'));
    const mixed = [om[0]!, { text: body(fams, 'p1') }];
    const expected = batchMerge(mixed, 'text');
    for (const seed of SEEDS.slice(0, 4)) expect(streamMerge(mixed, seed, true).out, `seed ${seed}`).to.equal(expected);
  });

  it('a pod out of its peers\' order loses at most the families it sent too late, reported, and nothing else', () => {
    const fams = names(30);
    const shuffled = [...fams.slice(15), ...fams.slice(0, 15)];
    const pods = [{ text: body(fams, 'p0') }, { text: body(shuffled, 'p1') }];
    for (const seed of SEEDS) {
      const run = streamMerge(pods, seed);
      const families = [...run.out.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]);
      expect(new Set(families).size, 'each family once').to.equal(families.length);
      const p1 = (run.out.match(/pod="p1"/g) ?? []).length;
      const dropped = run.drops.reduce((n, d) => n + (d.pod === 1 && d.reason === 'out_of_order' ? d.samples : 0), 0);
      const p1Total = (batchMerge([pods[0]!]).match(/pod="p0"/g) ?? []).length;
      // Every sample of p1 is either served or reported dropped.
      expect(p1 + dropped, `seed ${seed}`).to.equal(p1Total);
    }
  });

  it('serves nothing but finishes at once without pods', () => {
    const pieces: unknown[] = [];
    const m = new StreamingMerge(0, false, { write: (p) => pieces.push(p), discard: () => undefined });
    expect(m.complete).to.equal(true);
    expect(m.format).to.equal('text');
    expect(pieces).to.deep.equal([]);
  });
});
