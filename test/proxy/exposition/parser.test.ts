import { expect } from 'chai';
import { ExpositionParseError } from '../../../proxy/exposition/types.js';
import { mergePods } from '../../../proxy/exposition/merge.js';
import { PodExpositionParser, prepareRules } from '../../../proxy/exposition/parser.js';
import { renderToString } from '../../../proxy/exposition/serialize.js';
import { makeTargetLabels } from '../../../proxy/exposition/target.js';
import { parse, roundTrip, POD_A } from './helpers.js';

function parseError(text: string, format: 'text' | 'openmetrics' = 'text'): ExpositionParseError {
  try {
    parse(text, { format });
  } catch (err) {
    expect(err).to.be.instanceOf(ExpositionParseError);
    return err as ExpositionParseError;
  }
  throw new Error('expected a parse error');
}

describe('exposition parser: text 0.0.4', () => {
  it('injects target labels in front of the scraped ones', () => {
    const out = roundTrip('# HELP a_total Requests.\n# TYPE a_total counter\na_total{code="200"} 5\na_total 7\n', { target: POD_A });
    expect(out).to.equal(
      '# HELP a_total Requests.\n# TYPE a_total counter\n' +
        'a_total{job="apiserver",namespace="default",service="kubernetes",endpoint="https",pod="kube-apiserver-a",instance="10.0.0.1:6443",code="200"} 5\n' +
        'a_total{job="apiserver",namespace="default",service="kubernetes",endpoint="https",pod="kube-apiserver-a",instance="10.0.0.1:6443"} 7\n',
    );
  });

  it('keeps escapes, NaN, ±Inf and timestamps', () => {
    const out = roundTrip('m{path="C:\\\\dir",msg="say \\"hi\\"\\nbye"} NaN 1700000000000\nm{a="x"} +Inf\nm{a="y"} -Inf -5\n');
    expect(out).to.equal('m{job="j",path="C:\\\\dir",msg="say \\"hi\\"\\nbye"} NaN 1700000000000\nm{job="j",a="x"} +Inf\nm{job="j",a="y"} -Inf -5\n');
  });

  it('tells apart consecutive names that extend or shorten each other', () => {
    const out = roundTrip('foo 1\nfoo_bar 2\nfoo 3\nfo 4\nfoo:x 5\nfoo{a="1"} 6\n');
    expect(out).to.equal('foo{job="j"} 1\nfoo{job="j"} 3\nfoo{job="j",a="1"} 6\nfoo_bar{job="j"} 2\nfo{job="j"} 4\nfoo:x{job="j"} 5\n');
    expect(parseError('foo 1\nfoo\n').message).to.match(/^line 2: missing value for "foo"/);
    expect(parseError('foo 1\nfoo! 2\n').message).to.match(/^line 2: invalid character "!" in metric name "foo"/);
  });

  it('neighbours sharing a label prefix get the same treatment as if scanned alone', () => {
    const text =
      '# TYPE h histogram\n' +
      'h_bucket{job="x",a="1",le="1"} 1\n' + // a colliding label in the shared prefix
      'h_bucket{job="x",a="1",le="+Inf"} 2\n' +
      'h_bucket{p="a\\"b",le="1"} 1\n' + // an escape in the shared prefix
      'h_bucket{p="a\\"b",le="+Inf"} 2\n' +
      'h_bucket{q="1", le="1"} 1\n' + // a blank in the shared prefix
      'h_bucket{q="1", le="+Inf"} 2\n';
    const expected =
      'h_bucket{job="j",a="1",le="1",exported_job="x"} 1\nh_bucket{job="j",a="1",le="+Inf",exported_job="x"} 2\n' +
      'h_bucket{job="j",p="a\\"b",le="1"} 1\nh_bucket{job="j",p="a\\"b",le="+Inf"} 2\n' +
      'h_bucket{job="j",q="1",le="1"} 1\nh_bucket{job="j",q="1",le="+Inf"} 2\n';
    expect(roundTrip(text).replace(/^# TYPE h histogram\n/, '')).to.equal(expected);
    // Each line alone gives the same, so the reuse changed nothing.
    const alone = text.split('\n').slice(1, -1).map((l) => roundTrip(`# TYPE h histogram\n${l}\n`).replace(/^# TYPE h histogram\n/, '')).join('');
    expect(alone).to.equal(expected);
    // A shared prefix does not hide an error after it, nor a duplicate label against it.
    expect(parseError('m{a="1",b="2"} 1\nm{a="1",b=2} 1\n').message).to.match(/^line 2: expected '"' to open the value of label "b"/);
    expect(parseError('m{a="1",b="2"} 1\nm{a="1",a="2"} 1\n').message).to.match(/^line 2: label "a" appears twice on "m"/);
  });

  it('files cycling histogram names (_bucket, _sum, _count) under their family across many series', () => {
    const series = Array.from({ length: 20 }, (_, i) => `h_bucket{s="${i}",le="1"} 1\nh_bucket{s="${i}",le="+Inf"} 2\nh_sum{s="${i}"} 3\nh_count{s="${i}"} 2\n`).join('');
    const pod = parse(`# TYPE h histogram\n${series}# TYPE g gauge\ng 1\nh_other 5\n`);
    expect(pod.families.map((f) => `${f.name}:${f.type}:${f.samples}`)).to.deep.equal(['h:histogram:80', 'g:gauge:1', 'h_other:untyped:1']);
  });

  it('remembers nothing inside a buffer the caller reuses after push', () => {
    const p = new PodExpositionParser('text', { target: makeTargetLabels([['job', 'j']]), rules: prepareRules([]) });
    const buf = Buffer.from('aaa{x="1",y="2"} 1\n');
    p.push(buf);
    buf.write('bbb{x="1",y="2"} 2\n'); // same length, same label prefix, another name
    p.push(buf);
    buf.write('bbb{x="\\n",y="3"} 3\n'.padEnd(buf.length - 1, ' ') + '\n');
    p.push(buf);
    const pod = p.end();
    expect(pod.families.map((f) => `${f.name}:${f.samples}`), 'each sample in its own family').to.deep.equal(['aaa:1', 'bbb:2']);
    expect(renderToString(mergePods([pod]), 'text')).to.equal('aaa{job="j",x="1",y="2"} 1\nbbb{job="j",x="1",y="2"} 2\nbbb{job="j",x="\\n",y="3"} 3\n');
  });

  it('groups histogram and summary samples under their family', () => {
    const text = [
      '# TYPE h histogram',
      'h_bucket{le="0.1"} 1',
      'h_bucket{le="+Inf"} 2',
      'h_sum 0.3',
      'h_count 2',
      '# TYPE s summary',
      's{quantile="0.5"} 1',
      's_sum 3',
      's_count 4',
      '',
    ].join('\n');
    const pod = parse(text);
    expect(pod.families.map((f) => [f.name, f.type, f.samples])).to.deep.equal([
      ['h', 'histogram', 4],
      ['s', 'summary', 3],
    ]);
  });

  it('accepts blanks, tabs, trailing commas, CRLF and a missing final newline', () => {
    const out = roundTrip('  m { a = "1" ,b="2", }\t3\r\nn 4');
    expect(out).to.equal('m{job="j",a="1",b="2"}\t3\nn{job="j"} 4\n');
  });

  it('treats free-form comments as comments and ignores empty lines', () => {
    expect(roundTrip('# just a note\n\nm 1\n')).to.equal('m{job="j"} 1\n');
  });

  it('renames colliding scraped labels to exported_<name>, as Prometheus with honor_labels: false', () => {
    const out = roundTrip('m{job="scraped",namespace="ns",exported_job="x",other="o"} 1\n', {
      target: [
        ['job', 'j'],
        ['namespace', 'default'],
      ],
    });
    expect(out).to.equal('m{job="j",namespace="default",exported_job="x",other="o",exported_exported_job="scraped",exported_namespace="ns"} 1\n');
  });

  it('treats an empty scraped value as absent (no exported_ label)', () => {
    expect(roundTrip('m{job=""} 1\n')).to.equal('m{job="j"} 1\n');
  });

  it('renders an empty label set {} like no labels', () => {
    expect(roundTrip('m{} 1\n')).to.equal('m{job="j"} 1\n');
  });

  it('gives the same result whatever the chunking', () => {
    const text = '# HELP m x\n# TYPE m gauge\nm{a="é\\"}"} 1\nm{a="2"} 2 123\n';
    const whole = JSON.stringify(parse(text));
    for (const size of [1, 2, 3, 7]) expect(JSON.stringify(parse(text, { chunkSize: size }))).to.equal(whole);
  });

  it('keeps the first HELP and merges an untyped family given a type later only when compatible', () => {
    const pod = parse('m 1\n# TYPE m counter\nm 2\n');
    expect(pod.families).to.have.length(1);
    expect(pod.families[0]!.type).to.equal('counter');
    expect(parseError('h_bucket{le="1"} 1\n# TYPE h_bucket histogram\n').message).to.match(/line 2: TYPE histogram for h_bucket comes after its samples/);
  });

  const cases: [string, string, RegExp][] = [
    ['bad metric name', 'm 1\n9m 1\n', /^line 2: invalid character "9" at start of metric name/],
    ['missing value', 'm\n', /^line 1: missing value for "m"/],
    ['bad value', 'm{a="b"} 1.2.3\n', /^line 1: invalid value "1.2.3"/],
    ['hex without exponent', 'm 0x10\n', /invalid value "0x10"/],
    ['bad timestamp', 'm 1 12.5\n', /^line 1: invalid timestamp "12.5"/],
    ['unterminated value', 'm{a="b} 1\n', /^line 1: unterminated value of label "a"/],
    ['bad escape', 'm{a="\\t"} 1\n', /^line 1: invalid escape sequence "\\t" in the value of label "a"/],
    ['missing =', 'm{a"b"} 1\n', /^line 1: expected "=" after label name "a"/],
    ['missing quote', 'm{a=b} 1\n', /^line 1: expected '"' to open the value of label "a"/],
    ['missing comma', 'm{a="1" b="2"} 1\n', /^line 1: expected "," or "}" after the value of label "a"/],
    ['unterminated set', 'm{a="1",\n', /^line 1: unterminated label set/],
    ['duplicate label', 'm{a="1",b="2",a="3"} 1\n', /^line 1: label "a" appears twice on "m"/],
    ['trailing garbage', 'm 1 2 3\n', /^line 1: unexpected text "3" after the value of "m"/],
    ['unknown type', '# TYPE m countr\n', /^line 1: unknown metric type "countr" for m/],
    ['second TYPE', '# TYPE m counter\n# TYPE m gauge\n', /^line 2: second TYPE line for m/],
    ['bucket without le', '# TYPE h histogram\nh_bucket 1\n', /^line 2: histogram bucket "h_bucket" has no "le" label/],
    ['summary without quantile', '# TYPE s summary\ns 1\n', /^line 2: summary sample "s" has no "quantile" label/],
    ['histogram bare name', '# TYPE h histogram\nh 1\n', /^line 2: sample "h" needs a _bucket, _sum or _count suffix/],
    ['bad HELP escape', '# HELP m a \\q\n', /^line 1: invalid escape sequence "\\q" in HELP text/],
    ['quoted names', '{"m.x"} 1\n', /^line 1: invalid character/],
    ['quoted label name', 'm{"a.b"="1"} 1\n', /quoted \(UTF-8\) label names are not supported/],
    ['garbage', 'hello world!\n<html>\n', /^line 1: invalid value "world!"/],
  ];
  for (const [title, text, re] of cases) {
    it(`rejects ${title} with its line number`, () => {
      expect(parseError(text).message).to.match(re);
    });
  }
});

describe('exposition parser: OpenMetrics 1.0', () => {
  const om = [
    '# TYPE req counter',
    '# HELP req Requests with a \\"quote\\".',
    'req_total{code="200"} 3 1700000000.5 # {trace_id="abc"} 1 1700000000.1',
    'req_created{code="200"} 1699999999.0',
    '# TYPE lat histogram',
    '# UNIT lat seconds',
    'lat_bucket{le="0.5"} 1 # {trace_id="x"} 0.3',
    'lat_bucket{le="+Inf"} 2',
    'lat_count 2',
    'lat_sum 0.9',
    'lat_created 1699999999',
    '# TYPE build info',
    'build_info{version="1"} 1',
    '# TYPE st stateset',
    'st{st="a"} 1',
    'st{st="b"} 0',
    '# EOF',
    '',
  ].join('\n');

  it('parses counters with _total/_created, exemplars, units, info and stateset', () => {
    const pod = parse(om, { format: 'openmetrics' });
    expect(pod.format).to.equal('openmetrics');
    expect(pod.families.map((f) => [f.name, f.type, f.samples, f.unit ?? null])).to.deep.equal([
      ['req', 'counter', 2, null],
      ['lat', 'histogram', 5, 'seconds'],
      ['build', 'info', 1, null],
      ['st', 'stateset', 2, null],
    ]);
  });

  it('renders OpenMetrics back with # EOF and exemplars intact', () => {
    const out = roundTrip(om, { format: 'openmetrics' });
    expect(out).to.contain('req_total{job="j",code="200"} 3 1700000000.5 # {trace_id="abc"} 1 1700000000.1\n');
    expect(out).to.contain('# UNIT lat seconds\n');
    expect(out.endsWith('# EOF\n')).to.equal(true);
  });

  it('requires # EOF and nothing after it', () => {
    expect(parseError('# TYPE m gauge\nm 1\n', 'openmetrics').message).to.match(/does not end with "# EOF"/);
    expect(parseError('m 1\n# EOF\nm 2\n', 'openmetrics').message).to.match(/^line 3: content after "# EOF"/);
  });

  it('rejects malformed exemplars and info samples without _info', () => {
    expect(parseError('# TYPE c counter\nc_total 1 # trace\n# EOF\n', 'openmetrics').message).to.match(/^line 2: malformed exemplar/);
    expect(parseError('# TYPE b info\nb 1\n# EOF\n', 'openmetrics').message).to.match(/^line 2: info sample "b" needs the _info suffix/);
  });
});
