import { compileRelabelConfigs, relabel } from '../../../proxy/relabel/index.js';
import type { RelabelRule } from '../../../proxy/relabel/types.js';

export function compile(...configs: unknown[]): RelabelRule[] {
  return compileRelabelConfigs(configs, 'rules');
}

/** Runs rules on a label set given as an object; `labels` is null when the sample is dropped. */
export function run(labels: Record<string, string>, ...configs: unknown[]): { keep: boolean; labels: Record<string, string> | null } {
  const set = new Map(Object.entries(labels));
  const keep = relabel(set, compile(...configs));
  return { keep, labels: keep ? Object.fromEntries(set) : null };
}

/** The compiled regex of a single `keep` rule, to test RE2 translation. */
export function re(regex: string): RegExp {
  return compile({ sourceLabels: ['a'], regex, action: 'keep' })[0]!.regex;
}

/** Whether the (anchored) relabel regex matches the whole value. */
export function matches(regex: string, value: string): boolean {
  return re(regex).test(value);
}
