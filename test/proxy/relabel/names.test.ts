import { expect } from 'chai';
import { isValidLabelName } from '../../../proxy/relabel/index.js';
import { isValidTargetTemplate } from '../../../proxy/relabel/names.js';

describe('relabel: label names', () => {
  it('uses the legacy charset', () => {
    for (const ok of ['a', '_', '__name__', 'A_1', 'job']) expect(isValidLabelName(ok), ok).to.equal(true);
    for (const bad of ['', '1a', 'a-b', 'a.b', 'é', 'a b']) expect(isValidLabelName(bad), bad).to.equal(false);
  });

  it('checks templated targets like Prometheus’s relabelTarget (its TestTargetLabelValidity table)', () => {
    const table: [string, boolean][] = [
      ['-label', false],
      ['label', true],
      ['label${1}', true],
      ['${1}label', true],
      ['${1}', true],
      ['${', false],
      ['$', false],
      ['${}', false],
      ['foo${', false],
      ['$1', true],
      ['asd$2asd', true],
      ['-foo${1}bar-', false],
      ['_${1}_', true],
      ['foo${bar}foo', true],
      ['0${3}', false],
      ['$a$b', true],
      ['a$', false],
    ];
    for (const [s, valid] of table) expect(isValidTargetTemplate(s), s).to.equal(valid);
  });

  it('stays linear on inputs that make the nested-quantifier regex backtrack', () => {
    const start = Date.now();
    expect(isValidTargetTemplate('$a'.repeat(5000) + '!')).to.equal(false);
    expect(isValidTargetTemplate('a'.repeat(100000) + '-')).to.equal(false);
    expect(Date.now() - start).to.be.below(200);
  });
});
