/**
 * The scrape targets of a component endpoint, as Prometheus with a prometheus-operator monitor would
 * make them (honor_labels: false): per pod, the labels job, namespace, service, endpoint, pod and the
 * static target labels, then the endpoint's `relabelings`, which may rewrite them, drop the pod, or
 * move the scrape (`__address__`, `__scheme__`, `__metrics_path__`); `instance` comes last, from the
 * final `__address__` unless a rule set it.
 */
import type { EndpointConfig, Scheme } from '../config/types.js';
import { sanitizeLabelName } from '../exposition/labels.js';
import { instanceLabel } from '../exposition/target.js';
import { relabelTarget } from '../relabel/index.js';
import type { LabelSet } from '../relabel/types.js';
import type { PodTarget } from './pod-scrape.js';

/** Where one target is scraped. */
export interface ScrapeAddress {
  scheme: Scheme;
  /** IP address (v6 without brackets) or host name. */
  host: string;
  port: number;
  path: string;
}

export interface ResolvedTarget {
  /** Ordered label pairs injected into every sample of the pod (no `__` labels). */
  pairs: [string, string][];
  scrape: ScrapeAddress;
  /** Why the relabeled address cannot be scraped (the pod then gets `up 0`), if it cannot. */
  invalid?: string;
}

export interface PodTargetLabels extends ResolvedTarget {
  pod: PodTarget;
}

/**
 * The labels Prometheus has for this pod's target before relabeling (no `instance` yet): the proxy's
 * own, the static target labels, then the podTargetLabels the pod carries, as prometheus-operator
 * orders them.
 */
function basePairs(endpoint: EndpointConfig, pod: PodTarget): [string, string][] {
  const pairs: [string, string][] = [
    ['job', endpoint.metricsJob],
    ['namespace', endpoint.metricsNamespace],
    ['service', endpoint.metricsService],
    ['endpoint', endpoint.metricsEndpoint],
    ['pod', pod.name],
    ...Object.entries(endpoint.targetLabels),
  ];
  for (const key of endpoint.podTargetLabels) {
    const value = pod.labels?.[key];
    if (value === undefined || value === '') continue;
    const name = sanitizeLabelName(key);
    const at = pairs.findIndex(([n]) => n === name);
    if (at >= 0) pairs[at] = [name, value];
    else pairs.push([name, value]);
  }
  return pairs;
}

const LEADING: ReadonlySet<string> = new Set(['job', 'namespace', 'service', 'endpoint', 'pod']);

/** `instance` goes after the leading job..pod labels, before the static and added ones (a stable order). */
function withInstance(pairs: [string, string][], instance: string): [string, string][] {
  if (instance === '') return pairs;
  let at = 0;
  while (at < pairs.length && LEADING.has(pairs[at]![0])) at++;
  return [...pairs.slice(0, at), ['instance', instance], ...pairs.slice(at)];
}

/**
 * `host:port`, `[v6]:port` or a bare host (the scheme's default port), as Prometheus accepts
 * `__address__`; a string is the reason it cannot be used.
 */
