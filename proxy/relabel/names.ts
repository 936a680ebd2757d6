/**
 * Label-name rules of Prometheus's relabel config validation, with the legacy charset.
 */

const LABEL_NAME_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** `model.LabelName.IsValid` under the legacy validation scheme: `[a-zA-Z_][a-zA-Z0-9_]*`. */
export function isValidLabelName(name: string): boolean {
  return LABEL_NAME_RE.test(name);
}

function isWord(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

/**
 * Prometheus's `relabelTarget` check for a replace `targetLabel` or labelmap `replacement` that
 * contains `$`: `^(?:(?:[a-zA-Z_]|\$(?:\{\w+\}|\w+))+\w*)+$`. Written as a linear scan because that
 * regex nests quantifiers, which a backtracking engine (V8) can take exponential time on.
 * The language is: a first token that is a letter, `_` or a `$name`/`${name}` reference, then any
 * run of word characters and references.
 */
export function isValidTargetTemplate(s: string): boolean {
  const n = s.length;
  if (n === 0) return false;
  let i = 0;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (c === 36 /* $ */) {
      if (s.charCodeAt(i + 1) === 123 /* { */) {
        let j = i + 2;
        while (j < n && isWord(s.charCodeAt(j))) j++;
        if (j === i + 2 || s.charCodeAt(j) !== 125 /* } */) return false;
        i = j + 1;
      } else {
        let j = i + 1;
        while (j < n && isWord(s.charCodeAt(j))) j++;
        if (j === i + 1) return false;
        i = j;
      }
    } else if (isWord(c)) {
      if (i === 0 && c >= 48 && c <= 57) return false; // a digit cannot come first
      i++;
    } else {
      return false;
    }
  }
  return true;
}
