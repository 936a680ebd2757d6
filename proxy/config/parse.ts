/**
 * Parses and validates the proxy configuration file (DESIGN.md §4), a superset of HyperShift's
 * metrics-proxy `config.yaml`. Strict: unknown keys and invalid values throw ConfigError with the key path.
 *
 * HyperShift's writer (control-plane-operator metrics-proxy FileConfig, sigs.k8s.io/yaml) emits
 *   endpointResolver: {url, caFile}
 *   components: [{name, selector, metricsPort, metricsPath, metricsScheme, tlsServerName,
 *                 caFile?, certFile?, keyFile?, metricsJob?, metricsNamespace?, metricsService?, metricsEndpoint?}]
 * with `tlsServerName: ""` when unset and `components: null` when empty. Older releases wrote
 * `components` as a map keyed by name with a `serviceName` field; that form is accepted too.
 */
import YAML from 'yaml';
import { compileRelabelConfigs } from '../relabel/index.js';
import type { RelabelConfig, RelabelRule } from '../relabel/types.js';
import { parsePrometheusDurationMs } from '../../common/duration.js';
import { parseSelector as parseLabelSelector, SelectorError, type SelectorRequirement } from '../../common/label-selector.js';
import type { ComponentConfig, EndpointConfig, EndpointResolverConfig, ProxyConfig, Scheme } from './types.js';
import { Checker, describeValue, isK8sLabelKey, isK8sLabelValue, keyPath, LABEL_NAME_RE, podTargetLabelIssue, RESERVED_TARGET_LABELS, type Obj } from './validate.js';

export interface ParseOptions {
  /** Names the document in error messages (usually the file path). */
  source: string;
  /** Default `metricsNamespace`: the hosted control plane's namespace. */
  defaultNamespace: string;
  /** Default `scrapeTimeout` in seconds (10 if not given). */
  defaultScrapeTimeoutSeconds?: number;
}

const DEFAULT_SCRAPE_TIMEOUT_SECONDS = 10;

const TOP_KEYS = new Set(['endpointResolver', 'components']);
const RESOLVER_KEYS = new Set(['url', 'caFile', 'certFile', 'keyFile']);
const ENDPOINT_KEY_LIST = [
  'metricsPort',
  'metricsPath',
  'metricsScheme',
  'tlsServerName',
  'caFile',
  'certFile',
  'keyFile',
  'insecureSkipVerify',
  'metricsJob',
  'metricsNamespace',
  'metricsService',
  'metricsEndpoint',
  'targetLabels',
  'podTargetLabels',
  'relabelings',
  'metricRelabelings',
  'scrapeTimeout',
] as const;
const ENDPOINT_KEYS: ReadonlySet<string> = new Set(ENDPOINT_KEY_LIST);
/** `serviceName` is the older HyperShift map form's field; it only defaults `metricsService`. */
const COMPONENT_KEYS: ReadonlySet<string> = new Set([...ENDPOINT_KEY_LIST, 'name', 'selector', 'endpoints', 'serviceName']);
const TLS_KEYS = ['tlsServerName', 'caFile', 'certFile', 'keyFile', 'insecureSkipVerify'] as const;
/** URL-path-safe (RFC 3986 unreserved), and never `.` or `..`. */
const COMPONENT_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._~-]*$/;

/** Keys set explicitly on a component or endpoint, before inheritance and defaults. */
interface EndpointFields {
  metricsPort?: number;
  metricsPath?: string;
  metricsScheme?: Scheme;
  tlsServerName?: string;
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  insecureSkipVerify?: boolean;
  metricsJob?: string;
  metricsNamespace?: string;
  metricsService?: string;
  metricsEndpoint?: string;
  targetLabels?: Record<string, string>;
  podTargetLabels?: string[];
  relabelings?: RelabelConfig[];
  relabelRules?: RelabelRule[];
  metricRelabelings?: RelabelConfig[];
  metricRelabelRules?: RelabelRule[];
  scrapeTimeoutSeconds?: number;
}

