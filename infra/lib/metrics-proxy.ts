/**
 * The metrics-proxy: Deployment, Service (443 -> 9443), passthrough Route, PodDisruptionBudget and a
 * ServiceAccount that carries no token and no RBAC (DESIGN.md §1, §7).
 */
import * as k8s from 'cdk8s-plus-28/lib/imports/k8s.js';
import { Construct } from 'constructs';
import {
  Route,
  RouteSpecTlsInsecureEdgeTerminationPolicy,
  RouteSpecTlsTermination,
  RouteSpecToKind,
  RouteSpecWildcardPolicy,
} from '../../imports/route-route.openshift.io.js';
import { InvalidPropsError } from './errors.js';
import { COMPONENT_NAMES, DEFAULT_ALLOWED_SUBJECT, PORTS, PROXY_PATHS, RUNTIME_OBJECTS } from './names.js';
import {
  checkBoolean,
  checkDnsSubdomain,
  checkEnum,
  checkHostname,
  checkLabels,
  checkListItems,
  checkMetricsSet,
  checkReplicas,
  type MetricsSet,
  type ResourceProps,
} from './validate.js';
import {
  ANTI_AFFINITY_MODES,
  antiAffinity,
  type AntiAffinityMode,
  type CABundleSource,
  checkCABundle,
  componentLabels,
  configMapMount,
  containerSecurityContext,
  httpsProbe,
  type MountedVolume,
  namespaceEnv,
  placementSpec,
  podSecurityContext,
  resolveWorkload,
  rollingUpdate,
  secretMount,
  selectorLabels,
  tmpVolume,
  toResourceRequirements,
  type WorkloadProps,
} from './workload.js';

export const AUTH_MODES = ['bearerToken', 'clientCertificate'] as const;
/**
 * How callers authenticate (DESIGN.md §6):
 * - `bearerToken`: TokenReview against the hosted kube-apiserver (needs {@link MetricsProxyProps.hostedKubeconfig});
 * - `clientCertificate`: a client certificate verified against {@link MetricsProxyProps.clientCA}
 *   (keeps working while the hosted kube-apiserver is down).
 */
export type AuthMode = (typeof AUTH_MODES)[number];

/** A key of a Secret. */
export interface SecretKeySelector {
  /** Secret name. */
  readonly secret: string;
  /** Key inside the Secret. */
  readonly key?: string;
}

export interface MetricsProxyProps extends WorkloadProps {
  /**
   * External host name of the passthrough Route, e.g. `metrics-proxy-mycluster.apps.mgmt.example.com`.
   * The serving certificate (Secret {@link servingCertSecret}) must be valid for it.
   */
  readonly routeHost: string;
  /** @default 2 */
  readonly replicas?: number;
  /** Create a PodDisruptionBudget (maxUnavailable 1); needs replicas >= 2. @default true */
  readonly podDisruptionBudget?: boolean;
  /** @default 'preferred' */
  readonly antiAffinity?: AntiAffinityMode;
  /** Which series are forwarded (`--metrics-set`). `SRE` also mounts the optional `sre-metric-set` ConfigMap. @default 'Telemetry' */
  readonly metricsSet?: MetricsSet;
  /** Accepted authentication methods; at least one. @default ['bearerToken'] */
  readonly authModes?: AuthMode[];
  /** Users/groups allowed to read metrics (`--allowed-subjects`). @default ['system:serviceaccount:openshift-monitoring:prometheus-k8s'] */
  readonly allowedSubjects?: string[];
  /** Also require a SubjectAccessReview against the hosted cluster (`--authorize-with-sar`); mounts the hosted kubeconfig. @default false */
  readonly authorizeWithSar?: boolean;
  /** Audiences a bearer token must carry (`--token-audiences`); only with `bearerToken`. @default - the API server's default audiences */
  readonly tokenAudiences?: string[];
  /**
   * Kubeconfig for the hosted kube-apiserver (TokenReview, SubjectAccessReview), mounted when `bearerToken`
   * is enabled or `authorizeWithSar` is set. @default { secret: 'service-network-admin-kubeconfig', key: 'kubeconfig' }
   */
  readonly hostedKubeconfig?: SecretKeySelector;
  /** CA bundle that client certificates must chain to (e.g. the CA of OpenShift's `metrics-client-certs`); required with `clientCertificate`. */
  readonly clientCA?: CABundleSource;
  /** Secret (kubernetes.io/tls) with the serving certificate for {@link routeHost}. @default 'metrics-proxy-serving-cert' */
  readonly servingCertSecret?: string;
  /** ConfigMap with the proxy configuration under key `config.yaml` (the generator's `--output-configmap`). @default 'metrics-proxy-config' */
  readonly configMap?: string;
  /** Secret with the upstream TLS material, mounted at /etc/metrics-proxy/upstream (the generator's `--output-secret`). @default 'metrics-proxy-upstream-tls' */
  readonly upstreamTlsSecret?: string;
  /** Secret (kubernetes.io/tls + ca.crt) with the proxy's client certificate for the endpoint resolver. @default 'endpoint-resolver-client-cert' */
  readonly resolverClientCertSecret?: string;
  /** Extra labels of the Route (e.g. for router sharding). */
  readonly routeLabels?: Record<string, string>;
  /** Annotations of the Route (e.g. `haproxy.router.openshift.io/timeout-tunnel`). */
  readonly routeAnnotations?: Record<string, string>;
}

