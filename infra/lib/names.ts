/**
 * Names, ports and mount paths that the manifests share with the runtime components.
 *
 * The generator creates every ConfigMap and Secret listed here at runtime (none is synthesized, and no
 * private key ever appears in dist/). The proxy configuration the generator writes refers to files
 * under {@link PROXY_PATHS}, so the generator and these manifests must agree on them: import them from
 * here rather than repeating the strings.
 */

/** `app.kubernetes.io/part-of` of everything we synthesize. */
export const PART_OF = 'hcp-metrics-proxy';

/** Object names (Deployments, Services, ServiceAccounts, Roles, ...) per component. */
export const COMPONENT_NAMES = {
  proxy: 'metrics-proxy',
  resolver: 'endpoint-resolver',
  generator: 'metrics-proxy-config-generator',
} as const;

export const PORTS = {
  /** Container port of the proxy (`--listen` default 0.0.0.0:9443). */
  proxy: 9443,
  /** Container port of the endpoint resolver (`--listen` default 0.0.0.0:9444). */
  resolver: 9444,
  /**
   * Plain-HTTP /healthz and /readyz of the endpoint resolver (`--health-listen` default 0.0.0.0:9445): its
   * HTTPS port requires client certificates, which kubelet probes do not present.
   */
  resolverHealth: 9445,
  /** Plain-HTTP /healthz and /readyz of the config generator in watch mode (`--health-listen`). */
  generatorHealth: 9446,
  /** Service port of both Services (so URLs need no port: https://endpoint-resolver.NS.svc). */
  service: 443,
} as const;

/** ConfigMaps and Secrets created at runtime (defaults; most are overridable props). */
export const RUNTIME_OBJECTS = {
  /** ConfigMap, key `config.yaml`: the proxy configuration (DESIGN.md §4). Written by the generator. */
  proxyConfigMap: 'metrics-proxy-config',
  proxyConfigKey: 'config.yaml',
  /** Secret (kubernetes.io/tls: tls.crt, tls.key, optionally ca.crt): the proxy's serving certificate for the Route host. */
  proxyServingCertSecret: 'metrics-proxy-serving-cert',
  /** Secret: the upstream TLS material (CAs, client certificates) that the proxy configuration points at. */
  upstreamTlsSecret: 'metrics-proxy-upstream-tls',
  /**
   * Secret (kubernetes.io/tls: tls.crt, tls.key, ca.crt): the proxy's client certificate for the endpoint
   * resolver; ca.crt verifies the resolver's serving certificate.
   */
  resolverClientCertSecret: 'endpoint-resolver-client-cert',
  /**
   * Secret (kubernetes.io/tls: tls.crt, tls.key, ca.crt): the resolver's serving certificate for
   * endpoint-resolver.NS.svc; by default its ca.crt is also the CA the resolver requires client certificates from.
   */
  resolverServingCertSecret: 'endpoint-resolver-serving-cert',
  /** Secret: the generator's internal CA (certificate and key), kept so restarts do not re-key everything. */
  caSecret: 'metrics-proxy-ca-cert',
  /** ConfigMap, key `ca.crt`: the CA bundle the guest cluster's Prometheus trusts for the Route (old and new CA during a rotation). */
  servingCaConfigMap: 'metrics-proxy-serving-ca',
  servingCaKey: 'ca.crt',
  /** ConfigMap, key `config`: the SRE MetricsSet rules (DESIGN.md §5). Optional. */
  sreMetricSetConfigMap: 'sre-metric-set',
  sreMetricSetKey: 'config',
  /** Secret, key `kubeconfig`: HyperShift's kubeconfig for the hosted kube-apiserver, used for TokenReview/SAR. */
  hostedKubeconfigSecret: 'service-network-admin-kubeconfig',
  hostedKubeconfigKey: 'kubeconfig',
} as const;

