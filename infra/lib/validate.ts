/**
 * Prop validation shared by the constructs. Every check throws {@link InvalidPropsError} naming the
 * construct and the prop, and says what a valid value looks like.
 */
import { InvalidPropsError } from './errors.js';

export const METRICS_SETS = ['All', 'Telemetry', 'SRE'] as const;
/** DESIGN.md §5. Mirrors proxy/metricsset (a test keeps the two lists equal). */
export type MetricsSet = (typeof METRICS_SETS)[number];

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function describe(value: unknown): string {
  return typeof value === 'string' ? `'${value}'` : JSON.stringify(value) ?? String(value);
}

function fail(construct: string, prop: string, detail: string): never {
  throw new InvalidPropsError(construct, prop, detail);
}

/** A string prop that must be present and non-empty. */
export function checkNonEmpty(construct: string, prop: string, value: unknown): string {
  if (value === undefined || value === null) fail(construct, prop, 'is required');
  if (typeof value !== 'string' || value.trim() === '') fail(construct, prop, `must be a non-empty string, got ${describe(value)}`);
  return value;
}

/** RFC 1123 label (namespace, hosted cluster name): lower-case alphanumerics and '-', at most 63 characters. */
export function checkDnsLabel(construct: string, prop: string, value: unknown): string {
  checkNonEmpty(construct, prop, value);
  const v = value as string;
  if (v.length > 63 || !DNS_LABEL.test(v)) {
    fail(construct, prop, `${describe(v)} is not a valid RFC 1123 label: use at most 63 lower-case letters, digits and '-', starting and ending with a letter or digit`);
  }
  return v;
}

/** RFC 1123 subdomain (object names such as Secrets and ConfigMaps). */
export function checkDnsSubdomain(construct: string, prop: string, value: unknown): string {
  checkNonEmpty(construct, prop, value);
  const v = value as string;
  if (v.length > 253 || !v.split('.').every((l) => l.length <= 63 && DNS_LABEL.test(l))) {
    fail(construct, prop, `${describe(v)} is not a valid object name (RFC 1123 subdomain: lower-case letters, digits, '-' and '.', at most 253 characters)`);
  }
  return v;
}

/**
 * A Route host: a fully qualified RFC 1123 DNS name, lower case, no wildcard, no trailing dot, no port,
 * at least two labels, and not an IP address (a Route needs a name the router can match by SNI).
 */
export function checkHostname(construct: string, prop: string, value: unknown): string {
  checkNonEmpty(construct, prop, value);
  const host = value as string;
  const bad = (why: string): never => fail(construct, prop, `invalid hostname ${describe(host)}: ${why}`);
  if (host.length > 253) bad('longer than 253 characters');
  if (host.startsWith('*')) bad('wildcard hosts are not allowed (the Route uses wildcardPolicy None)');
  if (host.includes(':') || host.includes('/')) bad("give only the DNS name, without scheme, port or path");
  if (host.endsWith('.')) bad('remove the trailing dot');
  if (host !== host.toLowerCase()) bad('use lower case (Route hosts are lower-case RFC 1123 names)');
  const labels = host.split('.');
  if (labels.length < 2) bad('use a fully qualified name with at least two labels, e.g. metrics.apps.example.com');
  for (const l of labels) {
    if (l.length === 0) bad('empty label (two dots in a row or a leading dot)');
    if (l.length > 63) bad(`label '${l}' is longer than 63 characters`);
    if (!DNS_LABEL.test(l)) bad(`label '${l}' must consist of lower-case letters, digits and '-', and start and end with a letter or digit`);
  }
  if (/^[0-9]+$/.test(labels[labels.length - 1]!)) bad('an IP address or an all-numeric top-level label is not a hostname');
  return host;
}

