/**
 * Small typed checks for hand-validating a parsed YAML/JSON document. Every failure is a ConfigError
 * carrying the key path, so operators see exactly which line of the file to fix.
 */
import { ConfigError } from '../../common/errors.js';
import { sanitizeLabelName } from '../exposition/labels.js';

export type Obj = Record<string, unknown>;

/** Prometheus label name, minus the reserved `__` prefix. */
export const LABEL_NAME_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
/** Kubernetes qualified name (the part of a label key after an optional `prefix/`), also a label value when non-empty. */
const K8S_NAME_RE = /^[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const DNS_SUBDOMAIN_RE = /^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*$/;

export function isK8sLabelKey(key: string): boolean {
  const slash = key.indexOf('/');
  const name = slash < 0 ? key : key.slice(slash + 1);
  if (name.length === 0 || name.length > 63 || !K8S_NAME_RE.test(name)) return false;
  if (slash < 0) return true;
  const prefix = key.slice(0, slash);
  return prefix.length > 0 && prefix.length <= 253 && DNS_SUBDOMAIN_RE.test(prefix);
}

/** Labels the proxy sets itself (DESIGN §2); static and pod target labels may not shadow them. */
export const RESERVED_TARGET_LABELS: ReadonlySet<string> = new Set(['job', 'namespace', 'service', 'endpoint', 'pod', 'instance']);

/**
 * Why a pod label key cannot be one of a component's podTargetLabels (undefined: it can), with the
 * label name it would become: the config parser refuses it, the generator leaves it out.
 */
export function podTargetLabelIssue(key: string): { issue: 'not-a-key' | 'proxy-label'; name: string } | undefined {
  const name = sanitizeLabelName(key);
  if (!isK8sLabelKey(key)) return { issue: 'not-a-key', name };
  // A label key starts with a letter or digit, so its label name never takes the reserved `__` prefix.
  if (RESERVED_TARGET_LABELS.has(name)) return { issue: 'proxy-label', name };
  return undefined;
}

export function isK8sLabelValue(value: string): boolean {
  return value === '' || (value.length <= 63 && K8S_NAME_RE.test(value));
}

/** `base.key`, or `key` at the top level. */
export function keyPath(base: string, key: string): string {
  return base ? `${base}.${key}` : key;
}

/** A short rendering of a value for `got ...` messages (never the whole document). */
export function describeValue(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return JSON.stringify(v.length > 80 ? v.slice(0, 77) + '...' : v);
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (Array.isArray(v)) return 'a list';
  if (v instanceof Date) return JSON.stringify(v.toISOString());
  return 'a mapping';
}

export function isPlainObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

/** Typed accessors that fail with the key path and the source file. */
export class Checker {
  constructor(readonly source: string) {}

  fail(path: string, detail: string): never {
    throw new ConfigError(path, detail, this.source);
  }

  object(v: unknown, path: string): Obj {
    if (!isPlainObject(v)) this.fail(path, `must be a mapping, got ${describeValue(v)}`);
    return v;
  }

  /** Rejects the first key not in `allowed` (document order). */
  knownKeys(obj: Obj, allowed: ReadonlySet<string>, path: string): void {
    for (const k of Object.keys(obj)) if (!allowed.has(k)) this.fail(keyPath(path, k), 'unknown key');
  }

  string(v: unknown, path: string): string {
    if (typeof v !== 'string') this.fail(path, `must be a string, got ${describeValue(v)}`);
    return v;
  }

  /** Optional string where `""` means unset: HyperShift's Go writer emits empty strings for absent values. */
  optString(obj: Obj, key: string, path: string): string | undefined {
    const v = obj[key];
    if (v === undefined || v === null) return undefined;
    const s = this.string(v, keyPath(path, key));
    return s === '' ? undefined : s;
  }

  /** Optional non-blank string without whitespace or control characters (file paths, server names). */
  optToken(obj: Obj, key: string, path: string): string | undefined {
    const s = this.optString(obj, key, path);
    if (s !== undefined && /[\s\0-\x1f\x7f]/.test(s)) this.fail(keyPath(path, key), `must not contain whitespace or control characters, got ${describeValue(s)}`);
    return s;
  }

  optBool(obj: Obj, key: string, path: string): boolean | undefined {
    const v = obj[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'boolean') this.fail(keyPath(path, key), `must be true or false, got ${describeValue(v)}`);
    return v;
  }

  optPort(obj: Obj, key: string, path: string): number | undefined {
    const v = obj[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 65535) {
      this.fail(keyPath(path, key), `must be an integer 1-65535, got ${describeValue(v)}`);
    }
    return v;
  }

  /** A map of string to string (selector, targetLabels); `validate` returns an error detail or undefined. */
  stringMap(v: unknown, path: string, validate: (key: string, value: string) => string | undefined): Record<string, string> {
    const obj = this.object(v, path);
    const out: Record<string, string> = {};
    for (const [k, raw] of Object.entries(obj)) {
      const p = keyPath(path, k);
      const value = this.string(raw, p);
      const bad = validate(k, value);
      if (bad !== undefined) this.fail(p, bad);
      out[k] = value;
    }
    return out;
  }
}