const CONSTRUCT = 'MetricsProxy';

/** Default resources: a scrape holds up to ~2x the fetched bodies (DESIGN.md §9); kube-apiserver alone sends up to 32 MB per pod. */
export const PROXY_DEFAULT_RESOURCES: ResourceProps = { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '1Gi' } };

export class MetricsProxy extends Construct {
  /** Object name of the Deployment, Service, Route, PDB and ServiceAccount. */
  readonly name = COMPONENT_NAMES.proxy;
  readonly namespace: string;
  /** Labels that select the proxy pods (NetworkPolicies and monitors use them). */
  readonly selector: Record<string, string>;
  readonly deployment: k8s.KubeDeployment;
  readonly service: k8s.KubeService;
  readonly route: Route;
  readonly serviceAccount: k8s.KubeServiceAccount;
  readonly podDisruptionBudget?: k8s.KubePodDisruptionBudget;

  constructor(scope: Construct, id: string, props: MetricsProxyProps) {
    super(scope, id);
    const w = resolveWorkload(this, CONSTRUCT, props, PROXY_DEFAULT_RESOURCES);
    this.namespace = w.namespace;
    const routeHost = checkHostname(CONSTRUCT, 'routeHost', props.routeHost);
    const withPdb = props.podDisruptionBudget === undefined ? true : checkBoolean(CONSTRUCT, 'podDisruptionBudget', props.podDisruptionBudget);
    const replicas = checkReplicas(CONSTRUCT, 'replicas', props.replicas ?? 2, withPdb);
    const mode = props.antiAffinity === undefined ? 'preferred' : checkEnum(CONSTRUCT, 'antiAffinity', props.antiAffinity, ANTI_AFFINITY_MODES);
    const metricsSet = checkMetricsSet(CONSTRUCT, 'metricsSet', props.metricsSet ?? 'Telemetry');
    const authModes = checkListItems(CONSTRUCT, 'authModes', props.authModes ?? ['bearerToken'], { minItems: 1 });
    authModes.forEach((m, i) => checkEnum(CONSTRUCT, `authModes[${i}]`, m, AUTH_MODES));
    const allowedSubjects = checkListItems(CONSTRUCT, 'allowedSubjects', props.allowedSubjects ?? [DEFAULT_ALLOWED_SUBJECT], { minItems: 1 });
    const sar = props.authorizeWithSar === undefined ? false : checkBoolean(CONSTRUCT, 'authorizeWithSar', props.authorizeWithSar);
    const tokenAuth = authModes.includes('bearerToken');
    const certAuth = authModes.includes('clientCertificate');
    const audiences = props.tokenAudiences === undefined ? [] : checkListItems(CONSTRUCT, 'tokenAudiences', props.tokenAudiences, { minItems: 1 });
    if (audiences.length > 0 && !tokenAuth) throw new InvalidPropsError(CONSTRUCT, 'tokenAudiences', "only applies to bearer tokens; add 'bearerToken' to authModes or drop tokenAudiences");
    if (certAuth && props.clientCA === undefined) {
      throw new InvalidPropsError(CONSTRUCT, 'clientCA', "is required when authModes includes 'clientCertificate' (the CA bundle client certificates must chain to)");
    }
    if (!certAuth && props.clientCA !== undefined) throw new InvalidPropsError(CONSTRUCT, 'clientCA', "is only used with authModes 'clientCertificate'; add it or drop clientCA");
    const clientCA = props.clientCA === undefined ? undefined : checkCABundle(CONSTRUCT, 'clientCA', props.clientCA);
    const needKubeconfig = tokenAuth || sar;
    if (props.hostedKubeconfig !== undefined && !needKubeconfig) {
      throw new InvalidPropsError(CONSTRUCT, 'hostedKubeconfig', "is only used with authModes 'bearerToken' or authorizeWithSar: true");
    }
    const kubeconfig = props.hostedKubeconfig ?? { secret: RUNTIME_OBJECTS.hostedKubeconfigSecret, key: RUNTIME_OBJECTS.hostedKubeconfigKey };
    if (typeof kubeconfig !== 'object' || kubeconfig === null) throw new InvalidPropsError(CONSTRUCT, 'hostedKubeconfig', 'must be an object with secret and key');
    for (const k of Object.keys(kubeconfig)) if (k !== 'secret' && k !== 'key') throw new InvalidPropsError(CONSTRUCT, `hostedKubeconfig.${k}`, 'unknown key; use secret and key');
    checkDnsSubdomain(CONSTRUCT, 'hostedKubeconfig.secret', kubeconfig.secret);
    const kubeconfigKey = kubeconfig.key ?? RUNTIME_OBJECTS.hostedKubeconfigKey;
    if (typeof kubeconfigKey !== 'string' || !/^[-._a-zA-Z0-9]+$/.test(kubeconfigKey)) throw new InvalidPropsError(CONSTRUCT, 'hostedKubeconfig.key', `'${String(kubeconfigKey)}' is not a valid Secret key`);
    const servingCertSecret = checkDnsSubdomain(CONSTRUCT, 'servingCertSecret', props.servingCertSecret ?? RUNTIME_OBJECTS.proxyServingCertSecret);
    const configMap = checkDnsSubdomain(CONSTRUCT, 'configMap', props.configMap ?? RUNTIME_OBJECTS.proxyConfigMap);
    const upstreamTlsSecret = checkDnsSubdomain(CONSTRUCT, 'upstreamTlsSecret', props.upstreamTlsSecret ?? RUNTIME_OBJECTS.upstreamTlsSecret);
    const resolverClientCertSecret = checkDnsSubdomain(CONSTRUCT, 'resolverClientCertSecret', props.resolverClientCertSecret ?? RUNTIME_OBJECTS.resolverClientCertSecret);
    const routeLabels = props.routeLabels === undefined ? {} : checkLabels(CONSTRUCT, 'routeLabels', props.routeLabels);
    const routeAnnotations = props.routeAnnotations === undefined ? undefined : checkLabels(CONSTRUCT, 'routeAnnotations', props.routeAnnotations, 'any');

    const name = this.name;
    const ns = this.namespace;
    this.selector = selectorLabels(name);
    const labels = componentLabels(name, 'proxy', w.labels);
    const meta = { name, namespace: ns, labels };

    // Volumes: everything the generator creates at runtime, plus /tmp for the read-only root filesystem.
    // The config and upstream material are optional so the pod starts (unready, answering 503) before the
    // generator has run; the serving certificate is required to listen at all.
    const mounts: MountedVolume[] = [
      configMapMount('config', configMap, PROXY_PATHS.config, true),
      secretMount('serving-cert', servingCertSecret, PROXY_PATHS.servingCert, false),
      secretMount('upstream-tls', upstreamTlsSecret, PROXY_PATHS.upstream, true),
      secretMount('resolver-client-cert', resolverClientCertSecret, PROXY_PATHS.resolverClient, true),
    ];
    const args = [
      'proxy',
      `--config=${PROXY_PATHS.config}/${RUNTIME_OBJECTS.proxyConfigKey}`,
      `--tls-cert-file=${PROXY_PATHS.servingCert}/tls.crt`,
      `--tls-key-file=${PROXY_PATHS.servingCert}/tls.key`,
      `--listen=0.0.0.0:${PORTS.proxy}`,
      `--metrics-set=${metricsSet}`,
      // GET /sd (Prometheus HTTP SD) names the address a guest reaches: the Route, on 443.
      `--sd-target=${routeHost}:443`,
    ];
    if (metricsSet === 'SRE') {
      mounts.push(configMapMount('sre-metric-set', RUNTIME_OBJECTS.sreMetricSetConfigMap, PROXY_PATHS.sre, true));
      args.push(`--sre-config=${PROXY_PATHS.sre}/${RUNTIME_OBJECTS.sreMetricSetKey}`);
    }
    if (needKubeconfig) {
      mounts.push(secretMount('hosted-kubeconfig', kubeconfig.secret, PROXY_PATHS.kubeconfig, false));
      args.push(`--kubeconfig=${PROXY_PATHS.kubeconfig}/${kubeconfigKey}`);
    }
    if (clientCA) {
      mounts.push(clientCA.kind === 'secret' ? secretMount('client-ca', clientCA.name, PROXY_PATHS.clientCA, false) : configMapMount('client-ca', clientCA.name, PROXY_PATHS.clientCA, false));
      args.push(`--client-ca-file=${PROXY_PATHS.clientCA}/${clientCA.key}`);
    }
    args.push(`--allowed-subjects=${allowedSubjects.join(',')}`);
    if (sar) args.push('--authorize-with-sar');
    if (audiences.length > 0) args.push(`--token-audiences=${audiences.join(',')}`);
    // The proxy reads its namespace from MY_NAMESPACE (downward API), so the manifests stay namespace-agnostic.
    const tmp = tmpVolume();

    // A dedicated ServiceAccount, so nothing granted to 'default' applies, with no token: the proxy never
    // talks to the management kube-apiserver. No Role or RoleBinding refers to it.
    this.serviceAccount = new k8s.KubeServiceAccount(this, 'ServiceAccount', { metadata: meta, automountServiceAccountToken: false });

    this.deployment = new k8s.KubeDeployment(this, 'Deployment', {
      metadata: meta,
      spec: {
        replicas,
        revisionHistoryLimit: 5,
        selector: { matchLabels: this.selector },
        strategy: rollingUpdate(mode),
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: name,
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            securityContext: podSecurityContext(),
            affinity: antiAffinity(this.selector, mode),
            ...placementSpec(w.placement),
            terminationGracePeriodSeconds: 30,
            containers: [
              {
                name,
                image: w.image,
                imagePullPolicy: w.imagePullPolicy,
                command: w.command,
                args,
                env: namespaceEnv(),
                ports: [{ name: 'https', containerPort: PORTS.proxy, protocol: 'TCP' }],
                livenessProbe: httpsProbe('/healthz', PORTS.proxy),
                // A hosted kube-apiserver outage must not empty the Service: cached tokens and client
                // certificates keep working (the check still shows in /readyz?verbose and in metrics).
                readinessProbe: httpsProbe('/readyz?exclude=kube-apiserver', PORTS.proxy),
                resources: toResourceRequirements(w.resources),
                securityContext: containerSecurityContext(),
                terminationMessagePolicy: 'FallbackToLogsOnError',
                volumeMounts: [...mounts.map((m) => m.mount), tmp.mount],
              },
            ],
            volumes: [...mounts.map((m) => m.volume), tmp.volume],
          },
        },
      },
    });

    this.service = new k8s.KubeService(this, 'Service', {
      metadata: meta,
      spec: {
        type: 'ClusterIP',
        selector: this.selector,
        ports: [{ name: 'https', port: PORTS.service, targetPort: k8s.IntOrString.fromNumber(PORTS.proxy), protocol: 'TCP', appProtocol: 'https' }],
      },
    });

    // TLS passthrough: the router forwards the TLS stream by SNI, so client certificates reach the proxy
    // and the proxy's own serving certificate is what callers see. Plain HTTP is refused, not redirected.
    this.route = new Route(this, 'Route', {
      metadata: { name, namespace: ns, labels: { ...routeLabels, ...labels }, ...(routeAnnotations ? { annotations: routeAnnotations } : {}) },
      spec: {
        host: routeHost,
        to: { kind: RouteSpecToKind.SERVICE, name, weight: 100 },
        port: { targetPort: 'https' },
        tls: { termination: RouteSpecTlsTermination.PASSTHROUGH, insecureEdgeTerminationPolicy: RouteSpecTlsInsecureEdgeTerminationPolicy.NONE },
        wildcardPolicy: RouteSpecWildcardPolicy.NONE,
      },
    });

    if (withPdb) {
      this.podDisruptionBudget = new k8s.KubePodDisruptionBudget(this, 'PodDisruptionBudget', {
        metadata: meta,
        spec: {
          maxUnavailable: k8s.IntOrString.fromNumber(1),
          selector: { matchLabels: this.selector },
          // Pods that are not ready (e.g. hosted kube-apiserver down) must not block node drains.
          unhealthyPodEvictionPolicy: 'AlwaysAllow',
        },
      });
    }
  }
}
