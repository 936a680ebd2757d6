/**
 * Pieces every workload (proxy, resolver, generator) shares: the common props, restricted-SCC/PSA
 * "restricted" security contexts, probes, labels, volumes and placement.
 */
import { Chart } from 'cdk8s';
import * as k8s from 'cdk8s-plus-28/lib/imports/k8s.js';
import type { Construct } from 'constructs';
import { InvalidPropsError } from './errors.js';
import { DEFAULT_COMMAND, NAMESPACE_ENV, PART_OF } from './names.js';
import { checkDnsLabel, checkDnsSubdomain, checkEnum, checkImage, checkLabels, checkResources, type ResourceProps } from './validate.js';

export const IMAGE_PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'] as const;
export type ImagePullPolicy = (typeof IMAGE_PULL_POLICIES)[number];

export const ANTI_AFFINITY_MODES = ['preferred', 'required'] as const;
/**
 * How replicas are kept apart: `preferred` spreads them over nodes when it can (never blocks scheduling);
 * `required` refuses to put two on one node (needs at least `replicas` schedulable nodes, and rollouts
 * then replace pods one at a time instead of surging).
 */
export type AntiAffinityMode = (typeof ANTI_AFFINITY_MODES)[number];

/** Where the pods may run. On HyperShift management clusters this is typically the control-plane node pool. */
export interface PlacementProps {
  /** Node labels the pods require, e.g. `{ 'hypershift.openshift.io/control-plane': 'true' }`. */
  readonly nodeSelector?: Record<string, string>;
  /** Taints the pods tolerate, e.g. HyperShift's `hypershift.openshift.io/control-plane` and `hypershift.openshift.io/cluster`. */
  readonly tolerations?: k8s.Toleration[];
  /** PriorityClass of the pods, e.g. `hypershift-control-plane`. @default - none */
  readonly priorityClassName?: string;
}

/** Props every workload construct takes. */
export interface WorkloadProps {
  /** Namespace of the hosted control plane. @default - the namespace of the enclosing Chart (required if that has none) */
  readonly namespace?: string;
  /** Container image, pinned by tag or digest (`quay.io/org/hcp-metrics-proxy:0.1.0`). */
  readonly image: string;
  /** @default 'IfNotPresent' */
  readonly imagePullPolicy?: ImagePullPolicy;
  /** Container command; the sub-command and flags follow as args. @default ['hcp-metrics-proxy'] */
  readonly command?: string[];
  /** Container resources; when given it replaces the component's defaults as a whole. */
  readonly resources?: ResourceProps;
  /** `app.kubernetes.io/instance` of every object and pod, e.g. the hosted cluster name. @default - none */
  readonly instance?: string;
  /** Extra labels for every object and pod of this component (keys under app.kubernetes.io/ are reserved). */
  readonly labels?: Record<string, string>;
  /** Node selector, tolerations and priority class for the pods. */
  readonly placement?: PlacementProps;
}

/** The validated, defaulted common props. */
export interface ResolvedWorkload {
  readonly namespace: string;
  readonly image: string;
  readonly imagePullPolicy: ImagePullPolicy;
  readonly command: string[];
  readonly resources: ResourceProps;
  /** User labels plus app.kubernetes.io/instance when given. */
  readonly labels: Record<string, string>;
  readonly placement: PlacementProps;
}

export function resolveWorkload(scope: Construct, construct: string, props: WorkloadProps, defaultResources: ResourceProps): ResolvedWorkload {
  if (typeof props !== 'object' || props === null) throw new InvalidPropsError(construct, '(props)', 'props are required');
  const chartNs = Chart.of(scope).namespace;
  if (props.namespace === undefined && chartNs === undefined) {
    throw new InvalidPropsError(construct, 'namespace', 'no namespace given and the enclosing Chart has none');
  }
  const namespace = checkDnsLabel(construct, 'namespace', props.namespace ?? chartNs);
  const image = checkImage(construct, 'image', props.image);
  const imagePullPolicy = props.imagePullPolicy === undefined ? 'IfNotPresent' : checkEnum(construct, 'imagePullPolicy', props.imagePullPolicy, IMAGE_PULL_POLICIES);
  const command = props.command ?? [...DEFAULT_COMMAND];
  if (!Array.isArray(command) || command.length === 0 || command.some((c) => typeof c !== 'string' || c === '')) {
    throw new InvalidPropsError(construct, 'command', 'must be a non-empty list of non-empty strings, e.g. [hcp-metrics-proxy] or [node, /app/build/cli.js]');
  }
  const resources = props.resources === undefined ? defaultResources : checkResources(construct, 'resources', props.resources);
  const labels = props.labels === undefined ? {} : checkLabels(construct, 'labels', props.labels);
  for (const k of Object.keys(labels)) {
    if (k.startsWith('app.kubernetes.io/')) throw new InvalidPropsError(construct, `labels.${k}`, "keys under app.kubernetes.io/ are reserved: the constructs set them (they select the pods); use another key");
  }
  const placement = checkPlacement(construct, 'placement', props.placement ?? {});
  const instance: Record<string, string> = props.instance === undefined ? {} : { 'app.kubernetes.io/instance': props.instance };
  if (props.instance !== undefined) {
    try {
      checkLabels(construct, 'instance', instance);
    } catch {
      throw new InvalidPropsError(construct, 'instance', `'${String(props.instance)}' is not a valid label value (at most 63 letters, digits, '-', '_' or '.')`);
    }
  }
  return { namespace, image, imagePullPolicy, command: [...command], resources, labels: { ...labels, ...instance }, placement };
}

