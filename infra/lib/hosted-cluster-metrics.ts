/**
 * One chart per hosted cluster: the proxy, the endpoint resolver, the config generator, their
 * NetworkPolicies and (optionally) a self-monitor, all in the hosted control plane namespace.
 */
import { Chart } from 'cdk8s';
import type * as k8s from 'cdk8s-plus-28/lib/imports/k8s.js';
import type { Construct } from 'constructs';
import { ConfigGenerator, type GeneratorMode } from './config-generator.js';
import { EndpointResolver } from './endpoint-resolver.js';
import { InvalidPropsError } from './errors.js';
import { type GuestOptions, resolveGuestOptions } from './guest-options.js';
import { type AuthMode, MetricsProxy, type SecretKeySelector } from './metrics-proxy.js';
import { MetricsProxyMonitor, type MonitorKind } from './monitor.js';
import { RUNTIME_OBJECTS } from './names.js';
import { MetricsProxyNetworkPolicy } from './network-policy.js';
import { checkBoolean, checkDnsLabel, checkLabels, type MetricsSet, type ResourceProps } from './validate.js';
import type { AntiAffinityMode, CABundleSource, ImagePullPolicy, PlacementProps } from './workload.js';

/** Proxy settings beyond the common ones at the top level. */
export interface ProxyOptions {
  /** @default { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '1Gi' } } */
  readonly resources?: ResourceProps;
  /** @default true */
  readonly podDisruptionBudget?: boolean;
  /** @default 'preferred' */
  readonly antiAffinity?: AntiAffinityMode;
  readonly routeLabels?: Record<string, string>;
  readonly routeAnnotations?: Record<string, string>;
}

export interface ResolverOptions {
  /** @default 2 */
  readonly replicas?: number;
  /** @default { requests: { cpu: '20m', memory: '64Mi' }, limits: { memory: '256Mi' } } */
  readonly resources?: ResourceProps;
  /** @default true */
  readonly podDisruptionBudget?: boolean;
  /** @default 'preferred' */
  readonly antiAffinity?: AntiAffinityMode;
  /** `--stale-after` (Prometheus duration). */
  readonly staleAfter?: string;
}

export interface GeneratorOptions {
  /** @default 'watch' */
  readonly mode?: GeneratorMode;
  /** @default true */
  readonly manageCerts?: boolean;
  /** @default { requests: { cpu: '20m', memory: '64Mi' }, limits: { memory: '256Mi' } } */
  readonly resources?: ResourceProps;
  /** Port of the generator's HTTPS /healthz and /readyz, if it serves them. @default - no probes */
  readonly healthPort?: number;
}

export interface NetworkPolicyOptions {
  /** @default true */
  readonly enabled?: boolean;
  /** Who may reach the proxy on 9443. @default - any source */
  readonly proxyIngressFrom?: k8s.NetworkPolicyPeer[];
  /** @default true */
  readonly isolateGenerator?: boolean;
}

export interface SelfMonitorOptions {
  /** @default 'ServiceMonitor' */
  readonly kind?: MonitorKind;
  /** @default '30s' */
  readonly interval?: string;
  /** Secret (kubernetes.io/tls) with a client certificate the proxy accepts. */
  readonly clientCertSecret?: string;
  /** Labels your Prometheus selects monitors by. */
  readonly labels?: Record<string, string>;
}

