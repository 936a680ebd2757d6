/**
 * The target labels of each pod of a component endpoint, as Prometheus with a prometheus-operator
 * monitor would give them (honor_labels: false): job, namespace, service, endpoint, pod, instance and
 * the static target labels, then the endpoint's `relabelings`, which may rewrite them or drop the pod.
 */
import type { EndpointConfig } from '../config/types.js';
import { instanceLabel } from '../exposition/target.js';
import { relabelTarget } from '../relabel/index.js';
import type { LabelSet } from '../relabel/types.js';
import type { PodTarget } from './pod-scrape.js';

export interface PodTargetLabels {
  pod: PodTarget;
  /** Ordered label pairs injected into every sample of the pod (no `__` labels). */
  pairs: [string, string][];
}

/** The labels standalone Prometheus gives a sample of this pod before any relabeling. */
function basePairs(endpoint: EndpointConfig, pod: PodTarget): [string, string][] {
  return [
    ['job', endpoint.metricsJob],
    ['namespace', endpoint.metricsNamespace],
    ['service', endpoint.metricsService],
    ['endpoint', endpoint.metricsEndpoint],
    ['pod', pod.name],
    ['instance', instanceLabel(pod.ip, endpoint.metricsPort)],
    ...Object.entries(endpoint.targetLabels),
  ];
}

/**
 * Target labels for `pod`, or undefined when a relabeling drops it (Prometheus then has no such
 * target: no scrape and no `up` series). The rules see the labels above plus what Prometheus's
 * Kubernetes discovery offers that the proxy knows: `__address__`, `__scheme__`, `__metrics_path__`,
 * `__meta_kubernetes_pod_name` and `__meta_kubernetes_pod_ip`. Labels starting with `__` are removed
 * afterwards; a rule that removes `instance` gets it back from `__address__`, as in Prometheus. The
 * scrape itself always goes to the pod's IP, port and path from the configuration.
 */
export function podTargetLabels(endpoint: EndpointConfig, pod: PodTarget): [string, string][] | undefined {
  const pairs = basePairs(endpoint, pod);
  if (endpoint.relabelRules.length === 0) return pairs;
  const address = instanceLabel(pod.ip, endpoint.metricsPort);
  const labels: LabelSet = new Map(pairs);
  labels.set('__address__', address);
  labels.set('__scheme__', endpoint.metricsScheme);
  labels.set('__metrics_path__', endpoint.metricsPath);
  labels.set('__meta_kubernetes_pod_name', pod.name);
  labels.set('__meta_kubernetes_pod_ip', pod.ip);
  if (!relabelTarget(labels, endpoint.relabelRules)) return undefined;
  if (!labels.has('instance')) labels.set('instance', labels.get('__address__') || address);
  // Kept labels in their original order first, then the ones the rules added, sorted.
  const out: [string, string][] = [];
  for (const [name] of pairs) {
    const v = labels.get(name);
    if (v !== undefined) out.push([name, v]);
  }
  const known = new Set(pairs.map(([n]) => n));
  const added = [...labels].filter(([n]) => !known.has(n) && !n.startsWith('__')).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return [...out, ...added];
}

/** Every pod the endpoint's relabelings keep, with its target labels. */
export function endpointTargets(endpoint: EndpointConfig, pods: readonly PodTarget[]): PodTargetLabels[] {
  const out: PodTargetLabels[] = [];
  for (const pod of pods) {
    const pairs = podTargetLabels(endpoint, pod);
    if (pairs) out.push({ pod, pairs });
  }
  return out;
}