/** Where the proxy container sees its files. */
export const PROXY_PATHS = {
  config: '/etc/metrics-proxy/config',
  servingCert: '/etc/metrics-proxy/serving-cert',
  upstream: '/etc/metrics-proxy/upstream',
  resolverClient: '/etc/metrics-proxy/resolver-client',
  sre: '/etc/metrics-proxy/sre',
  kubeconfig: '/etc/metrics-proxy/kubeconfig',
  clientCA: '/etc/metrics-proxy/client-ca',
} as const;

/** Where the endpoint-resolver container sees its files. */
export const RESOLVER_PATHS = {
  servingCert: '/etc/endpoint-resolver/serving-cert',
  clientCA: '/etc/endpoint-resolver/client-ca',
} as const;

/** The subject OpenShift's in-cluster Prometheus scrapes as (HyperShift's default allow-list). */
export const DEFAULT_ALLOWED_SUBJECT = 'system:serviceaccount:openshift-monitoring:prometheus-k8s';

/** Label HyperShift's `management-kas` NetworkPolicy uses to let a pod reach the management kube-apiserver. */
export const NEED_MANAGEMENT_KAS_LABEL = 'hypershift.openshift.io/need-management-kas-access';

/** Env var every container gets from the downward API (`metadata.namespace`). */
export const NAMESPACE_ENV = 'MY_NAMESPACE';

/** Default binary in the image (`hcp-metrics-proxy` on PATH); `['node', '/app/build/cli.js']` also works. */
export const DEFAULT_COMMAND = ['hcp-metrics-proxy'] as const;

/**
 * The guest side (DESIGN.md §11): what lives in the guest cluster's monitoring namespace. The generator's guest
 * sync writes the PodMonitor and the CA ConfigMap under these names, so it must import them from here.
 */
export const GUEST = {
  /** Default namespace: OpenShift's platform monitoring stack. */
  namespace: 'openshift-monitoring',
  /** Deployment, ServiceAccount, PodDisruptionBudget and NetworkPolicy of the TCP forwarder; `app.kubernetes.io/name` of its pods. */
  forwarder: 'metrics-forwarder',
  /** The PodMonitor with one endpoint per component (`/metrics/<component>`). */
  podMonitor: 'hcp-metrics-proxy',
  /** ConfigMap (key `ca.crt`) that verifies the Route's serving certificate: a copy of the management side's. */
  servingCaConfigMap: RUNTIME_OBJECTS.servingCaConfigMap,
  servingCaKey: RUNTIME_OBJECTS.servingCaKey,
  /**
   * Secret of type kubernetes.io/service-account-token for the guest Prometheus, key `token`. The guest chart
   * creates it exactly in bearer-token mode, so guest sync (`--guest-auth auto`, generator/guest/objects.ts
   * `defaultTokenSecret`) tells the auth mode from its presence: with it, each endpoint gets `authorization`
   * from it; without it, the PodMonitor gets {@link GUEST.clientCertificateScrapeClass}.
   */
  tokenSecret: 'hcp-metrics-proxy-prometheus-token',
  tokenKey: 'token',
  /** Default service account of the guest Prometheus (OpenShift's platform Prometheus). */
  prometheusServiceAccount: 'prometheus-k8s',
  /** Scrape class of OpenShift's platform Prometheus that presents its client certificate (CN system:serviceaccount:openshift-monitoring:prometheus-k8s). */
  clientCertificateScrapeClass: 'tls-client-certificate-auth',
  /** Forwarder listen port (container port `https`): TCP to the Route host on 443, TLS untouched. */
  forwarderPort: 8443,
  forwarderPortName: 'https',
  /** Forwarder plain-HTTP /healthz and /readyz (container port `health`). */
  forwarderHealthPort: 8080,
  forwarderHealthPortName: 'health',
  /** Port of the Route host the forwarder connects to. */
  routePort: 443,
} as const;

/** Where the generator sees the hosted cluster's kubeconfig for guest sync (`--guest-kubeconfig`). */
export const GUEST_KUBECONFIG_PATH = '/etc/guest-kubeconfig/kubeconfig';
