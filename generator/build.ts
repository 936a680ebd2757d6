/**
 * Builds the proxy configuration (DESIGN §4) from the namespace's ServiceMonitors and PodMonitors:
 * one component per monitor (URL segment = monitor name), endpoint 0 = its first endpoint and
 * endpoints 1..n the others, each with port, path, scheme, TLS material, relabelings, target labels
 * and the `hypershift.openshift.io/metrics-*` label values. A monitor that cannot be turned into a
 * working component is reported as a Problem and left out; the others are unaffected.
 */
import type { V1Pod, V1Service } from '@kubernetes/client-node';
import { podTargetLabelIssue, RESERVED_TARGET_LABELS } from '../proxy/config/validate.js';
import { sanitizeLabelName } from '../proxy/exposition/labels.js';
import { compileRelabelConfigs } from '../proxy/relabel/compile.js';
import type { RelabelRule } from '../proxy/relabel/types.js';
import { parseSelector as parseLabelSelector, SelectorError, selectorMatches, type PodSelector, type SelectorRequirement } from '../common/label-selector.js';
import { errorMessage } from '../common/errors.js';
import { LABEL_ANNOTATIONS, type Inventory, type Monitor, type MonitorEndpoint } from './monitors.js';
import { MaterialError, TlsMaterial } from './tls-material.js';

export interface Problem {
  kind: Monitor['kind'];
  group: string;
  name: string;
  uid?: string;
  /** Short CamelCase reason for the Event. */
  reason: 'MissingPort' | 'MissingTLSMaterial' | 'SelectorMatchesNothing' | 'InvalidRelabeling' | 'UnsupportedSelector' | 'DuplicateName' | 'InvalidMonitor';
  message: string;
}

export interface BuildOptions {
  /** The endpointResolver block of the config, as the proxy sees it. */
  endpointResolver: { url: string; caFile?: string; certFile?: string; keyFile?: string };
  /** Where the proxy mounts the output Secret. */
  tlsMountDir: string;
}

export interface BuildResult {
  /** The configuration document, ready for YAML. */
  config: { endpointResolver: BuildOptions['endpointResolver']; components: Record<string, unknown>[] };
  /** Files of the output Secret. */
  files: Map<string, Buffer>;
  problems: Problem[];
  /** Non-fatal notes (a target label that could not be set, an ignored file path). */
  warnings: string[];
}

class MonitorError extends Error {
  constructor(
    readonly reason: Problem['reason'],
    message: string,
  ) {
    super(message);
  }
}

function byName<T extends { metadata?: { name?: string } }>(a: T, b: T): number {
  const x = a.metadata?.name ?? '';
  const y = b.metadata?.name ?? '';
  return x < y ? -1 : x > y ? 1 : 0;
}

/** The port a pod container exposes under `name`, the same in every pod that has it. */
function containerPort(pods: readonly V1Pod[], name: string): number | undefined {
  for (const p of [...pods].sort(byName)) {
    for (const c of p.spec?.containers ?? []) {
      const port = (c.ports ?? []).find((x) => x.name === name);
      if (port) return port.containerPort;
    }
  }
  return undefined;
}

interface Target {
  selector: Record<string, string>;
  /** A PodMonitor's matchExpressions (a Service's pod selector is always a plain map). */
  matchExpressions: SelectorRequirement[];
  pods: V1Pod[];
  service?: V1Service;
}

/** The monitor's spec.selector as a LabelSelector; an empty one selects everything, as in Kubernetes. */
function monitorSelector(m: Monitor): PodSelector {
  const sel = m.object.spec.selector ?? {};
  const raw = { matchLabels: sel.matchLabels ?? {}, matchExpressions: sel.matchExpressions ?? [] };
  if (Object.keys(raw.matchLabels).length === 0 && raw.matchExpressions.length === 0) return { matchLabels: {}, matchExpressions: [] };
  try {
    return parseLabelSelector(raw);
  } catch (err) {
    if (err instanceof SelectorError) throw new MonitorError('InvalidMonitor', `spec.${err.message}`);
    throw err;
  }
}

