/**
 * Validation and compilation of relabel rules as written in config (prometheus-operator
 * RelabelConfig, camelCase; Prometheus's snake_case `source_labels`/`target_label` accepted too).
 * The checks are those of Prometheus's relabel.Config UnmarshalYAML/Validate; every error is a
 * ConfigError located at the offending key, e.g. `components[0].metricRelabelings[2].regex`.
 *
 * Value conventions:
 * - a key that is absent or null takes Prometheus's default (separator `;`, regex `(.*)`,
 *   replacement `$1`, action `replace`);
 * - an explicit empty string is kept, as in Prometheus: `regex: ""` matches only the empty string,
 *   `replacement: ""` deletes the target label, `separator: ""` joins without separator
 *   (prometheus-operator would drop an empty `regex` and use the default instead);
 * - YAML scalars that are not strings (`regex: true`, `regex: 404`) are read as their text, as
 *   Prometheus's YAML decoding does;
 * - action names are case-insensitive (`Replace`, `LabelDrop`, …) and normalized to lower case;
 * - `modulus` must be a safe integer (≤ 2^53 − 1; Prometheus allows any uint64).
 */
import { ConfigError } from '../../common/errors.js';
import { isValidLabelName, isValidTargetTemplate } from './names.js';
import { buildPlan } from './plan.js';
import { compileAnchoredRe2, type CompiledRegex } from './re2.js';
import type { RelabelAction, RelabelRule } from './types.js';

export const DEFAULT_SEPARATOR = ';';
export const DEFAULT_REGEX = '(.*)';
export const DEFAULT_REPLACEMENT = '$1';

type Field = 'sourceLabels' | 'separator' | 'targetLabel' | 'regex' | 'modulus' | 'replacement' | 'action';

const FIELDS: Readonly<Record<string, Field>> = {
  sourceLabels: 'sourceLabels',
  source_labels: 'sourceLabels',
  separator: 'separator',
  targetLabel: 'targetLabel',
  target_label: 'targetLabel',
  regex: 'regex',
  modulus: 'modulus',
  replacement: 'replacement',
  action: 'action',
};

const ACTIONS: ReadonlySet<string> = new Set<RelabelAction>([
  'replace',
  'keep',
  'drop',
  'keepequal',
  'dropequal',
  'hashmod',
  'labelmap',
  'labeldrop',
  'labelkeep',
  'lowercase',
  'uppercase',
]);

/** The default regex, compiled once and shared (a non-global RegExp is stateless). */
let defaultRegex: CompiledRegex | undefined;

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return JSON.stringify(v);
  return String(v);
}

/**
 * Compiles a list of rules. `keyPath` locates the list (`components[0].metricRelabelings`);
 * `source` (a file name) prefixes error messages. null/undefined is an empty list.
 */
export function compileRelabelConfigs(raw: unknown, keyPath: string, source?: string): RelabelRule[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw new ConfigError(keyPath, `must be a list of relabel rules, got ${describe(raw)}`, source);
  return raw.map((item, i) => compileRelabelConfig(item, `${keyPath}[${i}]`, source));
}

