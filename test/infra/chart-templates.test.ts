/**
 * The chart generator's parts without helm: merging variants into conditions, sentinel replacement, emission,
 * canonical JSON for the Job hash. (test/infra/helm-chart.test.ts renders the result with the real helm.)
 */
import { expect } from 'chai';
import { generateTemplates } from '../../infra/chart/chart-spec.js';
import { guestSpec } from '../../infra/chart/guest-chart.js';
import { managementSpec } from '../../infra/chart/management-chart.js';
import { applySentinels, Conditions, emit, type Json, type KnobGroup, mergeVariants, type Variant } from '../../infra/chart/template-tree.js';
import { canonicalJson } from '../../infra/lib/canonical-json.js';

type P = Record<string, unknown>;
const id = (p: P) => p;
const groups: KnobGroup<P>[] = [
  { id: 'a', knobs: [{ id: 'a', options: [{ label: 'off', when: 'not $.Values.a', apply: id }, { label: 'on', when: '$.Values.a', apply: id }] }] },
  { id: 'b', knobs: [{ id: 'b', options: [{ label: 'x', when: 'eq $.Values.b "x"', apply: id }, { label: 'y', when: 'eq $.Values.b "y"', apply: id }, { label: 'z', when: 'eq $.Values.b "z"', apply: id }] }] },
];
const variant = (a: number, b: number, objects: Json[]): Variant => ({ choice: [[a], [b]], objects });
const obj = (extra: Record<string, Json>): Json => ({ kind: 'ConfigMap', metadata: { name: 'm' }, data: { fixed: '1', ...extra } });

describe('infra chart templates', () => {
  describe('Conditions', () => {
    const c = new Conditions(groups);
    const vs = [variant(0, 0, []), variant(1, 0, []), variant(0, 1, []), variant(0, 2, [])];

    it('is undefined when something holds everywhere, and the explaining knob otherwise', () => {
      expect(c.explain('p', vs, () => true)).to.equal(undefined);
      expect(c.explain('p', vs, (v) => v.choice[0]![0] === 1)).to.equal('$.Values.a');
      expect(c.explain('p', vs, (v) => v.choice[1]![0] !== 2)).to.equal('or (eq $.Values.b "x") (eq $.Values.b "y")');
    });

    it('refuses a difference that no single group explains', () => {
      expect(() => c.explain('Deployment/x.spec', vs, (v) => v.choice[0]![0] === 1 || v.choice[1]![0] === 2)).to.throw(/Deployment\/x\.spec: no single knob group explains .*groups involved: a, b/);
    });
  });

  it('merges variants into conditional entries and scalar switches, and replaces sentinels', () => {
    const vs = [variant(0, 0, [obj({ host: 'qqhostqq' })]), variant(1, 0, [obj({ host: 'qqhostqq', extra: 'yes' })]), variant(0, 1, [obj({ host: 'qqhostqq', mode: 'y' })]), variant(0, 2, [obj({ host: 'qqhostqq', mode: 'z' })])];
    const [merged] = mergeVariants(groups, vs, (o) => `${String(o.kind)}/${String((o.metadata as Record<string, Json>).name)}`);
    expect(merged!.cond).to.equal(undefined);
    const text = emit(applySentinels(merged!.node, [{ kind: 'scalar', token: 'qqhostqq', expr: '$.Values.host' }], { spreadHelper: 't.spread' }));
    expect(text).to.include('"host": {{ $.Values.host | toJson }}');
    expect(text).to.include('{{- if $.Values.a }}\n  "extra": "yes"\n  {{- end }}');
    // Present for two of the three options, with a value per option.
    expect(text).to.include('{{- if or (eq $.Values.b "y") (eq $.Values.b "z") }}\n  "mode": {{ if eq $.Values.b "y" }}"y"{{ else }}"z"{{ end }}\n  {{- end }}');
    expect(text).to.include('"fixed": "1"');
  });

  for (const spec of [managementSpec, guestSpec]) {
    it(`${spec.name}: every sentinel is replaced, and generation is deterministic`, () => {
      const a = generateTemplates(spec);
      const b = generateTemplates(spec);
      expect(a).to.deep.equal(b);
      const all = Object.values(a.files).join('\n');
      expect(all).not.to.match(/qq[a-z]+qq/);
      for (const leftover of ['971m', '973m', '977m', '979m', '38211', '192.0.2.77', 'sentinel.example', '83m', '89s']) expect(all, leftover).not.to.include(leftover);
      expect(a.variants).to.be.greaterThan(5);
    });
  }

  it('canonical JSON sorts keys at every level and escapes as Go does', () => {
    expect(canonicalJson({ b: 1, a: { d: [{ y: 2, x: 1 }], c: '<&>\u2028' }, u: undefined })).to.equal('{"a":{"c":"\\u003c\\u0026\\u003e\\u2028","d":[{"x":1,"y":2}]},"b":1}');
  });
});