function serviceTarget(m: Monitor, inv: Inventory): Target {
  const wanted = monitorSelector(m);
  const services = inv.services.filter((s) => selectorMatches(wanted, s.metadata?.labels ?? {})).sort(byName);
  if (services.length === 0) throw new MonitorError('SelectorMatchesNothing', `spec.selector ${JSON.stringify(m.object.spec.selector ?? {})} matches no Service in namespace ${inv.namespace}`);
  const service = services[0]!;
  const selector = service.spec?.selector ?? {};
  if (Object.keys(selector).length === 0) throw new MonitorError('SelectorMatchesNothing', `Service "${service.metadata?.name}" has no pod selector`);
  const podSelector: PodSelector = { matchLabels: selector, matchExpressions: [] };
  return { selector, matchExpressions: [], service, pods: inv.pods.filter((p) => selectorMatches(podSelector, p.metadata?.labels ?? {})) };
}

function podTarget(m: Monitor, inv: Inventory): Target {
  const sel = monitorSelector(m);
  if (Object.keys(sel.matchLabels).length === 0 && sel.matchExpressions.length === 0) throw new MonitorError('UnsupportedSelector', 'spec.selector is empty: it would select every pod in the namespace');
  const pods = inv.pods.filter((p) => selectorMatches(sel, p.metadata?.labels ?? {}));
  if (pods.length === 0) throw new MonitorError('SelectorMatchesNothing', `spec.selector ${JSON.stringify(m.object.spec.selector)} matches no pod in namespace ${inv.namespace}`);
  return { selector: sel.matchLabels, matchExpressions: sel.matchExpressions, pods };
}

function resolvePort(m: Monitor, e: MonitorEndpoint, t: Target, where: string): { port: number; portName?: string } {
  if (m.kind === 'ServiceMonitor') {
    if (e.port !== undefined) {
      const sp = (t.service!.spec?.ports ?? []).find((p) => p.name === e.port);
      if (!sp) throw new MonitorError('MissingPort', `${where}.port "${e.port}" is not a port of Service "${t.service!.metadata?.name}"`);
      const tp = sp.targetPort ?? sp.port;
      if (typeof tp === 'number') return { port: tp, portName: e.port };
      if (/^\d+$/.test(String(tp))) return { port: Number(tp), portName: e.port };
      const n = containerPort(t.pods, String(tp));
      if (n === undefined) throw new MonitorError('MissingPort', `${where}.port "${e.port}" targets container port "${tp}", which no pod of Service "${t.service!.metadata?.name}" declares`);
      return { port: n, portName: e.port };
    }
  } else {
    if (e.port !== undefined) {
      const n = containerPort(t.pods, e.port);
      if (n === undefined) throw new MonitorError('MissingPort', `${where}.port "${e.port}" is not a container port of the selected pods`);
      return { port: n, portName: e.port };
    }
    if (e.portNumber !== undefined) return { port: e.portNumber };
  }
  if (typeof e.targetPort === 'number') return { port: e.targetPort };
  if (typeof e.targetPort === 'string') {
    if (/^\d+$/.test(e.targetPort)) return { port: Number(e.targetPort) };
    const n = containerPort(t.pods, e.targetPort);
    if (n === undefined) throw new MonitorError('MissingPort', `${where}.targetPort "${e.targetPort}" is not a container port of the selected pods`);
    return { port: n, portName: e.targetPort };
  }
  throw new MonitorError('MissingPort', `${where} names no port`);
}

