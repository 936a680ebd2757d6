/** Public surface of the manifests library. */
export { ConfigGenerator, type ConfigGeneratorProps, type GuestSyncProps, DEFAULT_CERT_SECRETS, GENERATOR_MODES, type GeneratorMode, generatorPolicyRules } from './config-generator.js';
export { EndpointResolver, type EndpointResolverProps, RESOLVER_POLICY_RULES } from './endpoint-resolver.js';
export { InvalidPropsError } from './errors.js';
export { checkComponents, COMPONENT_SEGMENT, GuestPodMonitor, type GuestPodMonitorProps, guestPodMonitorSpec, type GuestScrapeAuth, PrometheusTokenSecret, type PrometheusTokenSecretProps } from './guest-monitor.js';
export { DEFAULT_PROMETHEUS_SELECTOR, GuestNetworkPolicy, type GuestNetworkPolicyProps } from './guest-network-policy.js';
export { GUEST_KEYS, type GuestContext, type GuestOptions, type ResolvedGuest, resolveGuestOptions } from './guest-options.js';
export { guestEnabled, HostedClusterGuest } from './hosted-cluster-guest.js';
export {
  type GeneratorOptions,
  HostedClusterMetrics,
  type HostedClusterMetricsProps,
  type NetworkPolicyOptions,
  type ProxyOptions,
  type ResolverOptions,
  type SelfMonitorOptions,
} from './hosted-cluster-metrics.js';
export { AUTH_MODES, type AuthMode, MetricsProxy, type MetricsProxyProps, type SecretKeySelector } from './metrics-proxy.js';
export { FORWARDER_DEFAULT_RESOURCES, forwarderArgs, MetricsForwarder, type MetricsForwarderProps } from './metrics-forwarder.js';
export { MetricsProxyMonitor, type MetricsProxyMonitorProps, MONITOR_KINDS, type MonitorKind } from './monitor.js';
export * from './names.js';
export { MetricsProxyNetworkPolicy, type MetricsProxyNetworkPolicyProps } from './network-policy.js';
export { METRICS_SETS, type MetricsSet, type ResourceProps } from './validate.js';
export { type AntiAffinityMode, type CABundleSource, type ImagePullPolicy, type PlacementProps, type WorkloadProps } from './workload.js';
