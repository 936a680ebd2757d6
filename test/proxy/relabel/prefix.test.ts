import { expect } from 'chai';
import { compatiblePrefix, literalPrefix } from '../../../proxy/relabel/index.js';

describe('relabel literal prefix', () => {
  const cases: [string, string][] = [
    ['apiserver_request_duration_seconds_bucket;(0.15|0.25)', 'apiserver_request_duration_seconds_bucket;'],
    ['abc', 'abc'],
    ['abc*', 'ab'],
    ['abc?def', 'ab'],
    ['ab{2}', 'a'],
    ['abc|xyz', ''],
    ['(abc);x', ''],
    ['(?i)abc', ''],
    ['a\\.b', 'a'],
    ['ab[cd]', 'ab'],
    ['.*', ''],
  ];
  for (const [re, prefix] of cases) {
    it(`${re} → "${prefix}"`, () => expect(literalPrefix(re)).to.equal(prefix));
  }

  it('compares a name start with a prefix in both directions', () => {
    expect(compatiblePrefix('foo;', 'foo;bar')).to.equal(true);
    expect(compatiblePrefix('foo_bucket;', 'foo')).to.equal(true);
    expect(compatiblePrefix('bar;', 'foo;')).to.equal(false);
    expect(compatiblePrefix('foo;', 'foo_bucket;')).to.equal(false);
  });
});
