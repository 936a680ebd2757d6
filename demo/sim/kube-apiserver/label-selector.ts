/**
 * Label selectors in the string form of list/watch `?labelSelector=` (k8s.io/apimachinery/pkg/labels):
 * `a=b`, `a==b`, `a!=b`, `a`, `!a`, `a in (x,y)`, `a notin (x,y)`, comma-separated (AND).
 */

export type LabelRequirement =
  | { key: string; op: 'in' | 'notin'; values: string[] }
  | { key: string; op: 'exists' | 'doesnotexist' };

const KEY = /^([a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?\/)?[a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?$/;

function checkKey(k: string): string {
  if (!KEY.test(k)) throw new Error(`invalid label key "${k}"`);
  return k;
}

/** Splits on commas outside parentheses. */
function clauses(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out.map((c) => c.trim()).filter((c) => c !== '');
}

export function parseLabelSelector(s: string): LabelRequirement[] {
  return clauses(s).map((c) => {
    let m = /^(\S+?)\s*(==|=|!=)\s*(\S*)$/.exec(c);
    if (m) return { key: checkKey(m[1]!), op: m[2] === '!=' ? 'notin' : 'in', values: [m[3]!] };
    m = /^(\S+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(c);
    if (m) return { key: checkKey(m[1]!), op: m[2] as 'in' | 'notin', values: m[3]!.split(',').map((v) => v.trim()) };
    m = /^!\s*(\S+)$/.exec(c);
    if (m) return { key: checkKey(m[1]!), op: 'doesnotexist' };
    if (/^\S+$/.test(c)) return { key: checkKey(c), op: 'exists' };
    throw new Error(`unable to parse "${c}"`);
  });
}

export function matchesLabelSelector(labels: Record<string, string>, reqs: LabelRequirement[]): boolean {
  return reqs.every((r) => {
    const has = Object.prototype.hasOwnProperty.call(labels, r.key);
    switch (r.op) {
      case 'exists':
        return has;
      case 'doesnotexist':
        return !has;
      case 'in':
        return has && r.values.includes(labels[r.key]!);
      case 'notin':
        return !has || !r.values.includes(labels[r.key]!);
    }
  });
}