/** Everything about one hosted cluster; this is also the schema of an entry of the clusters file. */
export interface HostedClusterMetricsProps {
  /** Hosted cluster name: the chart id (output file `<name>.k8s.yaml`) and `app.kubernetes.io/instance`. */
  readonly name: string;
  /** The hosted control plane namespace on the management cluster, e.g. `clusters-<name>`. */
  readonly namespace: string;
  /** External host of the proxy's passthrough Route. */
  readonly routeHost: string;
  /** The hcp-metrics-proxy image, pinned by tag or digest. */
  readonly image: string;
  /** Proxy replicas. @default 2 */
  readonly replicas?: number;
  /** @default 'Telemetry' */
  readonly metricsSet?: MetricsSet;
  /** @default ['system:serviceaccount:openshift-monitoring:prometheus-k8s'] */
  readonly allowedSubjects?: string[];
  /** @default ['bearerToken'] */
  readonly authModes?: AuthMode[];
  /** @default false */
  readonly authorizeWithSar?: boolean;
  readonly tokenAudiences?: string[];
  /** @default { secret: 'service-network-admin-kubeconfig', key: 'kubeconfig' } */
  readonly hostedKubeconfig?: SecretKeySelector;
  /** Required with authModes 'clientCertificate'. */
  readonly clientCA?: CABundleSource;
  /** @default 'IfNotPresent' */
  readonly imagePullPolicy?: ImagePullPolicy;
  /** @default ['hcp-metrics-proxy'] */
  readonly command?: string[];
  /** Node selector, tolerations and priority class of all pods. */
  readonly placement?: PlacementProps;
  /** Extra labels on every object and pod. */
  readonly labels?: Record<string, string>;
  readonly proxy?: ProxyOptions;
  readonly resolver?: ResolverOptions;
  readonly generator?: GeneratorOptions;
  readonly networkPolicy?: NetworkPolicyOptions;
  /** Create a ServiceMonitor/PodMonitor for the proxy's own /metrics. @default - none */
  readonly selfMonitor?: SelfMonitorOptions;
  /** The guest side: forwarder, NetworkPolicy, credentials and PodMonitor in the guest cluster (a second chart), and guest sync. @default - disabled */
  readonly guest?: GuestOptions;
}

const CONSTRUCT = 'HostedClusterMetrics';

export const TOP_KEYS = [
  'name', 'namespace', 'routeHost', 'image', 'replicas', 'metricsSet', 'allowedSubjects', 'authModes', 'authorizeWithSar',
  'tokenAudiences', 'hostedKubeconfig', 'clientCA', 'imagePullPolicy', 'command', 'placement', 'labels',
  'proxy', 'resolver', 'generator', 'networkPolicy', 'selfMonitor', 'guest',
];
const SECTION_KEYS: Record<string, string[]> = {
  proxy: ['resources', 'podDisruptionBudget', 'antiAffinity', 'routeLabels', 'routeAnnotations'],
  resolver: ['replicas', 'resources', 'podDisruptionBudget', 'antiAffinity', 'staleAfter'],
  generator: ['mode', 'manageCerts', 'resources', 'healthPort'],
  networkPolicy: ['enabled', 'proxyIngressFrom', 'isolateGenerator'],
  selfMonitor: ['kind', 'interval', 'clientCertSecret', 'labels'],
};

/** Unknown keys are errors, so a typo in a clusters file never silently falls back to a default. */
export function checkKeys(prefix: string, value: unknown, allowed: string[]): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidPropsError(CONSTRUCT, prefix || '(props)', `must be a mapping, got ${JSON.stringify(value)}`);
  }
  for (const k of Object.keys(value)) {
    if (!allowed.includes(k)) {
      const near = allowed.find((a) => a.toLowerCase() === k.toLowerCase());
      throw new InvalidPropsError(CONSTRUCT, prefix ? `${prefix}.${k}` : k, `unknown key${near ? ` (did you mean '${near}'?)` : ''}; known keys: ${allowed.join(', ')}`);
    }
  }
  return value as Record<string, unknown>;
}

/**
 * Runs `build` and re-throws its InvalidPropsError with the prop path as it is spelled in
 * HostedClusterMetricsProps: props that came from `section` get the section prefix, renamed ones are mapped.
 */
