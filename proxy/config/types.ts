/**
 * The proxy configuration file (DESIGN.md §4): a superset of HyperShift's metrics-proxy `config.yaml`.
 * These are the *validated* shapes, with every default already applied.
 */
import type { SelectorRequirement } from '../../common/label-selector.js';
import type { RelabelConfig, RelabelRule } from '../relabel/types.js';

export type Scheme = 'http' | 'https';

/** How to reach and label one scrape endpoint of a component. */
export interface EndpointConfig {
  metricsPort: number;
  metricsPath: string;
  metricsScheme: Scheme;
  /** TLS towards the pods (https only). */
  tlsServerName?: string;
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  insecureSkipVerify: boolean;
  /** Values of the injected `job`, `namespace`, `service`, `endpoint` labels. */
  metricsJob: string;
  metricsNamespace: string;
  metricsService: string;
  metricsEndpoint: string;
  /** Static labels added to every sample (e.g. `apiserver: kube-apiserver`). */
  targetLabels: Record<string, string>;
  /**
   * Pod label keys copied to each pod's target labels (prometheus-operator `podTargetLabels`), named as
   * Prometheus sanitizes them (`app.kubernetes.io/name` → `app_kubernetes_io_name`); a pod without the
   * label gets none. Values come from the endpoint resolver's answer.
   */
  podTargetLabels: string[];
  /**
   * Target relabeling (prometheus-operator `relabelings`), applied per pod to the target labels before
   * the scrape: it can rename or set target labels, or drop the pod. As written in the file.
   */
  relabelings: RelabelConfig[];
  /** Compiled form of `relabelings`. */
  relabelRules: RelabelRule[];
  /** As written in the file, kept for /components and for diffing. */
  metricRelabelings: RelabelConfig[];
  /** Compiled form of `metricRelabelings`, validated at load time. */
  metricRelabelRules: RelabelRule[];
  /** Upper bound for one pod scrape, in seconds (`scrapeTimeout`, Prometheus duration syntax in the file). */
  scrapeTimeoutSeconds: number;
}

export interface ComponentConfig extends EndpointConfig {
  /** URL segment: the ServiceMonitor/PodMonitor name. */
  name: string;
  /** Pod label selector sent to the endpoint resolver (its matchLabels). */
  selector: Record<string, string>;
  /** The selector's matchExpressions, when the file gives the LabelSelector form with some. */
  matchExpressions?: SelectorRequirement[];
  /** Endpoints 1..n (`/metrics/<name>/<n>`); endpoint 0 is the component itself. */
  endpoints: EndpointConfig[];
}

export interface EndpointResolverConfig {
  url: string;
  caFile?: string;
  certFile?: string;
  keyFile?: string;
}

export interface ProxyConfig {
  endpointResolver: EndpointResolverConfig;
  components: ComponentConfig[];
}
