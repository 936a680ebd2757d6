import { expect } from 'chai';
import { ConfigError } from '../../../common/errors.js';
import { compileRelabelConfig, compileRelabelConfigs } from '../../../proxy/relabel/index.js';

/** The ConfigError thrown for `rules` compiled at `components[0].metricRelabelings`. */
function configError(rules: unknown, source?: string): ConfigError {
  try {
    compileRelabelConfigs(rules, 'components[0].metricRelabelings', source);
  } catch (err) {
    expect(err).to.be.instanceOf(ConfigError);
    return err as ConfigError;
  }
  expect.fail('expected a ConfigError');
}

function keyPathOf(rule: unknown, index = 0): string {
  const rules = [];
  for (let i = 0; i < index; i++) rules.push({ targetLabel: 'ok' });
  rules.push(rule);
  return configError(rules).keyPath;
}

describe('relabel: compile', () => {
  describe('defaults and normalization', () => {
    it('applies Prometheus defaults', () => {
      const [r] = compileRelabelConfigs([{ targetLabel: 't' }], 'x');
      expect(r).to.include({ action: 'replace', separator: ';', regexSource: '(.*)', replacement: '$1', modulus: 0, targetLabel: 't' });
      expect(r!.sourceLabels).to.deep.equal([]);
      expect(r!.regex.source).to.equal('^(?:([^\\n]*))$');
    });

    it('treats null values like absent keys', () => {
      const [r] = compileRelabelConfigs([{ targetLabel: 't', regex: null, separator: null, replacement: null, action: null, sourceLabels: null }], 'x');
      expect(r).to.include({ action: 'replace', separator: ';', regexSource: '(.*)', replacement: '$1' });
    });

    it('keeps explicit empty strings as Prometheus does', () => {
      const [r] = compileRelabelConfigs([{ targetLabel: 't', regex: '', separator: '', replacement: '' }], 'x');
      expect(r).to.include({ regexSource: '', separator: '', replacement: '' });
      expect(r!.regex.test('')).to.equal(true);
      expect(r!.regex.test('a')).to.equal(false);
    });

    it('accepts action names in any case and normalizes them', () => {
      const actions = ['Replace', 'KEEP', 'Drop', 'KeepEqual', 'DropEqual', 'HashMod', 'LabelMap', 'LabelDrop', 'LabelKeep', 'Lowercase', 'UpperCase'];
      const rules = compileRelabelConfigs(
        actions.map((action) => {
          const a = action.toLowerCase();
          if (a === 'labeldrop' || a === 'labelkeep' || a === 'labelmap') return { action, regex: 'x' };
          return { action, sourceLabels: ['a'], targetLabel: 't', ...(a === 'hashmod' ? { modulus: 2 } : {}) };
        }),
        'x',
      );
      expect(rules.map((r) => r.action)).to.deep.equal(actions.map((a) => a.toLowerCase()));
    });

    it('accepts Prometheus snake_case keys', () => {
      const [r] = compileRelabelConfigs([{ source_labels: ['a', 'b'], target_label: 't', regex: 'x;y' }], 'x');
      expect(r!.sourceLabels).to.deep.equal(['a', 'b']);
      expect(r!.targetLabel).to.equal('t');
    });

    it('reads non-string YAML scalars of regex and replacement as text', () => {
      const [r] = compileRelabelConfigs([{ sourceLabels: ['a'], regex: true, action: 'keep' }, { sourceLabels: ['code'], regex: 404, targetLabel: 't', replacement: 1 }], 'x');
      expect(r!.regexSource).to.equal('true');
      expect(r!.regex.test('true')).to.equal(true);
    });

    it('returns [] for null or undefined', () => {
      expect(compileRelabelConfigs(null, 'x')).to.deep.equal([]);
      expect(compileRelabelConfigs(undefined, 'x')).to.deep.equal([]);
    });

    it('compiles a single rule at its own key path', () => {
      expect(() => compileRelabelConfig({ action: 'nope' }, 'sre.etcd[3]')).to.throw(ConfigError).with.property('keyPath', 'sre.etcd[3].action');
    });
  });

  describe('errors', () => {
    it('locates a bad regex precisely, with Go’s message', () => {
      const err = configError([{ targetLabel: 'a' }, { targetLabel: 'b' }, { sourceLabels: ['a'], regex: '(foo', action: 'keep' }], 'cfg.yaml');
      expect(err.keyPath).to.equal('components[0].metricRelabelings[2].regex');
      expect(err.message).to.equal('cfg.yaml: components[0].metricRelabelings[2].regex: error parsing regexp: missing closing ): `^(?:(foo)$`');
    });

    it('rejects what Go rejects but JS would accept (lookahead, backreference)', () => {
      expect(configError([{ sourceLabels: ['a'], regex: '(?=x)x', action: 'keep' }]).detail).to.equal('error parsing regexp: invalid or unsupported Perl syntax: `(?=`');
      expect(configError([{ sourceLabels: ['a'], regex: '(a)\\1', action: 'keep' }]).detail).to.equal('error parsing regexp: invalid escape sequence: `\\1`');
    });

    it('rejects a non-list and a non-mapping rule', () => {
      expect(configError({ action: 'keep' }).keyPath).to.equal('components[0].metricRelabelings');
      expect(configError([{ targetLabel: 'a' }, 'keep'])).to.include({ keyPath: 'components[0].metricRelabelings[1]', detail: 'must be a relabel rule (a mapping), got "keep"' });
      expect(configError([null]).keyPath).to.equal('components[0].metricRelabelings[0]');
    });

    it('rejects unknown keys at their path', () => {
      const err = configError([{ sourceLabels: ['a'], action: 'keep', regexp: 'x' }]);
      expect(err.keyPath).to.equal('components[0].metricRelabelings[0].regexp');
      expect(err.detail).to.match(/^unknown key/);
    });

    it('rejects a key given both in camelCase and snake_case', () => {
      expect(keyPathOf({ targetLabel: 'a', target_label: 'b' })).to.equal('components[0].metricRelabelings[0].target_label');
    });

    it('rejects invalid source labels at their index', () => {
      expect(keyPathOf({ sourceLabels: ['ok', 'not-ok'], targetLabel: 't' }, 1)).to.equal('components[0].metricRelabelings[1].sourceLabels[1]');
      expect(keyPathOf({ source_labels: [1], targetLabel: 't' })).to.equal('components[0].metricRelabelings[0].source_labels[0]');
      expect(keyPathOf({ sourceLabels: 'a', targetLabel: 't' })).to.equal('components[0].metricRelabelings[0].sourceLabels');
    });

    it('rejects values of the wrong type', () => {
      expect(keyPathOf({ targetLabel: 't', separator: 1 })).to.equal('components[0].metricRelabelings[0].separator');
      expect(keyPathOf({ targetLabel: 5 })).to.equal('components[0].metricRelabelings[0].targetLabel');
      expect(keyPathOf({ targetLabel: 't', regex: ['x'] })).to.equal('components[0].metricRelabelings[0].regex');
      for (const modulus of [-1, 1.5, '3']) {
        expect(keyPathOf({ sourceLabels: ['a'], targetLabel: 't', action: 'hashmod', modulus })).to.equal('components[0].metricRelabelings[0].modulus');
      }
    });

    it('rejects unknown actions', () => {
      const err = configError([{ action: 'rename', targetLabel: 't' }]);
      expect(err).to.include({ keyPath: 'components[0].metricRelabelings[0].action', detail: 'unknown relabel action "rename"' });
      expect(keyPathOf({ action: '', targetLabel: 't' })).to.equal('components[0].metricRelabelings[0].action');
    });

    it('requires a target label for replace, hashmod, lowercase, uppercase, keepequal, dropequal', () => {
      for (const action of ['replace', 'hashmod', 'lowercase', 'uppercase', 'keepequal', 'dropequal']) {
        const err = configError([{ sourceLabels: ['a'], action, modulus: action === 'hashmod' ? 2 : undefined }]);
        expect(err.keyPath, action).to.equal('components[0].metricRelabelings[0].targetLabel');
        expect(err.detail, action).to.equal(`required for the ${action} action`);
      }
    });

    it('names the key as written (snake_case) in the path', () => {
      expect(keyPathOf({ target_label: '-bad' })).to.equal('components[0].metricRelabelings[0].target_label');
    });

    it('requires a non-zero modulus for hashmod', () => {
      expect(keyPathOf({ sourceLabels: ['a'], targetLabel: 't', action: 'hashmod' })).to.equal('components[0].metricRelabelings[0].modulus');
      expect(keyPathOf({ sourceLabels: ['a'], targetLabel: 't', action: 'hashmod', modulus: 0 })).to.equal('components[0].metricRelabelings[0].modulus');
    });

    it('validates replace targets like Prometheus (templates allowed)', () => {
      for (const ok of ['label', '${1}', '$1', 'label${1}', '_${1}_', 'foo${bar}foo', 'asd$2asd']) {
        expect(() => compileRelabelConfigs([{ sourceLabels: ['a'], targetLabel: ok }], 'x'), ok).not.to.throw();
      }
      for (const bad of ['0${3}', '-${3}', 'a-b', '${', '$', '${}', 'foo${', '-foo${1}bar-', '1abc']) {
        const err = configError([{ sourceLabels: ['a'], targetLabel: bad }]);
        expect(err.keyPath, bad).to.equal('components[0].metricRelabelings[0].targetLabel');
        expect(err.detail, bad).to.contain(`"${bad}" is invalid for the replace action`);
      }
    });

    it('does not allow templates in lowercase/uppercase/keepequal/dropequal/hashmod targets', () => {
      for (const action of ['lowercase', 'uppercase', 'keepequal', 'dropequal', 'hashmod']) {
        const err = configError([{ sourceLabels: ['a'], targetLabel: '${3}', action, modulus: action === 'hashmod' ? 2 : undefined }]);
        expect(err.keyPath, action).to.equal('components[0].metricRelabelings[0].targetLabel');
      }
    });

    it('does not allow a replacement for lowercase/uppercase/keepequal/dropequal', () => {
      for (const action of ['lowercase', 'uppercase', 'keepequal', 'dropequal']) {
        expect(keyPathOf({ sourceLabels: ['a'], targetLabel: 't', action, replacement: 'x' }), action).to.equal('components[0].metricRelabelings[0].replacement');
      }
      expect(() => compileRelabelConfigs([{ sourceLabels: ['a'], targetLabel: 't', action: 'lowercase', replacement: '$1' }], 'x')).not.to.throw();
    });

    it('requires a label-name template as labelmap replacement', () => {
      expect(keyPathOf({ regex: '__meta_(.+)', action: 'labelmap', replacement: '-${1}' })).to.equal('components[0].metricRelabelings[0].replacement');
      expect(() => compileRelabelConfigs([{ regex: '__meta_(.+)', action: 'labelmap', replacement: 'k8s_${1}' }], 'x')).not.to.throw();
    });

    it('allows only sourceLabels and targetLabel for keepequal/dropequal', () => {
      const base = { sourceLabels: ['a'], targetLabel: 't', action: 'KeepEqual' };
      expect(keyPathOf({ ...base, regex: 'x' })).to.equal('components[0].metricRelabelings[0].regex');
      expect(keyPathOf({ ...base, action: 'dropequal', separator: ',' })).to.equal('components[0].metricRelabelings[0].separator');
      expect(keyPathOf({ ...base, modulus: 3 })).to.equal('components[0].metricRelabelings[0].modulus');
      expect(() => compileRelabelConfigs([{ ...base, regex: '(.*)', separator: ';' }], 'x')).not.to.throw();
    });

    it('allows only regex for labeldrop/labelkeep', () => {
      expect(keyPathOf({ regex: 'a', action: 'labeldrop', sourceLabels: ['a'] })).to.equal('components[0].metricRelabelings[0].sourceLabels');
      expect(keyPathOf({ regex: 'a', action: 'labelkeep', targetLabel: 't' })).to.equal('components[0].metricRelabelings[0].targetLabel');
      expect(keyPathOf({ regex: 'a', action: 'labeldrop', replacement: 'x' })).to.equal('components[0].metricRelabelings[0].replacement');
      expect(keyPathOf({ regex: 'a', action: 'labelkeep', separator: ',' })).to.equal('components[0].metricRelabelings[0].separator');
      expect(keyPathOf({ regex: 'a', action: 'labeldrop', modulus: 2 })).to.equal('components[0].metricRelabelings[0].modulus');
      expect(() => compileRelabelConfigs([{ regex: 'a', action: 'labeldrop', sourceLabels: [], separator: ';', replacement: '$1' }], 'x')).not.to.throw();
    });
  });
});
