/**
 * The guest-side chart `hcp-metrics-proxy-guest`: one release per hosted cluster, installed into the *guest*
 * cluster's monitoring namespace. Its values are those of the management chart (the clusters-file entry), so
 * one values file drives both; it reads `routeHost`, `image*`, `command`, `labels`, `authModes`,
 * `allowedSubjects` and `guest.*`. The objects come from {@link HostedClusterGuest}.
 */
import { App } from 'cdk8s';
import { HostedClusterGuest } from '../lib/hosted-cluster-guest.js';
import type { HostedClusterMetricsProps } from '../lib/hosted-cluster-metrics.js';
import { type ChartSpec, setPath } from './chart-spec.js';
import { imageHelpers } from './management-chart.js';
import type { Json, KnobOption } from './template-tree.js';

export const GUEST_CHART = 'hcp-metrics-proxy-guest';
type P = HostedClusterMetricsProps;

const T = {
  name: 'qqnameqq',
  routeHost: 'qqroutehostqq.sentinel.example',
  image: 'sentinel.example/qqimageqq:qqtagqq',
  command: 'qqcommandqq',
  labels: 'qqlabelsqq',
  namespace: 'qqguestnamespaceqq',
  replicas: 37,
  nodeSelector: 'qqnodeselectorqq',
  toleration: 'qqtolerationqq',
  priorityClass: 'qqpriorityclassqq',
  promSelector: 'qqpromselectorqq',
  promNamespace: 'qqpromnamespaceqq',
  promServiceAccount: 'qqpromserviceaccountqq',
  scrapeClass: 'qqscrapeclassqq',
  component: 'qqcomponentqq',
} as const;
const RESOURCES = { requests: { cpu: '979m' } };

const V = '$.Values';
const HELPERS = {
  name: `(include "${GUEST_CHART}.name" $)`,
  image: `(include "${GUEST_CHART}.image" $)`,
  pullPolicy: `(include "${GUEST_CHART}.pullPolicy" $)`,
  authMode: `(include "${GUEST_CHART}.authMode" $)`,
};

const base: P = {
  name: T.name,
  namespace: 'qqhcpnamespaceqq',
  routeHost: T.routeHost,
  image: T.image,
  command: [T.command],
  labels: { [T.labels]: 'x' },
  authModes: ['bearerToken'],
  allowedSubjects: ['system:authenticated'],
  guest: {
    enabled: true,
    namespace: T.namespace,
    replicas: T.replicas,
    resources: RESOURCES,
    placement: { nodeSelector: { [T.nodeSelector]: 'x' }, tolerations: [{ key: T.toleration, operator: 'Exists' }], priorityClassName: T.priorityClass },
    prometheusSelector: { [T.promSelector]: 'x' },
  },
};

function opt(label: string, when: string, apply: (p: P) => P = (p) => p): KnobOption<P> {
  return { label, when, apply };
}

