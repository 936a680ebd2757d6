/**
 * Per-rule evaluation data (RulePlan): computed once by compileRelabelConfigs, or lazily (and
 * cached) for a RelabelRule built by hand, so that the per-sample code does no setup.
 */
import { parseTemplate } from './expand.js';
import type { RelabelRule, RulePlan } from './types.js';

type PlanInput = Omit<RelabelRule, 'plan' | 'groupNames'>;

export function buildPlan(rule: PlanInput, groupNames?: ReadonlyMap<string, readonly number[]>): RulePlan {
  const templated = rule.action === 'replace' || rule.action === 'labelmap';
  return {
    singleSource: rule.sourceLabels.length === 1 ? rule.sourceLabels[0]! : null,
    target: rule.action === 'replace' && rule.targetLabel.includes('$') ? parseTemplate(rule.targetLabel, groupNames) : null,
    replacement: templated && rule.replacement.includes('$') ? parseTemplate(rule.replacement, groupNames) : null,
    modulus: BigInt(rule.action === 'hashmod' ? rule.modulus : 0),
    global: rule.action === 'labelmap' ? new RegExp(rule.regex.source, rule.regex.flags.replace(/[gy]/g, '') + 'g') : null,
  };
}

/** Capture-group indexes by name of a JS regex (for hand-built rules without `groupNames`). */
export function jsGroupNames(re: RegExp): Map<string, number[]> {
  const names = new Map<string, number[]>();
  const src = re.source;
  let index = 0;
  let inClass = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (c === '\\') i++;
    else if (inClass) inClass = c !== ']';
    else if (c === '[') inClass = true;
    else if (c === '(') {
      if (src[i + 1] !== '?') index++;
      else if (src[i + 2] === '<' && src[i + 3] !== '=' && src[i + 3] !== '!') {
        const end = src.indexOf('>', i);
        index++;
        names.set(src.slice(i + 3, end), [index]);
      }
    }
  }
  return names;
}

const derived = new WeakMap<RelabelRule, RulePlan>();

/** The rule's plan: precompiled, or derived once and cached. */
export function planOf(rule: RelabelRule): RulePlan {
  if (rule.plan !== undefined) return rule.plan;
  let plan = derived.get(rule);
  if (plan === undefined) {
    plan = buildPlan(rule, rule.groupNames ?? jsGroupNames(rule.regex));
    derived.set(rule, plan);
  }
  return plan;
}
