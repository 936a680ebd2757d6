/**
 * Applying relabel rules to one label set: Prometheus's model/relabel.Process.
 *
 * An empty value means "absent" (labels.Builder semantics): setting "" deletes the label, and a
 * missing source label reads as "". Rules run in order and stop at the first drop.
 */
import { createHash } from 'node:crypto';
import { expandTemplate } from './expand.js';
import { isValidLabelName } from './names.js';
import { planOf } from './plan.js';
import { goToLower, goToUpper } from './textcase.js';
import type { LabelSet, RelabelRule, RulePlan, TemplatePart } from './types.js';

/**
 * Applies `rules` in order to `labels` (which includes `__name__`), mutating it. Returns false when
 * the sample must be dropped: a keep/drop-style rule said so, or nothing (or no `__name__`) is left.
 */
export function relabel(labels: LabelSet, rules: readonly RelabelRule[]): boolean {
  for (let i = 0; i < rules.length; i++) {
    if (!applyRule(labels, rules[i]!)) return false;
  }
  return labels.size > 0 && (labels.get('__name__') ?? '') !== '';
}

/**
 * Target relabeling (prometheus-operator `relabelings`): the same rules over a target's labels, which
 * carry no `__name__`. Returns false when a rule drops the target.
 */
export function relabelTarget(labels: LabelSet, rules: readonly RelabelRule[]): boolean {
  for (let i = 0; i < rules.length; i++) {
    if (!applyRule(labels, rules[i]!)) return false;
  }
  return true;
}

function setLabel(labels: LabelSet, name: string, value: string): void {
  if (value === '') labels.delete(name);
  else labels.set(name, value);
}

/** The source labels' values (missing → "") joined by the separator. */
function sourceValue(labels: LabelSet, rule: RelabelRule, plan: RulePlan): string {
  if (plan.singleSource !== null) return labels.get(plan.singleSource) ?? '';
  const src = rule.sourceLabels;
  if (src.length === 0) return '';
  let v = labels.get(src[0]!) ?? '';
  for (let i = 1; i < src.length; i++) v += rule.separator + (labels.get(src[i]!) ?? '');
  return v;
}

/** Applies one rule; false = drop the sample. */
function applyRule(labels: LabelSet, rule: RelabelRule): boolean {
  const plan = planOf(rule);
  switch (rule.action) {
    case 'keep':
      return rule.regex.test(sourceValue(labels, rule, plan));
    case 'drop':
      return !rule.regex.test(sourceValue(labels, rule, plan));
    case 'keepequal':
      return (labels.get(rule.targetLabel) ?? '') === sourceValue(labels, rule, plan);
    case 'dropequal':
      return (labels.get(rule.targetLabel) ?? '') !== sourceValue(labels, rule, plan);
    case 'replace':
      replace(labels, rule, plan);
      return true;
    case 'lowercase':
      setLabel(labels, rule.targetLabel, goToLower(sourceValue(labels, rule, plan)));
      return true;
    case 'uppercase':
      setLabel(labels, rule.targetLabel, goToUpper(sourceValue(labels, rule, plan)));
      return true;
    case 'hashmod':
      setLabel(labels, rule.targetLabel, hashmod(sourceValue(labels, rule, plan), plan.modulus));
      return true;
    case 'labelmap':
      labelmap(labels, rule, plan);
      return true;
    case 'labeldrop':
      for (const name of labels.keys()) if (rule.regex.test(name)) labels.delete(name);
      return true;
    case 'labelkeep':
      for (const name of labels.keys()) if (!rule.regex.test(name)) labels.delete(name);
      return true;
  }
}

function replace(labels: LabelSet, rule: RelabelRule, plan: RulePlan): void {
  const val = sourceValue(labels, rule, plan);
  if (plan.target === null && plan.replacement === null) {
    // No `$` anywhere: only whether the regex matches matters.
    if (rule.regex.test(val)) setLabel(labels, rule.targetLabel, rule.replacement);
    return;
  }
  const m = rule.regex.exec(val);
  if (m === null) return; // no match: no replacement
  let target = rule.targetLabel;
  if (plan.target !== null) {
    target = expandTemplate(plan.target, m);
    if (!isValidLabelName(target)) return; // an expanded name that is not a label name: skip
  }
  setLabel(labels, target, plan.replacement === null ? rule.replacement : expandTemplate(plan.replacement, m));
}

/** MD5 of the value; the last 8 bytes as a big-endian uint64, modulo the modulus, in decimal. */
export function hashmod(value: string, modulus: bigint): string {
  const digest = createHash('md5').update(value, 'utf8').digest();
  return (digest.readBigUInt64BE(8) % modulus).toString();
}

/**
 * labelmap: for every label whose name matches, set `ReplaceAllString(name, replacement)` to its
 * value. Labels are visited in name order over a snapshot, as Prometheus's sorted label set (which
 * decides the winner when two labels map to the same name). A result that is not a valid label
 * name is skipped: Prometheus would reject the whole scrape for it, a proxy must not emit it.
 */
function labelmap(labels: LabelSet, rule: RelabelRule, plan: RulePlan): void {
  const snapshot = Array.from(labels);
  snapshot.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const parts: readonly TemplatePart[] = plan.replacement ?? [rule.replacement];
  for (const [name, value] of snapshot) {
    if (!rule.regex.test(name)) continue;
    const res = replaceAll(plan.global!, name, parts);
    if (isValidLabelName(res)) setLabel(labels, res, value);
  }
}

/**
 * Go's Regexp.ReplaceAllString with `$` expansion. With Prometheus's anchored regexes this is a
 * single whole-string replacement, but a pattern like `a)|(b` escapes the anchoring, so the general
 * loop is kept: an empty match right after a previous match is not replaced, and the search
 * advances by at least one code point.
 */
export function replaceAll(re: RegExp, src: string, parts: readonly TemplatePart[]): string {
  let out = '';
  let lastMatchEnd = 0;
  let searchPos = 0;
  while (searchPos <= src.length) {
    re.lastIndex = searchPos;
    const m = re.exec(src);
    if (m === null) break;
    const start = m.index;
    const end = start + m[0].length;
    out += src.slice(lastMatchEnd, start);
    if (end > lastMatchEnd || start === 0) out += expandTemplate(parts, m);
    lastMatchEnd = end;
    const width = searchPos < src.length ? (src.codePointAt(searchPos)! > 0xffff ? 2 : 1) : 0;
    if (searchPos + width > end) searchPos += width;
    else if (searchPos + 1 > end) searchPos++;
    else searchPos = end;
  }
  return out + src.slice(lastMatchEnd);
}
