/**
 * The endpoint resolver (DESIGN.md §3): Deployment, Service (443 -> 9444), ServiceAccount, and a Role that
 * can only get/list/watch pods in the hosted control plane namespace.
 */
import * as k8s from 'cdk8s-plus-28/lib/imports/k8s.js';
import { Construct } from 'constructs';
import { COMPONENT_NAMES, NEED_MANAGEMENT_KAS_LABEL, PORTS, RESOLVER_PATHS, RUNTIME_OBJECTS } from './names.js';
import { checkBoolean, checkDnsSubdomain, checkDuration, checkEnum, checkReplicas, type ResourceProps } from './validate.js';
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
  NAMESPACE_ARG,
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

export interface EndpointResolverProps extends WorkloadProps {
  /** @default 2 (the resolver is on every scrape's path) */
  readonly replicas?: number;
  /** Create a PodDisruptionBudget (maxUnavailable 1); needs replicas >= 2. @default true */
  readonly podDisruptionBudget?: boolean;
  /** @default 'preferred' */
  readonly antiAffinity?: AntiAffinityMode;
  /** Secret (kubernetes.io/tls) with the serving certificate for endpoint-resolver.NS.svc. @default 'endpoint-resolver-serving-cert' */
  readonly servingCertSecret?: string;
  /**
   * CA bundle the proxy's client certificate must chain to (`--client-ca-file`; only the proxy may call the resolver).
   * @default - key `ca.crt` of {@link servingCertSecret} (the generator issues both certificates from one CA)
   */
  readonly clientCA?: CABundleSource;
  /** `--stale-after`, a Prometheus duration such as `2m`. @default - the resolver's built-in default */
  readonly staleAfter?: string;
}

const CONSTRUCT = 'EndpointResolver';

export const RESOLVER_DEFAULT_RESOURCES: ResourceProps = { requests: { cpu: '20m', memory: '64Mi' }, limits: { memory: '256Mi' } };

/** The exact rule the resolver needs, and all it gets. */
export const RESOLVER_POLICY_RULES: k8s.PolicyRule[] = [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] }];

export class EndpointResolver extends Construct {
  /** Object name of every object of the resolver; also the Service host `endpoint-resolver.NS.svc`. */
  readonly name = COMPONENT_NAMES.resolver;
  readonly namespace: string;
  readonly selector: Record<string, string>;
  readonly deployment: k8s.KubeDeployment;
  readonly service: k8s.KubeService;
  readonly serviceAccount: k8s.KubeServiceAccount;
  readonly role: k8s.KubeRole;
  readonly roleBinding: k8s.KubeRoleBinding;
  readonly podDisruptionBudget?: k8s.KubePodDisruptionBudget;