/** Compiles one rule; `keyPath` locates the rule itself (`…metricRelabelings[2]`). */
export function compileRelabelConfig(raw: unknown, keyPath: string, source?: string): RelabelRule {
  const fail = (key: string, detail: string): never => {
    throw new ConfigError(key === '' ? keyPath : `${keyPath}.${key}`, detail, source);
  };
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return fail('', `must be a relabel rule (a mapping), got ${describe(raw)}`);
  }

  // Keys as written, so errors name `target_label` when that is what the file says.
  const keyOf: Partial<Record<Field, string>> = {};
  let sourceLabels: string[] = [];
  let separator = DEFAULT_SEPARATOR;
  let targetLabel = '';
  let regexSource: string | undefined;
  let modulus = 0;
  let replacement = DEFAULT_REPLACEMENT;
  let action: RelabelAction = 'replace';

  const text = (key: string, v: unknown, scalars: boolean): string => {
    if (typeof v === 'string') return v;
    if (scalars && (typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v)))) return String(v);
    return fail(key, `must be a string, got ${describe(v)}`);
  };

  for (const [key, value] of Object.entries(raw)) {
    const field = Object.hasOwn(FIELDS, key) ? FIELDS[key] : undefined;
    if (field === undefined) {
      return fail(key, `unknown key (expected ${Object.keys(FIELDS).join(', ')})`);
    }
    if (keyOf[field] !== undefined) return fail(key, `duplicates ${keyOf[field]}`);
    keyOf[field] = key;
    if (value === null || value === undefined) continue;
    switch (field) {
      case 'sourceLabels':
        if (!Array.isArray(value)) return fail(key, `must be a list of label names, got ${describe(value)}`);
        sourceLabels = value.map((ln: unknown, j) => {
          if (typeof ln !== 'string' || !isValidLabelName(ln)) {
            return fail(`${key}[${j}]`, `${describe(ln)} is not a valid label name (must match [a-zA-Z_][a-zA-Z0-9_]*)`);
          }
          return ln;
        });
        break;
      case 'separator':
        separator = text(key, value, false);
        break;
      case 'targetLabel':
        targetLabel = text(key, value, false);
        break;
      case 'regex':
        regexSource = text(key, value, true);
        break;
      case 'replacement':
        replacement = text(key, value, true);
        break;
      case 'modulus':
        if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
          return fail(key, `must be a non-negative integer, got ${describe(value)}`);
        }
        modulus = value;
        break;
      case 'action': {
        const a = typeof value === 'string' ? value.toLowerCase() : undefined;
        if (a === undefined || !ACTIONS.has(a)) return fail(key, `unknown relabel action ${describe(value)}`);
        action = a as RelabelAction;
        break;
      }
    }
  }
  const at = (f: Field): string => keyOf[f] ?? f;

  let compiled: CompiledRegex;
  if (regexSource === undefined) compiled = defaultRegex ??= compileAnchoredRe2(DEFAULT_REGEX);
  else {
    try {
      compiled = compileAnchoredRe2(regexSource);
    } catch (err) {
      return fail(at('regex'), err instanceof Error ? err.message : String(err));
    }
  }

  // Prometheus's Config.Validate, in its order.
  const needsTarget = ['replace', 'hashmod', 'lowercase', 'uppercase', 'keepequal', 'dropequal'].includes(action);
  const plainTarget = ['lowercase', 'uppercase', 'keepequal', 'dropequal', 'hashmod'].includes(action);
  const fixedReplacement = ['lowercase', 'uppercase', 'keepequal', 'dropequal'].includes(action);
  if (action === 'hashmod' && modulus === 0) fail(at('modulus'), 'must be a positive integer for the hashmod action');
  if (needsTarget && targetLabel === '') fail(at('targetLabel'), `required for the ${action} action`);
  if (action === 'replace') {
    const ok = targetLabel.includes('$') ? isValidTargetTemplate(targetLabel) : isValidLabelName(targetLabel);
    if (!ok) {
      fail(at('targetLabel'), `"${targetLabel}" is invalid for the replace action (a label name [a-zA-Z_][a-zA-Z0-9_]*, optionally with $1 or \${name} references)`);
    }
  }
  if (plainTarget && !isValidLabelName(targetLabel)) {
    fail(at('targetLabel'), `"${targetLabel}" is invalid for the ${action} action (must match [a-zA-Z_][a-zA-Z0-9_]*)`);
  }
  if (fixedReplacement && replacement !== DEFAULT_REPLACEMENT) fail(at('replacement'), `cannot be set for the ${action} action`);
  if (action === 'labelmap' && !isValidTargetTemplate(replacement)) {
    fail(at('replacement'), `"${replacement}" is invalid for the labelmap action (letters, digits, _ and $1 or \${name} references)`);
  }
  if (action === 'keepequal' || action === 'dropequal') {
    const only = `cannot be set for the ${action} action (it takes only sourceLabels and targetLabel)`;
    if (regexSource !== undefined && regexSource !== DEFAULT_REGEX) fail(at('regex'), only);
    if (modulus !== 0) fail(at('modulus'), only);
    if (separator !== DEFAULT_SEPARATOR) fail(at('separator'), only);
    if (replacement !== DEFAULT_REPLACEMENT) fail(at('replacement'), only);
  }
  if (action === 'labeldrop' || action === 'labelkeep') {
    const only = `cannot be set for the ${action} action (it takes only regex)`;
    if (sourceLabels.length > 0) fail(at('sourceLabels'), only);
    if (targetLabel !== '') fail(at('targetLabel'), only);
    if (modulus !== 0) fail(at('modulus'), only);
    if (separator !== DEFAULT_SEPARATOR) fail(at('separator'), only);
    if (replacement !== DEFAULT_REPLACEMENT) fail(at('replacement'), only);
  }

  const rule = {
    action,
    sourceLabels: Object.freeze(sourceLabels),
    separator,
    targetLabel,
    regex: compiled.regex,
    regexSource: regexSource ?? DEFAULT_REGEX,
    modulus,
    replacement,
  };
  return { ...rule, groupNames: compiled.groupNames, plan: buildPlan(rule, compiled.groupNames) };
}