function endpointConfig(m: Monitor, e: MonitorEndpoint, i: number, t: Target, material: TlsMaterial, warnings: string[]): Record<string, unknown> {
  const field = m.kind === 'ServiceMonitor' ? 'endpoints' : 'podMetricsEndpoints';
  const where = `spec.${field}[${i}]`;
  const { port, portName } = resolvePort(m, e, t, where);
  const scheme = (e.scheme ?? 'http').toLowerCase();
  if (scheme !== 'http' && scheme !== 'https') throw new MonitorError('InvalidMonitor', `${where}.scheme must be http or https, not "${e.scheme}"`);
  const out: Record<string, unknown> = { metricsPort: port, metricsPath: e.path ?? '/metrics', metricsScheme: scheme };
  const tls = e.tlsConfig;
  if (scheme === 'https' && tls) {
    try {
      if (tls.serverName) out.tlsServerName = tls.serverName;
      if (tls.ca) out.caFile = material.fromSecretOrConfigMap(tls.ca, `${where}.tlsConfig.ca`);
      if (tls.cert) out.certFile = material.fromSecretOrConfigMap(tls.cert, `${where}.tlsConfig.cert`);
      if (tls.keySecret) out.keyFile = material.fromSecret(tls.keySecret, `${where}.tlsConfig.keySecret`);
    } catch (err) {
      if (err instanceof MaterialError) throw new MonitorError('MissingTLSMaterial', err.message);
      throw err;
    }
    if ((out.certFile === undefined) !== (out.keyFile === undefined)) throw new MonitorError('MissingTLSMaterial', `${where}.tlsConfig needs both cert and keySecret for a client certificate`);
    if (tls.insecureSkipVerify) out.insecureSkipVerify = true;
    for (const f of ['caFile', 'certFile', 'keyFile'] as const) {
      if (tls[f]) warnings.push(`${m.kind} ${m.object.metadata.name}: ${where}.tlsConfig.${f} is a path inside a Prometheus pod and is ignored; use a Secret or ConfigMap reference`);
    }
  }
  const ann = m.object.metadata.annotations ?? {};
  out.metricsEndpoint = ann[LABEL_ANNOTATIONS.endpoint] ?? portName ?? 'metrics';
  if (e.relabelings && e.relabelings.length > 0) {
    const rules = compiledRules(e.relabelings, `${where}.relabelings`);
    const unknown = [...new Set(rules.flatMap((r) => r.sourceLabels).filter((l) => l.startsWith('__') && !TARGET_DISCOVERY_LABELS.has(l) && !POD_LABEL_DISCOVERY.test(l)))];
    if (unknown.length > 0) {
      warnings.push(`${m.kind} ${m.object.metadata.name}: ${where}.relabelings read ${unknown.join(', ')}, which the proxy does not know (it offers ${[...TARGET_DISCOVERY_LABELS].join(', ')} and __meta_kubernetes_pod_label(present)_<name>); they read as empty`);
    }
    out.relabelings = e.relabelings;
  }
  if (e.metricRelabelings && e.metricRelabelings.length > 0) {
    compiledRules(e.metricRelabelings, `${where}.metricRelabelings`);
    out.metricRelabelings = e.metricRelabelings;
  }
  if (e.scrapeTimeout) out.scrapeTimeout = e.scrapeTimeout;
  return out;
}

/** Discovery labels the proxy sets for target relabeling (proxy/scrape/targets.ts). */
const TARGET_DISCOVERY_LABELS: ReadonlySet<string> = new Set(['__address__', '__scheme__', '__metrics_path__', '__meta_kubernetes_pod_name', '__meta_kubernetes_pod_ip']);
/** The pod's labels, which the resolver answers with each pod. */
const POD_LABEL_DISCOVERY = /^__meta_kubernetes_pod_label(present)?_/;

function compiledRules(raw: unknown[], where: string): RelabelRule[] {
  try {
    return compileRelabelConfigs(raw, where);
  } catch (err) {
    throw new MonitorError('InvalidRelabeling', errorMessage(err));
  }
}

function targetLabels(m: Monitor, t: Target, warnings: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  const set = (raw: string, value: string | undefined, from: string) => {
    const name = sanitizeLabelName(raw);
    if (RESERVED_TARGET_LABELS.has(name)) return warnings.push(`${m.kind} ${m.object.metadata.name}: ${from} "${raw}" would replace the proxy's own "${name}" label and is ignored`);
    if (value !== undefined) out[name] = value;
  };
  for (const l of m.object.spec.targetLabels ?? []) set(l, t.service?.metadata?.labels?.[l], 'targetLabels');
  return out;
}

