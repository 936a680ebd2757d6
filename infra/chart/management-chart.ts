/**
 * The management-side chart `hcp-metrics-proxy`: one release per hosted cluster, in its HCP namespace, with
 * the knobs of a clusters-file entry as values. The objects come from {@link HostedClusterMetrics}.
 */
import { App } from 'cdk8s';
import { GENERATOR_DEFAULT_RESOURCES } from '../lib/config-generator.js';
import { RESOLVER_DEFAULT_RESOURCES } from '../lib/endpoint-resolver.js';
import { HostedClusterMetrics, type HostedClusterMetricsProps } from '../lib/hosted-cluster-metrics.js';
import { PROXY_DEFAULT_RESOURCES } from '../lib/metrics-proxy.js';
import { COMPONENT_NAMES, DEFAULT_ALLOWED_SUBJECT, DEFAULT_COMMAND, PORTS, RUNTIME_OBJECTS } from '../lib/names.js';
import { type ChartSpec, setPath } from './chart-spec.js';
import { guestValueDefaults } from './values.js';
import { type Json, type Knob, type KnobOption, type Node } from './template-tree.js';

export const MANAGEMENT_CHART = 'hcp-metrics-proxy';
type P = HostedClusterMetricsProps;

/** Sentinel tokens: valid for the constructs' checks, unique in the output, none a substring of another. */
const T = {
  name: 'qqnameqq',
  namespace: 'qqnamespaceqq',
  routeHost: 'qqroutehostqq.sentinel.example',
  image: 'sentinel.example/qqimageqq:qqtagqq',
  replicas: 37,
  resolverReplicas: 29,
  allowed: 'system:authenticated',
  audiences: 'qqaudiencesqq',
  kubeconfigSecret: 'qqkubeconfigsecretqq',
  kubeconfigKey: 'qqkubeconfigkeyqq',
  clientCAName: 'qqclientcanameqq',
  clientCAKey: 'qqclientcakeyqq',
  command: 'qqcommandqq',
  nodeSelector: 'qqnodeselectorqq',
  toleration: 'qqtolerationqq',
  priorityClass: 'qqpriorityclassqq',
  labels: 'qqlabelsqq',
  routeLabels: 'qqroutelabelsqq',
  routeAnnotations: 'qqrouteannotationsqq',
  staleAfter: '83m',
  healthPort: 38211,
  ingressFrom: '192.0.2.77/32',
  selfInterval: '89s',
  selfCert: 'qqselfcertqq',
  selfLabels: 'qqselflabelsqq',
  guestNamespace: 'qqguestnamespaceqq',
  guestKubeconfigSecret: 'qqguestkubeconfigsecretqq',
  guestKubeconfigKey: 'qqguestkubeconfigkeyqq',
  jobName: 'qqjobnameqq',
} as const;

const res = (cpu: string) => ({ requests: { cpu } });
const RESOURCES = { proxy: res('971m'), resolver: res('973m'), generator: res('977m') };

const V = '$.Values';
export const HELPERS = {
  name: `(include "${MANAGEMENT_CHART}.name" $)`,
  image: `(include "${MANAGEMENT_CHART}.image" $)`,
  pullPolicy: `(include "${MANAGEMENT_CHART}.pullPolicy" $)`,
  jobTemplate: `${MANAGEMENT_CHART}.generatorJobTemplate`,
  jobHash: `${MANAGEMENT_CHART}.generatorJobHash`,
};

const base: P = {
  name: T.name,
  namespace: T.namespace,
  routeHost: T.routeHost,
  image: T.image,
  replicas: T.replicas,
  allowedSubjects: [T.allowed],
  command: [T.command],
  placement: { nodeSelector: { [T.nodeSelector]: 'x' }, tolerations: [{ key: T.toleration, operator: 'Exists' }], priorityClassName: T.priorityClass },
  labels: { [T.labels]: 'x' },
  proxy: { resources: RESOURCES.proxy, routeLabels: { [T.routeLabels]: 'x' }, routeAnnotations: { [T.routeAnnotations]: 'x' } },
  resolver: { replicas: T.resolverReplicas, resources: RESOURCES.resolver, staleAfter: T.staleAfter },
  generator: { resources: RESOURCES.generator },
  networkPolicy: { proxyIngressFrom: [{ ipBlock: { cidr: T.ingressFrom } }] },
};

