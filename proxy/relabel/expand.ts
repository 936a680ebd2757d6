/**
 * Go `regexp.Expand` template semantics, used for `replacement` and for a `targetLabel` with `$`:
 * - `$$` is a literal `$`;
 * - `$name` and `${name}` refer to a group, `name` being the LONGEST run of letters, digits and `_`
 *   (Unicode letters/digits, as Go's unicode.IsLetter/IsDigit): so `$1x` means the group named
 *   `1x` — usually absent, hence empty — and `${1}x` is what was meant;
 * - an all-digit name (no leading zero) is a group index; other names are looked up by group name,
 *   the first group of that name that took part in the match wins;
 * - an unknown or non-participating group expands to "";
 * - a `$` not followed by a valid name (or `${` without `}`) is kept literally.
 * Templates are parsed once (parseTemplate) and expanded per match (expandTemplate).
 */
import type { TemplatePart } from './types.js';

const NAME_CHAR = /[\p{L}\p{Nd}_]/u;

interface Extracted {
  readonly name: string;
  /** Group index, or -1 when the name is not a plain number. */
  readonly num: number;
  readonly rest: string;
}

/** Go's regexp.extract: the name after a `$` (already removed), or undefined when malformed. */
function extract(str: string): Extracted | undefined {
  let s = str;
  const brace = s.startsWith('{');
  if (brace) s = s.slice(1);
  let i = 0;
  while (i < s.length) {
    const cp = s.codePointAt(i)!;
    const ch = String.fromCodePoint(cp);
    if (!NAME_CHAR.test(ch)) break;
    i += ch.length;
  }
  if (i === 0) return undefined;
  const name = s.slice(0, i);
  if (brace) {
    if (s[i] !== '}') return undefined;
    i++;
  }
  let num = 0;
  for (let k = 0; k < name.length; k++) {
    const c = name.charCodeAt(k);
    if (c < 48 || c > 57 || num >= 1e8) {
      num = -1;
      break;
    }
    num = num * 10 + c - 48;
  }
  if (name[0] === '0' && name.length > 1) num = -1;
  return { name, num, rest: s.slice(i) };
}

/**
 * Parses a template. `groupNames` maps Go group names to their capture indexes; a name with no
 * group is dropped here, since it always expands to "".
 */
export function parseTemplate(template: string, groupNames?: ReadonlyMap<string, readonly number[]>): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let lit = '';
  let rest = template;
  for (;;) {
    const at = rest.indexOf('$');
    if (at < 0) break;
    lit += rest.slice(0, at);
    rest = rest.slice(at + 1);
    if (rest.startsWith('$')) {
      lit += '$';
      rest = rest.slice(1);
      continue;
    }
    const ex = extract(rest);
    if (ex === undefined) {
      lit += '$';
      continue;
    }
    rest = ex.rest;
    let ref: TemplatePart | undefined;
    if (ex.num >= 0) ref = ex.num;
    else {
      const idx = groupNames?.get(ex.name);
      if (idx !== undefined && idx.length > 0) ref = idx.length === 1 ? idx[0]! : idx;
    }
    if (ref === undefined) continue;
    if (lit !== '') parts.push(lit);
    lit = '';
    parts.push(ref);
  }
  lit += rest;
  if (lit !== '') parts.push(lit);
  return parts;
}

/** Expands a parsed template against a match (`undefined` = group did not take part). */
export function expandTemplate(parts: readonly TemplatePart[], match: ArrayLike<string | undefined>): string {
  let out = '';
  for (let k = 0; k < parts.length; k++) {
    const p = parts[k]!;
    if (typeof p === 'string') out += p;
    else if (typeof p === 'number') out += match[p] ?? '';
    else {
      for (const idx of p) {
        const v = match[idx];
        if (v !== undefined) {
          out += v;
          break;
        }
      }
    }
  }
  return out;
}

/** One-shot Go `Expand`: parse and expand. */
export function expand(template: string, match: ArrayLike<string | undefined>, groupNames?: ReadonlyMap<string, readonly number[]>): string {
  return expandTemplate(parseTemplate(template, groupNames), match);
}
