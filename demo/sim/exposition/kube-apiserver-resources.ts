/**
 * The API resources a hosted OpenShift kube-apiserver serves: the built-in groups, common OpenShift and
 * operator CRDs, then an endless deterministic supply of Crossplane-style provider CRDs, which is how real
 * clusters reach 30 MB of apiserver metrics.
 */
export interface ApiResource {
  group: string;
  version: string;
  resource: string;
  kind: string;
  namespaced: boolean;
  /** Relative request volume (pods, leases and configmaps dominate real traffic). */
  weight: number;
  /** Restricts the verbs of the main resource (e.g. reviews are POST only). */
  verbs?: readonly string[];
  subresources?: readonly { name: string; verbs: readonly string[] }[];
}

const STATUS = { name: 'status', verbs: ['GET', 'PATCH', 'PUT'] } as const;

function r(
  group: string,
  version: string,
  resource: string,
  kind: string,
  namespaced: boolean,
  weight = 1,
  extra: Pick<ApiResource, 'verbs' | 'subresources'> = {},
): ApiResource {
  return { group, version, resource, kind, namespaced, weight, ...extra };
}

const BUILTIN: ApiResource[] = [
  r('', 'v1', 'pods', 'Pod', true, 10, {
    subresources: [
      STATUS,
      { name: 'binding', verbs: ['POST'] },
      { name: 'eviction', verbs: ['POST'] },
      { name: 'exec', verbs: ['CONNECT'] },
      { name: 'log', verbs: ['GET'] },
    ],
  }),
  r('', 'v1', 'configmaps', 'ConfigMap', true, 6),
  r('', 'v1', 'secrets', 'Secret', true, 5),
  r('', 'v1', 'services', 'Service', true, 2, { subresources: [STATUS] }),
  r('', 'v1', 'endpoints', 'Endpoints', true, 4),
  r('', 'v1', 'events', 'Event', true, 3),
  r('', 'v1', 'namespaces', 'Namespace', false, 2, { subresources: [STATUS, { name: 'finalize', verbs: ['PUT'] }] }),
  r('', 'v1', 'nodes', 'Node', false, 6, { subresources: [STATUS, { name: 'proxy', verbs: ['GET'] }] }),
  r('', 'v1', 'serviceaccounts', 'ServiceAccount', true, 2, { subresources: [{ name: 'token', verbs: ['POST'] }] }),
  r('', 'v1', 'persistentvolumeclaims', 'PersistentVolumeClaim', true, 1, { subresources: [STATUS] }),
  r('', 'v1', 'persistentvolumes', 'PersistentVolume', false, 1, { subresources: [STATUS] }),
  r('', 'v1', 'limitranges', 'LimitRange', true, 0.5),
  r('', 'v1', 'resourcequotas', 'ResourceQuota', true, 1, { subresources: [STATUS] }),
  r('', 'v1', 'replicationcontrollers', 'ReplicationController', true, 0.5),
  r('', 'v1', 'podtemplates', 'PodTemplate', true, 0.3),
  r('apps', 'v1', 'deployments', 'Deployment', true, 3, { subresources: [STATUS, { name: 'scale', verbs: ['GET', 'PATCH', 'PUT'] }] }),
  r('apps', 'v1', 'replicasets', 'ReplicaSet', true, 3, { subresources: [STATUS] }),
  r('apps', 'v1', 'statefulsets', 'StatefulSet', true, 1, { subresources: [STATUS] }),
  r('apps', 'v1', 'daemonsets', 'DaemonSet', true, 2, { subresources: [STATUS] }),
  r('apps', 'v1', 'controllerrevisions', 'ControllerRevision', true, 1),
  r('batch', 'v1', 'jobs', 'Job', true, 1, { subresources: [STATUS] }),
  r('batch', 'v1', 'cronjobs', 'CronJob', true, 1, { subresources: [STATUS] }),
  r('autoscaling', 'v2', 'horizontalpodautoscalers', 'HorizontalPodAutoscaler', true, 0.5, { subresources: [STATUS] }),
  r('policy', 'v1', 'poddisruptionbudgets', 'PodDisruptionBudget', true, 1, { subresources: [STATUS] }),
  r('coordination.k8s.io', 'v1', 'leases', 'Lease', true, 20),
  r('discovery.k8s.io', 'v1', 'endpointslices', 'EndpointSlice', true, 4),
  r('networking.k8s.io', 'v1', 'networkpolicies', 'NetworkPolicy', true, 1),
  r('networking.k8s.io', 'v1', 'ingresses', 'Ingress', true, 0.5, { subresources: [STATUS] }),
  r('networking.k8s.io', 'v1', 'ingressclasses', 'IngressClass', false, 0.2),
  r('rbac.authorization.k8s.io', 'v1', 'roles', 'Role', true, 1),
  r('rbac.authorization.k8s.io', 'v1', 'rolebindings', 'RoleBinding', true, 1),
  r('rbac.authorization.k8s.io', 'v1', 'clusterroles', 'ClusterRole', false, 1),
  r('rbac.authorization.k8s.io', 'v1', 'clusterrolebindings', 'ClusterRoleBinding', false, 1),
  r('storage.k8s.io', 'v1', 'storageclasses', 'StorageClass', false, 0.5),
  r('storage.k8s.io', 'v1', 'csidrivers', 'CSIDriver', false, 0.5),
  r('storage.k8s.io', 'v1', 'csinodes', 'CSINode', false, 1),
  r('storage.k8s.io', 'v1', 'volumeattachments', 'VolumeAttachment', false, 0.5, { subresources: [STATUS] }),
  r('admissionregistration.k8s.io', 'v1', 'validatingwebhookconfigurations', 'ValidatingWebhookConfiguration', false, 0.5),
  r('admissionregistration.k8s.io', 'v1', 'mutatingwebhookconfigurations', 'MutatingWebhookConfiguration', false, 0.5),
  r('apiextensions.k8s.io', 'v1', 'customresourcedefinitions', 'CustomResourceDefinition', false, 1, { subresources: [STATUS] }),
  r('apiregistration.k8s.io', 'v1', 'apiservices', 'APIService', false, 1, { subresources: [STATUS] }),
  r('certificates.k8s.io', 'v1', 'certificatesigningrequests', 'CertificateSigningRequest', false, 0.5, {
    subresources: [STATUS, { name: 'approval', verbs: ['PUT'] }],
  }),
  r('flowcontrol.apiserver.k8s.io', 'v1', 'flowschemas', 'FlowSchema', false, 0.5, { subresources: [STATUS] }),
  r('flowcontrol.apiserver.k8s.io', 'v1', 'prioritylevelconfigurations', 'PriorityLevelConfiguration', false, 0.5, { subresources: [STATUS] }),
  r('scheduling.k8s.io', 'v1', 'priorityclasses', 'PriorityClass', false, 0.2),
  r('node.k8s.io', 'v1', 'runtimeclasses', 'RuntimeClass', false, 0.2),
  r('events.k8s.io', 'v1', 'events', 'Event', true, 1),
  r('authentication.k8s.io', 'v1', 'tokenreviews', 'TokenReview', false, 8, { verbs: ['POST'] }),
  r('authentication.k8s.io', 'v1', 'selfsubjectreviews', 'SelfSubjectReview', false, 0.2, { verbs: ['POST'] }),
  r('authorization.k8s.io', 'v1', 'subjectaccessreviews', 'SubjectAccessReview', false, 8, { verbs: ['POST'] }),
  r('authorization.k8s.io', 'v1', 'selfsubjectaccessreviews', 'SelfSubjectAccessReview', false, 1, { verbs: ['POST'] }),
  r('authorization.k8s.io', 'v1', 'localsubjectaccessreviews', 'LocalSubjectAccessReview', true, 0.5, { verbs: ['POST'] }),
];