function opt(label: string, when: string, apply: (p: P) => P = (p) => p): KnobOption<P> {
  return { label, when, apply };
}
function bool(id: string, path: string, when: string, dflt: boolean): Knob<P> {
  return { id, options: [opt(String(dflt), dflt ? when : `not ${when}`, (p) => setPath(p, path, dflt)), opt(String(!dflt), dflt ? `not ${when}` : when, (p) => setPath(p, path, !dflt))] };
}
function oneOf(id: string, path: string, values: readonly string[], expr: string): Knob<P> {
  return { id, options: values.map((v) => opt(v, `eq ${expr} ${JSON.stringify(v)}`, (p) => setPath(p, path, v))) };
}
const authModes = (p: P) => (p.authModes ?? ['bearerToken']) as string[];
export const SELF_MONITOR_ON = `kindIs "map" ${V}.selfMonitor`;
const SELF_MONITOR_LABELS = `(dig "labels" dict (${V}.selfMonitor | default dict))`;
const selfMonitorKind = `(dig "kind" "ServiceMonitor" ${V}.selfMonitor)`;

export const managementSpec: ChartSpec<P> = {
  name: MANAGEMENT_CHART,
  base,
  groups: [
    {
      id: 'auth',
      knobs: [
        { id: 'bearerToken', options: [opt('on', `has "bearerToken" ${V}.authModes`), opt('off', `not (has "bearerToken" ${V}.authModes)`, (p) => ({ ...p, authModes: authModes(p).filter((m) => m !== 'bearerToken') as P['authModes'] }))] },
        {
          id: 'clientCertificate',
          options: [
            opt('off', `not (has "clientCertificate" ${V}.authModes)`),
            opt('on', `has "clientCertificate" ${V}.authModes`, (p) => ({ ...p, authModes: [...authModes(p), 'clientCertificate'] as P['authModes'], clientCA: { configMap: T.clientCAName, key: T.clientCAKey } })),
          ],
        },
        {
          id: 'clientCA',
          options: [
            opt('configMap', `${V}.clientCA.configMap`),
            opt('secret', `not ${V}.clientCA.configMap`, (p) => (p.clientCA ? { ...p, clientCA: { secret: T.clientCAName, key: T.clientCAKey } } : p)),
          ],
        },
        bool('authorizeWithSar', 'authorizeWithSar', `${V}.authorizeWithSar`, false),
        { id: 'tokenAudiences', options: [opt('none', `not ${V}.tokenAudiences`), opt('some', `${V}.tokenAudiences`, (p) => ({ ...p, tokenAudiences: [T.audiences] }))] },
      ],
    },
    { id: 'metricsSet', knobs: [oneOf('metricsSet', 'metricsSet', ['Telemetry', 'All', 'SRE'], `${V}.metricsSet`)] },
    {
      // Everything that shapes the generator's pod template, which the Job (job mode only) shares.
      id: 'generator',
      knobs: [
        oneOf('mode', 'generator.mode', ['watch', 'job'], `${V}.generator.mode`),
        bool('manageCerts', 'generator.manageCerts', `${V}.generator.manageCerts`, true),
        {
          id: 'guestSync',
          options: [
            opt('off', `not (and ${V}.guest.enabled ${V}.guest.sync)`),
            opt('on', `and ${V}.guest.enabled ${V}.guest.sync`, (p) => ({ ...p, guest: { enabled: true, namespace: T.guestNamespace, kubeconfig: { secret: T.guestKubeconfigSecret, key: T.guestKubeconfigKey } } })),
          ],
        },
        oneOf('imagePullPolicy', 'imagePullPolicy', ['IfNotPresent', 'Always', 'Never'], HELPERS.pullPolicy),
      ],
    },
    { id: 'proxy.antiAffinity', knobs: [oneOf('proxy.antiAffinity', 'proxy.antiAffinity', ['preferred', 'required'], `${V}.proxy.antiAffinity`)] },
    { id: 'resolver.antiAffinity', knobs: [oneOf('resolver.antiAffinity', 'resolver.antiAffinity', ['preferred', 'required'], `${V}.resolver.antiAffinity`)] },
    { id: 'proxy.podDisruptionBudget', knobs: [bool('proxy.podDisruptionBudget', 'proxy.podDisruptionBudget', `${V}.proxy.podDisruptionBudget`, true)] },
    { id: 'resolver.podDisruptionBudget', knobs: [bool('resolver.podDisruptionBudget', 'resolver.podDisruptionBudget', `${V}.resolver.podDisruptionBudget`, true)] },
    {
      id: 'networkPolicy',
      knobs: [
        bool('networkPolicy.enabled', 'networkPolicy.enabled', `${V}.networkPolicy.enabled`, true),
        bool('networkPolicy.isolateGenerator', 'networkPolicy.isolateGenerator', `${V}.networkPolicy.isolateGenerator`, true),
      ],
    },
    {
      id: 'selfMonitor',
      knobs: [
        {
          id: 'selfMonitor.kind',
          options: [
            opt('none', `not (${SELF_MONITOR_ON})`),
            opt('ServiceMonitor', `and (${SELF_MONITOR_ON}) (eq ${selfMonitorKind} "ServiceMonitor")`, (p) => ({ ...p, selfMonitor: { kind: 'ServiceMonitor', interval: T.selfInterval, labels: { [T.selfLabels]: 'x' } } })),
            opt('PodMonitor', `and (${SELF_MONITOR_ON}) (eq ${selfMonitorKind} "PodMonitor")`, (p) => ({ ...p, selfMonitor: { kind: 'PodMonitor', interval: T.selfInterval, labels: { [T.selfLabels]: 'x' } } })),
          ],
        },
        {
          id: 'selfMonitor.clientCertSecret',
          options: [
            opt('none', `not (dig "clientCertSecret" "" (${V}.selfMonitor | default dict))`),
            opt('set', `dig "clientCertSecret" "" (${V}.selfMonitor | default dict)`, (p) => (p.selfMonitor ? { ...p, selfMonitor: { ...p.selfMonitor, clientCertSecret: T.selfCert } } : p)),
          ],
        },
      ],
    },
  ],
  finalize: (p) => {
    // The hosted kubeconfig may only be given when something uses it; the health port only in watch mode.
    let out = authModes(p).includes('bearerToken') || p.authorizeWithSar ? { ...p, hostedKubeconfig: { secret: T.kubeconfigSecret, key: T.kubeconfigKey } } : p;
    if (p.generator?.mode !== 'job') out = setPath(out, 'generator.healthPort', T.healthPort);
    return out;
  },
  synth: (props) => {
    const chart = new HostedClusterMetrics(new App({ outdir: '.' }), props);
    // The Job's name ends in a hash of its pod template; the chart computes it (see `rewrite`).
    return (chart.toJson() as Record<string, Json>[]).map((o) => (o.kind === 'Job' ? { ...o, metadata: { ...(o.metadata as Record<string, Json>), name: T.jobName } } : o));
  },
  // One Job at most, whatever its hashed name.
  idOf: (o) => (o.kind === 'Job' ? `Job/${COMPONENT_NAMES.generator}` : `${String(o.kind)}/${String((o.metadata as Record<string, Json>).name)}`),
  sentinels: [
    { kind: 'scalar', token: T.jobName, expr: `printf "%s-%s" ${JSON.stringify(COMPONENT_NAMES.generator)} (include ${JSON.stringify(HELPERS.jobHash)} $)` },
    { kind: 'scalar', token: T.name, expr: HELPERS.name },
    { kind: 'scalar', token: T.namespace, expr: '$.Release.Namespace' },
    { kind: 'scalar', token: T.routeHost, expr: `${V}.routeHost` },
    { kind: 'scalar', token: T.image, expr: HELPERS.image },
    { kind: 'scalar', token: T.replicas, expr: `int ${V}.replicas` },
    { kind: 'scalar', token: T.resolverReplicas, expr: `int ${V}.resolver.replicas` },
    { kind: 'scalar', token: T.allowed, expr: `join "," ${V}.allowedSubjects` },
    { kind: 'scalar', token: T.audiences, expr: `join "," ${V}.tokenAudiences` },
    { kind: 'scalar', token: T.kubeconfigSecret, expr: `${V}.hostedKubeconfig.secret` },
    { kind: 'scalar', token: T.kubeconfigKey, expr: `${V}.hostedKubeconfig.key | default ${JSON.stringify(RUNTIME_OBJECTS.hostedKubeconfigKey)}` },
    { kind: 'scalar', token: T.clientCAName, expr: `${V}.clientCA.configMap | default ${V}.clientCA.secret` },
    { kind: 'scalar', token: T.clientCAKey, expr: `${V}.clientCA.key | default "ca.crt"` },
    { kind: 'listSpread', item: T.command, expr: `${V}.command` },
    { kind: 'mapSpread', key: T.nodeSelector, expr: `${V}.placement.nodeSelector` },
    { kind: 'listSpread', item: { key: T.toleration, operator: 'Exists' }, expr: `${V}.placement.tolerations` },
    { kind: 'optional', token: T.priorityClass, expr: `${V}.placement.priorityClassName` },
    // On the monitor, selfMonitor.labels win over the cluster labels; on the Route, the cluster labels win over routeLabels.
    { kind: 'mapSpread', key: T.labels, expr: `${V}.labels`, yieldsTo: [SELF_MONITOR_LABELS] },
    { kind: 'mapSpread', key: T.routeLabels, expr: `${V}.proxy.routeLabels`, yieldsTo: [`${V}.labels`] },
    { kind: 'mapSpread', key: T.routeAnnotations, expr: `${V}.proxy.routeAnnotations` },
    { kind: 'optional', token: T.staleAfter, expr: `${V}.resolver.staleAfter` },
    { kind: 'scalar', token: T.healthPort, expr: `int ${V}.generator.healthPort`, inStrings: true },
    { kind: 'subtree', match: [{ ipBlock: { cidr: T.ingressFrom } }], expr: `${V}.networkPolicy.proxyIngressFrom`, optional: true },
    { kind: 'subtree', match: RESOURCES.proxy, expr: `${V}.proxy.resources` },
    { kind: 'subtree', match: RESOURCES.resolver, expr: `${V}.resolver.resources` },
    { kind: 'subtree', match: RESOURCES.generator, expr: `${V}.generator.resources` },
    { kind: 'scalar', token: T.selfInterval, expr: `dig "interval" "30s" ${V}.selfMonitor` },
    { kind: 'scalar', token: T.selfCert, expr: `${V}.selfMonitor.clientCertSecret` },
    { kind: 'mapSpread', key: T.selfLabels, expr: SELF_MONITOR_LABELS },
    { kind: 'scalar', token: T.guestNamespace, expr: `${V}.guest.namespace` },
    { kind: 'scalar', token: T.guestKubeconfigSecret, expr: `${V}.guest.kubeconfig.secret` },
    { kind: 'scalar', token: T.guestKubeconfigKey, expr: `${V}.guest.kubeconfig.key | default ${JSON.stringify(RUNTIME_OBJECTS.hostedKubeconfigKey)}` },
  ],
  rewrite: (id, node) => {
    if (!id.startsWith('Job/')) return { node };
    // The pod template goes into a named template, so the name can hash it as the construct does
    // (canonical JSON of {apiVersion, kind, spec: {template}}: infra/lib/canonical-json.ts).
    const spec = entry(node, 'spec');
    const template = entry(spec, 'template');
    const withBlock = replaceEntry(node, 'spec', replaceEntry(spec, 'template', { t: 'block', e: `include ${JSON.stringify(HELPERS.jobTemplate)} $ | fromYaml` }));
    return { node: withBlock, defines: { [HELPERS.jobTemplate]: template } };
  },
};

