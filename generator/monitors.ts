/**
 * The parts of prometheus-operator's ServiceMonitor and PodMonitor (monitoring.coreos.com/v1, and the
 * same shapes under monitoring.rhobs/v1) that say how to reach and scrape a component, and the core
 * objects they refer to. Field names are those of the CRDs.
 */
import type { V1ConfigMap, V1LabelSelector, V1Pod, V1Secret, V1Service } from '@kubernetes/client-node';

export interface KeyRef {
  name: string;
  key: string;
  optional?: boolean;
}

export interface SecretOrConfigMap {
  secret?: KeyRef;
  configMap?: KeyRef;
}

export interface MonitorTLSConfig {
  ca?: SecretOrConfigMap;
  cert?: SecretOrConfigMap;
  keySecret?: KeyRef;
  serverName?: string;
  insecureSkipVerify?: boolean;
  /** Paths inside a Prometheus pod: meaningless to the proxy. */
  caFile?: string;
  certFile?: string;
  keyFile?: string;
}

/** ServiceMonitor `endpoints[]` and PodMonitor `podMetricsEndpoints[]`. */
export interface MonitorEndpoint {
  port?: string;
  portNumber?: number;
  targetPort?: number | string;
  path?: string;
  scheme?: string;
  tlsConfig?: MonitorTLSConfig;
  relabelings?: unknown[];
  metricRelabelings?: unknown[];
  scrapeTimeout?: string;
}

export interface MonitorObject {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace?: string; uid?: string; resourceVersion?: string; annotations?: Record<string, string>; labels?: Record<string, string> };
  spec: {
    selector?: V1LabelSelector;
    endpoints?: MonitorEndpoint[];
    podMetricsEndpoints?: MonitorEndpoint[];
    targetLabels?: string[];
    podTargetLabels?: string[];
  };
}

export type MonitorKind = 'ServiceMonitor' | 'PodMonitor';

export interface Monitor {
  kind: MonitorKind;
  /** API group the monitor came from (monitoring.coreos.com or monitoring.rhobs). */
  group: string;
  object: MonitorObject;
}

/** Everything in the namespace the configuration is built from. */
export interface Inventory {
  namespace: string;
  monitors: Monitor[];
  services: V1Service[];
  pods: V1Pod[];
  secrets: V1Secret[];
  configMaps: V1ConfigMap[];
}

/** `hypershift.openshift.io/metrics-*` annotations: the labels standalone OpenShift would put on the series. */
export const LABEL_ANNOTATIONS = {
  job: 'hypershift.openshift.io/metrics-job',
  namespace: 'hypershift.openshift.io/metrics-namespace',
  service: 'hypershift.openshift.io/metrics-service',
  endpoint: 'hypershift.openshift.io/metrics-endpoint',
} as const;