/** [group, version, namespaced, kinds...] of CRDs found in a typical OpenShift guest cluster. */
const OPENSHIFT_CRDS: [string, string, boolean, string[]][] = [
  ['config.openshift.io', 'v1', false, ['APIServer', 'Authentication', 'Build', 'ClusterOperator', 'ClusterVersion', 'Console', 'DNS', 'FeatureGate', 'Image', 'ImageDigestMirrorSet', 'Infrastructure', 'Ingress', 'Network', 'Node', 'OAuth', 'OperatorHub', 'Project', 'Proxy', 'Scheduler']],
  ['operator.openshift.io', 'v1', false, ['CloudCredential', 'ClusterCSIDriver', 'Config', 'Console', 'CSISnapshotController', 'DNS', 'Network', 'ServiceCA', 'Storage']],
  ['operator.openshift.io', 'v1', true, ['IngressController']],
  ['monitoring.coreos.com', 'v1', true, ['Alertmanager', 'PodMonitor', 'Probe', 'Prometheus', 'PrometheusRule', 'ServiceMonitor', 'ThanosRuler']],
  ['monitoring.coreos.com', 'v1beta1', true, ['AlertmanagerConfig']],
  ['operators.coreos.com', 'v1alpha1', true, ['CatalogSource', 'ClusterServiceVersion', 'InstallPlan', 'Subscription']],
  ['operators.coreos.com', 'v1', true, ['OperatorGroup', 'OperatorCondition']],
  ['machineconfiguration.openshift.io', 'v1', false, ['ContainerRuntimeConfig', 'ControllerConfig', 'KubeletConfig', 'MachineConfig', 'MachineConfigPool']],
  ['snapshot.storage.k8s.io', 'v1', true, ['VolumeSnapshot']],
  ['snapshot.storage.k8s.io', 'v1', false, ['VolumeSnapshotClass', 'VolumeSnapshotContent']],
  ['k8s.ovn.org', 'v1', true, ['EgressFirewall', 'EgressQoS', 'EgressService']],
  ['k8s.ovn.org', 'v1', false, ['EgressIP', 'AdminPolicyBasedExternalRoute']],
  ['tuned.openshift.io', 'v1', true, ['Profile', 'Tuned']],
  ['network.operator.openshift.io', 'v1', true, ['EgressRouter', 'OperatorPKI']],
  ['imageregistry.operator.openshift.io', 'v1', false, ['Config', 'ImagePruner']],
  ['samples.operator.openshift.io', 'v1', false, ['Config']],
  ['console.openshift.io', 'v1', false, ['ConsoleCLIDownload', 'ConsoleLink', 'ConsoleNotification', 'ConsolePlugin', 'ConsoleQuickStart', 'ConsoleYAMLSample']],
  ['security.internal.openshift.io', 'v1', false, ['RangeAllocation']],
  ['autoscaling.openshift.io', 'v1', false, ['ClusterAutoscaler']],
  ['migration.k8s.io', 'v1alpha1', false, ['StorageState', 'StorageVersionMigration']],
];

