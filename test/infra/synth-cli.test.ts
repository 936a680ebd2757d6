/**
 * End-to-end checks of the real tool chain: `cdk8s synth` (plain and --format helm, as the npm scripts run
 * it), `cdk8s import` (imports/ must be what it generates from crds/), and the CRD copies' provenance.
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

/** What `npm run synth:helm` does, into `out`. */
function synthHelm(out: string): void {
  cdk8s(['synth', '--format', 'helm', '--chart-version', pkg.version, '--output', out]);
  execFileSync(process.execPath, [path.join(ROOT, 'build', 'infra', 'helm.js'), out], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
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
    expect(pkg.scripts['synth:helm']).to.match(/cdk8s synth .*--format helm --chart-version \$npm_package_version/);
    expect(pkg.scripts['synth:helm']).to.include('build/infra/helm.js');
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

  it('cdk8s synth --format helm writes a chart with Chart.yaml and templates/ but no Route CRD, byte-identical across runs', () => {
    const a = path.join(tmp, 'helm-a');
    const b = path.join(tmp, 'helm-b');
    synthHelm(a);
    synthHelm(b);
    expectSameTree(a, b);
    const chart = parse(fs.readFileSync(path.join(a, 'Chart.yaml'), 'utf8')) as Record<string, string>;
    expect(chart).to.include({ apiVersion: 'v2', name: pkg.name, version: pkg.version, appVersion: pkg.version, type: 'application' });
    expect(fs.readdirSync(path.join(a, 'templates')).sort()).to.deep.equal(['prod-east-1.k8s.yaml', 'prod-west-2.k8s.yaml']);
    // Each guest side is a chart of its own (it goes to another cluster), kept out of this chart's package.
    expect(fs.readdirSync(path.join(a, 'guest')).sort()).to.deep.equal(['prod-east-1', 'prod-west-2']);
    for (const name of ['prod-east-1', 'prod-west-2']) {
      const g = parse(fs.readFileSync(path.join(a, 'guest', name, 'Chart.yaml'), 'utf8')) as Record<string, string>;
      expect(g).to.include({ apiVersion: 'v2', name: `${pkg.name}-guest`, version: pkg.version, appVersion: pkg.version, type: 'application' });
      expect(fs.readdirSync(path.join(a, 'guest', name, 'templates'))).to.deep.equal([`${name}.guest.k8s.yaml`]);
    }
    expect(fs.readFileSync(path.join(a, '.helmignore'), 'utf8').split('\n')).to.include('guest/');
    const crds = fs.existsSync(path.join(a, 'crds')) ? fs.readdirSync(path.join(a, 'crds')) : [];
    const groups = crds.map((f) => (parse(fs.readFileSync(path.join(a, 'crds', f), 'utf8')) as { spec: { group: string } }).spec.group);
    expect(groups).not.to.include('route.openshift.io');
    expect(crds.sort()).to.deep.equal(['monitoring.coreos.com_podmonitors.yaml', 'monitoring.coreos.com_servicemonitors.yaml']);
    for (const [file, bytes] of readTree(a)) {
      for (const doc of parseAllDocuments(bytes.toString('utf8'))) {
        const o = doc.toJS() as { kind?: string; spec?: { group?: string } } | null;
        expect(o?.kind === 'CustomResourceDefinition' && o.spec?.group === 'route.openshift.io', `${file} installs the Route CRD`).to.equal(false);
      }
    }
    // The plain and Helm outputs carry the same manifests.
    const plain = path.join(tmp, 'plain-a');
    if (fs.existsSync(plain)) {
      expect(fs.readFileSync(path.join(a, 'templates', 'prod-west-2.k8s.yaml'))).to.deep.equal(fs.readFileSync(path.join(plain, 'prod-west-2.k8s.yaml')));
      expect(fs.readFileSync(path.join(a, 'guest', 'prod-east-1', 'templates', 'prod-east-1.guest.k8s.yaml'))).to.deep.equal(fs.readFileSync(path.join(plain, 'prod-east-1.guest.k8s.yaml')));
    }
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