const TOLERATION_KEYS = ['key', 'operator', 'value', 'effect', 'tolerationSeconds'];

function checkPlacement(construct: string, prop: string, p: PlacementProps): PlacementProps {
  if (typeof p !== 'object' || p === null || Array.isArray(p)) throw new InvalidPropsError(construct, prop, 'must be an object');
  for (const k of Object.keys(p)) {
    if (!['nodeSelector', 'tolerations', 'priorityClassName'].includes(k)) throw new InvalidPropsError(construct, `${prop}.${k}`, 'unknown key; use nodeSelector, tolerations or priorityClassName');
  }
  if (p.nodeSelector !== undefined) checkLabels(construct, `${prop}.nodeSelector`, p.nodeSelector);
  if (p.priorityClassName !== undefined) checkDnsSubdomain(construct, `${prop}.priorityClassName`, p.priorityClassName);
  if (p.tolerations !== undefined) {
    if (!Array.isArray(p.tolerations)) throw new InvalidPropsError(construct, `${prop}.tolerations`, 'must be a list');
    p.tolerations.forEach((t, i) => {
      const at = `${prop}.tolerations[${i}]`;
      if (typeof t !== 'object' || t === null) throw new InvalidPropsError(construct, at, 'must be an object');
      for (const k of Object.keys(t)) if (!TOLERATION_KEYS.includes(k)) throw new InvalidPropsError(construct, `${at}.${k}`, `unknown key; use ${TOLERATION_KEYS.join(', ')}`);
      if (t.operator !== undefined) checkEnum(construct, `${at}.operator`, t.operator, ['Exists', 'Equal']);
      if (t.effect !== undefined) checkEnum(construct, `${at}.effect`, t.effect, ['NoSchedule', 'PreferNoSchedule', 'NoExecute']);
      for (const k of ['key', 'value'] as const) {
        if (t[k] !== undefined && typeof t[k] !== 'string') throw new InvalidPropsError(construct, `${at}.${k}`, 'must be a string');
      }
      if (t.operator === 'Exists' && t.value !== undefined && t.value !== '') throw new InvalidPropsError(construct, `${at}.value`, "must be empty when operator is 'Exists'");
      if (t.tolerationSeconds !== undefined && (!Number.isInteger(t.tolerationSeconds) || t.tolerationSeconds < 0)) {
        throw new InvalidPropsError(construct, `${at}.tolerationSeconds`, 'must be a non-negative integer');
      }
    });
  }
  return p;
}

/** Labels that select the pods of one component (immutable once deployed: never change them). */
export function selectorLabels(component: string): Record<string, string> {
  return { 'app.kubernetes.io/name': component, 'app.kubernetes.io/part-of': PART_OF };
}

/** Labels of every object and pod of a component. */
export function componentLabels(component: string, role: string, extra: Record<string, string>): Record<string, string> {
  return { ...extra, ...selectorLabels(component), 'app.kubernetes.io/component': role, 'app.kubernetes.io/managed-by': 'cdk8s' };
}

/** Pod-level security: non-root, RuntimeDefault seccomp, no fixed UID/GID/fsGroup (OpenShift's restricted-v2 SCC assigns them). */
export function podSecurityContext(): k8s.PodSecurityContext {
  return { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } };
}

/** Container-level security: the Pod Security "restricted" profile plus a read-only root filesystem. */
export function containerSecurityContext(): k8s.SecurityContext {
  return {
    allowPrivilegeEscalation: false,
    capabilities: { drop: ['ALL'] },
    readOnlyRootFilesystem: true,
    runAsNonRoot: true,
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

/** An HTTPS GET probe (kubelet does not verify the certificate); HTTP only for a health-only port. `port` is a number or a container port name. */
export function httpsProbe(path: '/healthz' | '/readyz' | `/readyz?${string}`, port: number | string, scheme: 'HTTPS' | 'HTTP' = 'HTTPS'): k8s.Probe {
  const liveness = path === '/healthz';
  return {
    httpGet: { path, port: typeof port === 'number' ? k8s.IntOrString.fromNumber(port) : k8s.IntOrString.fromString(port), scheme },
    periodSeconds: liveness ? 10 : 5,
    timeoutSeconds: 3,
    failureThreshold: liveness ? 6 : 3,
    successThreshold: 1,
  };
}

/** MY_NAMESPACE from the downward API; args can then say `--namespace=$(MY_NAMESPACE)`. */
export function namespaceEnv(): k8s.EnvVar[] {
  return [{ name: NAMESPACE_ENV, valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } } }];
}

export const NAMESPACE_ARG = `--namespace=$(${NAMESPACE_ENV})`;