function entry(n: Node, key: string): Node {
  if (n.t !== 'map') throw new Error(`expected a map around '${key}'`);
  const e = n.entries.find((x) => 'key' in x && x.key === key && x.cond === undefined);
  if (!e || !('key' in e)) throw new Error(`no unconditional '${key}'`);
  return e.value;
}
function replaceEntry(n: Node, key: string, value: Node): Node {
  if (n.t !== 'map') throw new Error(`expected a map around '${key}'`);
  return { t: 'map', entries: n.entries.map((x) => ('key' in x && x.key === key ? { ...x, value } : x)) };
}

/** values.yaml: the constructs' defaults, under the clusters file's keys. */
export function managementValueDefaults(): Record<string, Json> {
  return {
    name: '',
    imagePullPolicy: '',
    command: [...DEFAULT_COMMAND],
    replicas: 2,
    metricsSet: 'Telemetry',
    allowedSubjects: [DEFAULT_ALLOWED_SUBJECT],
    authModes: ['bearerToken'],
    authorizeWithSar: false,
    tokenAudiences: [],
    hostedKubeconfig: { secret: RUNTIME_OBJECTS.hostedKubeconfigSecret, key: RUNTIME_OBJECTS.hostedKubeconfigKey },
    clientCA: {},
    placement: { nodeSelector: {}, tolerations: [], priorityClassName: '' },
    labels: {},
    proxy: { resources: PROXY_DEFAULT_RESOURCES as Json, podDisruptionBudget: true, antiAffinity: 'preferred', routeLabels: {}, routeAnnotations: {} },
    resolver: { replicas: 2, resources: RESOLVER_DEFAULT_RESOURCES as Json, podDisruptionBudget: true, antiAffinity: 'preferred', staleAfter: '' },
    generator: { mode: 'watch', manageCerts: true, resources: GENERATOR_DEFAULT_RESOURCES as Json, healthPort: PORTS.generatorHealth },
    networkPolicy: { enabled: true, proxyIngressFrom: [], isolateGenerator: true },
    selfMonitor: null,
    guest: guestValueDefaults(),
  };
}

