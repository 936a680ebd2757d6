import { createHash } from 'node:crypto';
import { expect } from 'chai';
import { hashmod, relabel } from '../../../proxy/relabel/index.js';
import type { RelabelRule } from '../../../proxy/relabel/types.js';
import { compile, run } from './helpers.js';

/** Expected hashmod computed independently: MD5, last 8 bytes big-endian, mod m. */
function expectedHashmod(value: string, modulus: number): string {
  const d = createHash('md5').update(Buffer.from(value, 'utf8')).digest();
  let n = 0n;
  for (let i = 8; i < 16; i++) n = (n << 8n) | BigInt(d[i]!);
  return (n % BigInt(modulus)).toString();
}

describe('relabel: apply', () => {
  describe('replace', () => {
    it('expands ${1} into the replacement (Prometheus test: choo-choo)', () => {
      const r = run({ __name__: 'm', a: 'foo', b: 'bar', c: 'baz' }, { sourceLabels: ['a'], regex: 'f(.*)', targetLabel: 'd', replacement: 'ch${1}-ch${1}' });
      expect(r.labels).to.deep.equal({ __name__: 'm', a: 'foo', b: 'bar', c: 'baz', d: 'choo-choo' });
    });

    it('joins several source labels with the separator, rules see earlier results (Prometheus test: boobam/boooom)', () => {
      const r = run(
        { __name__: 'm', a: 'foo', b: 'bar', c: 'baz' },
        { sourceLabels: ['a', 'b'], regex: 'f(.*);(.*)r', targetLabel: 'a', replacement: 'b${1}${2}m' },
        { sourceLabels: ['c', 'a'], regex: '(b).*b(.*)ba(.*)', targetLabel: 'd', replacement: '$1$2$2$3' },
      );
      expect(r.labels).to.deep.equal({ __name__: 'm', a: 'boobam', b: 'bar', c: 'baz', d: 'boooom' });
    });

    it('uses a custom separator', () => {
      const r = run({ __name__: 'm', ns: 'kube-system', pod: 'etcd-0' }, { sourceLabels: ['ns', 'pod'], separator: '/', regex: '(.*)/(.*)', targetLabel: 'id', replacement: '$2@$1' });
      expect(r.labels!.id).to.equal('etcd-0@kube-system');
    });

    it('reads a missing source label as the empty string', () => {
      const r = run({ __name__: 'm', a: 'x' }, { sourceLabels: ['a', 'missing', 'a'], regex: 'x;;x', targetLabel: 't', replacement: 'hit' });
      expect(r.labels!.t).to.equal('hit');
    });

    it('treats an empty-valued label like a missing one', () => {
      const r = run({ __name__: 'm', a: '' }, { sourceLabels: ['a'], regex: '', targetLabel: 't', replacement: 'empty' });
      expect(r.labels!.t).to.equal('empty');
    });

    it('anchors the regex: `foo` does not match `foobar`', () => {
      const r = run({ __name__: 'm', a: 'foobar' }, { sourceLabels: ['a'], regex: 'foo', targetLabel: 't', replacement: 'x' });
      expect(r.labels).to.deep.equal({ __name__: 'm', a: 'foobar' });
      const r2 = run({ __name__: 'm', a: 'foobar' }, { sourceLabels: ['a'], regex: 'foo.*', targetLabel: 't', replacement: 'x' });
      expect(r2.labels!.t).to.equal('x');
    });

    it('changes nothing when the regex does not match (Prometheus test)', () => {
      const r = run({ __name__: 'm', a: 'boo' }, { sourceLabels: ['a'], regex: 'f', targetLabel: 'b', replacement: 'bar' });
      expect(r.labels).to.deep.equal({ __name__: 'm', a: 'boo' });
    });

    it('reads `$1x` as the group named "1x" (empty) and `${1}x` as group 1 then "x"', () => {
      const r = run({ __name__: 'm', a: 'foo', t: 'old' }, { sourceLabels: ['a'], regex: '(.*)', targetLabel: 't', replacement: '$1x' });
      expect(r.labels).to.not.have.property('t'); // "" deletes
      const r2 = run({ __name__: 'm', a: 'foo' }, { sourceLabels: ['a'], regex: '(.*)', targetLabel: 't', replacement: '${1}x' });
      expect(r2.labels!.t).to.equal('foox');
    });

    it('writes `$$` as a literal dollar', () => {
      const r = run({ __name__: 'm', a: 'foo' }, { sourceLabels: ['a'], regex: '(.*)', targetLabel: 't', replacement: '$$1=$1' });
      expect(r.labels!.t).to.equal('$1=foo');
    });

    it('expands named groups written (?P<name>) and (?<name>)', () => {
      const r = run(
        { __name__: 'm', a: 'alpha-beta' },
        { sourceLabels: ['a'], regex: '(?P<first>[a-z]+)-(?<second>[a-z]+)', targetLabel: 't', replacement: '${second}.$first' },
      );
      expect(r.labels!.t).to.equal('beta.alpha');
    });

    it('expands a templated target label (`${1}_x`)', () => {
      const r = run({ __name__: 'm', kv: 'zone=eu-1' }, { sourceLabels: ['kv'], regex: '(\\w+)=(.*)', targetLabel: '${1}_x', replacement: '$2' });
      expect(r.labels!.zone_x).to.equal('eu-1');
    });

    it('skips the rule when the expanded target is not a valid label name (Prometheus test)', () => {
      const r = run(
        { __name__: 'm', a: 'some-name-0' },
        { sourceLabels: ['a'], regex: 'some-([^-]+)-([^,]+)', targetLabel: '${3}', replacement: '${1}' }, // expands to ""
        { sourceLabels: ['a'], regex: 'some-([^-]+)-([^,]+)', targetLabel: '${2}', replacement: '${1}' }, // expands to "0"
      );
      expect(r.labels).to.deep.equal({ __name__: 'm', a: 'some-name-0' });
      const ok = run({ __name__: 'm', a: 'some-name-value' }, { sourceLabels: ['a'], regex: 'some-([^-]+)-([^,]+)', targetLabel: '${1}', replacement: '${2}' });
      expect(ok.labels!.name).to.equal('value');
    });

    it('deletes the target when the replacement expands to nothing (Prometheus test: ${3} of two groups)', () => {
      const r = run({ __name__: 'm', a: 'some-name-value', name: 'old' }, { sourceLabels: ['a'], regex: 'some-([^-]+)-([^,]+)', targetLabel: '${1}', replacement: '${3}' });
      expect(r.labels).to.deep.equal({ __name__: 'm', a: 'some-name-value' });
    });

    it('deletes the target for an empty result even without templates', () => {
      const r = run({ __name__: 'm', a: 'x', t: 'old' }, { sourceLabels: ['a'], regex: 'x', targetLabel: 't', replacement: '' });
      expect(r.labels).to.deep.equal({ __name__: 'm', a: 'x' });
    });

    it('sets a constant with all defaults (empty source value matches `(.*)`)', () => {
      const r = run({ __name__: 'm' }, { targetLabel: 'env', replacement: 'prod' });
      expect(r.labels).to.deep.equal({ __name__: 'm', env: 'prod' });
    });

    it('copies a label with the default regex and replacement', () => {
      const r = run({ __name__: 'm', pod: 'p-1' }, { sourceLabels: ['pod'], targetLabel: 'instance_pod' });
      expect(r.labels!.instance_pod).to.equal('p-1');
    });

    it('renames the metric when the target is __name__', () => {
      const r = run({ __name__: 'old_total', a: '1' }, { sourceLabels: ['__name__'], regex: 'old_(.*)', targetLabel: '__name__', replacement: 'new_$1' });
      expect(r.labels).to.deep.equal({ __name__: 'new_total', a: '1' });
    });

    it('keeps a new label after the existing ones and an updated one in place', () => {
      const set = new Map([['__name__', 'm'], ['a', '1'], ['b', '2']]);
      relabel(set, compile({ targetLabel: 'a', replacement: 'x' }, { targetLabel: 'z', replacement: 'y' }));
      expect([...set.keys()]).to.deep.equal(['__name__', 'a', 'b', 'z']);
      expect(set.get('a')).to.equal('x');
    });

    it('handles a real-life tag list (Prometheus test)', () => {
      const r = run(
        { __name__: 'm', __meta_sd_tags: 'path:/secret,job:some-job,label:foo=bar' },
        { sourceLabels: ['__meta_sd_tags'], regex: '(?:.+,|^)path:(/[^,]+).*', targetLabel: '__metrics_path__', replacement: '${1}' },
        { sourceLabels: ['__meta_sd_tags'], regex: '(?:.+,|^)job:([^,]+).*', targetLabel: 'job', replacement: '${1}' },
        { sourceLabels: ['__meta_sd_tags'], regex: '(?:.+,|^)label:([^=]+)=([^,]+).*', targetLabel: '${1}', replacement: '${2}' },
      );
      expect(r.labels).to.deep.equal({ __name__: 'm', __meta_sd_tags: 'path:/secret,job:some-job,label:foo=bar', __metrics_path__: '/secret', job: 'some-job', foo: 'bar' });
    });
  });

  describe('keep and drop', () => {
    it('drop drops on a match and stops processing (Prometheus test)', () => {
      const set = new Map([['__name__', 'm'], ['a', 'foo']]);
      const keep = relabel(set, compile({ sourceLabels: ['a'], regex: '.*o.*', action: 'drop' }, { sourceLabels: ['a'], regex: 'f(.*)', targetLabel: 'd', replacement: 'x' }));
      expect(keep).to.equal(false);
      expect(set.has('d')).to.equal(false);
    });

    it('drop keeps on no match, and its regex is anchored (Prometheus test: `f|o` vs foo)', () => {
      expect(run({ __name__: 'm', a: 'foo' }, { sourceLabels: ['a'], regex: 'f|o', action: 'drop' }).keep).to.equal(true);
      expect(run({ __name__: 'm', a: 'foo' }, { sourceLabels: ['a'], regex: 'no-match', action: 'drop' }).keep).to.equal(true);
    });

    it('keep keeps on a match and drops otherwise (Prometheus tests)', () => {
      expect(run({ __name__: 'm', a: 'foo' }, { sourceLabels: ['a'], regex: 'f.*', action: 'keep' }).keep).to.equal(true);
      expect(run({ __name__: 'm', a: 'foo' }, { sourceLabels: ['a'], regex: 'no-match', action: 'keep' }).keep).to.equal(false);
      expect(run({ __name__: 'foobar' }, { sourceLabels: ['__name__'], regex: 'foo', action: 'keep' }).keep).to.equal(false);
    });

    it('keep on a missing label tests the empty string', () => {
      expect(run({ __name__: 'm' }, { sourceLabels: ['a'], regex: '', action: 'keep' }).keep).to.equal(true);
      expect(run({ __name__: 'm' }, { sourceLabels: ['a'], regex: '.+', action: 'keep' }).keep).to.equal(false);
    });

    it('default regex `(.*)` matches \\r but not \\n, as RE2 `.` does', () => {
      expect(run({ __name__: 'm', a: 'x\ry\u2028' }, { sourceLabels: ['a'], action: 'keep' }).keep).to.equal(true);
      expect(run({ __name__: 'm', a: 'x\ny' }, { sourceLabels: ['a'], action: 'keep' }).keep).to.equal(false);
    });
  });

  describe('keepequal and dropequal', () => {
    const input = { __name__: 'm', __tmp_port: '1234', __port1: '1234', __port2: '5678' };
    it('keepequal keeps when the source equals the target value (Prometheus tests)', () => {
      expect(run(input, { sourceLabels: ['__tmp_port'], action: 'keepequal', targetLabel: '__port1' }).labels).to.deep.equal(input);
      expect(run(input, { sourceLabels: ['__tmp_port'], action: 'keepequal', targetLabel: '__port2' }).keep).to.equal(false);
    });
    it('dropequal drops when the source equals the target value (Prometheus tests)', () => {
      expect(run(input, { sourceLabels: ['__tmp_port'], action: 'dropequal', targetLabel: '__port1' }).keep).to.equal(false);
      expect(run(input, { sourceLabels: ['__tmp_port'], action: 'dropequal', targetLabel: '__port2' }).labels).to.deep.equal(input);
    });
    it('compares a missing target as the empty string', () => {
      expect(run({ __name__: 'm' }, { sourceLabels: ['a'], action: 'keepequal', targetLabel: 'b' }).keep).to.equal(true);
      expect(run({ __name__: 'm', a: 'x' }, { sourceLabels: ['a'], action: 'keepequal', targetLabel: 'b' }).keep).to.equal(false);
    });
    it('compares the joined value of several sources', () => {
      expect(run({ __name__: 'm', a: 'x', b: 'y', c: 'x;y' }, { sourceLabels: ['a', 'b'], action: 'keepequal', targetLabel: 'c' }).keep).to.equal(true);
    });
  });

  describe('hashmod', () => {
    it('matches the values of Prometheus tests (baz % 1000 = 976, "foo\\nbar" % 1000 = 734)', () => {
      expect(run({ __name__: 'm', a: 'foo', b: 'bar', c: 'baz' }, { sourceLabels: ['c'], targetLabel: 'd', action: 'hashmod', modulus: 1000 }).labels!.d).to.equal('976');
      expect(run({ __name__: 'm', a: 'foo\nbar' }, { sourceLabels: ['a'], targetLabel: 'b', action: 'hashmod', modulus: 1000 }).labels!.b).to.equal('734');
    });

    it('agrees with an independent MD5 computation for various values and moduli', () => {
      const cases: [string, number][] = [['', 7], ['10.0.1.5:6443', 3], ['kube-apiserver-0', 1000], ['ünïcødé ☃ 😀', 97], ['x'.repeat(1000), 2 ** 52 + 3], ['a;b', 1]];
      for (const [v, m] of cases) {
        expect(hashmod(v, BigInt(m)), `${v.slice(0, 10)} % ${m}`).to.equal(expectedHashmod(v, m));
      }
    });

    it('hashes the joined source value', () => {
      const r = run({ __name__: 'm', a: 'x', b: 'y' }, { sourceLabels: ['a', 'b'], separator: '|', targetLabel: 'shard', action: 'HashMod', modulus: 16 });
      expect(r.labels!.shard).to.equal(expectedHashmod('x|y', 16));
    });
  });

  describe('labelmap', () => {
    it('copies matching labels under the replacement name (Prometheus test: bar_${1})', () => {
      const r = run({ __name__: 'm', a: 'foo', b1: 'bar', b2: 'baz' }, { regex: '(b.*)', replacement: 'bar_${1}', action: 'labelmap' });
      expect(r.labels).to.deep.equal({ __name__: 'm', a: 'foo', b1: 'bar', b2: 'baz', bar_b1: 'bar', bar_b2: 'baz' });
    });

    it('maps __meta_-style labels (Prometheus test)', () => {
      const r = run({ __name__: 'm', a: 'foo', __meta_my_bar: 'aaa', __meta_my_baz: 'bbb', __meta_other: 'ccc' }, { regex: '__meta_(my.*)', replacement: '${1}', action: 'labelmap' });
      expect(r.labels).to.deep.equal({ __name__: 'm', a: 'foo', __meta_my_bar: 'aaa', __meta_my_baz: 'bbb', __meta_other: 'ccc', my_bar: 'aaa', my_baz: 'bbb' });
    });

    it('uses the default replacement $1 and anchors on the whole name', () => {
      const r = run({ __name__: 'm', __meta_kubernetes_pod_label_app: 'etcd', x__meta_kubernetes_pod_label_y: 'no' }, { regex: '__meta_kubernetes_pod_label_(.+)', action: 'labelmap' });
      expect(r.labels).to.deep.equal({ __name__: 'm', __meta_kubernetes_pod_label_app: 'etcd', x__meta_kubernetes_pod_label_y: 'no', app: 'etcd' });
    });

    it('overwrites an existing label and skips names that are not valid label names', () => {
      const r = run({ __name__: 'm', app: 'old', __meta_app: 'new', __meta_1x: 'v' }, { regex: '__meta_(.+)', action: 'labelmap' });
      expect(r.labels).to.deep.equal({ __name__: 'm', app: 'new', __meta_app: 'new', __meta_1x: 'v' });
    });

    it('does not visit labels it just created', () => {
      const r = run({ __name__: 'm', a: '1' }, { regex: '(a+)', replacement: '${1}a', action: 'labelmap' });
      expect(r.labels).to.deep.equal({ __name__: 'm', a: '1', aa: '1' });
    });
  });

  describe('labeldrop and labelkeep', () => {
    it('labelkeep keeps only matching names (Prometheus test) and so drops a sample losing __name__', () => {
      const set = new Map([['__name__', 'm'], ['a', 'foo'], ['b1', 'bar'], ['b2', 'baz']]);
      expect(relabel(set, compile({ regex: '(b.*)', action: 'labelkeep' }))).to.equal(false);
      expect(Object.fromEntries(set)).to.deep.equal({ b1: 'bar', b2: 'baz' });
      expect(run({ __name__: 'm', a: 'foo', b1: 'bar' }, { regex: '__name__|b.*', action: 'labelkeep' }).labels).to.deep.equal({ __name__: 'm', b1: 'bar' });
    });

    it('labeldrop drops matching names (Prometheus test), anchored', () => {
      expect(run({ __name__: 'm', a: 'foo', b1: 'bar', b2: 'baz', ab: 'x' }, { regex: '(b.*)', action: 'labeldrop' }).labels).to.deep.equal({ __name__: 'm', a: 'foo', ab: 'x' });
    });

    it('labeldrop applies to __name__ too', () => {
      expect(run({ __name__: 'm', a: '1' }, { regex: '__name__', action: 'labeldrop' }).keep).to.equal(false);
    });

    it('lets later rules see the dropped label as missing (Prometheus issue 12283 test)', () => {
      const r = run(
        { __name__: 'm', __meta_kubernetes_pod_container_port_name: 'foo', __meta_kubernetes_pod_annotation_XXX_metrics_port: '9091' },
        { regex: '^__meta_kubernetes_pod_container_port_name$', action: 'labeldrop' },
        { sourceLabels: ['__meta_kubernetes_pod_annotation_XXX_metrics_port'], regex: '(.+)', targetLabel: '__meta_kubernetes_pod_container_port_name', replacement: 'metrics' },
        { sourceLabels: ['__meta_kubernetes_pod_container_port_name'], regex: '^metrics$', action: 'keep' },
      );
      expect(r.labels).to.deep.equal({ __name__: 'm', __meta_kubernetes_pod_annotation_XXX_metrics_port: '9091', __meta_kubernetes_pod_container_port_name: 'metrics' });
    });
  });

  describe('lowercase and uppercase', () => {
    it('maps the joined source value (Prometheus test)', () => {
      const r = run({ __name__: 'm', foo: 'bAr123Foo' }, { sourceLabels: ['foo'], action: 'Uppercase', targetLabel: 'foo_uppercase' }, { sourceLabels: ['foo'], action: 'lowercase', targetLabel: 'foo_lowercase' });
      expect(r.labels).to.deep.equal({ __name__: 'm', foo: 'bAr123Foo', foo_lowercase: 'bar123foo', foo_uppercase: 'BAR123FOO' });
    });

    it('uses simple per-character case mapping as Go does (ß stays, İ → i, final Σ → σ)', () => {
      const r = run({ __name__: 'm', v: 'straße', w: 'İΣΑΣ' }, { sourceLabels: ['v'], action: 'uppercase', targetLabel: 'up' }, { sourceLabels: ['w'], action: 'lowercase', targetLabel: 'low' });
      expect(r.labels!.up).to.equal('STRAßE');
      expect(r.labels!.low).to.equal('iσασ');
    });

    it('deletes the target when the source is empty', () => {
      expect(run({ __name__: 'm', t: 'x' }, { sourceLabels: ['missing'], action: 'lowercase', targetLabel: 't' }).labels).to.deep.equal({ __name__: 'm' });
    });
  });

  describe('the result', () => {
    it('is false when no __name__ is left, true otherwise', () => {
      expect(run({ __name__: 'm' }, { sourceLabels: ['x'], targetLabel: '__name__' }).keep).to.equal(false);
      expect(relabel(new Map([['a', '1']]), [])).to.equal(false);
      expect(relabel(new Map([['__name__', 'm']]), [])).to.equal(true);
    });

    it('works with a rule built by hand (no precomputed plan)', () => {
      const rule: RelabelRule = {
        action: 'replace',
        sourceLabels: ['a'],
        separator: ';',
        targetLabel: 't',
        regex: /^(?:(?<x>[a-z]+)-(\d+))$/,
        regexSource: '(?P<x>[a-z]+)-(\\d+)',
        modulus: 0,
        replacement: '$2:${x}',
      };
      const set = new Map([['__name__', 'm'], ['a', 'abc-42']]);
      expect(relabel(set, [rule])).to.equal(true);
      expect(set.get('t')).to.equal('42:abc');
    });
  });
});
