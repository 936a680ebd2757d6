/**
 * The literal text every match of a (Go, anchored) regex must start with, when it is easy to prove:
 * lets keep/drop rules on `__name__;other` be decided from the name for most samples.
 */

const META = new Set(['\\', '.', '+', '*', '?', '(', ')', '|', '[', ']', '{', '}', '^', '$']);

/** True when `|` appears outside any group or class: then no single prefix holds. */
function hasTopLevelAlternation(re: string): boolean {
  let depth = 0;
  let inClass = false;
  for (let i = 0; i < re.length; i++) {
    const c = re[i];
    if (c === '\\') i++;
    else if (inClass) inClass = c !== ']';
    else if (c === '[') inClass = true;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === '|' && depth === 0) return true;
  }
  return false;
}

/** The literal prefix of `re` (possibly ''), or '' when none can be proven. */
export function literalPrefix(re: string): string {
  if (re.startsWith('(?') || hasTopLevelAlternation(re)) return '';
  let i = 0;
  while (i < re.length && !META.has(re[i]!)) i++;
  // A quantifier after the prefix may make its last character optional or repeated.
  const next = re[i];
  if (next === '*' || next === '?' || next === '{' || next === '+') i = Math.max(0, i - 1);
  return re.slice(0, i);
}

/** Whether some string starting with `start` can also start with `prefix`. */
export function compatiblePrefix(start: string, prefix: string): boolean {
  return start.length >= prefix.length ? start.startsWith(prefix) : prefix.startsWith(start);
}
