import { expect } from 'chai';
import { openMetricsToText } from '../../../proxy/exposition/convert.js';
import { mergePods, type MergeDrop } from '../../../proxy/exposition/merge.js';
import { renderToString } from '../../../proxy/exposition/serialize.js';
import { parse } from './helpers.js';

const podA = '# HELP x_total X.\n# TYPE x_total counter\nx_total 1\n# HELP y Y.\n# TYPE y gauge\ny 2\n';
const podB = '# HELP z Z.\n# TYPE z gauge\nz 3\n# HELP x_total X from B.\n# TYPE x_total counter\nx_total 4\n';

describe('merge', () => {
  it('keeps every family contiguous with one HELP and one TYPE, in order of first appearance', () => {
    const a = parse(podA, { target: [['pod', 'a']] });
    const b = parse(podB, { target: [['pod', 'b']] });
    const out = renderToString(mergePods([a, b]), 'text');
    expect(out).to.equal(
      '# HELP x_total X.\n# TYPE x_total counter\nx_total{pod="a"} 1\nx_total{pod="b"} 4\n' +
        '# HELP y Y.\n# TYPE y gauge\ny{pod="a"} 2\n' +
        '# HELP z Z.\n# TYPE z gauge\nz{pod="b"} 3\n',
    );
  });

  it('adopts the type of a typed pod when the first saw the family untyped', () => {
    const a = parse('m 1\n', { target: [['pod', 'a']] });
    const b = parse('# TYPE m counter\nm 2\n', { target: [['pod', 'b']] });
    expect(renderToString(mergePods([a, b]), 'text')).to.equal('# TYPE m counter\nm{pod="a"} 1\nm{pod="b"} 2\n');
  });

  it('drops the family of a pod whose type cannot share samples, and reports it', () => {
    const a = parse('# TYPE m histogram\nm_bucket{le="+Inf"} 1\nm_sum 1\nm_count 1\n', { target: [['pod', 'a']] });
    const b = parse('# TYPE m gauge\nm 2\n# TYPE k gauge\nk 1\n', { target: [['pod', 'b']] });
    const drops: MergeDrop[] = [];
    const out = renderToString(mergePods([a, b], drops), 'text');
    expect(out).to.not.contain('m{pod="b"}');
    expect(out).to.contain('k{pod="b"} 1');
    expect(drops).to.deep.equal([{ pod: 1, family: 'm', samples: 1, reason: 'type_conflict' }]);
  });

  it('never lets a pod serve its own up or scrape_duration_seconds', () => {
    const drops: MergeDrop[] = [];
    const fams = mergePods([parse('up 1\nscrape_duration_seconds 2\nok 3\n')], drops);
    expect(fams.map((f) => f.name)).to.deep.equal(['ok']);
    expect(drops.map((d) => d.reason)).to.deep.equal(['reserved_name', 'reserved_name']);
  });
});

describe('OpenMetrics to text', () => {
  it('renames counters, splits _created into gauges, drops exemplars and converts timestamps to ms', () => {
    const om = parse(
      '# TYPE c counter\n# HELP c A \\"quoted\\" help.\nc_total{a="1"} 2 1700000000.25 # {t="x"} 1\nc_created{a="1"} 1699999999\n' +
        '# TYPE b info\nb_info{v="1"} 1\n# TYPE u unknown\nu 1\n# EOF\n',
      { format: 'openmetrics' },
    );
    const out = renderToString(mergePods([openMetricsToText(om)]), 'text');
    expect(out).to.equal(
      '# HELP c_total A "quoted" help.\n# TYPE c_total counter\nc_total{job="j",a="1"} 2 1700000000250\n' +
        '# HELP c_created A "quoted" help.\n# TYPE c_created gauge\nc_created{job="j",a="1"} 1699999999\n' +
        '# TYPE b_info gauge\nb_info{job="j",v="1"} 1\n' +
        '# TYPE u untyped\nu{job="j"} 1\n',
    );
  });

  it('converts label values containing "}" and " # " correctly', () => {
    const om = parse('# TYPE g gauge\ng{a="} # {x} 9"} 1 # {t="y"} 2\n# EOF\n', { format: 'openmetrics' });
    const out = renderToString(mergePods([openMetricsToText(om)]), 'text');
    expect(out).to.equal('# TYPE g gauge\ng{job="j",a="} # {x} 9"} 1\n');
  });
});
