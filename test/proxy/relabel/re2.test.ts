import { expect } from 'chai';
import { compileAnchoredRe2, Re2SyntaxError, translateRe2 } from '../../../proxy/relabel/index.js';
import { matches, re, run } from './helpers.js';

function goError(regex: string): string {
  try {
    compileAnchoredRe2(regex);
  } catch (err) {
    expect(err).to.be.instanceOf(Re2SyntaxError);
    return (err as Error).message;
  }
  expect.fail(`expected ${regex} to be rejected`);
}

describe('relabel: RE2 translation', () => {
  describe('anchoring', () => {
    it('anchors every alternative', () => {
      expect(matches('foo|bar', 'bar')).to.equal(true);
      expect(matches('foo|bar', 'xbar')).to.equal(false);
      expect(matches('foo|bar', 'foox')).to.equal(false);
    });

    it('reproduces Prometheus’s textual anchoring, which `a)|(b` escapes', () => {
      // Prometheus compiles `^(?:a)|(b)$`: starts with a, or ends with b.
      expect(matches('a)|(b', 'axyz')).to.equal(true);
      expect(matches('a)|(b', 'xyzb')).to.equal(true);
      expect(matches('a)|(b', 'xyz')).to.equal(false);
    });

    it('translates \\A and \\z to input start and end', () => {
      expect(matches('\\Aab\\z', 'ab')).to.equal(true);
      expect(matches('a\\z|b', 'b')).to.equal(true);
    });

    it('accepts a quantified assertion as Go does', () => {
      expect(matches('^*a', 'a')).to.equal(true);
    });
  });

  describe('dot and line flags', () => {
    it('`.` matches everything but \\n (\\r and U+2028 included)', () => {
      expect(matches('a.b', 'a\rb')).to.equal(true);
      expect(matches('a.b', 'a\u2028b')).to.equal(true);
      expect(matches('a.b', 'a\nb')).to.equal(false);
    });

    it('(?s) lets `.` match \\n, only where it applies', () => {
      expect(matches('(?s)a.b', 'a\nb')).to.equal(true);
      expect(matches('(?s:a.)b.', 'a\nbx')).to.equal(true);
      expect(matches('(?s:a.)b.', 'a\nb\n')).to.equal(false);
    });

    it('(?m) makes ^ and $ match at line breaks without breaking the outer anchors', () => {
      expect(matches('(?m)a$\\n^b', 'a\nb')).to.equal(true);
      expect(matches('a$\\n^b', 'a\nb')).to.equal(false);
      expect(matches('(?m)^b', 'a\nb')).to.equal(false); // the outer ^ still anchors at input start
    });
  });

  describe('case-insensitivity', () => {
    it('turns a leading (?i) into the JS i flag (with u, for Unicode folding)', () => {
      const r = re('(?i)apiserver_.*');
      expect(r.flags).to.equal('iu');
      expect(r.test('APIServer_Request_Total')).to.equal(true);
    });

    it('folds like Go: (?i)k matches the Kelvin sign, (?i)s the long s', () => {
      expect(matches('(?i)kube', '\u212Aube')).to.equal(true);
      expect(matches('(?i)s', '\u017F')).to.equal(true);
      expect(matches('(?i)[^k]', '\u212A')).to.equal(false);
    });

    it('emulates (?i) on part of the pattern', () => {
      expect(matches('a(?i)b', 'aB')).to.equal(true);
      expect(matches('a(?i)b', 'AB')).to.equal(false);
      expect(matches('a(?i:b)c', 'aBc')).to.equal(true);
      expect(matches('a(?i:b)c', 'aBC')).to.equal(false);
      expect(matches('(?i)a(?-i)b', 'Ab')).to.equal(true);
      expect(matches('(?i)a(?-i)b', 'AB')).to.equal(false);
      expect(matches('x(?i:[a-c]+)', 'xAbC')).to.equal(true);
      expect(matches('x(?i:k)', 'x\u212A')).to.equal(true);
      expect(re('a(?i)b').flags).to.not.contain('i');
    });

    it('folds before negating a class under (?i), as Go does', () => {
      expect(matches('(?i)[\\W]', '\u017F')).to.equal(false); // ſ folds to s, a word character
      expect(matches('x(?i:[^a])', 'xA')).to.equal(false);
      expect(matches('(?i)\\P{Lu}', 'a')).to.equal(false); // a folds to A, an uppercase letter
      expect(matches('(?i)\\P{Lu}', '1')).to.equal(true);
      expect(matches('x(?i:\\P{Lu})', 'xa')).to.equal(false);
    });
  });

  describe('other flags and groups', () => {
    it('(?U) swaps greedy and lazy', () => {
      expect(run({ __name__: 'm', a: 'aaa' }, { sourceLabels: ['a'], regex: '(?U)(a+)(a*)', targetLabel: 't', replacement: '$1|$2' }).labels!.t).to.equal('a|aa');
      expect(run({ __name__: 'm', a: 'aaa' }, { sourceLabels: ['a'], regex: '(?U)(a+?)(a*)', targetLabel: 't', replacement: '$1|$2' }).labels!.t).to.equal('aaa|');
    });

    it('turns (?P<name>) into a JS named group and reports indexes by name', () => {
      const t = translateRe2('^(?:(?P<x>a)(?<y>b)(c)(?P<x>d)(?P<1z>e))$');
      expect(t.source).to.equal('^(?:(?<x>a)(?<y>b)(c)(d)(e))$');
      expect([...t.groupNames]).to.deep.equal([['x', [1, 4]], ['y', [2]], ['1z', [5]]]);
      expect(re('(?P<name>[a-z]+)').exec('abc')!.groups!.name).to.equal('abc');
    });

    it('treats a flag group without colon as changing the rest of the group', () => {
      expect(matches('(a(?i)b)c', 'aBc')).to.equal(true);
      expect(matches('(a(?i)b)c', 'aBC')).to.equal(false);
      expect(matches('a(?i)b|c', 'C')).to.equal(true); // flags survive `|`
    });
  });

  describe('escapes and literals', () => {
    it('quotes \\Q…\\E literally', () => {
      expect(matches('\\Qa.b*\\E', 'a.b*')).to.equal(true);
      expect(matches('\\Qa.b*\\E', 'axb')).to.equal(false);
      // Without \E the quote runs to the end and swallows Prometheus's closing `)$`, as in Go.
      expect(goError('\\Qa.b')).to.equal('error parsing regexp: missing closing ): `^(?:\\Qa.b)$`');
    });

    it('reads octal, hex and \\x{…} escapes', () => {
      expect(matches('\\101\\x42\\x{43}\\x{1F600}', 'ABC😀')).to.equal(true);
      expect(matches('\\0', '\0')).to.equal(true);
      expect(matches('\\a\\f\\t\\v', '\x07\f\t\v')).to.equal(true);
    });

    it('escapes JS syntax characters that Go reads as literals', () => {
      expect(matches('a{,5}', 'a{,5}')).to.equal(true);
      expect(matches('a{01}', 'a{01}')).to.equal(true);
      expect(matches('x}]/', 'x}]/')).to.equal(true);
      expect(matches('\\-\\#\\_\\ ', '-#_ ')).to.equal(true);
    });

    it('keeps RE2 \\s ASCII-only and without \\v', () => {
      expect(matches('\\s', '\u00a0')).to.equal(false);
      expect(matches('\\s', '\v')).to.equal(false);
      expect(matches('\\s\\S\\d\\D\\w\\W', ' x1xa-')).to.equal(true);
      expect(matches('\\w', 'é')).to.equal(false);
    });
  });

  describe('character classes', () => {
    it('supports POSIX classes inside brackets', () => {
      const cases: [string, string, string][] = [
        ['[[:alpha:]]+', 'abcXYZ', 'ab1'],
        ['[[:digit:]]+', '0129', '12a'],
        ['[[:space:]]+', ' \t\n\v\f\r', '\u00a0'],
        ['[[:upper:]]+', 'ABC', 'AbC'],
        ['[[:lower:]]+', 'abc', 'aBc'],
        ['[[:alnum:]]+', 'a1B2', 'a_1'],
        ['[[:punct:]]+', '!-/:@[`{~', 'a'],
        ['[[:word:]]+', 'a_1Z', 'a-1'],
        ['[[:xdigit:]]+', '09afAF', 'g'],
        ['[[:^digit:]]+', 'abc', 'a1'],
        ['[[:alpha:][:digit:]_-]+', 'a-1_b', 'a.b'],
      ];
      for (const [regex, yes, no] of cases) {
        expect(matches(regex, yes), `${regex} ~ ${JSON.stringify(yes)}`).to.equal(true);
        expect(matches(regex, no), `${regex} !~ ${JSON.stringify(no)}`).to.equal(false);
      }
    });

    it('reads `]` first in a class as a literal', () => {
      expect(matches('[]a]+', ']a]')).to.equal(true);
      expect(matches('[^]a]', 'b')).to.equal(true);
      expect(matches('[^]a]', ']')).to.equal(false);
    });

    it('lets `-` appear anywhere and `[` inside a class', () => {
      expect(matches('[a-c-e]+', 'a-e')).to.equal(true);
      expect(matches('[a-c-e]', 'd')).to.equal(false);
      expect(matches('[[a]+', '[a')).to.equal(true);
    });

    it('negated classes match \\n (Go’s ClassNL)', () => {
      expect(matches('[^a]', '\n')).to.equal(true);
    });

    it('supports Unicode classes \\pL, \\p{Greek}, \\PL, \\p{^L}', () => {
      expect(matches('\\pL+', 'héllo')).to.equal(true);
      expect(matches('\\p{Greek}+', 'αβγ')).to.equal(true);
      expect(matches('\\p{Greek}', 'a')).to.equal(false);
      expect(matches('\\PL', '1')).to.equal(true);
      expect(matches('\\p{^L}', 'a')).to.equal(false);
      expect(matches('[\\p{Lu}\\d]+', 'AΣ9')).to.equal(true);
      expect(re('\\pL').flags).to.contain('u');
    });

    it('uses the u flag only when needed', () => {
      expect(re('apiserver_request_total|etcd_.*').flags).to.equal('');
      expect(re('[^;]*;(.*)').flags).to.equal('');
      expect(re('😀.').flags).to.equal('u');
    });
  });

  describe('errors, as Go reports them', () => {
    const cases: [string, string][] = [
      ['(', 'missing closing ): `^(?:()$`'],
      [')', 'unexpected ): `^(?:))$`'],
      ['[a', 'missing closing ]: `[a)$`'],
      ['[z-a]', 'invalid character class range: `z-a`'],
      ['a**', 'invalid nested repetition operator: `**`'],
      ['a{2}{3}', 'invalid nested repetition operator: `{2}{3}`'],
      ['*a', 'missing argument to repetition operator: `*`'],
      ['a|*', 'missing argument to repetition operator: `*`'],
      ['a{1001}', 'invalid repeat count: `{1001}`'],
      ['a{2,1}', 'invalid repeat count: `{2,1}`'],
      ['(a{100}){11}', 'invalid repeat count: `{11}`'],
      ['(?=x)', 'invalid or unsupported Perl syntax: `(?=`'],
      ['(?!x)', 'invalid or unsupported Perl syntax: `(?!`'],
      ['(?P=n)', 'invalid or unsupported Perl syntax: `(?P`'],
      ['(?i-)a', 'invalid or unsupported Perl syntax: `(?i-)`'],
      ['(?P<a-b>x)', 'invalid named capture: `(?P<a-b>`'],
      ['\\1', 'invalid escape sequence: `\\1`'],
      ['\\8', 'invalid escape sequence: `\\8`'],
      ['\\C', 'invalid escape sequence: `\\C`'],
      ['\\Z', 'invalid escape sequence: `\\Z`'],
      ['\\xZZ', 'invalid escape sequence: `\\xZZ`'],
      ['\\x{110000}', 'invalid escape sequence: `\\x{110000`'],
      ['[[:foo:]]', 'invalid character class range: `[:foo:]`'],
      ['\\p{Klingon}', 'invalid character class range: `\\p{Klingon}`'],
      ['[a-\\d]', 'invalid escape sequence: `\\d`'],
    ];
    for (const [regex, message] of cases) {
      it(`rejects ${regex}`, () => {
        expect(goError(regex)).to.equal(`error parsing regexp: ${message}`);
      });
    }

    it('accepts what Go accepts although it looks odd', () => {
      for (const regex of ['(a{100}){10}', 'a{1000}', '(?)', '(?-i)', 'x(?i)*', 'a*(?i)*', '[[:alpha]', '\\Q\\E', '()', '|', '(?:)*']) {
        expect(() => compileAnchoredRe2(regex), regex).not.to.throw();
      }
      expect(matches('x(?i)*', 'xxx')).to.equal(true); // Go applies the * to x
    });
  });
});
