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