// Docker/OCI reference grammar (distribution/reference), with a required tag or digest.
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*(?::[0-9]+)?)`;
const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const IMAGE_NAME = `(?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*`;
const IMAGE_RE = new RegExp(`^(${IMAGE_NAME})(?::([\\w][\\w.-]{0,127}))?(?:@([A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}))?$`);

/** A container image reference pinned by tag or digest (GitOps output must not float). */
export function checkImage(construct: string, prop: string, value: unknown): string {
  checkNonEmpty(construct, prop, value);
  const v = value as string;
  const m = IMAGE_RE.exec(v);
  if (!m) fail(construct, prop, `${describe(v)} is not a valid image reference (e.g. quay.io/org/hcp-metrics-proxy:0.1.0 or ...@sha256:<digest>)`);
  if (m[2] === undefined && m[3] === undefined) fail(construct, prop, `${describe(v)} has neither a tag nor a digest; pin the image (e.g. ${v}:0.1.0 or ${v}@sha256:<digest>)`);
  return v;
}

/** Replica count: an integer in 1..50; at least 2 when a PodDisruptionBudget is requested. */
export function checkReplicas(construct: string, prop: string, value: unknown, withPdb: boolean, pdbProp = 'podDisruptionBudget'): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 50) {
    fail(construct, prop, `must be an integer between 1 and 50, got ${describe(value)}`);
  }
  if (withPdb && value < 2) {
    fail(construct, prop, `is ${value}, but a PodDisruptionBudget needs replicas >= 2 (with one replica the PDB would block every node drain); raise replicas or set ${pdbProp}: false`);
  }
  return value;
}

export function checkMetricsSet(construct: string, prop: string, value: unknown): MetricsSet {
  const known = METRICS_SETS.find((s) => s === value);
  if (known) return known;
  const folded = typeof value === 'string' ? METRICS_SETS.find((s) => s.toLowerCase() === value.toLowerCase()) : undefined;
  const hint = folded ? ` (did you mean '${folded}'? names are case-sensitive)` : '';
  return fail(construct, prop, `unknown MetricsSet ${describe(value)}${hint}; valid values: ${METRICS_SETS.join(', ')}`);
}

/** One of a fixed set of strings. */
export function checkEnum<T extends string>(construct: string, prop: string, value: unknown, allowed: readonly T[]): T {
  const hit = allowed.find((a) => a === value);
  if (hit === undefined) fail(construct, prop, `${describe(value)} is not one of ${allowed.join(', ')}`);
  return hit;
}

export function checkBoolean(construct: string, prop: string, value: unknown): boolean {
  if (typeof value !== 'boolean') fail(construct, prop, `must be true or false, got ${describe(value)}`);
  return value;
}

/**
 * Items of a comma-separated list flag (`--allowed-subjects`, `--token-audiences`): non-empty,
 * without commas or surrounding whitespace, no duplicates.
 */
export function checkListItems(construct: string, prop: string, value: unknown, opts: { minItems: number }): string[] {
  if (!Array.isArray(value)) fail(construct, prop, `must be a list of strings, got ${describe(value)}`);
  if (value.length < opts.minItems) fail(construct, prop, `needs at least ${opts.minItems} item(s)`);
  const seen = new Set<string>();
  value.forEach((item, i) => {
    if (typeof item !== 'string' || item === '') fail(construct, `${prop}[${i}]`, `must be a non-empty string, got ${describe(item)}`);
    if (item.includes(',')) fail(construct, `${prop}[${i}]`, `${describe(item)} contains a comma, which the comma-separated command-line flag cannot carry`);
    if (item.trim() !== item || /\s/.test(item)) fail(construct, `${prop}[${i}]`, `${describe(item)} contains whitespace`);
    if (seen.has(item)) fail(construct, `${prop}[${i}]`, `${describe(item)} is listed twice`);
    seen.add(item);
  });
  return value as string[];
}

/** Prometheus duration (`30s`, `1m30s`, `500ms`), the syntax our CLI flags take. */
export function checkDuration(construct: string, prop: string, value: unknown): string {
  checkNonEmpty(construct, prop, value);
  const v = value as string;
  if (!/^(?:\d+y)?(?:\d+w)?(?:\d+d)?(?:\d+h)?(?:\d+m)?(?:\d+s)?(?:\d+ms)?$/.test(v) || v === '0') {
    fail(construct, prop, `${describe(v)} is not a positive duration such as 30s, 1m30s or 500ms`);
  }
  return v;
}

export function checkPort(construct: string, prop: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 65535) {
    fail(construct, prop, `must be a TCP port number (1..65535), got ${describe(value)}`);
  }
  return value;
}

const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

/** Kubernetes label (or annotation, with `values: 'any'`) keys and values. */
export function checkLabels(construct: string, prop: string, value: unknown, values: 'label' | 'any' = 'label'): Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(construct, prop, `must be a map of strings, got ${describe(value)}`);
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const slash = k.lastIndexOf('/');
    const prefix = slash >= 0 ? k.slice(0, slash) : undefined;
    const name = slash >= 0 ? k.slice(slash + 1) : k;
    const prefixOk = prefix === undefined || (prefix.length <= 253 && prefix.split('.').every((l) => DNS_LABEL.test(l)));
    if (!prefixOk || name.length > 63 || !QUALIFIED_NAME.test(name)) fail(construct, `${prop}.${k}`, `'${k}' is not a valid key (optional DNS prefix and '/', then at most 63 letters, digits, '-', '_' or '.')`);
    if (typeof v !== 'string') fail(construct, `${prop}.${k}`, `value must be a string, got ${describe(v)}`);
    if (values === 'label' && v !== '' && (v.length > 63 || !QUALIFIED_NAME.test(v))) {
      fail(construct, `${prop}.${k}`, `${describe(v)} is not a valid label value (at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit)`);
    }
  }
  return value as Record<string, string>;
}

const BINARY_SUFFIX: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL_SUFFIX: Record<string, number> = { n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };

/** Parses a Kubernetes quantity (`100m`, `256Mi`, `1e3`, `0.5`); undefined if it is not one or negative. */
export function parseQuantity(text: string): number | undefined {
  const m = /^([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][-+]?[0-9]+)?$/.exec(text);
  if (!m) return undefined;
  const n = Number(m[1]);
  const suffix = m[2] ?? '';
  if (suffix in BINARY_SUFFIX) return n * BINARY_SUFFIX[suffix]!;
  if (suffix in DECIMAL_SUFFIX) return n * DECIMAL_SUFFIX[suffix]!;
  return n * 10 ** Number(suffix.slice(1));
}

/** Requests and limits of one container, as Kubernetes quantity strings. */
export interface ResourceProps {
  /** e.g. `{ cpu: '100m', memory: '256Mi' }`. */
  readonly requests?: { readonly cpu?: string; readonly memory?: string };
  /** e.g. `{ memory: '1Gi' }`; a CPU limit is allowed but usually only causes throttling. */
  readonly limits?: { readonly cpu?: string; readonly memory?: string };
}

export function checkResources(construct: string, prop: string, value: unknown): ResourceProps {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(construct, prop, `must be an object with requests and/or limits, got ${describe(value)}`);
  const r = value as Record<string, unknown>;
  for (const k of Object.keys(r)) if (k !== 'requests' && k !== 'limits') fail(construct, `${prop}.${k}`, "unknown key; use 'requests' or 'limits'");
  const parsed: Record<string, Record<string, number>> = { requests: {}, limits: {} };
  for (const section of ['requests', 'limits'] as const) {
    const s = r[section];
    if (s === undefined) continue;
    if (typeof s !== 'object' || s === null || Array.isArray(s)) fail(construct, `${prop}.${section}`, `must be an object with cpu and/or memory, got ${describe(s)}`);
    for (const [res, q] of Object.entries(s as Record<string, unknown>)) {
      if (res !== 'cpu' && res !== 'memory') fail(construct, `${prop}.${section}.${res}`, "unknown resource; use 'cpu' or 'memory'");
      const n = typeof q === 'string' ? parseQuantity(q) : undefined;
      if (n === undefined) fail(construct, `${prop}.${section}.${res}`, `${describe(q)} is not a Kubernetes quantity such as 100m, 0.5, 256Mi or 1Gi`);
      if (n === 0) fail(construct, `${prop}.${section}.${res}`, 'must be greater than zero');
      parsed[section]![res] = n;
    }
  }
  for (const res of ['cpu', 'memory']) {
    const req = parsed.requests![res];
    const lim = parsed.limits![res];
    if (req !== undefined && lim !== undefined && req > lim) fail(construct, `${prop}.requests.${res}`, `request exceeds the limit (${prop}.limits.${res})`);
  }
  return r as ResourceProps;
}