export function parseProxyConfig(text: string, opts: ParseOptions): ProxyConfig {
  const c: Checker = new Checker(opts.source);
  const doc = parseDocument(text, c);
  if (!isMapping(doc)) c.fail('', `must be a mapping with endpointResolver and components, got ${describeValue(doc)}`);
  c.knownKeys(doc, TOP_KEYS, '');
  if (doc.endpointResolver === undefined || doc.endpointResolver === null) c.fail('endpointResolver', 'required');
  const endpointResolver = parseEndpointResolver(doc.endpointResolver, c);
  const components = parseComponents(doc.components, c, opts);
  return { endpointResolver, components };
}

function isMapping(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseDocument(text: string, c: Checker): unknown {
  const doc = YAML.parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  const err = doc.errors[0];
  // The pretty message carries a source excerpt on later lines; the first line has the position.
  if (err) c.fail('', `invalid YAML/JSON: ${err.message.split('\n')[0]}`);
  try {
    return doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    return c.fail('', `invalid YAML/JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
}

function parseEndpointResolver(raw: unknown, c: Checker): EndpointResolverConfig {
  const path = 'endpointResolver';
  const obj = c.object(raw, path);
  c.knownKeys(obj, RESOLVER_KEYS, path);
  const urlPath = keyPath(path, 'url');
  if (obj.url === undefined || obj.url === null || obj.url === '') c.fail(urlPath, 'required');
  const url = c.string(obj.url, urlPath);
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (!parsed || (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') || !parsed.hostname) {
    c.fail(urlPath, `must be an https (or http) URL, got ${describeValue(url)}`);
  }
  if (parsed.username || parsed.password) c.fail(urlPath, 'must not contain credentials');
  const out: EndpointResolverConfig = { url };
  for (const k of ['caFile', 'certFile', 'keyFile'] as const) {
    const v = c.optToken(obj, k, path);
    if (v === undefined) continue;
    if (parsed.protocol !== 'https:') c.fail(keyPath(path, k), 'only allowed with an https url');
    out[k] = v;
  }
  checkCertKeyPair(out, path, c);
  return out;
}

/** certFile and keyFile come together. */
function checkCertKeyPair(f: { certFile?: string; keyFile?: string }, path: string, c: Checker): void {
  if (f.certFile !== undefined && f.keyFile === undefined) c.fail(keyPath(path, 'keyFile'), 'required when certFile is set');
  if (f.keyFile !== undefined && f.certFile === undefined) c.fail(keyPath(path, 'certFile'), 'required when keyFile is set');
}

/** Path of a map-form entry: `components.etcd`, or `components["a.b"]` when the key needs quoting. */
function mapEntryPath(base: string, key: string): string {
  return /^[A-Za-z0-9_-]+$/.test(key) ? `${base}.${key}` : `${base}[${JSON.stringify(key)}]`;
}

function parseComponents(raw: unknown, c: Checker, opts: ParseOptions): ComponentConfig[] {
  if (raw === undefined || raw === null) return [];
  const entries: Array<{ path: string; value: unknown; mapKey?: string }> = [];
  if (Array.isArray(raw)) {
    raw.forEach((value, i) => entries.push({ path: `components[${i}]`, value }));
  } else if (isMapping(raw)) {
    for (const [k, value] of Object.entries(raw)) entries.push({ path: mapEntryPath('components', k), value, mapKey: k });
  } else {
    c.fail('components', `must be a list of components (or a mapping keyed by component name), got ${describeValue(raw)}`);
  }

  const seen = new Map<string, string>();
  return entries.map(({ path, value, mapKey }) => {
    const comp = parseComponent(value, path, mapKey, c, opts);
    const first = seen.get(comp.name);
    if (first !== undefined) c.fail(keyPath(path, 'name'), `duplicate component name ${JSON.stringify(comp.name)} (also ${first})`);
    seen.set(comp.name, path);
    return comp;
  });
}

function parseComponent(raw: unknown, path: string, mapKey: string | undefined, c: Checker, opts: ParseOptions): ComponentConfig {
  const obj = c.object(raw, path);
  c.knownKeys(obj, COMPONENT_KEYS, path);

  const namePath = keyPath(path, 'name');
  let name: string;
  if (mapKey !== undefined) {
    if (obj.name !== undefined && obj.name !== null && obj.name !== mapKey) {
      c.fail(namePath, `must match the map key ${JSON.stringify(mapKey)}, got ${describeValue(obj.name)}`);
    }
    name = mapKey;
  } else {
    if (obj.name === undefined || obj.name === null || obj.name === '') c.fail(namePath, 'required');
    name = c.string(obj.name, namePath);
  }
  if (name.length > 253 || !COMPONENT_NAME_RE.test(name)) {
    c.fail(namePath, `must be URL-path-safe (letters, digits, "-", ".", "_", "~", starting with a letter or digit, at most 253 characters), got ${describeValue(name)}`);
  }

  const { selector, matchExpressions } = parseSelector(obj.selector, keyPath(path, 'selector'), c);
  const serviceName = c.optToken(obj, 'serviceName', path);
  const own = readEndpointFields(obj, path, c);
  if (own.metricsPort === undefined) c.fail(keyPath(path, 'metricsPort'), 'required');

  const defaults: EndpointConfig = {
    metricsPort: own.metricsPort,
    metricsPath: '/metrics',
    metricsScheme: 'https',
    insecureSkipVerify: false,
    metricsJob: name,
    metricsNamespace: opts.defaultNamespace,
    metricsService: serviceName ?? name,
    metricsEndpoint: 'metrics',
    targetLabels: {},
    podTargetLabels: [],
    relabelings: [],
    relabelRules: [],
    metricRelabelings: [],
    metricRelabelRules: [],
    scrapeTimeoutSeconds: opts.defaultScrapeTimeoutSeconds ?? DEFAULT_SCRAPE_TIMEOUT_SECONDS,
  };
  const endpoint0 = applyFields(own, defaults, path, c);

  const endpoints: EndpointConfig[] = [];
  const epsPath = keyPath(path, 'endpoints');
  if (obj.endpoints !== undefined && obj.endpoints !== null) {
    if (!Array.isArray(obj.endpoints)) c.fail(epsPath, `must be a list, got ${describeValue(obj.endpoints)}`);
    obj.endpoints.forEach((epRaw, i) => endpoints.push(parseEndpoint(epRaw, `${epsPath}[${i}]`, endpoint0, c)));
  }

  return { name, selector, ...(matchExpressions.length > 0 ? { matchExpressions } : {}), ...endpoint0, endpoints };
}

/** Endpoints 1..n: same keys as a component minus name/selector/endpoints; metricsPort required, the rest inherited. */
function parseEndpoint(raw: unknown, path: string, parent: EndpointConfig, c: Checker): EndpointConfig {
  const obj = c.object(raw, path);
  c.knownKeys(obj, ENDPOINT_KEYS, path);
  const own = readEndpointFields(obj, path, c);
  if (own.metricsPort === undefined) c.fail(keyPath(path, 'metricsPort'), 'required');
  return applyFields(own, parent, path, c);
}

/** HyperShift's matchLabels map, or a Kubernetes LabelSelector (matchLabels and/or matchExpressions). */
function parseSelector(raw: unknown, path: string, c: Checker): { selector: Record<string, string>; matchExpressions: SelectorRequirement[] } {
  if (raw === undefined || raw === null) c.fail(path, 'required');
  const r = raw as Obj;
  if (isMapping(raw) && (isMapping(r.matchLabels) || Array.isArray(r.matchExpressions))) {
    try {
      const s = parseLabelSelector(raw);
      return { selector: s.matchLabels, matchExpressions: s.matchExpressions };
    } catch (err) {
      if (!(err instanceof SelectorError)) throw err;
      // "selector.matchExpressions[0].operator must be ..." → that key path and the rest.
      const m = /^selector(\S*?):? (.*)$/.exec(err.message);
      c.fail(path + (m?.[1] ?? ''), m?.[2] ?? err.message);
    }
  }
  return { selector: parseSelectorMap(raw, path, c), matchExpressions: [] };
}

function parseSelectorMap(raw: unknown, path: string, c: Checker): Record<string, string> {
  const sel = c.stringMap(raw, path, (k, v) => {
    if (!isK8sLabelKey(k)) return 'invalid label key';
    if (!isK8sLabelValue(v)) return `invalid label value ${describeValue(v)}`;
    return undefined;
  });
  if (Object.keys(sel).length === 0) c.fail(path, 'must not be empty');
  return sel;
}

function readEndpointFields(obj: Obj, path: string, c: Checker): EndpointFields {
  const f: EndpointFields = {};
  const at = (k: string): string => keyPath(path, k);

  f.metricsPort = c.optPort(obj, 'metricsPort', path);

  if (obj.metricsPath !== undefined && obj.metricsPath !== null) {
    const p = c.string(obj.metricsPath, at('metricsPath'));
    if (!p.startsWith('/')) c.fail(at('metricsPath'), `must start with "/", got ${describeValue(p)}`);
    if (/[\s\0-\x1f\x7f]/.test(p)) c.fail(at('metricsPath'), `must not contain whitespace or control characters, got ${describeValue(p)}`);
    f.metricsPath = p;
  }

  if (obj.metricsScheme !== undefined && obj.metricsScheme !== null) {
    const s = obj.metricsScheme;
    if (s !== 'http' && s !== 'https') c.fail(at('metricsScheme'), `must be "http" or "https", got ${describeValue(s)}`);
    f.metricsScheme = s;
  }

  f.tlsServerName = c.optToken(obj, 'tlsServerName', path);
  f.caFile = c.optToken(obj, 'caFile', path);
  f.certFile = c.optToken(obj, 'certFile', path);
  f.keyFile = c.optToken(obj, 'keyFile', path);
  f.insecureSkipVerify = c.optBool(obj, 'insecureSkipVerify', path);

  f.metricsJob = c.optString(obj, 'metricsJob', path);
  f.metricsNamespace = c.optString(obj, 'metricsNamespace', path);
  f.metricsService = c.optString(obj, 'metricsService', path);
  f.metricsEndpoint = c.optString(obj, 'metricsEndpoint', path);

  if (obj.targetLabels !== undefined && obj.targetLabels !== null) {
    f.targetLabels = c.stringMap(obj.targetLabels, at('targetLabels'), (k) => {
      if (!LABEL_NAME_RE.test(k)) return 'invalid label name (must match [a-zA-Z_][a-zA-Z0-9_]*)';
      if (k.startsWith('__')) return 'label names starting with "__" are reserved';
      if (RESERVED_TARGET_LABELS.has(k)) return 'set by the proxy itself (use metricsJob, metricsNamespace, metricsService or metricsEndpoint)';
      return undefined;
    });
  }

  if (obj.podTargetLabels !== undefined && obj.podTargetLabels !== null) {
    const raw = obj.podTargetLabels;
    if (!Array.isArray(raw)) c.fail(at('podTargetLabels'), `must be a list of pod label keys, got ${describeValue(raw)}`);
    f.podTargetLabels = raw.map((k: unknown, i) => {
      const where = `${at('podTargetLabels')}[${i}]`;
      const bad = typeof k === 'string' ? podTargetLabelIssue(k) : { issue: 'not-a-key' as const, name: '' };
      if (bad?.issue === 'not-a-key') c.fail(where, `must be a Kubernetes label key, got ${describeValue(k)}`);
      if (bad?.issue === 'proxy-label') c.fail(where, `becomes the label "${bad.name}", which the proxy sets itself`);
      return k as string;
    });
  }

  if (obj.relabelings !== undefined && obj.relabelings !== null) {
    const raw = obj.relabelings;
    if (!Array.isArray(raw)) c.fail(at('relabelings'), `must be a list, got ${describeValue(raw)}`);
    f.relabelRules = compileRelabelConfigs(raw, at('relabelings'), c.source);
    f.relabelings = raw as RelabelConfig[];
  }

  if (obj.metricRelabelings !== undefined && obj.metricRelabelings !== null) {
    const raw = obj.metricRelabelings;
    if (!Array.isArray(raw)) c.fail(at('metricRelabelings'), `must be a list, got ${describeValue(raw)}`);
    f.metricRelabelRules = compileRelabelConfigs(raw, at('metricRelabelings'), c.source);
    f.metricRelabelings = raw as RelabelConfig[];
  }

  if (obj.scrapeTimeout !== undefined && obj.scrapeTimeout !== null) {
    const v = obj.scrapeTimeout;
    const ms = typeof v === 'string' ? parsePrometheusDurationMs(v) : undefined;
    if (ms === undefined) c.fail(at('scrapeTimeout'), `must be a Prometheus duration such as "10s", "1m30s" or "500ms", got ${describeValue(v)}`);
    if (ms <= 0) c.fail(at('scrapeTimeout'), `must be greater than 0, got ${describeValue(v)}`);
    f.scrapeTimeoutSeconds = ms / 1000;
  }
  return f;
}

/** Explicit keys over `base` (defaults, or the parent component); TLS settings apply to https only. */
function applyFields(own: EndpointFields, base: EndpointConfig, path: string, c: Checker): EndpointConfig {
  const scheme = own.metricsScheme ?? base.metricsScheme;
  if (scheme === 'http') {
    for (const k of TLS_KEYS) {
      const v = own[k];
      if (v !== undefined && v !== false) c.fail(keyPath(path, k), 'only allowed with metricsScheme https');
    }
  } else {
    checkCertKeyPair(own, path, c);
  }

  const out: EndpointConfig = {
    metricsPort: own.metricsPort ?? base.metricsPort,
    metricsPath: own.metricsPath ?? base.metricsPath,
    metricsScheme: scheme,
    insecureSkipVerify: false,
    metricsJob: own.metricsJob ?? base.metricsJob,
    metricsNamespace: own.metricsNamespace ?? base.metricsNamespace,
    metricsService: own.metricsService ?? base.metricsService,
    metricsEndpoint: own.metricsEndpoint ?? base.metricsEndpoint,
    targetLabels: { ...(own.targetLabels ?? base.targetLabels) },
    podTargetLabels: [...(own.podTargetLabels ?? base.podTargetLabels)],
    relabelings: [...(own.relabelings ?? base.relabelings)],
    relabelRules: [...(own.relabelRules ?? base.relabelRules)],
    metricRelabelings: [...(own.metricRelabelings ?? base.metricRelabelings)],
    metricRelabelRules: [...(own.metricRelabelRules ?? base.metricRelabelRules)],
    scrapeTimeoutSeconds: own.scrapeTimeoutSeconds ?? base.scrapeTimeoutSeconds,
  };
  if (scheme === 'https') {
    // An endpoint that sets its own client cert/key replaces the pair; it never mixes with the parent's.
    const ownPair = own.certFile !== undefined;
    const tls = {
      tlsServerName: own.tlsServerName ?? base.tlsServerName,
      caFile: own.caFile ?? base.caFile,
      certFile: ownPair ? own.certFile : base.certFile,
      keyFile: ownPair ? own.keyFile : base.keyFile,
    };
    for (const [k, v] of Object.entries(tls)) if (v !== undefined) out[k as keyof typeof tls] = v;
    out.insecureSkipVerify = own.insecureSkipVerify ?? base.insecureSkipVerify;
  }
  return out;
}