export const guestSpec: ChartSpec<P> = {
  name: GUEST_CHART,
  base,
  groups: [
    {
      id: 'guest.auth',
      knobs: [
        { id: 'authMode', options: [opt('bearerToken', `eq ${HELPERS.authMode} "bearerToken"`), opt('clientCertificate', `eq ${HELPERS.authMode} "clientCertificate"`, (p) => ({ ...p, authModes: ['clientCertificate'] }))] },
        { id: 'guest.sync', options: [opt('true', `${V}.guest.sync`), opt('false', `not ${V}.guest.sync`, (p) => setPath(setPath(p, 'guest.sync', false), 'guest.components', [T.component]))] },
      ],
    },
    { id: 'guest.networkPolicy', knobs: [{ id: 'guest.networkPolicy', options: [opt('true', `${V}.guest.networkPolicy`), opt('false', `not ${V}.guest.networkPolicy`, (p) => setPath(p, 'guest.networkPolicy', false))] }] },
    { id: 'guest.replicas', knobs: [{ id: 'guest.replicas', options: [opt('2+', `ge (int ${V}.guest.replicas) 2`), opt('1', `lt (int ${V}.guest.replicas) 2`, (p) => setPath(p, 'guest.replicas', 1))] }] },
    {
      id: 'guest.prometheusNamespace',
      knobs: [
        {
          id: 'guest.prometheusNamespace',
          options: [
            opt('same', `not (and ${V}.guest.prometheusNamespace (ne ${V}.guest.prometheusNamespace $.Release.Namespace))`),
            opt('other', `and ${V}.guest.prometheusNamespace (ne ${V}.guest.prometheusNamespace $.Release.Namespace)`, (p) => setPath(p, 'guest.prometheusNamespace', T.promNamespace)),
          ],
        },
      ],
    },
    { id: 'imagePullPolicy', knobs: [{ id: 'imagePullPolicy', options: ['IfNotPresent', 'Always', 'Never'].map((v) => opt(v, `eq ${HELPERS.pullPolicy} ${JSON.stringify(v)}`, (p) => ({ ...p, imagePullPolicy: v as P['imagePullPolicy'] }))) }] },
  ],
  // The service account and scrape class exist only in the auth mode (and sync setting) that uses them.
  finalize: (p) => {
    const cert = (p.authModes ?? []).includes('clientCertificate');
    let out = cert ? p : setPath(p, 'guest.prometheusServiceAccount', T.promServiceAccount);
    if (cert && p.guest?.sync === false) out = setPath(out, 'guest.scrapeClass', T.scrapeClass);
    return out;
  },
  synth: (props) => new HostedClusterGuest(new App({ outdir: '.' }), props).toJson() as Json[],
  idOf: (o) => `${String(o.kind)}/${String((o.metadata as Record<string, Json>).name)}`,
  sentinels: [
    { kind: 'scalar', token: T.name, expr: HELPERS.name },
    { kind: 'scalar', token: T.namespace, expr: '$.Release.Namespace' },
    { kind: 'scalar', token: T.routeHost, expr: `${V}.routeHost` },
    { kind: 'scalar', token: T.image, expr: HELPERS.image },
    { kind: 'scalar', token: T.replicas, expr: `int ${V}.guest.replicas` },
    { kind: 'listSpread', item: T.command, expr: `${V}.command` },
    { kind: 'mapSpread', key: T.labels, expr: `${V}.labels` },
    { kind: 'mapSpread', key: T.nodeSelector, expr: `${V}.guest.placement.nodeSelector` },
    { kind: 'listSpread', item: { key: T.toleration, operator: 'Exists' }, expr: `${V}.guest.placement.tolerations` },
    { kind: 'optional', token: T.priorityClass, expr: `${V}.guest.placement.priorityClassName` },
    { kind: 'mapSpread', key: T.promSelector, expr: `${V}.guest.prometheusSelector` },
    { kind: 'scalar', token: T.promNamespace, expr: `${V}.guest.prometheusNamespace` },
    { kind: 'scalar', token: T.promServiceAccount, expr: `${V}.guest.prometheusServiceAccount` },
    { kind: 'scalar', token: T.scrapeClass, expr: `${V}.guest.scrapeClass` },
    { kind: 'range', token: T.component, expr: `${V}.guest.components` },
    { kind: 'subtree', match: RESOURCES, expr: `${V}.guest.resources` },
  ],
};

export function guestHelpers(): string {
  return [
    `{{/* Hosted cluster name: app.kubernetes.io/instance of every object. */}}`,
    `{{- define "${GUEST_CHART}.name" -}}{{ .Values.name | default .Release.Name }}{{- end }}`,
    imageHelpers(GUEST_CHART),
    `{{/* guest.authMode, else clientCertificate when the proxy accepts it, else bearerToken (as resolveGuestOptions). */}}`,
    `{{- define "${GUEST_CHART}.authMode" -}}`,
    `{{- .Values.guest.authMode | default (ternary "clientCertificate" "bearerToken" (has "clientCertificate" .Values.authModes)) }}`,
    `{{- end }}`,
    '',
  ].join('\n');
}

/** templates/check-namespace.yaml: renders nothing, fails when the release namespace is not guest.namespace. */
export function guestNamespaceCheck(): string {
  return [
    `{{- /* The guest objects live in the release namespace; guest.namespace (the management chart's --guest-namespace) must agree. */ -}}`,
    `{{- if and .Values.guest.namespace (ne .Values.guest.namespace .Release.Namespace) }}`,
    `{{- fail (printf "guest.namespace is %q but the release namespace is %q: install this chart with -n %s (where the generator's guest sync writes)" .Values.guest.namespace .Release.Namespace .Values.guest.namespace) }}`,
    `{{- end }}`,
    '',
  ].join('\n');
}
