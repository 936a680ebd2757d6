/**
 * Writes the two charts (management `hcp-metrics-proxy`, guest `hcp-metrics-proxy-guest`) and, for a clusters
 * file, one values file per hosted cluster that installs it with either chart.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { stringify } from 'yaml';
import type { ClusterEntry } from '../app.js';
import type { HostedClusterMetricsProps } from '../lib/hosted-cluster-metrics.js';
import { type ChartSpec, generateTemplates } from './chart-spec.js';
import { GUEST_CHART, guestHelpers, guestNamespaceCheck, guestSpec } from './guest-chart.js';
import { MANAGEMENT_CHART, managementHelpers, managementSpec, managementValueDefaults } from './management-chart.js';
import { clusterValues } from './values.js';
import { valuesSchema } from './values-schema.js';
import type { Json } from './template-tree.js';

export interface PackageInfo {
  readonly name: string;
  readonly version: string;
  readonly description?: string;
}

/** Chart repository metadata; `home`/`sources` are where the chart's source lives. */
export interface ChartMetadata {
  readonly home: string;
  readonly sources: readonly string[];
}

/** Where the charts' own documentation says the source is (override with HCP_CHART_HOME / HCP_CHART_SOURCES). */
export const DEFAULT_METADATA: ChartMetadata = { home: 'https://git.example.com/platform/hcp-metrics-proxy', sources: ['https://git.example.com/platform/hcp-metrics-proxy'] };

/** A self-contained SVG icon (a gauge), so the chart needs no icon hosting. */
const ICON = `data:image/svg+xml;base64,${Buffer.from(
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><circle cx="32" cy="32" r="30" fill="#1f4e79"/><path d="M12 40a20 20 0 0 1 40 0" fill="none" stroke="#fff" stroke-width="5"/><path d="M32 40l12-14" stroke="#f5a623" stroke-width="5" stroke-linecap="round"/></svg>',
).toString('base64')}`;

/** The required values, for linting a chart on its own. */
export const MINIMAL_VALUES = { routeHost: 'metrics-proxy-example.apps.mgmt.example.com', image: 'quay.io/example/hcp-metrics-proxy:0.1.0' };

/** PodDisruptionBudget unhealthyPodEvictionPolicy is beta (on by default) from Kubernetes 1.27. */
export const KUBE_VERSION = '>=1.27.0-0';

interface ChartDef {
  readonly name: string;
  readonly spec: ChartSpec<HostedClusterMetricsProps>;
  readonly helpers: string;
  readonly extraTemplates: Record<string, string>;
  readonly description: string;
  readonly keywords: string[];
  readonly readme: string;
}

function chartYaml(def: ChartDef, pkg: PackageInfo, meta: ChartMetadata): string {
  const chart = {
    apiVersion: 'v2',
    name: def.name,
    description: def.description,
    type: 'application',
    version: pkg.version,
    appVersion: pkg.version,
    kubeVersion: KUBE_VERSION,
    home: meta.home,
    sources: [...meta.sources],
    icon: ICON,
    keywords: def.keywords,
    annotations: { 'hcp-metrics-proxy/generated-by': 'infra/chart (from the cdk8s constructs in infra/lib)' },
  };
  return stringify(chart, { lineWidth: 0 });
}

function valuesYaml(chart: string): string {
  const header = [
    `# Values of the ${chart} chart: one release per hosted cluster. The keys are those of an entry of the`,
    '# clusters file (infra/README.md, "The clusters file"); the namespace is the release namespace.',
    '# Required: routeHost, image (a reference pinned by tag or digest, or {repository, tag|digest, pullPolicy}).',
    '# The defaults below are the constructs\' own. Helm merges maps with these defaults: to drop a default',
    '# resource request or limit, set it to null.',
    '',
  ].join('\n');
  return header + stringify(managementValueDefaults(), { lineWidth: 0 });
}

function writeChart(dir: string, def: ChartDef, pkg: PackageInfo, meta: ChartMetadata): number {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(path.join(dir, 'templates'), { recursive: true });
  const generated = generateTemplates(def.spec);
  fs.writeFileSync(path.join(dir, 'Chart.yaml'), chartYaml(def, pkg, meta));
  fs.writeFileSync(path.join(dir, 'values.yaml'), valuesYaml(def.name));
  fs.writeFileSync(path.join(dir, 'values.schema.json'), `${JSON.stringify(valuesSchema(def.name), null, 2)}\n`);
  fs.writeFileSync(path.join(dir, 'README.md'), def.readme);
  fs.writeFileSync(path.join(dir, '.helmignore'), '*.tgz\n');
  // What chart-testing (ct lint) and `helm lint --strict -f ci/minimal-values.yaml` render: the required keys only.
  fs.mkdirSync(path.join(dir, 'ci'));
  fs.writeFileSync(path.join(dir, 'ci', 'minimal-values.yaml'), stringify(MINIMAL_VALUES));
  fs.writeFileSync(path.join(dir, 'templates', '_helpers.tpl'), def.helpers);
  for (const [f, text] of Object.entries({ ...generated.files, ...def.extraTemplates }).sort(([a], [b]) => a.localeCompare(b))) {
    fs.writeFileSync(path.join(dir, 'templates', f), text);
  }
  return generated.variants;
}

export interface WrittenCharts {
  readonly charts: { name: string; dir: string; variants: number }[];
  /** Per hosted cluster: its values file. */
  readonly values: { cluster: string; file: string; guest: boolean }[];
}

