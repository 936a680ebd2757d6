/**
 * Monitor name (+ endpoint index) → MetricsSet component key.
 *
 * Names are the ServiceMonitor/PodMonitor names HyperShift creates in the HCP namespace:
 * control-plane-operator/controllers/hostedcontrolplane/v2/assets/<component>/{servicemonitor,podmonitor}.yaml
 * and, for older releases, control-plane-operator/controllers/hostedcontrolplane/manifests/*.go.
 */
import type { ComponentKey } from './types.js';

const BY_MONITOR: ReadonlyMap<string, ComponentKey> = new Map<string, ComponentKey>([
  ['kube-apiserver', 'kubeAPIServer'],
  ['etcd', 'etcd'],
  ['kube-controller-manager', 'kubeControllerManager'],
  ['openshift-apiserver', 'openshiftAPIServer'],
  ['openshift-controller-manager', 'openshiftControllerManager'],
  ['openshift-route-controller-manager', 'openshiftRouteControllerManager'],
  ['cluster-version-operator', 'cvo'],
  ['olm-operator', 'olm'],
  ['catalog-operator', 'catalogOperator'],
  ['cluster-image-registry-operator', 'registryOperator'],
  ['kube-scheduler', 'kubeScheduler'],
  // The NTO ServiceMonitor is named after its metrics Service, not the Deployment (cluster-node-tuning-operator).
  ['node-tuning-operator', 'nodeTuningOperator'],
  // The CPO PodMonitor is really called "controlplane-operator" (no dash); the pods carry
  // name=control-plane-operator and HyperShift's metrics-proxy tests use that spelling too.
  ['controlplane-operator', 'controlPlaneOperator'],
  ['control-plane-operator', 'controlPlaneOperator'],
  // v2 asset name, and the PodMonitor name of the pre-v2 reconciler (manifests/configoperator.go).
  ['hosted-cluster-config-operator', 'hostedClusterConfigOperator'],
  ['hosted-cluster-config', 'hostedClusterConfigOperator'],
]);

/** Every monitor name {@link componentKeyFor} knows, for listings and tests. */
export const KNOWN_MONITOR_NAMES: readonly string[] = [...BY_MONITOR.keys()];

/**
 * The component key for one endpoint of a monitor, or undefined for monitors HyperShift's
 * MetricsSet does not cover (cluster-autoscaler, ignition-server, karpenter, ...).
 *
 * kube-scheduler's ServiceMonitor has two endpoints: /metrics (0) and /metrics/resources (1),
 * filtered separately (SchedulerRelabelConfigs / SchedulerResourceRelabelConfigs in sets.go).
 * Any other extra endpoint (our `endpoints` extension) inherits its component's key, so a
 * Telemetry keep-list cannot be bypassed by adding an endpoint.
 */
export function componentKeyFor(monitorName: string, endpointIndex = 0): ComponentKey | undefined {
  if (!Number.isInteger(endpointIndex) || endpointIndex < 0) return undefined;
  const key = BY_MONITOR.get(monitorName);
  if (key === 'kubeScheduler' && endpointIndex === 1) return 'kubeSchedulerResourceMetrics';
  return key;
}
