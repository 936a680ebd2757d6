/**
 * The generated Helm charts with the real helm (3.17, from the devDependency's layer.zip): lint, render each
 * hosted cluster and compare with the plain manifests of the same clusters file, schema rejections, package.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect } from 'chai';
import { parseAllDocuments, stringify } from 'yaml';
import { buildApp, loadClustersFile } from '../../infra/app.js';
import { writeCharts } from '../../infra/chart/write-charts.js';
import { EXAMPLE_CLUSTERS, type K8sObject, ROOT, validateObject } from './helpers.js';
import { helmBinary, runHelm } from './helm-binary.js';

const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string; description: string };
const MANAGEMENT = pkg.name;
const GUEST = `${pkg.name}-guest`;

/** More combinations than the example file: every knob group away from its default at least once. */
const COMBOS = `
defaults:
  image: quay.io/example/hcp-metrics-proxy:0.2.0
clusters:
  - name: certs-only
    namespace: clusters-certs-only
    routeHost: metrics-certs-only.apps.example.com
    authModes: [clientCertificate]
    clientCA: {secret: metrics-client-ca, key: bundle.pem}
    metricsSet: All
    replicas: 1
    imagePullPolicy: Always
    command: [node, /app/build/cli.js]
    labels: {team: observability, tier: metrics}
    placement:
      nodeSelector: {node-role.kubernetes.io/infra: ""}
      priorityClassName: hypershift-control-plane
    proxy:
      podDisruptionBudget: false
      routeLabels: {shard: internal, team: loses-to-labels, app.kubernetes.io/name: loses-too}
      routeAnnotations: {haproxy.router.openshift.io/timeout-tunnel: 1h}
    resolver: {replicas: 1, podDisruptionBudget: false, antiAffinity: required, resources: {requests: {cpu: 50m}}}
    generator: {manageCerts: false, healthPort: 9500}
    networkPolicy: {isolateGenerator: false}
    selfMonitor: {kind: PodMonitor}
    guest: {enabled: true}
  - name: sar-job
    namespace: clusters-sar-job
    routeHost: metrics-sar-job.apps.example.com
    authorizeWithSar: true
    hostedKubeconfig: {secret: hosted-admin, key: config}
    allowedSubjects: [system:serviceaccounts:guest-mon]
    generator: {mode: job, resources: {requests: {cpu: 10m, memory: 32Mi}, limits: {memory: 128Mi}}}
    networkPolicy: {enabled: false}
    guest:
      enabled: true
      namespace: guest-mon
      kubeconfig: {secret: guest-admin, key: kc}
      replicas: 1
      networkPolicy: false
      prometheusNamespace: other-monitoring
      prometheusServiceAccount: prom
  - name: both-modes
    namespace: clusters-both-modes
    routeHost: metrics-both-modes.apps.example.com
    authModes: [clientCertificate, bearerToken]
    clientCA: {configMap: metrics-client-ca}
    authorizeWithSar: true
    tokenAudiences: [aud-a, aud-b]
    resolver: {staleAfter: 90s}
    labels: {release: loses-to-selfmonitor, team: observability}
    selfMonitor: {kind: ServiceMonitor, clientCertSecret: self-scrape, labels: {release: prom}}
    guest: {enabled: true, sync: false, authMode: bearerToken, components: [etcd, kube-apiserver]}
  - name: job-guest-static
    namespace: clusters-job-guest-static
    routeHost: metrics-job-guest-static.apps.example.com
    authModes: [clientCertificate]
    clientCA: {configMap: metrics-client-ca}
    generator: {mode: job, manageCerts: false}
    guest:
      enabled: true
      sync: false
      scrapeClass: my-tls-class
      components: [etcd]
      replicas: 3
      placement: {tolerations: [{key: infra, operator: Exists, effect: NoSchedule}]}
      resources: {requests: {cpu: 5m}}
`;

function sortDeep(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortDeep);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortDeep((v as Record<string, unknown>)[k])]));
  return v;
}

/** Objects by kind/name, normalised (key order; YAML quoting and comments are gone after parsing). */
function byId(objects: K8sObject[]): Map<string, string> {
  return new Map(objects.map((o) => [`${o.kind}/${o.metadata.name}`, JSON.stringify(sortDeep(o), null, 1)]));
}

function parseRendered(text: string): K8sObject[] {
  return parseAllDocuments(text).map((d) => d.toJS() as K8sObject | null).filter((o): o is K8sObject => o !== null);
}