  constructor(scope: Construct, id: string, props: EndpointResolverProps) {
    super(scope, id);
    const w = resolveWorkload(this, CONSTRUCT, props, RESOLVER_DEFAULT_RESOURCES);
    this.namespace = w.namespace;
    const withPdb = props.podDisruptionBudget === undefined ? true : checkBoolean(CONSTRUCT, 'podDisruptionBudget', props.podDisruptionBudget);
    const replicas = checkReplicas(CONSTRUCT, 'replicas', props.replicas ?? 2, withPdb);
    const mode = props.antiAffinity === undefined ? 'preferred' : checkEnum(CONSTRUCT, 'antiAffinity', props.antiAffinity, ANTI_AFFINITY_MODES);
    const servingCertSecret = checkDnsSubdomain(CONSTRUCT, 'servingCertSecret', props.servingCertSecret ?? RUNTIME_OBJECTS.resolverServingCertSecret);
    const clientCA = checkCABundle(CONSTRUCT, 'clientCA', props.clientCA ?? { secret: servingCertSecret, key: 'ca.crt' });
    const staleAfter = props.staleAfter === undefined ? undefined : checkDuration(CONSTRUCT, 'staleAfter', props.staleAfter);

    const name = this.name;
    const ns = this.namespace;
    this.selector = selectorLabels(name);
    const labels = componentLabels(name, 'endpoint-resolver', w.labels);
    const meta = { name, namespace: ns, labels };

    const mounts: MountedVolume[] = [secretMount('serving-cert', servingCertSecret, RESOLVER_PATHS.servingCert, false)];
    let clientCAFile: string;
    if (clientCA.kind === 'secret' && clientCA.name === servingCertSecret) {
      clientCAFile = `${RESOLVER_PATHS.servingCert}/${clientCA.key}`;
    } else {
      mounts.push(clientCA.kind === 'secret' ? secretMount('client-ca', clientCA.name, RESOLVER_PATHS.clientCA, false) : configMapMount('client-ca', clientCA.name, RESOLVER_PATHS.clientCA, false));
      clientCAFile = `${RESOLVER_PATHS.clientCA}/${clientCA.key}`;
    }
    const args = [
      'resolver',
      NAMESPACE_ARG,
      `--listen=0.0.0.0:${PORTS.resolver}`,
      `--health-listen=0.0.0.0:${PORTS.resolverHealth}`,
      `--tls-cert-file=${RESOLVER_PATHS.servingCert}/tls.crt`,
      `--tls-key-file=${RESOLVER_PATHS.servingCert}/tls.key`,
      `--client-ca-file=${clientCAFile}`,
      ...(staleAfter ? [`--stale-after=${staleAfter}`] : []),
    ];
    const tmp = tmpVolume();

    this.serviceAccount = new k8s.KubeServiceAccount(this, 'ServiceAccount', { metadata: meta });
    this.role = new k8s.KubeRole(this, 'Role', { metadata: meta, rules: RESOLVER_POLICY_RULES });
    this.roleBinding = new k8s.KubeRoleBinding(this, 'RoleBinding', {
      metadata: meta,
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
      subjects: [{ kind: 'ServiceAccount', name, namespace: ns }],
    });

    // HyperShift's `management-kas` NetworkPolicy blocks egress to the management kube-apiserver for pods
    // without this label; the resolver watches pods there.
    const podLabels = { ...labels, [NEED_MANAGEMENT_KAS_LABEL]: 'true' };
    this.deployment = new k8s.KubeDeployment(this, 'Deployment', {
      metadata: meta,
      spec: {
        replicas,
        revisionHistoryLimit: 5,
        selector: { matchLabels: this.selector },
        strategy: rollingUpdate(mode),
        template: {
          metadata: { labels: podLabels },
          spec: {
            serviceAccountName: name,
            automountServiceAccountToken: true,
            enableServiceLinks: false,
            securityContext: podSecurityContext(),
            affinity: antiAffinity(this.selector, mode),
            ...placementSpec(w.placement),
            containers: [
              {
                name,
                image: w.image,
                imagePullPolicy: w.imagePullPolicy,
                command: w.command,
                args,
                env: namespaceEnv(),
                ports: [
                  { name: 'https', containerPort: PORTS.resolver, protocol: 'TCP' },
                  { name: 'health', containerPort: PORTS.resolverHealth, protocol: 'TCP' },
                ],
                // The HTTPS port refuses clients without a certificate at the TLS layer, kubelet included.
                livenessProbe: httpsProbe('/healthz', PORTS.resolverHealth, 'HTTP'),
                readinessProbe: httpsProbe('/readyz', PORTS.resolverHealth, 'HTTP'),
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
        ports: [{ name: 'https', port: PORTS.service, targetPort: k8s.IntOrString.fromNumber(PORTS.resolver), protocol: 'TCP', appProtocol: 'https' }],
      },
    });

    if (withPdb) {
      this.podDisruptionBudget = new k8s.KubePodDisruptionBudget(this, 'PodDisruptionBudget', {
        metadata: meta,
        spec: { maxUnavailable: k8s.IntOrString.fromNumber(1), selector: { matchLabels: this.selector }, unhealthyPodEvictionPolicy: 'AlwaysAllow' },
      });
    }
  }
}
