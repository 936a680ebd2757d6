/**
 * A pod label selector, as the resolver's `POST /resolve` body and the proxy configuration carry it.
 * HyperShift uses a plain `matchLabels` map (`{"app": "etcd"}`); a Kubernetes LabelSelector (`{"matchLabels": {...}, "matchExpressions": [...]}`)
 * is accepted too. The two cannot be confused: label values are strings, so an object or list
 * under `matchLabels`/`matchExpressions` can only mean the LabelSelector form.
 */

export type SelectorOperator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';

export interface SelectorRequirement {
  key: string;
  operator: SelectorOperator;
  values: string[];
}

export interface PodSelector {
  matchLabels: Record<string, string>;
  matchExpressions: SelectorRequirement[];
}

export class SelectorError extends Error {
  override name = 'SelectorError';
}

const NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const PREFIX = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;
const OPERATORS: readonly SelectorOperator[] = ['In', 'NotIn', 'Exists', 'DoesNotExist'];

function checkKey(key: string, where: string): void {
  const slash = key.indexOf('/');
  const prefix = slash < 0 ? undefined : key.slice(0, slash);
  const name = slash < 0 ? key : key.slice(slash + 1);
  if (!NAME.test(name) || (prefix !== undefined && (prefix.length > 253 || !PREFIX.test(prefix)))) {
    throw new SelectorError(`${where}: ${JSON.stringify(key)} is not a valid label key`);
  }
}

function checkValue(value: unknown, where: string): string {
  if (typeof value !== 'string') throw new SelectorError(`${where} must be a string`);
  if (!VALUE.test(value)) throw new SelectorError(`${where}: ${JSON.stringify(value)} is not a valid label value`);
  return value;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseLabels(v: unknown, where: string): Record<string, string> {
  if (!isObject(v)) throw new SelectorError(`${where} must be an object of label → value`);
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(v)) {
    checkKey(k, where);
    out[k] = checkValue(val, `${where}[${JSON.stringify(k)}]`);
  }
  return out;
}

function parseRequirement(v: unknown, where: string): SelectorRequirement {
  if (!isObject(v)) throw new SelectorError(`${where} must be an object with key, operator and values`);
  for (const k of Object.keys(v)) if (!['key', 'operator', 'values'].includes(k)) throw new SelectorError(`${where}: unknown field ${JSON.stringify(k)}`);
  if (typeof v.key !== 'string') throw new SelectorError(`${where}.key must be a string`);
  checkKey(v.key, `${where}.key`);
  const operator = v.operator as SelectorOperator;
  if (!OPERATORS.includes(operator)) throw new SelectorError(`${where}.operator must be one of ${OPERATORS.join(', ')}, not ${JSON.stringify(v.operator)}`);
  const raw = v.values ?? [];
  if (!Array.isArray(raw)) throw new SelectorError(`${where}.values must be a list of strings`);
  const values = raw.map((x, i) => checkValue(x, `${where}.values[${i}]`));
  // The same rules as Kubernetes' LabelSelector validation.
  if ((operator === 'In' || operator === 'NotIn') && values.length === 0) throw new SelectorError(`${where}.values must be non-empty for operator ${operator}`);
  if ((operator === 'Exists' || operator === 'DoesNotExist') && values.length > 0) throw new SelectorError(`${where}.values must be empty for operator ${operator}`);
  return { key: v.key, operator, values };
}

/** Validates the `selector` of a resolve request. An empty selector is refused: it would hand out every pod. */
export function parseSelector(v: unknown): PodSelector {
  if (!isObject(v)) throw new SelectorError('selector must be an object');
  const structured = isObject(v.matchLabels) || Array.isArray(v.matchExpressions);
  let sel: PodSelector;
  if (structured) {
    for (const k of Object.keys(v)) if (k !== 'matchLabels' && k !== 'matchExpressions') throw new SelectorError(`selector: unknown field ${JSON.stringify(k)} next to matchLabels/matchExpressions`);
    const exprs = v.matchExpressions ?? [];
    if (!Array.isArray(exprs)) throw new SelectorError('selector.matchExpressions must be a list');
    sel = {
      matchLabels: v.matchLabels === undefined ? {} : parseLabels(v.matchLabels, 'selector.matchLabels'),
      matchExpressions: exprs.map((e, i) => parseRequirement(e, `selector.matchExpressions[${i}]`)),
    };
  } else {
    sel = { matchLabels: parseLabels(v, 'selector'), matchExpressions: [] };
  }
  if (Object.keys(sel.matchLabels).length === 0 && sel.matchExpressions.length === 0) throw new SelectorError('selector must not be empty');
  return sel;
}

export function selectorMatches(sel: PodSelector, labels: Record<string, string>): boolean {
  for (const k in sel.matchLabels) if (labels[k] !== sel.matchLabels[k]) return false;
  for (const r of sel.matchExpressions) {
    const has = Object.prototype.hasOwnProperty.call(labels, r.key);
    switch (r.operator) {
      case 'In':
        if (!has || !r.values.includes(labels[r.key]!)) return false;
        break;
      case 'NotIn':
        if (has && r.values.includes(labels[r.key]!)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
    }
  }
  return true;
}

/** A canonical string for caching: equal selectors give equal keys whatever their key order. */
export function selectorKey(sel: PodSelector): string {
  const labels = Object.keys(sel.matchLabels).sort().map((k) => [k, sel.matchLabels[k]]);
  const exprs = sel.matchExpressions.map((r) => [r.key, r.operator, [...r.values].sort()]).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  return JSON.stringify([labels, exprs]);
}