describe('infra Helm charts (real helm)', function () {
  this.timeout(300_000);
  let helm = '';
  let tmp = '';
  const outs: Record<'example' | 'combos', string> = { example: '', combos: '' };
  const files: Record<'example' | 'combos', string> = { example: EXAMPLE_CLUSTERS, combos: '' };

  before(function () {
    const bin = helmBinary();
    if ('skip' in bin) {
      console.warn(`    skipping the helm tests: ${bin.skip}`);
      this.skip();
    }
    helm = bin.path;
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hcp-helm-chart-'));
    files.combos = path.join(tmp, 'combos.yaml');
    fs.writeFileSync(files.combos, COMBOS);
    for (const k of ['example', 'combos'] as const) {
      outs[k] = path.join(tmp, k);
      writeCharts(outs[k], pkg, loadClustersFile(files[k]));
    }
  });
  after(() => {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  function helmOk(args: string[]): string {
    const r = runHelm(helm, args);
    expect(r.status, `helm ${args.join(' ')}\n${r.stderr}`).to.equal(0);
    return r.stdout;
  }

  it('helm lint --strict passes for both charts with their ci/minimal-values.yaml', () => {
    for (const chart of [MANAGEMENT, GUEST]) {
      const dir = path.join(outs.example, chart);
      const out = helmOk(['lint', '--strict', dir, '-n', 'openshift-monitoring', '-f', path.join(dir, 'ci', 'minimal-values.yaml')]);
      expect(out).to.include('0 chart(s) failed');
    }
  });

  it('helm lint --strict passes for both charts with the values of every example cluster', () => {
    for (const e of loadClustersFile(EXAMPLE_CLUSTERS)) {
      const values = path.join(outs.example, 'values', `${e.props.name}.yaml`);
      const out = helmOk(['lint', '--strict', path.join(outs.example, MANAGEMENT), '-n', e.props.namespace, '-f', values]);
      expect(out).to.include('0 chart(s) failed');
      expect(out).not.to.match(/\[(WARNING|INFO)\]/);
      const g = helmOk(['lint', '--strict', path.join(outs.example, GUEST), '-n', e.props.guest?.namespace ?? 'openshift-monitoring', '-f', values]);
      expect(g).to.include('0 chart(s) failed');
    }
  });

  for (const set of ['example', 'combos'] as const) {
    it(`helm template of each ${set} cluster renders exactly the objects of npm run synth, each valid offline`, () => {
      const app = buildApp(files[set]);
      const charts = [...app.charts.map((c) => ({ chart: MANAGEMENT, c })), ...app.guest.charts.map((c) => ({ chart: GUEST, c }))];
      expect(charts.length).to.be.greaterThan(2);
      for (const { chart, c } of charts) {
        const name = c.node.id;
        const rendered = parseRendered(helmOk(['template', name, path.join(outs[set], chart), '-n', c.namespace!, '-f', path.join(outs[set], 'values', `${name}.yaml`)]));
        const helmObjects = byId(rendered);
        const plain = byId(c.toJson() as K8sObject[]);
        expect([...helmObjects.keys()].sort(), `${chart} ${name}: objects`).to.deep.equal([...plain.keys()].sort());
        for (const [id, json] of plain) expect(helmObjects.get(id), `${chart} ${name}: ${id}`).to.equal(json);
        const problems = rendered.flatMap(validateObject);
        expect(problems, problems.join('\n')).to.deep.equal([]);
      }
    });
  }

  it('image as {repository, tag, pullPolicy} renders like the reference string with imagePullPolicy', () => {
    const values = path.join(outs.example, 'values', 'prod-east-1.yaml');
    const chart = path.join(outs.example, MANAGEMENT);
    const asString = helmOk(['template', 'prod-east-1', chart, '-n', 'clusters-prod-east-1', '-f', values, '--set', 'imagePullPolicy=Always']);
    const mapped = path.join(tmp, 'image-map.yaml');
    fs.writeFileSync(mapped, stringify({ image: { repository: 'quay.io/example/hcp-metrics-proxy', tag: '0.1.0', pullPolicy: 'Always' } }));
    const asMap = helmOk(['template', 'prod-east-1', chart, '-n', 'clusters-prod-east-1', '-f', values, '-f', mapped]);
    expect(byId(parseRendered(asMap))).to.deep.equal(byId(parseRendered(asString)));
    expect(asMap).to.include('"image": "quay.io/example/hcp-metrics-proxy:0.1.0"');
    expect(asMap).to.include('"imagePullPolicy": "Always"');
  });

  describe('values.schema.json rejects what the constructs reject, naming the key', () => {
    const cases: { what: string; set: string[]; drop?: string; expect: RegExp[] }[] = [
      { what: 'an invalid route host', set: ['routeHost=Bad_Host.example.com'], expect: [/routeHost: Does not match pattern/] },
      { what: 'a route host with a port', set: ['routeHost=metrics.example.com:443'], expect: [/routeHost: Does not match pattern/] },
      { what: 'replicas 1 with the PodDisruptionBudget', set: ['replicas=1'], expect: [/replicas: Must be greater than or equal to 2/] },
      { what: 'resolver.replicas 1 with its PodDisruptionBudget', set: ['resolver.replicas=1'], expect: [/resolver\.replicas: Must be greater than or equal to 2/] },
      { what: 'an unknown MetricsSet', set: ['metricsSet=Some'], expect: [/metricsSet: metricsSet must be one of the following: "All", "Telemetry", "SRE"/] },
      { what: 'a missing route host', set: [], drop: 'routeHost', expect: [/routeHost is required/] },
      { what: 'an image without tag or digest', set: ['image=quay.io/example/hcp-metrics-proxy'], expect: [/image: Must validate one and only one schema/, /image: Does not match pattern/] },
      { what: 'clientCertificate without a client CA', set: ['authModes={clientCertificate}'], expect: [/clientCA: Must validate at least one schema \(anyOf\)/] },
      { what: 'token audiences without bearerToken', set: ['authModes={clientCertificate}', 'clientCA.configMap=ca', 'tokenAudiences={aud}'], expect: [/authModes: At least one of the items must match/] },
      { what: 'a guest auth mode the proxy does not accept', set: ['guest.enabled=true', 'guest.authMode=clientCertificate'], expect: [/authModes: At least one of the items must match/] },
      { what: 'guest components with guest sync', set: ['guest.enabled=true', 'guest.components={etcd}'], expect: [/guest\.components: Array must have at most 0 items/] },
      { what: 'no guest components without guest sync', set: ['guest.enabled=true', 'guest.sync=false'], expect: [/guest\.components: Array must have at least 1 items/] },
      { what: 'an unknown key', set: ['proxy.replicas=3'], expect: [/proxy: Additional property replicas is not allowed/] },
    ];
    for (const c of cases) {
      it(c.what, () => {
        const src = path.join(outs.example, 'values', 'prod-east-1.yaml');
        let values = src;
        if (c.drop) {
          values = path.join(tmp, `drop-${c.drop}.yaml`);
          fs.writeFileSync(values, fs.readFileSync(src, 'utf8').split('\n').filter((l) => !l.startsWith(`${c.drop}:`)).join('\n'));
        }
        const r = runHelm(helm, ['template', 'prod-east-1', path.join(outs.example, MANAGEMENT), '-n', 'clusters-prod-east-1', '-f', values, ...c.set.flatMap((s) => ['--set', s])]);
        expect(r.status, r.stdout).to.not.equal(0);
        expect(r.stderr).to.include("values don't meet the specifications of the schema");
        for (const re of c.expect) expect(r.stderr).to.match(re);
      });
    }

    it('accepts replicas 1 when the PodDisruptionBudget is off', () => {
      const out = helmOk(['template', 'prod-east-1', path.join(outs.example, MANAGEMENT), '-n', 'clusters-prod-east-1', '-f', path.join(outs.example, 'values', 'prod-east-1.yaml'), '--set', 'replicas=1', '--set', 'proxy.podDisruptionBudget=false']);
      const objects = parseRendered(out);
      expect(objects.filter((o) => o.kind === 'PodDisruptionBudget').map((o) => o.metadata.name)).to.deep.equal(['endpoint-resolver']);
      expect(objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'metrics-proxy')!.spec.replicas).to.equal(1);
    });

    it('the guest chart refuses a release namespace other than guest.namespace', () => {
      const r = runHelm(helm, ['template', 'prod-east-1', path.join(outs.example, GUEST), '-n', 'default', '-f', path.join(outs.example, 'values', 'prod-east-1.yaml')]);
      expect(r.status).to.not.equal(0);
      expect(r.stderr).to.include('guest.namespace is "openshift-monitoring" but the release namespace is "default"');
    });
  });

  it('helm package writes <chart>-<version>.tgz for both charts, which render', () => {
    const dest = path.join(tmp, 'packages');
    fs.mkdirSync(dest);
    for (const chart of [MANAGEMENT, GUEST]) {
      const out = helmOk(['package', path.join(outs.example, chart), '--destination', dest]);
      const tgz = path.join(dest, `${chart}-${pkg.version}.tgz`);
      expect(out).to.include(tgz);
      expect(fs.statSync(tgz).size).to.be.greaterThan(1000);
    }
    const rendered = parseRendered(helmOk(['template', 'prod-west-2', path.join(dest, `${MANAGEMENT}-${pkg.version}.tgz`), '-n', 'clusters-prod-west-2', '-f', path.join(outs.example, 'values', 'prod-west-2.yaml')]));
    expect(rendered.map((o) => o.kind)).to.include.members(['Deployment', 'Job', 'Route', 'ServiceMonitor']);
  });
});
