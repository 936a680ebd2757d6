/**
 * The config generator and certificate manager: a Deployment in watch mode (default) or a one-shot Job,
 * its ServiceAccount, and a least-privilege Role: read what the proxy configuration is derived from, write
 * only its own ConfigMap and Secrets, and record Events.
 */
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import * as k8s from 'cdk8s-plus-28/lib/imports/k8s.js';
import { Construct } from 'constructs';
import { canonicalJson } from './canonical-json.js';
import { InvalidPropsError } from './errors.js';
import { COMPONENT_NAMES, GUEST_KUBECONFIG_PATH, NEED_MANAGEMENT_KAS_LABEL, PORTS, RUNTIME_OBJECTS } from './names.js';
import { checkBoolean, checkDnsLabel, checkDnsSubdomain, checkEnum, checkHostname, checkPort, type ResourceProps } from './validate.js';
import {
  componentLabels,
  containerSecurityContext,
  httpsProbe,
  type MountedVolume,
  NAMESPACE_ARG,
  namespaceEnv,
  placementSpec,
  podSecurityContext,
  resolveWorkload,
  selectorLabels,
  tmpVolume,
  toResourceRequirements,
  type WorkloadProps,
} from './workload.js';

export const GENERATOR_MODES = ['watch', 'job'] as const;
/** `watch`: a Deployment that keeps the outputs current; `job`: a Job that runs `generator --once`. */
export type GeneratorMode = (typeof GENERATOR_MODES)[number];

export interface ConfigGeneratorProps extends WorkloadProps {
  /** @default 'watch' */
  readonly mode?: GeneratorMode;
  /** Issue and rotate the serving and client certificates (`--manage-certs`). @default true */
  readonly manageCerts?: boolean;
  /** Host the proxy's serving certificate is issued for (`--route-host`); required when manageCerts is true. */
  readonly routeHost?: string;
  /** ConfigMap the proxy configuration is written to (`--output-configmap`). @default 'metrics-proxy-config' */
  readonly outputConfigMap?: string;
  /** Secret the upstream TLS material is written to (`--output-secret`). @default 'metrics-proxy-upstream-tls' */
  readonly outputSecret?: string;
  /**
   * Secrets the certificate manager writes (only with manageCerts); the Role may update exactly these.
   * @default ['metrics-proxy-serving-cert', 'endpoint-resolver-serving-cert', 'endpoint-resolver-client-cert', 'metrics-proxy-ca-cert']
   */
  readonly certSecrets?: string[];
  /**
   * Port of the generator's plain-HTTP /healthz and /readyz (`--health-listen`), probed by the kubelet;
   * watch mode only (a Job has nothing to probe). Ready means the last generation was written.
   * @default 9446 in watch mode
   */
  readonly healthPort?: number;
  /**
   * Guest sync (DESIGN.md §11): the generator keeps the guest cluster's PodMonitor and CA ConfigMap current,
   * through the hosted cluster's kubeconfig (`--guest-kubeconfig`, `--guest-namespace`). @default - off
   */
  readonly guestSync?: GuestSyncProps;
}

/** Where guest sync writes and with which credentials. */
export interface GuestSyncProps {
  /** Namespace in the guest cluster (`--guest-namespace`), e.g. `openshift-monitoring`. */
  readonly namespace: string;
  /** Secret in the HCP namespace with the hosted cluster's kubeconfig, e.g. HyperShift's `service-network-admin-kubeconfig`. */
  readonly kubeconfigSecret: string;
  /** Key of the kubeconfig in that Secret. @default 'kubeconfig' */
  readonly kubeconfigKey?: string;
}

const CONSTRUCT = 'ConfigGenerator';

export const GENERATOR_DEFAULT_RESOURCES: ResourceProps = { requests: { cpu: '20m', memory: '64Mi' }, limits: { memory: '256Mi' } };

export const DEFAULT_CERT_SECRETS = [
  RUNTIME_OBJECTS.proxyServingCertSecret,
  RUNTIME_OBJECTS.resolverServingCertSecret,
  RUNTIME_OBJECTS.resolverClientCertSecret,
  RUNTIME_OBJECTS.caSecret,
];

/** The Role's rules for the given outputs (exported so tests and docs state the exact privileges). */
export function generatorPolicyRules(writableConfigMaps: string[], writableSecrets: string[]): k8s.PolicyRule[] {
  const read = ['get', 'list', 'watch'];
  return [
    { apiGroups: ['monitoring.coreos.com', 'monitoring.rhobs'], resources: ['podmonitors', 'servicemonitors'], verbs: read },
    { apiGroups: [''], resources: ['configmaps', 'pods', 'secrets', 'services'], verbs: read },
    // RBAC cannot restrict `create` by name (the name is not known at authorization time); updates are pinned.
    { apiGroups: [''], resources: ['configmaps', 'secrets'], verbs: ['create'] },
    { apiGroups: [''], resources: ['configmaps'], resourceNames: [...writableConfigMaps].sort(), verbs: ['patch', 'update'] },
    { apiGroups: [''], resources: ['secrets'], resourceNames: [...writableSecrets].sort(), verbs: ['patch', 'update'] },
    { apiGroups: ['', 'events.k8s.io'], resources: ['events'], verbs: ['create', 'patch'] },
  ];
}

