/**
 * The `SRE` set: rules come from the `config` key of the `sre-metric-set` ConfigMap, a YAML mapping
 * from component key to a prometheus-operator RelabelConfig list (HyperShift's MetricsSetConfig in
 * openshift/hypershift support/metrics/sets.go; sample: support/metrics/testdata/sreconfig.yaml).
 *
 * Stricter than HyperShift, which ignores unknown keys and only finds bad rules when Prometheus
 * rejects the generated monitors: here an unknown key or a malformed rule fails the whole load, with
 * its key path, so the caller keeps its last good config.
 */
import YAML from 'yaml';
import { ConfigError, errorMessage } from '../../common/errors.js';
import { compileRelabelConfigs } from '../relabel/index.js';
import type { RelabelConfig } from '../relabel/types.js';
import { COMPONENT_KEYS, isComponentKey, type SREConfig } from './types.js';

export const SRE_CONFIGMAP_NAME = 'sre-metric-set';
export const SRE_CONFIGMAP_KEY = 'config';

export function parseSREConfig(text: string, source?: string): SREConfig {
  let doc: unknown;
  try {
    doc = YAML.parse(text);
  } catch (err) {
    throw new ConfigError('', `invalid YAML: ${errorMessage(err)}`, source);
  }
  // An empty ConfigMap value means "no SRE rules", as an empty MetricsSetConfig does in HyperShift.
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    throw new ConfigError('', 'expected a mapping from component key to a list of relabel rules', source);
  }

  const out: SREConfig = {};
  for (const [key, value] of Object.entries(doc as Record<string, unknown>)) {
    if (!isComponentKey(key)) throw new ConfigError(key, unknownKeyDetail(key), source);
    if (value === null) continue; // `etcd:` with no list: no rules, as a nil slice in Go
    if (!Array.isArray(value)) throw new ConfigError(key, 'expected a list of relabel rules', source);
    compileRelabelConfigs(value, key, source); // validation only; throws ConfigError naming e.g. etcd[1].regex
    out[key] = value.map((raw) => toRelabelConfig(raw as Record<string, unknown>));
  }
  return out;
}

function unknownKeyDetail(key: string): string {
  const near = COMPONENT_KEYS.find((k) => k.toLowerCase() === key.toLowerCase());
  const hint = near ? ` (did you mean '${near}'?)` : '';
  return `unknown component key${hint}; valid keys: ${COMPONENT_KEYS.join(', ')}`;
}

/** A fresh camelCase copy of an already validated rule (snake_case Prometheus spellings accepted). */
function toRelabelConfig(raw: Record<string, unknown>): RelabelConfig {
  const pick = (camel: string, snake: string): unknown => (raw[camel] !== undefined ? raw[camel] : raw[snake]);
  const rule: RelabelConfig = {};
  const sourceLabels = pick('sourceLabels', 'source_labels');
  if (Array.isArray(sourceLabels)) rule.sourceLabels = sourceLabels.map(String);
  const separator = raw.separator;
  if (separator !== undefined && separator !== null) rule.separator = String(separator);
  const targetLabel = pick('targetLabel', 'target_label');
  if (targetLabel !== undefined && targetLabel !== null) rule.targetLabel = String(targetLabel);
  if (raw.regex !== undefined && raw.regex !== null) rule.regex = String(raw.regex);
  if (typeof raw.modulus === 'number') rule.modulus = raw.modulus;
  if (raw.replacement !== undefined && raw.replacement !== null) rule.replacement = String(raw.replacement);
  if (raw.action !== undefined && raw.action !== null) rule.action = String(raw.action);
  return rule;
}
