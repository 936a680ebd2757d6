/**
 * End-to-end checks of the real tool chain: `cdk8s synth` and `synth:helm` (as the npm scripts run them),
 * `cdk8s import` (imports/ must be what it generates from crds/), and the CRD copies' provenance.
 * Needs the compiled app (build/infra/main.js), which `npm test` builds first.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect } from 'chai';
import { parse, parseAllDocuments } from 'yaml';
import { CRD_FILES, ROOT } from './helpers.js';

const CDK8S = path.join(ROOT, 'node_modules', '.bin', 'cdk8s');
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string; scripts: Record<string, string> };

let tmp: string;

function cdk8s(args: string[]): string {
  return execFileSync(CDK8S, ['--no-check-upgrade', ...args], {
    cwd: ROOT,
    env: { ...process.env, HCP_CLUSTERS_FILE: 'clusters.example.yaml' },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function readTree(root: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.set(path.relative(root, p), fs.readFileSync(p));
    }
  };
  walk(root);
  return out;
}

function expectSameTree(a: string, b: string): void {
  const ta = readTree(a);
  const tb = readTree(b);
  expect([...ta.keys()]).to.deep.equal([...tb.keys()]);
  for (const [k, v] of ta) expect(Buffer.compare(v, tb.get(k)!), `${k} differs between two syntheses`).to.equal(0);
}

/** What `npm run synth:helm` does (after the build), into `out`. */
function synthHelm(out: string): string {
  return execFileSync(process.execPath, [path.join(ROOT, 'build', 'infra', 'helm.js'), out, 'clusters.example.yaml'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

describe('infra cdk8s tool chain', function () {
  this.timeout(120_000);

  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hcp-synth-'));
  });
  after(() => {
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('package.json runs synth and synth:helm as documented', () => {
    expect(pkg.scripts.synth).to.match(/cdk8s synth/);
    expect(pkg.scripts['synth:helm']).to.equal('npm run build && node build/infra/helm.js dist-helm');
    const cfg = parse(fs.readFileSync(path.join(ROOT, 'cdk8s.yaml'), 'utf8')) as { app: string; language: string; output: string; imports: string[] };
    expect(cfg.language).to.equal('typescript');
    expect(cfg.app).to.equal('node build/infra/main.js');
    expect(cfg.output).to.equal('dist');
    expect(cfg.imports).to.deep.equal(['route:=crds/route.openshift.io_routes.yaml', 'servicemonitor:=crds/monitoring.coreos.com_servicemonitors.yaml', 'podmonitor:=crds/monitoring.coreos.com_podmonitors.yaml']);
  });

  it('cdk8s synth writes one plain manifest per hosted cluster, byte-identical across runs', () => {
    const a = path.join(tmp, 'plain-a');
    const b = path.join(tmp, 'plain-b');
    cdk8s(['synth', '--output', a]);
    cdk8s(['synth', '--output', b]);
    expect(fs.readdirSync(a).sort()).to.deep.equal(['prod-east-1.guest.k8s.yaml', 'prod-east-1.k8s.yaml', 'prod-west-2.guest.k8s.yaml', 'prod-west-2.k8s.yaml']);
    expectSameTree(a, b);
    const guestKinds = parseAllDocuments(fs.readFileSync(path.join(a, 'prod-west-2.guest.k8s.yaml'), 'utf8')).map((d) => (d.toJS() as { kind: string }).kind);
    expect(guestKinds).to.deep.equal(['ServiceAccount', 'Deployment', 'NetworkPolicy', 'PodMonitor']);
    const kinds = parseAllDocuments(fs.readFileSync(path.join(a, 'prod-east-1.k8s.yaml'), 'utf8')).map((d) => (d.toJS() as { kind: string }).kind);
    expect(kinds).to.include.members(['Deployment', 'Service', 'Route', 'PodDisruptionBudget', 'Role', 'RoleBinding', 'NetworkPolicy']);
  });

  it('synth:helm writes both charts and a values file per hosted cluster, byte-identical across runs, without CRDs', () => {
    const a = path.join(tmp, 'helm-a');
    const b = path.join(tmp, 'helm-b');
    const log = synthHelm(a);
    synthHelm(b);
    expectSameTree(a, b);
    expect(log).to.include('chart hcp-metrics-proxy in');
    expect(fs.readdirSync(a).sort()).to.deep.equal([pkg.name, `${pkg.name}-guest`, 'values']);
    for (const name of [pkg.name, `${pkg.name}-guest`]) {
      const chart = parse(fs.readFileSync(path.join(a, name, 'Chart.yaml'), 'utf8')) as Record<string, unknown>;
      expect(chart).to.include({ apiVersion: 'v2', name, version: pkg.version, appVersion: pkg.version, type: 'application' });
      for (const k of ['icon', 'home', 'kubeVersion']) expect(chart[k], k).to.be.a('string').and.not.equal('');
      expect(chart.sources).to.be.an('array').that.is.not.empty;
      expect(chart.keywords).to.be.an('array').that.includes('hypershift');
      for (const f of ['values.yaml', 'values.schema.json', 'README.md', 'templates/_helpers.tpl']) expect(fs.existsSync(path.join(a, name, f)), `${name}/${f}`).to.equal(true);
      // Monitoring CRDs belong to the cluster, not to a per-hosted-cluster release; the Route is native on OpenShift.
      expect(fs.existsSync(path.join(a, name, 'crds')), `${name}/crds`).to.equal(false);
    }
    expect(fs.readdirSync(path.join(a, 'values')).sort()).to.deep.equal(['prod-east-1.yaml', 'prod-west-2.yaml']);
    const v = parse(fs.readFileSync(path.join(a, 'values', 'prod-west-2.yaml'), 'utf8')) as Record<string, unknown>;
    expect(v).to.include({ name: 'prod-west-2', routeHost: 'metrics-proxy-prod-west-2.apps.mgmt.example.com', metricsSet: 'SRE' });
    expect(v).not.to.have.property('namespace');
  });

  it('a malformed clusters file fails cdk8s synth with the file, entry and key', () => {
    const bad = path.join(tmp, 'bad-clusters.yaml');
    fs.writeFileSync(bad, 'clusters:\n  - name: x\n    namespace: clusters-x\n    routeHost: x.example.com\n    image: quay.io/a/b:1\n    metricsSet: Some\n');
    let stderr = '';
    try {
      execFileSync(CDK8S, ['--no-check-upgrade', 'synth', '--output', path.join(tmp, 'bad-out')], { cwd: ROOT, env: { ...process.env, HCP_CLUSTERS_FILE: bad }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      expect.fail('synthesis should fail');
    } catch (err) {
      stderr = String((err as { stderr?: string }).stderr ?? '');
    }
    expect(stderr).to.include(`${bad}:6: clusters[0] (x): key 'metricsSet': unknown MetricsSet 'Some'`);
  });

  it('imports/ is exactly what cdk8s import generates from the CRDs in cdk8s.yaml', () => {
    const out = path.join(tmp, 'imports');
    cdk8s(['import', '--no-save', '--language', 'typescript', '--output', out]);
    const generated = readTree(out);
    const committed = new Map([...readTree(path.join(ROOT, 'imports'))].filter(([k]) => k.endsWith('.ts')));
    expect([...committed.keys()].sort()).to.deep.equal([...generated.keys()].sort());
    for (const [k, v] of generated) expect(committed.get(k)!.equals(v), `imports/${k} is stale; run npx cdk8s import --no-check-upgrade`).to.equal(true);
  });

  it('crds/ holds the byte-exact upstream files recorded in crds/SOURCES.md', () => {
    const sources = fs.readFileSync(path.join(ROOT, 'crds', 'SOURCES.md'), 'utf8');
    for (const f of CRD_FILES) {
      const sha = createHash('sha256').update(fs.readFileSync(path.join(ROOT, 'crds', f))).digest('hex');
      expect(sources, f).to.match(new RegExp(`\\| \`${f.replace(/\./g, '\\.')}\` \\|[^\\n]*\`${sha}\``));
    }
  });
});
