/** Label-name character classes and label-value escaping shared by parser and serializer. */

/** 1 = may start a metric name, 2 = may continue one; label names are the same minus ':'. */
export const NAME_CHARS = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const alpha = (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
  const digit = c >= 48 && c <= 57;
  NAME_CHARS[c] = alpha ? 3 : digit ? 2 : c === 58 ? 4 : 0;
}

/**
 * A Kubernetes label key as a Prometheus label name, the way Kubernetes discovery names
 * `__meta_kubernetes_pod_label_<name>` and prometheus-operator names podTargetLabels/targetLabels.
 */
export function sanitizeLabelName(name: string): string {
  return name.replace(/[^a-zA-Z0-9_]/g, '_');
}

export function isValidLabelName(name: string): boolean {
  if (name.length === 0) return false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    const k = c < 128 ? NAME_CHARS[c]! : 0;
    if (i === 0 ? (k & 1) === 0 : (k & 3) === 0) return false;
  }
  return true;
}

export function isValidMetricName(name: string): boolean {
  if (name.length === 0) return false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    const k = c < 128 ? NAME_CHARS[c]! : 0;
    if (i === 0 ? (k & 5) === 0 : k === 0) return false;
  }
  return true;
}

const needsEscape = /[\\"\n]/;

/** Escape a label value for both text 0.0.4 and OpenMetrics (`\\`, `\"`, `\n`). */
export function escapeLabelValue(v: string): string {
  if (!needsEscape.test(v)) return v;
  return v.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : '\\' + c));
}

/** Inverse of escapeLabelValue; the parser has already rejected unknown escapes. */
export function unescapeLabelValue(raw: string): string {
  if (raw.indexOf('\\') < 0) return raw;
  return raw.replace(/\\(.)/g, (_m, c: string) => (c === 'n' ? '\n' : c));
}

/** Render `name="value",...` (no braces), skipping empty values, which Prometheus treats as absent. */
export function renderLabelPairs(pairs: Iterable<readonly [string, string]>): string {
  let out = '';
  for (const [name, value] of pairs) {
    if (value === '') continue;
    out += (out === '' ? '' : ',') + name + '="' + escapeLabelValue(value) + '"';
  }
  return out;
}
