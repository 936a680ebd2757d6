/**
 * What a rule list can do to a sample, so the exposition hot path can skip building label Maps:
 * - 'none': no rules;
 * - 'nameOnly': only keep/drop on `__name__` → the verdict depends on the metric name alone
 *   (`keep(name)`, cached per name);
 * - 'filter': only keep/drop/keepequal/dropequal → labels are read, never changed
 *   (`filterKeeps` evaluates them through a getter);
 * - 'general': some rule can change labels → use `relabel` on a Map.
 */
import { planOf } from './plan.js';
import type { RelabelRule, RulePlan } from './types.js';

export type RuleClassification =
  | { readonly kind: 'none' }
  | { readonly kind: 'nameOnly'; readonly keep: (name: string) => boolean }
  | { readonly kind: 'filter' }
  | { readonly kind: 'general' };

/** Cache bound for 'nameOnly' verdicts: far above the distinct metric names of one component. */
export const NAME_CACHE_LIMIT = 100_000;

function isFilter(rule: RelabelRule): boolean {
  const a = rule.action;
  return a === 'keep' || a === 'drop' || a === 'keepequal' || a === 'dropequal';
}

function isNameFilter(rule: RelabelRule): boolean {
  return (rule.action === 'keep' || rule.action === 'drop') && rule.sourceLabels.length === 1 && rule.sourceLabels[0] === '__name__';
}

export function classifyRules(rules: readonly RelabelRule[]): RuleClassification {
  if (rules.length === 0) return { kind: 'none' };
  if (rules.every(isNameFilter)) return { kind: 'nameOnly', keep: nameKeeper(rules) };
  if (rules.every(isFilter)) return { kind: 'filter' };
  return { kind: 'general' };
}

/** A cached verdict per metric name for keep/drop rules on `__name__`. */
function nameKeeper(rules: readonly RelabelRule[]): (name: string) => boolean {
  const regexes = rules.map((r) => r.regex);
  const keepIfMatch = rules.map((r) => r.action === 'keep');
  const cache = new Map<string, boolean>();
  return (name: string): boolean => {
    let verdict = cache.get(name);
    if (verdict === undefined) {
      verdict = true;
      for (let i = 0; i < regexes.length; i++) {
        if (regexes[i]!.test(name) !== keepIfMatch[i]) {
          verdict = false;
          break;
        }
      }
      // Bounded: a pod inventing names (one per sample) must not grow memory without limit.
      if (cache.size >= NAME_CACHE_LIMIT) cache.clear();
      cache.set(name, verdict);
    }
    return verdict;
  };
}

function joined(rule: RelabelRule, plan: RulePlan, get: (name: string) => string): string {
  if (plan.singleSource !== null) return get(plan.singleSource);
  const src = rule.sourceLabels;
  if (src.length === 0) return '';
  let v = get(src[0]!);
  for (let i = 1; i < src.length; i++) v += rule.separator + get(src[i]!);
  return v;
}

/**
 * Evaluates 'filter' rules (keep/drop/keepequal/dropequal) with a label getter (missing → "")
 * instead of a Map. Returns false when the sample must be dropped. Rules of other actions are
 * ignored: call this only for the 'filter' kind.
 */
export function filterKeeps(rules: readonly RelabelRule[], get: (name: string) => string): boolean {
  for (let i = 0; i < rules.length; i++) {
    const rule = rules[i]!;
    const plan = rule.plan ?? planOf(rule);
    switch (rule.action) {
      case 'keep':
        if (!rule.regex.test(joined(rule, plan, get))) return false;
        break;
      case 'drop':
        if (rule.regex.test(joined(rule, plan, get))) return false;
        break;
      case 'keepequal':
        if (get(rule.targetLabel) !== joined(rule, plan, get)) return false;
        break;
      case 'dropequal':
        if (get(rule.targetLabel) === joined(rule, plan, get)) return false;
        break;
      default:
        break;
    }
  }
  return true;
}