export function parseAddress(address: string, scheme: Scheme): { host: string; port: number } | string {
  let host: string;
  let port: string | undefined;
  const v6 = /^\[([^\]]+)\](?::(.*))?$/.exec(address);
  if (v6) {
    host = v6[1]!;
    port = v6[2];
  } else {
    const colon = address.lastIndexOf(':');
    if (colon >= 0 && address.indexOf(':') !== colon) return `address "${address}": an IPv6 address needs brackets`;
    host = colon >= 0 ? address.slice(0, colon) : address;
    port = colon >= 0 ? address.slice(colon + 1) : undefined;
  }
  if (host === '' || /[\s/?#@]/.test(host)) return `address "${address}" has no valid host`;
  if (port === undefined) return { host, port: scheme === 'https' ? 443 : 80 };
  if (!/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535) return `address "${address}" has no valid port`;
  return { host, port: Number(port) };
}

/**
 * The target of `pod`, or undefined when a relabeling drops it (Prometheus then has no such target: no
 * scrape and no `up` series). The rules see the labels above plus what Prometheus's Kubernetes discovery
 * offers that the proxy knows: `__address__`, `__scheme__`, `__metrics_path__`, `__meta_kubernetes_pod_name`,
 * `__meta_kubernetes_pod_ip`, and `__meta_kubernetes_pod_label_<name>` / `..._labelpresent_<name>` when the
 * resolver answers the pod's labels. Labels starting with `__` are removed afterwards.
 */
export function resolveTarget(endpoint: EndpointConfig, pod: PodTarget): ResolvedTarget | undefined {
  const pairs = basePairs(endpoint, pod);
  const configured: ScrapeAddress = { scheme: endpoint.metricsScheme, host: pod.ip, port: endpoint.metricsPort, path: endpoint.metricsPath };
  const address = instanceLabel(pod.ip, endpoint.metricsPort);
  if (endpoint.relabelRules.length === 0) return { pairs: withInstance(pairs, address), scrape: configured };

  const labels: LabelSet = new Map(pairs);
  labels.set('__address__', address);
  labels.set('__scheme__', endpoint.metricsScheme);
  labels.set('__metrics_path__', endpoint.metricsPath);
  labels.set('__meta_kubernetes_pod_name', pod.name);
  labels.set('__meta_kubernetes_pod_ip', pod.ip);
  for (const [key, value] of Object.entries(pod.labels ?? {})) {
    const name = sanitizeLabelName(key);
    labels.set(`__meta_kubernetes_pod_label_${name}`, value);
    labels.set(`__meta_kubernetes_pod_labelpresent_${name}`, 'true');
  }
  if (!relabelTarget(labels, endpoint.relabelRules)) return undefined;

  // Kept labels in their original order first, then the ones the rules added, sorted.
  const out: [string, string][] = [];
  for (const [name] of pairs) {
    const v = labels.get(name);
    if (v !== undefined) out.push([name, v]);
  }
  const known = new Set(pairs.map(([n]) => n));
  const added = [...labels].filter(([n]) => !known.has(n) && n !== 'instance' && !n.startsWith('__')).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const finalAddress = labels.get('__address__') ?? '';
  const resolved: ResolvedTarget = { pairs: withInstance([...out, ...added], labels.get('instance') ?? finalAddress), scrape: configured };

  // The scrape follows the relabeled address, scheme and path, as in Prometheus.
  const scheme = labels.get('__scheme__') ?? '';
  if (scheme !== 'http' && scheme !== 'https') return { ...resolved, invalid: `relabelings set __scheme__ to "${scheme}"; only http and https can be scraped` };
  if (finalAddress === '') return { ...resolved, invalid: 'relabelings removed __address__' };
  const hostPort = parseAddress(finalAddress, scheme);
  if (typeof hostPort === 'string') return { ...resolved, invalid: `relabelings set an unusable ${hostPort}` };
  const path = labels.get('__metrics_path__') || '/';
  resolved.scrape = { scheme, ...hostPort, path: path.startsWith('/') ? path : `/${path}` };
  return resolved;
}

/** Target labels of `pod` (see resolveTarget), or undefined when a relabeling drops it. */
export function podTargetLabels(endpoint: EndpointConfig, pod: PodTarget): [string, string][] | undefined {
  return resolveTarget(endpoint, pod)?.pairs;
}

/** Every pod the endpoint's relabelings keep, with its target labels and scrape address. */
export function endpointTargets(endpoint: EndpointConfig, pods: readonly PodTarget[]): PodTargetLabels[] {
  const out: PodTargetLabels[] = [];
  for (const pod of pods) {
    const t = resolveTarget(endpoint, pod);
    if (t) out.push({ pod, ...t });
  }
  return out;
}