/** Helpers every template uses. */
export function managementHelpers(): string {
  return [
    `{{/* Hosted cluster name: app.kubernetes.io/instance of every object. */}}`,
    `{{- define "${MANAGEMENT_CHART}.name" -}}{{ .Values.name | default .Release.Name }}{{- end }}`,
    imageHelpers(MANAGEMENT_CHART),
    `{{/* The generator Job's name suffix: as infra/lib/config-generator.ts computes it. */}}`,
    `{{- define "${HELPERS.jobHash}" -}}{{ dict "apiVersion" "batch/v1" "kind" "Job" "spec" (dict "template" (include "${HELPERS.jobTemplate}" . | fromYaml)) | toJson | sha256sum | trunc 8 }}{{- end }}`,
    '',
  ].join('\n');
}

/** `image` is a reference (as in the clusters file) or {repository, tag, digest, pullPolicy}. */
export function imageHelpers(chart: string): string {
  return [
    `{{/* The image reference: the string form of the clusters file, or repository[:tag][@digest]. */}}`,
    `{{- define "${chart}.image" -}}`,
    `{{- if kindIs "string" .Values.image }}{{ .Values.image }}{{ else }}{{ .Values.image.repository }}{{ with .Values.image.tag }}:{{ . }}{{ end }}{{ with .Values.image.digest }}@{{ . }}{{ end }}{{ end }}`,
    `{{- end }}`,
    `{{/* imagePullPolicy (clusters file key), else image.pullPolicy, else IfNotPresent. */}}`,
    `{{- define "${chart}.pullPolicy" -}}`,
    `{{- $fromImage := "" }}{{ if kindIs "map" .Values.image }}{{ $fromImage = .Values.image.pullPolicy | default "" }}{{ end }}{{ .Values.imagePullPolicy | default $fromImage | default "IfNotPresent" }}`,
    `{{- end }}`,
  ].join('\n');
}
