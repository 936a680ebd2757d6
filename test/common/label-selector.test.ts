/** Resolve-request selectors: the HyperShift map form, the LabelSelector form, validation and matching. */
import { expect } from 'chai';
import { parseSelector, selectorKey, selectorMatches, SelectorError } from '../../common/label-selector.js';

describe('resolver: selector', () => {
  it('accepts a plain matchLabels map (HyperShift)', () => {
    const s = parseSelector({ app: 'etcd', 'hypershift.openshift.io/control-plane-component': 'etcd' });
    expect(s.matchExpressions).to.deep.equal([]);
    expect(selectorMatches(s, { app: 'etcd', 'hypershift.openshift.io/control-plane-component': 'etcd', extra: 'x' })).to.equal(true);
    expect(selectorMatches(s, { app: 'etcd' })).to.equal(false);
  });

  it('accepts a LabelSelector with matchLabels and every matchExpressions operator', () => {
    const s = parseSelector({
      matchLabels: { app: 'kas' },
      matchExpressions: [
        { key: 'tier', operator: 'In', values: ['a', 'b'] },
        { key: 'canary', operator: 'NotIn', values: ['true'] },
        { key: 'ready', operator: 'Exists' },
        { key: 'drain', operator: 'DoesNotExist', values: [] },
      ],
    });
    expect(selectorMatches(s, { app: 'kas', tier: 'a', ready: '' })).to.equal(true);
    expect(selectorMatches(s, { app: 'kas', tier: 'c', ready: '' }), 'In').to.equal(false);
    expect(selectorMatches(s, { app: 'kas', tier: 'a', ready: '', canary: 'true' }), 'NotIn').to.equal(false);
    expect(selectorMatches(s, { app: 'kas', tier: 'a' }), 'Exists').to.equal(false);
    expect(selectorMatches(s, { app: 'kas', tier: 'a', ready: '', drain: '1' }), 'DoesNotExist').to.equal(false);
    expect(selectorMatches(parseSelector({ matchExpressions: [{ key: 'x', operator: 'NotIn', values: ['1'] }] }), {}), 'NotIn matches an absent key').to.equal(true);
  });

  const bad: [string, unknown, RegExp][] = [
    ['not an object', 'app=etcd', /selector must be an object/],
    ['a list', [{ app: 'etcd' }], /selector must be an object/],
    ['empty', {}, /must not be empty/],
    ['empty LabelSelector', { matchLabels: {}, matchExpressions: [] }, /must not be empty/],
    ['a number value', { app: 1 }, /selector\["app"\] must be a string/],
    ['an invalid key', { 'bad key': 'x' }, /"bad key" is not a valid label key/],
    ['an invalid value', { app: 'a b' }, /"a b" is not a valid label value/],
    ['an unknown operator', { matchExpressions: [{ key: 'a', operator: 'Gt', values: ['1'] }] }, /operator must be one of In, NotIn, Exists, DoesNotExist, not "Gt"/],
    ['In without values', { matchExpressions: [{ key: 'a', operator: 'In', values: [] }] }, /values must be non-empty for operator In/],
    ['Exists with values', { matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] }, /values must be empty for operator Exists/],
    ['an unknown field next to matchLabels', { matchLabels: { a: 'b' }, app: 'x' }, /unknown field "app"/],
    ['matchExpressions not a list', { matchLabels: { a: 'b' }, matchExpressions: { key: 'a' } }, /matchExpressions must be a list/],
  ];
  for (const [what, input, message] of bad) {
    it(`rejects ${what} with a precise message`, () => {
      expect(() => parseSelector(input)).to.throw(SelectorError, message);
    });
  }

  it('gives equal keys to equal selectors whatever the order', () => {
    expect(selectorKey(parseSelector({ a: '1', b: '2' }))).to.equal(selectorKey(parseSelector({ b: '2', a: '1' })));
    expect(selectorKey(parseSelector({ a: '1' }))).not.to.equal(selectorKey(parseSelector({ a: '2' })));
    const e1 = parseSelector({ matchExpressions: [{ key: 'x', operator: 'In', values: ['2', '1'] }, { key: 'y', operator: 'Exists' }] });
    const e2 = parseSelector({ matchExpressions: [{ key: 'y', operator: 'Exists' }, { key: 'x', operator: 'In', values: ['1', '2'] }] });
    expect(selectorKey(e1)).to.equal(selectorKey(e2));
  });
});