export class ConfigGenerator extends Construct {
  readonly name = COMPONENT_NAMES.generator;
  readonly namespace: string;
  readonly mode: GeneratorMode;
  readonly selector: Record<string, string>;
  readonly serviceAccount: k8s.KubeServiceAccount;
  readonly role: k8s.KubeRole;
  readonly roleBinding: k8s.KubeRoleBinding;
  /** Set in watch mode. */
  readonly deployment?: k8s.KubeDeployment;
  /** Set in job mode; its name ends in a hash of the pod template, so a changed template makes a new Job (Jobs are immutable). */
  readonly job?: k8s.KubeJob;

  constructor(scope: Construct, id: string, props: ConfigGeneratorProps) {
    super(scope, id);
    const w = resolveWorkload(this, CONSTRUCT, props, GENERATOR_DEFAULT_RESOURCES);
    this.namespace = w.namespace;
    this.mode = props.mode === undefined ? 'watch' : checkEnum(CONSTRUCT, 'mode', props.mode, GENERATOR_MODES);
    const manageCerts = props.manageCerts === undefined ? true : checkBoolean(CONSTRUCT, 'manageCerts', props.manageCerts);
    if (manageCerts && props.routeHost === undefined) throw new InvalidPropsError(CONSTRUCT, 'routeHost', 'is required when manageCerts is true (the serving certificate is issued for it)');
    const routeHost = props.routeHost === undefined ? undefined : checkHostname(CONSTRUCT, 'routeHost', props.routeHost);
    const outputConfigMap = checkDnsSubdomain(CONSTRUCT, 'outputConfigMap', props.outputConfigMap ?? RUNTIME_OBJECTS.proxyConfigMap);
    const outputSecret = checkDnsSubdomain(CONSTRUCT, 'outputSecret', props.outputSecret ?? RUNTIME_OBJECTS.upstreamTlsSecret);
    if (props.certSecrets !== undefined && !manageCerts) throw new InvalidPropsError(CONSTRUCT, 'certSecrets', 'is only used with manageCerts: true');
    const certSecrets = props.certSecrets ?? DEFAULT_CERT_SECRETS;
    if (!Array.isArray(certSecrets)) throw new InvalidPropsError(CONSTRUCT, 'certSecrets', 'must be a list of Secret names');
    certSecrets.forEach((s, i) => checkDnsSubdomain(CONSTRUCT, `certSecrets[${i}]`, s));
    if (props.healthPort !== undefined && this.mode === 'job') throw new InvalidPropsError(CONSTRUCT, 'healthPort', 'probes only apply in watch mode');
    const healthPort = this.mode === 'job' ? undefined : checkPort(CONSTRUCT, 'healthPort', props.healthPort ?? PORTS.generatorHealth);
    const guestSync = props.guestSync === undefined ? undefined : checkGuestSync(props.guestSync);

    const name = this.name;
    const ns = this.namespace;
    this.selector = selectorLabels(name);
    const labels = componentLabels(name, 'config-generator', w.labels);
    const meta = { name, namespace: ns, labels };
    const writableSecrets = [...new Set([outputSecret, ...(manageCerts ? certSecrets : [])])];
    // The certificate manager also publishes the CA bundle the guest cluster trusts.
    const writableConfigMaps = [...new Set([outputConfigMap, ...(manageCerts ? [RUNTIME_OBJECTS.servingCaConfigMap] : [])])];

    this.serviceAccount = new k8s.KubeServiceAccount(this, 'ServiceAccount', { metadata: meta });
    this.role = new k8s.KubeRole(this, 'Role', { metadata: meta, rules: generatorPolicyRules(writableConfigMaps, writableSecrets) });
    this.roleBinding = new k8s.KubeRoleBinding(this, 'RoleBinding', {
      metadata: meta,
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
      subjects: [{ kind: 'ServiceAccount', name, namespace: ns }],
    });

    const args = [
      'generator',
      NAMESPACE_ARG,
      ...(this.mode === 'job' ? ['--once'] : []),
      `--output-configmap=${outputConfigMap}`,
      `--output-secret=${outputSecret}`,
      ...(manageCerts ? ['--manage-certs'] : []),
      // The serving certificate's name, and the tlsConfig.serverName guest sync writes.
      ...(manageCerts || guestSync ? [`--route-host=${routeHost}`] : []),
      ...(healthPort !== undefined ? [`--health-listen=0.0.0.0:${healthPort}`] : []),
      ...(guestSync ? [`--guest-kubeconfig=${GUEST_KUBECONFIG_PATH}`, `--guest-namespace=${guestSync.namespace}`] : []),
    ];
    const tmp = tmpVolume();
    // The kubeconfig is mounted under a fixed file name whatever its key, so the flag never changes.
    const guestKubeconfig: MountedVolume | undefined = guestSync && {
      volume: { name: 'guest-kubeconfig', secret: { secretName: guestSync.kubeconfigSecret, items: [{ key: guestSync.kubeconfigKey, path: path.posix.basename(GUEST_KUBECONFIG_PATH) }] } },
      mount: { name: 'guest-kubeconfig', mountPath: path.posix.dirname(GUEST_KUBECONFIG_PATH), readOnly: true },
    };
    const container: k8s.Container = {
      name: 'generator',
      image: w.image,
      imagePullPolicy: w.imagePullPolicy,
      command: w.command,
      args,
      env: namespaceEnv(),
      ...(healthPort !== undefined
        ? {
            ports: [{ name: 'health', containerPort: healthPort, protocol: 'TCP' }],
            livenessProbe: httpsProbe('/healthz', healthPort, 'HTTP'),
            readinessProbe: httpsProbe('/readyz', healthPort, 'HTTP'),
          }
        : {}),
      resources: toResourceRequirements(w.resources),
      securityContext: containerSecurityContext(),
      terminationMessagePolicy: 'FallbackToLogsOnError',
      volumeMounts: [tmp.mount, ...(guestKubeconfig ? [guestKubeconfig.mount] : [])],
    };
    // The generator reads and writes through the management kube-apiserver (see NEED_MANAGEMENT_KAS_LABEL).
    const podLabels = { ...labels, [NEED_MANAGEMENT_KAS_LABEL]: 'true' };
    const podSpec: k8s.PodSpec = {
      serviceAccountName: name,
      automountServiceAccountToken: true,
      enableServiceLinks: false,
      securityContext: podSecurityContext(),
      ...placementSpec(w.placement),
      containers: [container],
      volumes: [tmp.volume, ...(guestKubeconfig ? [guestKubeconfig.volume] : [])],
    };

    if (this.mode === 'watch') {
      this.deployment = new k8s.KubeDeployment(this, 'Deployment', {
        metadata: meta,
        spec: {
          // One writer: Recreate never runs an old and a new generator side by side.
          replicas: 1,
          revisionHistoryLimit: 5,
          selector: { matchLabels: this.selector },
          strategy: { type: 'Recreate' },
          template: { metadata: { labels: podLabels }, spec: podSpec },
        },
      });
    } else {
      const template: k8s.PodTemplateSpec = { metadata: { labels: podLabels }, spec: { ...podSpec, restartPolicy: 'OnFailure' } };
      // Canonical JSON (sorted keys, Go's escaping), so the Helm chart can compute the same name (infra/chart/).
      const hash = createHash('sha256').update(canonicalJson(k8s.KubeJob.manifest({ spec: { template } }))).digest('hex').slice(0, 8);
      this.job = new k8s.KubeJob(this, 'Job', {
        metadata: { ...meta, name: `${name}-${hash}` },
        spec: { backoffLimit: 6, activeDeadlineSeconds: 900, template },
      });
    }
  }
}

function checkGuestSync(g: GuestSyncProps): Required<GuestSyncProps> {
  if (typeof g !== 'object' || g === null || Array.isArray(g)) throw new InvalidPropsError(CONSTRUCT, 'guestSync', 'must be an object with namespace, kubeconfigSecret and kubeconfigKey');
  for (const k of Object.keys(g)) {
    if (!['namespace', 'kubeconfigSecret', 'kubeconfigKey'].includes(k)) throw new InvalidPropsError(CONSTRUCT, `guestSync.${k}`, 'unknown key; use namespace, kubeconfigSecret, kubeconfigKey');
  }
  const key = g.kubeconfigKey ?? RUNTIME_OBJECTS.hostedKubeconfigKey;
  if (typeof key !== 'string' || !/^[-._a-zA-Z0-9]+$/.test(key)) throw new InvalidPropsError(CONSTRUCT, 'guestSync.kubeconfigKey', `'${String(key)}' is not a valid Secret key`);
  return {
    namespace: checkDnsLabel(CONSTRUCT, 'guestSync.namespace', g.namespace),
    kubeconfigSecret: checkDnsSubdomain(CONSTRUCT, 'guestSync.kubeconfigSecret', g.kubeconfigSecret),
    kubeconfigKey: key,
  };
}