/** Writes both charts under `outDir`, and `values/<cluster>.yaml` for each entry. */
export function writeCharts(outDir: string, pkg: PackageInfo, entries: readonly ClusterEntry[], meta: ChartMetadata = DEFAULT_METADATA): WrittenCharts {
  const defs: ChartDef[] = [
    {
      name: MANAGEMENT_CHART,
      spec: managementSpec,
      helpers: managementHelpers(),
      extraTemplates: {},
      description: `${pkg.description ?? pkg.name}: the metrics proxy, endpoint resolver and config generator of one hosted cluster, in its hosted control plane namespace (templates generated from the cdk8s constructs)`,
      keywords: ['hypershift', 'hosted-control-planes', 'openshift', 'prometheus', 'metrics', 'proxy'],
      readme: chartReadme('management'),
    },
    {
      name: GUEST_CHART,
      spec: guestSpec,
      helpers: guestHelpers(),
      extraTemplates: { 'check-namespace.yaml': guestNamespaceCheck() },
      description: `${pkg.description ?? pkg.name}: the guest side of one hosted cluster (metrics forwarder, NetworkPolicy, scrape credentials), for the guest cluster (templates generated from the cdk8s constructs)`,
      keywords: ['hypershift', 'hosted-control-planes', 'openshift', 'prometheus', 'metrics', 'forwarder'],
      readme: chartReadme('guest'),
    },
  ];
  const charts = defs.map((d) => {
    const dir = path.join(outDir, d.name);
    return { name: d.name, dir, variants: writeChart(dir, d, pkg, meta) };
  });
  const valuesDir = path.join(outDir, 'values');
  fs.rmSync(valuesDir, { recursive: true, force: true });
  const values: WrittenCharts['values'] = [];
  if (entries.length) fs.mkdirSync(valuesDir, { recursive: true });
  const defaults = managementValueDefaults();
  for (const e of entries) {
    const file = path.join(valuesDir, `${e.props.name}.yaml`);
    const v: Record<string, Json> = clusterValues(e.props, defaults);
    const guest = (e.props.guest?.enabled ?? false) === true;
    const how = [
      `# Values of hosted cluster ${e.props.name} (generated from the clusters file; edit that, not this).`,
      `# helm install ${e.props.name} ${MANAGEMENT_CHART} -n ${e.props.namespace} -f ${e.props.name}.yaml`,
      ...(guest ? [`# helm install ${e.props.name} ${GUEST_CHART} -n ${e.props.guest?.namespace ?? (defaults.guest as Record<string, Json>).namespace} -f ${e.props.name}.yaml   # in the guest cluster`] : []),
      '',
    ].join('\n');
    fs.writeFileSync(file, how + stringify(v, { lineWidth: 0 }));
    values.push({ cluster: e.props.name, file, guest });
  }
  return { charts, values };
}

function chartReadme(which: 'management' | 'guest'): string {
  const guest = which === 'guest';
  const chart = guest ? GUEST_CHART : MANAGEMENT_CHART;
  const ns = guest ? 'openshift-monitoring' : 'clusters-prod-east-1';
  return `# ${chart}

${guest
    ? 'The guest side of one hosted cluster, installed into the **guest** cluster: the TCP forwarder in front of the proxy\'s Route, its NetworkPolicy, the scrape credentials of the chosen auth mode and, without guest sync, the PodMonitor.'
    : 'The management side of one hosted cluster, installed into its hosted control plane (HCP) namespace: the metrics proxy (Deployment, Service, passthrough Route, PDB), the endpoint resolver, the config generator (Deployment or Job), their NetworkPolicies and, optionally, a ServiceMonitor/PodMonitor for the proxy\'s own metrics.'}

One release per hosted cluster; the objects go into the release namespace. The values are the keys of an entry of the
clusters file (see infra/README.md of the repository, "The clusters file"), so the file \`dist-helm/values/<cluster>.yaml\`
that \`npm run synth:helm\` writes for each entry installs the cluster with this chart${guest ? ' and with the management chart' : ' and, for the guest side, with `' + GUEST_CHART + '`'}.

\`\`\`sh
helm install prod-east-1 ./${chart} -n ${ns} -f values/prod-east-1.yaml
\`\`\`

The release name is the default hosted cluster name (\`app.kubernetes.io/instance\`); \`name\` overrides it.
\`values.schema.json\` rejects what the constructs would reject where a schema can say it (route host, image pinned by
tag or digest, replicas >= 2 with a PodDisruptionBudget, MetricsSet, auth modes and client CA, unknown keys), naming
the key.${guest ? ' `guest.namespace` must equal the release namespace (the management chart gives it to the generator for guest sync).' : ''}

The templates are generated from the cdk8s constructs (\`infra/chart/\` of the repository): do not edit them; the
repository's tests render this chart with the real helm for every example cluster and compare the objects with the
plain manifests of \`npm run synth\`.

## Argo CD

\`\`\`yaml
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: ${guest ? 'hcp-metrics-proxy-guest-prod-east-1' : 'hcp-metrics-proxy-prod-east-1'}
  namespace: openshift-gitops
spec:
  project: hosted-control-planes
  source:
    repoURL: https://git.example.com/platform/hcp-metrics-proxy.git
    targetRevision: main
    path: dist-helm/${chart}
    helm:
      releaseName: prod-east-1
      valueFiles:
        - ../values/prod-east-1.yaml
  destination:
    server: ${guest ? 'https://api.prod-east-1.example.com:6443   # the guest cluster' : 'https://kubernetes.default.svc'}
    namespace: ${ns}
  syncPolicy:
    automated: { prune: true, selfHeal: true }
\`\`\`
`;
}
