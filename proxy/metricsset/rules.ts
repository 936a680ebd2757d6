/** Small builders for the static tables, and a deep copy so callers never share (frozen) table objects. */
import type { RelabelConfig } from '../relabel/types.js';

type Rule = Readonly<RelabelConfig>;

function byName(action: 'keep' | 'drop', regex: string): Rule {
  return Object.freeze({ sourceLabels: Object.freeze(['__name__']) as string[], regex, action });
}

/** HyperShift's name-only rules always use sourceLabels [__name__]. */
export const keepNames = (regex: string): Rule => byName('keep', regex);
export const dropNames = (regex: string): Rule => byName('drop', regex);

export function rules(...list: Rule[]): readonly Rule[] {
  return Object.freeze(list);
}

export function cloneRules(list: readonly Rule[]): RelabelConfig[] {
  return list.map((r) => ({ ...r, ...(r.sourceLabels ? { sourceLabels: [...r.sourceLabels] } : {}) }));
}
