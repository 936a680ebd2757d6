import { expect } from 'chai';
import { expand, parseTemplate } from '../../../proxy/relabel/index.js';

/** A match as RegExp.exec gives it: [whole, group 1, group 2, …]; undefined = did not take part. */
const match = ['foo-bar', 'foo', 'bar', undefined, ''];
const names = new Map<string, readonly number[]>([
  ['first', [1]],
  ['second', [2]],
  ['dup', [3, 2]],
  ['01', [1]],
]);

describe('relabel: $ template expansion (Go regexp.Expand)', () => {
  const cases: [string, string][] = [
    ['$1', 'foo'],
    ['${1}', 'foo'],
    ['$1x', ''], // the group named "1x"
    ['${1}x', 'foox'],
    ['$1-$2', 'foo-bar'],
    ['$0', 'foo-bar'],
    ['$$', '$'],
    ['$$1', '$1'],
    ['$$$1', '$foo'],
    ['a$', 'a$'],
    ['$-', '$-'],
    ['${', '${'],
    ['${}', '${}'],
    ['${1', '${1'],
    ['$3', ''], // did not take part
    ['$4', ''], // took part, empty
    ['$9', ''], // no such group
    ['$first.$second', 'foo.bar'],
    ['${second}_${first}', 'bar_foo'],
    ['$first_x', ''], // the group named "first_x"
    ['$unknown', ''],
    ['$dup', 'bar'], // first group of that name that took part
    ['$01', 'foo'], // not a number (leading zero): the group named "01"
    ['$1é', ''], // Unicode letters belong to the name
    ['$1.é', 'foo.é'],
    ['x${first}y${2}z', 'xfooybarz'],
  ];
  for (const [template, want] of cases) {
    it(`${template} → ${JSON.stringify(want)}`, () => {
      expect(expand(template, match, names)).to.equal(want);
    });
  }

  it('parses once into literal text and group indexes', () => {
    expect(parseTemplate('a${1}b${second}$$c$missing', names)).to.deep.equal(['a', 1, 'b', 2, '$c']);
    expect(parseTemplate('a$1b', names)).to.deep.equal(['a']); // `$1b` names the group "1b"
    expect(parseTemplate('$dup', names)).to.deep.equal([[3, 2]]);
    expect(parseTemplate('no dollars')).to.deep.equal(['no dollars']);
  });
});