/** The monitor's podTargetLabels the proxy can carry: it copies them per pod from the resolver's answer. */
function podTargetLabelKeys(m: Monitor, warnings: string[]): string[] {
  return (m.object.spec.podTargetLabels ?? []).filter((l) => {
    // The proxy refuses a whole configuration with a bad key: leave such a key out here instead.
    const bad = podTargetLabelIssue(l);
    if (bad === undefined) return true;
    const why = bad.issue === 'not-a-key' ? 'is not a Kubernetes label key' : `would replace the proxy's own "${bad.name}" label`;
    warnings.push(`${m.kind} ${m.object.metadata.name}: podTargetLabels "${l}" ${why} and is ignored`);
    return false;
  });
}

function component(m: Monitor, inv: Inventory, material: TlsMaterial, warnings: string[]): Record<string, unknown> {
  const meta = m.object.metadata;
  const endpoints = (m.kind === 'ServiceMonitor' ? m.object.spec.endpoints : m.object.spec.podMetricsEndpoints) ?? [];
  if (endpoints.length === 0) throw new MonitorError('MissingPort', `spec.${m.kind === 'ServiceMonitor' ? 'endpoints' : 'podMetricsEndpoints'} is empty`);
  const t = m.kind === 'ServiceMonitor' ? serviceTarget(m, inv) : podTarget(m, inv);
  const eps = endpoints.map((e, i) => endpointConfig(m, e, i, t, material, warnings));
  const ann = meta.annotations ?? {};
  const labels = targetLabels(m, t, warnings);
  const podLabels = podTargetLabelKeys(m, warnings);
  const [first, ...rest] = eps;
  return {
    name: meta.name,
    // The LabelSelector form only when needed: HyperShift's resolver and config know the plain map.
    selector: t.matchExpressions.length > 0 ? { matchLabels: t.selector, matchExpressions: t.matchExpressions } : t.selector,
    ...first,
    metricsJob: ann[LABEL_ANNOTATIONS.job] ?? meta.name,
    ...(ann[LABEL_ANNOTATIONS.namespace] ? { metricsNamespace: ann[LABEL_ANNOTATIONS.namespace] } : {}),
    metricsService: ann[LABEL_ANNOTATIONS.service] ?? meta.name,
    ...(Object.keys(labels).length > 0 ? { targetLabels: labels } : {}),
    ...(podLabels.length > 0 ? { podTargetLabels: podLabels } : {}),
    ...(rest.length > 0 ? { endpoints: rest } : {}),
  };
}

export function buildProxyConfig(inv: Inventory, opts: BuildOptions): BuildResult {
  const problems: Problem[] = [];
  const warnings: string[] = [];
  const files = new Map<string, Buffer>();
  const components: Record<string, unknown>[] = [];
  const seen = new Map<string, Monitor>();
  // coreos before rhobs, ServiceMonitors before PodMonitors, then by name: a stable winner for a duplicate name.
  const ordered = [...inv.monitors].sort((a, b) =>
    a.group !== b.group ? (a.group === 'monitoring.coreos.com' ? -1 : 1) : a.kind !== b.kind ? (a.kind === 'ServiceMonitor' ? -1 : 1) : byName(a.object, b.object),
  );
  for (const m of ordered) {
    const name = m.object.metadata.name;
    const problem = (reason: Problem['reason'], message: string) =>
      problems.push({ kind: m.kind, group: m.group, name, ...(m.object.metadata.uid ? { uid: m.object.metadata.uid } : {}), reason, message });
    const other = seen.get(name);
    if (other) {
      problem('DuplicateName', `the name is already served by ${other.kind} ${name} (${other.group}); the proxy path /metrics/${name} can only have one source`);
      continue;
    }
    const material = new TlsMaterial(inv.secrets, inv.configMaps, opts.tlsMountDir);
    const localWarnings: string[] = [];
    try {
      components.push(component(m, inv, material, localWarnings));
    } catch (err) {
      if (err instanceof MonitorError) {
        problem(err.reason, err.message);
        continue;
      }
      throw err;
    }
    seen.set(name, m);
    warnings.push(...localWarnings);
    for (const [f, b] of material.files) files.set(f, b);
  }
  components.sort((a, b) => (String(a.name) < String(b.name) ? -1 : 1));
  return { config: { endpointResolver: opts.endpointResolver, components }, files, problems, warnings };
}