export function toResourceRequirements(r: ResourceProps): k8s.ResourceRequirements {
  const conv = (m?: { cpu?: string; memory?: string }): Record<string, k8s.Quantity> | undefined => {
    if (!m) return undefined;
    const out: Record<string, k8s.Quantity> = {};
    if (m.cpu !== undefined) out.cpu = k8s.Quantity.fromString(m.cpu);
    if (m.memory !== undefined) out.memory = k8s.Quantity.fromString(m.memory);
    return Object.keys(out).length ? out : undefined;
  };
  return { requests: conv(r.requests), limits: conv(r.limits) };
}

/** Keeps replicas of one component on different nodes (and, when possible, zones). */
export function antiAffinity(selector: Record<string, string>, mode: AntiAffinityMode): k8s.Affinity {
  const term = (topologyKey: string): k8s.PodAffinityTerm => ({ labelSelector: { matchLabels: selector }, topologyKey });
  const zone: k8s.WeightedPodAffinityTerm = { weight: 50, podAffinityTerm: term('topology.kubernetes.io/zone') };
  if (mode === 'required') {
    return { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('kubernetes.io/hostname')], preferredDuringSchedulingIgnoredDuringExecution: [zone] } };
  }
  return { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: term('kubernetes.io/hostname') }, zone] } };
}

/** Rolling update that keeps capacity with soft anti-affinity, and cannot deadlock with hard anti-affinity. */
export function rollingUpdate(mode: AntiAffinityMode): k8s.DeploymentStrategy {
  return mode === 'required'
    ? { type: 'RollingUpdate', rollingUpdate: { maxSurge: k8s.IntOrString.fromNumber(0), maxUnavailable: k8s.IntOrString.fromNumber(1) } }
    : { type: 'RollingUpdate', rollingUpdate: { maxSurge: k8s.IntOrString.fromNumber(1), maxUnavailable: k8s.IntOrString.fromNumber(0) } };
}

/** The writable scratch space a read-only root filesystem still needs. */
export function tmpVolume(): { volume: k8s.Volume; mount: k8s.VolumeMount } {
  return {
    volume: { name: 'tmp', emptyDir: { sizeLimit: k8s.Quantity.fromString('64Mi') } },
    mount: { name: 'tmp', mountPath: '/tmp' },
  };
}

/** A volume (Secret or ConfigMap) plus its read-only mount. */
export interface MountedVolume {
  volume: k8s.Volume;
  mount: k8s.VolumeMount;
}

export function secretMount(volumeName: string, secretName: string, mountPath: string, optional: boolean): MountedVolume {
  return {
    volume: { name: volumeName, secret: { secretName, optional } },
    mount: { name: volumeName, mountPath, readOnly: true },
  };
}

export function configMapMount(volumeName: string, configMapName: string, mountPath: string, optional: boolean): MountedVolume {
  return {
    volume: { name: volumeName, configMap: { name: configMapName, optional } },
    mount: { name: volumeName, mountPath, readOnly: true },
  };
}

/** Pod spec fields that come from the placement props. */
export function placementSpec(p: PlacementProps): Pick<k8s.PodSpec, 'nodeSelector' | 'tolerations' | 'priorityClassName'> {
  return {
    ...(p.nodeSelector && Object.keys(p.nodeSelector).length ? { nodeSelector: p.nodeSelector } : {}),
    ...(p.tolerations && p.tolerations.length ? { tolerations: p.tolerations } : {}),
    ...(p.priorityClassName ? { priorityClassName: p.priorityClassName } : {}),
  };
}

/** A source of a PEM CA bundle: one key of a ConfigMap or a Secret (exactly one of the two). */
export interface CABundleSource {
  /** ConfigMap holding the bundle. */
  readonly configMap?: string;
  /** Secret holding the bundle. */
  readonly secret?: string;
  /** Key inside it. @default 'ca.crt' */
  readonly key?: string;
}

export function checkCABundle(construct: string, prop: string, src: CABundleSource): { kind: 'configMap' | 'secret'; name: string; key: string } {
  if (typeof src !== 'object' || src === null || Array.isArray(src)) throw new InvalidPropsError(construct, prop, 'must be an object with configMap or secret, and key');
  for (const k of Object.keys(src)) if (!['configMap', 'secret', 'key'].includes(k)) throw new InvalidPropsError(construct, `${prop}.${k}`, 'unknown key; use configMap or secret, and key');
  if ((src.configMap === undefined) === (src.secret === undefined)) throw new InvalidPropsError(construct, prop, 'give exactly one of configMap or secret');
  const kind = src.configMap !== undefined ? 'configMap' : 'secret';
  const name = checkDnsSubdomain(construct, `${prop}.${kind}`, src.configMap ?? src.secret);
  const key = src.key ?? 'ca.crt';
  if (typeof key !== 'string' || !/^[-._a-zA-Z0-9]+$/.test(key)) throw new InvalidPropsError(construct, `${prop}.key`, `'${String(key)}' is not a valid ConfigMap/Secret key`);
  return { kind, name, key };
}
