import { expect } from 'chai';
import { roundTrip, parse } from './helpers.js';

const hist = [
  '# HELP req_seconds Latency.',
  '# TYPE req_seconds histogram',
  'req_seconds_bucket{verb="GET",le="0.1"} 1',
  'req_seconds_bucket{verb="GET",le="0.15"} 2',
  'req_seconds_bucket{verb="GET",le="+Inf"} 3',
  'req_seconds_sum{verb="GET"} 0.5',
  'req_seconds_count{verb="GET"} 3',
  '# TYPE other_total counter',
  'other_total 1',
  '',
].join('\n');

describe('exposition parser with relabel rules', () => {
  it('keeps by name alone (a MetricsSet keep-list) per sample name, not per family', () => {
    const out = roundTrip(hist, { rules: [{ sourceLabels: ['__name__'], regex: 'req_seconds_bucket', action: 'keep' }] });
    expect(out).to.equal(
      '# HELP req_seconds Latency.\n# TYPE req_seconds histogram\n' +
        'req_seconds_bucket{job="j",verb="GET",le="0.1"} 1\nreq_seconds_bucket{job="j",verb="GET",le="0.15"} 2\nreq_seconds_bucket{job="j",verb="GET",le="+Inf"} 3\n',
    );
  });

  it('drops by name and another label (the All set le rule), leaving other names untouched', () => {
    const pod = parse(hist, { rules: [{ sourceLabels: ['__name__', 'le'], regex: 'req_seconds_bucket;(0.15|0.25)', action: 'drop' }] });
    expect(pod.dropped).to.equal(1);
    const out = roundTrip(hist, { rules: [{ sourceLabels: ['__name__', 'le'], regex: 'req_seconds_bucket;(0.15|0.25)', action: 'drop' }] });
    expect(out).to.not.contain('le="0.15"');
    expect(out).to.contain('le="0.1"');
    expect(out).to.contain('other_total{job="j"} 1');
  });

  it('a keep on name and label drops names its literal prefix rules out, and checks the others per sample', () => {
    const out = roundTrip(hist, { rules: [{ sourceLabels: ['__name__', 'verb'], regex: 'req_seconds_.*;GET', action: 'keep' }] });
    expect(out).to.contain('req_seconds_sum{job="j",verb="GET"} 0.5');
    expect(out).to.not.contain('other_total');
  });

  it('filter verdicts remembered per label bytes agree with the exact path on every sample', () => {
    // Many series, repeated and unique values, missing and empty labels, more distinct keys than the cache holds.
    let seed = 42;
    const rnd = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8) % n;
    const les = ['0.1', '0.15', '0.25', '1', '+Inf'];
    const lines: string[] = ['# TYPE h histogram'];
    for (let i = 0; i < 12_000; i++) {
      const a = rnd(3) === 0 ? '' : `a="${rnd(4) === 0 ? '' : `v${rnd(7000)}`}",`;
      lines.push(`h_bucket{${a}b="${rnd(3)}",c="${rnd(3)}",le="${les[rnd(les.length)]}"} ${i}`);
    }
    // Keys that only the separators tell apart: b="1",c="1" (equal: dropped) then b="11",c="" (kept).
    lines.push('h_bucket{b="1",c="1",le="1"} 1', 'h_bucket{b="11",c="",le="1"} 2');
    const text = lines.join('\n') + '\n';
    const filters = [
      { sourceLabels: ['__name__', 'le'], regex: 'h_bucket;(0.15|0.25)', action: 'drop' as const },
      { sourceLabels: ['a'], regex: 'v1.*', action: 'drop' as const },
      { sourceLabels: ['b'], targetLabel: 'c', action: 'dropequal' as const },
      { sourceLabels: ['job', 'b'], regex: 'j;(0|1|11)', action: 'keep' as const },
    ];
    // A rule that never changes anything but forces the exact (label map) path for every sample.
    const exact = [...filters, { regex: 'zzz_never', action: 'labeldrop' as const }];
    // The verbatim path keeps a scraped x="" that the exact path leaves out; Prometheus reads both as absent.
    const fast = roundTrip(text, { rules: filters, chunkSize: 4096 }).replace(/[a-z]+="",/g, '');
    expect(text.match(/a="v1/g)?.length, 'the a rule has work to do').to.be.greaterThan(500);
    expect(fast.split('\n').length).to.be.within(1000, 8000);
    expect(fast).to.equal(roundTrip(text, { rules: exact, chunkSize: 4096 }));
    expect(fast).to.contain('h_bucket{job="j",b="11",le="1"} 2');
  });

  it('a comment between two samples of one series leaves the name the rules see intact', () => {
    const text = '# TYPE h histogram\nh_bucket{a="1",le="1"} 1\n# HELP h Latency.\nh_bucket{a="1",le="2"} 2\nh_bucket{a="1",le="+Inf"} 3\n';
    const out = roundTrip(text, { rules: [{ sourceLabels: ['__name__', 'le'], regex: 'h_bucket;(1|2)', action: 'keep' }] });
    expect(out).to.equal('# HELP h Latency.\n# TYPE h histogram\nh_bucket{job="j",a="1",le="1"} 1\nh_bucket{job="j",a="1",le="2"} 2\n');
  });

  it('lets rules read injected target labels and exported_ labels', () => {
    const out = roundTrip('m{job="inner",x="1"} 1\nm{x="2"} 2\n', {
      target: [['job', 'outer']],
      rules: [{ sourceLabels: ['exported_job'], regex: 'inner', action: 'keep' }],
    });
    expect(out).to.equal('m{job="outer",x="1",exported_job="inner"} 1\n');
  });

  it('applies label-changing rules through the exact path', () => {
    const out = roundTrip('m{a="x",b="y"} 1\n', {
      rules: [
        { sourceLabels: ['a', 'b'], separator: '-', targetLabel: 'ab', regex: '(.*)', replacement: '${1}!', action: 'replace' },
        { regex: 'b', action: 'labeldrop' },
      ],
    });
    expect(out).to.equal('m{job="j",a="x",ab="x-y!"} 1\n');
  });

  it('moves a sample renamed by a rule into the family of its new name', () => {
    const pod = parse('# TYPE old gauge\nold 1\nkeep 2\n', {
      rules: [{ sourceLabels: ['__name__'], regex: 'old', targetLabel: '__name__', replacement: 'renamed', action: 'replace' }],
    });
    expect(pod.families.map((f) => [f.name, f.samples])).to.deep.equal([
      ['renamed', 1],
      ['keep', 1],
    ]);
  });

  it('escapes values rebuilt by rules', () => {
    const out = roundTrip('m{a="q\\"x"} 1\n', { rules: [{ sourceLabels: ['a'], targetLabel: 'b', action: 'replace' }] });
    expect(out).to.equal('m{job="j",a="q\\"x",b="q\\"x"} 1\n');
  });
});