function located<T>(section: string | undefined, rename: Record<string, string>, build: () => T): T {
  try {
    return build();
  } catch (err) {
    if (!(err instanceof InvalidPropsError)) throw err;
    const top = /^[^.[]+/.exec(err.prop)?.[0] ?? err.prop;
    const rest = err.prop.slice(top.length);
    let prop: string;
    if (rename[top] !== undefined) prop = rename[top] + rest;
    else if (section !== undefined && SECTION_KEYS[section]!.includes(top)) prop = `${section}.${err.prop}`;
    else prop = err.prop;
    throw new InvalidPropsError(CONSTRUCT, prop, `${err.detail} (from ${err.construct})`);
  }
}

export class HostedClusterMetrics extends Chart {
  readonly clusterName: string;
  readonly proxy: MetricsProxy;
  readonly resolver: EndpointResolver;
  readonly generator: ConfigGenerator;
  readonly networkPolicy?: MetricsProxyNetworkPolicy;
  readonly selfMonitor?: MetricsProxyMonitor;

  constructor(scope: Construct, props: HostedClusterMetricsProps) {
    const p = checkKeys('', props, TOP_KEYS) as unknown as HostedClusterMetricsProps;
    const name = checkDnsLabel(CONSTRUCT, 'name', p.name);
    const namespace = checkDnsLabel(CONSTRUCT, 'namespace', p.namespace);
    const labels = p.labels === undefined ? {} : checkLabels(CONSTRUCT, 'labels', p.labels);
    for (const section of Object.keys(SECTION_KEYS)) {
      const v = (p as unknown as Record<string, unknown>)[section];
      if (v !== undefined) checkKeys(section, v, SECTION_KEYS[section]!);
    }
    const guest = resolveGuestOptions(CONSTRUCT, p.guest, { authModes: p.authModes, allowedSubjects: p.allowedSubjects });
    super(scope, name, { namespace, labels: { ...labels, 'app.kubernetes.io/instance': name } });
    this.clusterName = name;

    const common = {
      namespace,
      image: p.image,
      imagePullPolicy: p.imagePullPolicy,
      command: p.command,
      placement: p.placement,
      instance: name,
      labels,
    };
    const rename = { instance: 'name' };
    const proxyOpts = p.proxy ?? {};
    const resolverOpts = p.resolver ?? {};
    const generatorOpts = p.generator ?? {};
    const names = {
      servingCertSecret: RUNTIME_OBJECTS.proxyServingCertSecret,
      configMap: RUNTIME_OBJECTS.proxyConfigMap,
      upstreamTlsSecret: RUNTIME_OBJECTS.upstreamTlsSecret,
      resolverClientCertSecret: RUNTIME_OBJECTS.resolverClientCertSecret,
      resolverServingCertSecret: RUNTIME_OBJECTS.resolverServingCertSecret,
    };

    this.proxy = located('proxy', rename, () => new MetricsProxy(this, 'MetricsProxy', {
      ...common,
      routeHost: p.routeHost,
      replicas: p.replicas,
      metricsSet: p.metricsSet,
      allowedSubjects: p.allowedSubjects,
      authModes: p.authModes,
      authorizeWithSar: p.authorizeWithSar,
      tokenAudiences: p.tokenAudiences,
      hostedKubeconfig: p.hostedKubeconfig,
      clientCA: p.clientCA,
      servingCertSecret: names.servingCertSecret,
      configMap: names.configMap,
      upstreamTlsSecret: names.upstreamTlsSecret,
      resolverClientCertSecret: names.resolverClientCertSecret,
      ...proxyOpts,
    }));

    this.resolver = located('resolver', rename, () => new EndpointResolver(this, 'EndpointResolver', {
      ...common,
      servingCertSecret: names.resolverServingCertSecret,
      ...resolverOpts,
    }));

    this.generator = located('generator', rename, () => new ConfigGenerator(this, 'ConfigGenerator', {
      ...common,
      routeHost: p.routeHost,
      outputConfigMap: names.configMap,
      outputSecret: names.upstreamTlsSecret,
      ...(guest?.sync
        ? {
            guestSync: {
              namespace: guest.namespace,
              kubeconfigSecret: guest.kubeconfig!.secret,
              kubeconfigKey: guest.kubeconfig!.key,
            },
          }
        : {}),
      ...generatorOpts,
    }));

    const np = p.networkPolicy ?? {};
    const npEnabled = np.enabled === undefined ? true : checkBoolean(CONSTRUCT, 'networkPolicy.enabled', np.enabled);
    if (npEnabled) {
      this.networkPolicy = located('networkPolicy', rename, () => new MetricsProxyNetworkPolicy(this, 'NetworkPolicy', {
        namespace,
        proxyIngressFrom: np.proxyIngressFrom,
        isolateGenerator: np.isolateGenerator,
      }));
    }

    if (p.selfMonitor !== undefined) {
      const m = p.selfMonitor;
      this.selfMonitor = located('selfMonitor', { serverName: 'routeHost' }, () => new MetricsProxyMonitor(this, 'SelfMonitor', {
        namespace,
        serverName: p.routeHost,
        kind: m.kind,
        interval: m.interval,
        clientCertSecret: m.clientCertSecret,
        labels: m.labels,
      }));
    }
  }
}