function plural(kind: string): string {
  const k = kind.toLowerCase();
  if (k.endsWith('s')) return `${k}es`;
  if (k.endsWith('y') && !/[aeiou]y$/.test(k)) return `${k.slice(0, -1)}ies`;
  return `${k}s`;
}

function crd(group: string, version: string, namespaced: boolean, kind: string, weight: number): ApiResource {
  return r(group, version, plural(kind), kind, namespaced, weight, { subresources: [{ name: 'status', verbs: ['PATCH', 'PUT'] }] });
}

const KNOWN: ApiResource[] = [
  ...BUILTIN,
  ...OPENSHIFT_CRDS.flatMap(([g, v, ns, kinds]) => kinds.map((k) => crd(g, v, ns, k, 0.4))),
];

const PROVIDERS = ['aws', 'azure', 'gcp'];
const SERVICES = ['compute', 'network', 'storage', 'database', 'identity', 'container', 'dns', 'cache', 'queue', 'monitoring', 'security', 'analytics'];
const PROVIDER_KINDS = ['Instance', 'Address', 'Disk', 'Firewall', 'Policy', 'Role', 'Bucket', 'Cluster', 'NodePool', 'Subnet', 'Route', 'Key', 'Certificate', 'Endpoint', 'Topic', 'Subscription', 'Snapshot', 'Gateway'];

/** The i-th API resource: real ones first, then Crossplane-style managed resources, never running out. */
export function apiResourceAt(i: number): ApiResource {
  if (i < KNOWN.length) return KNOWN[i]!;
  let j = i - KNOWN.length;
  const kind = PROVIDER_KINDS[j % PROVIDER_KINDS.length]!;
  j = Math.floor(j / PROVIDER_KINDS.length);
  const service = SERVICES[j % SERVICES.length]!;
  j = Math.floor(j / SERVICES.length);
  const provider = PROVIDERS[j % PROVIDERS.length]!;
  const generation = Math.floor(j / PROVIDERS.length);
  const group = `${service}.${provider}${generation > 0 ? generation + 1 : ''}.upbound.io`;
  return crd(group, j % 2 === 0 ? 'v1beta1' : 'v1beta2', false, kind, 0.1);
}

export const KNOWN_API_RESOURCES = KNOWN.length;

/** Name used by storage/etcd metrics: `pods`, `deployments.apps`. */
export function storageName(res: ApiResource): string {
  return res.group ? `${res.resource}.${res.group}` : res.resource;
}
