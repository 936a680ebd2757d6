import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect } from 'chai';
import { parseAllDocuments } from 'yaml';
import { buildApp, ClustersFileError, loadClustersFile } from '../../infra/app.js';
import { EXAMPLE_CLUSTERS } from './helpers.js';

let dir: string;

function write(text: string, name = 'clusters.yaml'): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

const ENTRY = `  - name: alpha
    namespace: clusters-alpha
    routeHost: metrics-alpha.apps.example.com
    image: quay.io/example/hcp-metrics-proxy:0.1.0
`;

/** Loads `text` and returns the ClustersFileError it must raise. */
function failure(text: string): ClustersFileError {
  const file = write(text);
  try {
    loadClustersFile(file);
  } catch (err) {
    expect(err, (err as Error).stack).to.be.instanceOf(ClustersFileError);
    const e = err as ClustersFileError;
    expect(e.file).to.equal(file);
    expect(e.message.startsWith(file)).to.equal(true);
    return e;
  }
  return expect.fail('expected a ClustersFileError');
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

describe('infra clusters file and app', () => {
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hcp-infra-'));
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('loads the example clusters file, with defaults merged under each entry', () => {
    const entries = loadClustersFile(EXAMPLE_CLUSTERS);
    expect(entries.map((e) => e.props.name)).to.deep.equal(['prod-east-1', 'prod-west-2']);
    expect(entries[0]!.props.image).to.equal('quay.io/example/hcp-metrics-proxy:0.1.0');
    expect(entries[1]!.props.metricsSet, 'the entry wins').to.equal('SRE');
    expect(entries[1]!.props.placement?.tolerations, 'mappings merge').to.have.length(1);
  });

  it('synthesizes one file per hosted cluster, named after it, and a guest file per enabled guest side', () => {
    const out = path.join(dir, 'dist');
    buildApp(EXAMPLE_CLUSTERS, { outdir: out }).synth();
    expect(fs.readdirSync(out).sort()).to.deep.equal(['prod-east-1.guest.k8s.yaml', 'prod-east-1.k8s.yaml', 'prod-west-2.guest.k8s.yaml', 'prod-west-2.k8s.yaml']);
    const guest = parseAllDocuments(fs.readFileSync(path.join(out, 'prod-east-1.guest.k8s.yaml'), 'utf8')).map((d) => d.toJS() as { kind: string; metadata: { namespace: string } });
    expect(guest.map((o) => o.kind)).to.include.members(['Deployment', 'NetworkPolicy', 'Secret']);
    for (const o of guest) expect(o.metadata.namespace, o.kind).to.equal('openshift-monitoring');
  });

  it('writes no guest file for a cluster whose guest side is off (the default)', () => {
    const out = path.join(dir, 'dist');
    buildApp(write(`clusters:\n${ENTRY}  - name: beta\n    namespace: clusters-beta\n    routeHost: metrics-beta.apps.example.com\n    image: quay.io/example/hcp-metrics-proxy:0.1.0\n    guest: {enabled: false, namespace: monitoring}\n`), { outdir: out }).synth();
    expect(fs.readdirSync(out).sort()).to.deep.equal(['alpha.k8s.yaml', 'beta.k8s.yaml']);
  });

  it('guest settings in defaults apply to the clusters that enable the guest side', () => {
    const app = buildApp(write(`defaults:\n  guest:\n    namespace: monitoring\n    replicas: 2\nclusters:\n${ENTRY}    guest:\n      enabled: true\n    allowedSubjects: [system:serviceaccount:monitoring:prometheus-k8s]\n  - name: beta\n    namespace: clusters-beta\n    routeHost: metrics-beta.apps.example.com\n    image: quay.io/example/hcp-metrics-proxy:0.1.0\n`), { outdir: path.join(dir, 'x') });
    expect(app.guest.charts.map((c) => c.node.id)).to.deep.equal(['alpha']);
    expect(app.guest.charts[0]!.namespace).to.equal('monitoring');
  });

  it('is deterministic: two syntheses produce identical bytes', () => {
    const a = path.join(dir, 'a');
    const b = path.join(dir, 'b');
    buildApp(EXAMPLE_CLUSTERS, { outdir: a }).synth();
    buildApp(EXAMPLE_CLUSTERS, { outdir: b }).synth();
    const ta = readTree(a);
    const tb = readTree(b);
    expect([...ta.keys()]).to.deep.equal([...tb.keys()]);
    for (const [k, v] of ta) expect(Buffer.compare(v, tb.get(k)!), k).to.equal(0);
  });

  describe('reports a malformed clusters file with the file, entry and key', () => {
    it('missing file', () => {
      try {
        loadClustersFile(path.join(dir, 'nope.yaml'));
        expect.fail('should throw');
      } catch (err) {
        expect(err).to.be.instanceOf(ClustersFileError);
        expect((err as Error).message).to.include('nope.yaml').and.include('cannot read');
      }
    });

    it('YAML syntax error, with its line', () => {
      const e = failure(`clusters:\n${ENTRY}  - name: [unclosed\n`);
      expect(e.message).to.include('not valid YAML');
      expect(e.line).to.be.a('number');
    });

    it('duplicate keys', () => {
      expect(failure(`clusters:\n${ENTRY}    name: again\n`).message).to.include('not valid YAML');
    });

    it('not a mapping', () => {
      expect(failure('- a\n- b\n').message).to.include("'clusters' list");
    });

    it('unknown top-level key', () => {
      const e = failure(`cluster:\n${ENTRY}`);
      expect(e.key).to.equal('cluster');
      expect(e.message).to.include("key 'cluster'");
    });

    it('empty clusters list', () => {
      expect(failure('clusters: []\n').key).to.equal('clusters');
    });

    it('entry that is not a mapping', () => {
      const e = failure(`clusters:\n${ENTRY}  - just-a-name\n`);
      expect(e.entry).to.equal('clusters[1]');
      expect(e.line).to.equal(6);
    });

    it('missing name', () => {
      const e = failure('clusters:\n  - namespace: clusters-x\n    routeHost: a.example.com\n');
      expect(e.entry).to.equal('clusters[0]');
      expect(e.key).to.equal('name');
      expect(e.message).to.include("clusters[0]: key 'name': is required");
    });

    it('invalid hostname: entry, key and line', () => {
      const e = failure(`clusters:\n${ENTRY}  - name: beta\n    namespace: clusters-beta\n    routeHost: Beta_Metrics.example.com\n    image: quay.io/example/hcp-metrics-proxy:0.1.0\n`);
      expect(e.entry).to.equal('clusters[1] (beta)');
      expect(e.key).to.equal('routeHost');
      expect(e.line).to.equal(8);
      expect(e.message).to.match(/clusters\.yaml:8: clusters\[1\] \(beta\): key 'routeHost': invalid hostname 'Beta_Metrics\.example\.com'/);
    });

    it('replicas < 2 with a PDB', () => {
      const e = failure(`clusters:\n${ENTRY}    replicas: 1\n`);
      expect(e.key).to.equal('replicas');
      expect(e.line).to.equal(6);
      expect(e.message).to.include('PodDisruptionBudget');
    });

    it('wrong type', () => {
      const e = failure(`clusters:\n${ENTRY}    replicas: two\n`);
      expect(e.key).to.equal('replicas');
      expect(e.message).to.include('integer');
    });

    it('unknown MetricsSet', () => {
      const e = failure(`clusters:\n${ENTRY}    metricsSet: Telemtry\n`);
      expect(e.key).to.equal('metricsSet');
      expect(e.message).to.include('unknown MetricsSet');
    });

    it('unknown key in an entry', () => {
      const e = failure(`clusters:\n${ENTRY}    replica: 3\n`);
      expect(e.key).to.equal('replica');
      expect(e.message).to.include('unknown key');
    });

    it('nested key', () => {
      const e = failure(`clusters:\n${ENTRY}    resolver:\n      replicas: 1\n`);
      expect(e.key).to.equal('resolver.replicas');
      expect(e.line).to.equal(7);
    });

    it('list item', () => {
      const e = failure(`clusters:\n${ENTRY}    authModes:\n      - bearerToken\n      - password\n`);
      expect(e.key).to.equal('authModes[1]');
      expect(e.line).to.equal(8);
    });

    it('a bad value inherited from defaults points at defaults', () => {
      const e = failure(`defaults:\n  metricsSet: Most\nclusters:\n${ENTRY}`);
      expect(e.entry).to.equal('clusters[0] (alpha)');
      expect(e.key).to.equal('metricsSet');
      expect(e.line).to.equal(2);
      expect(e.message).to.include('inherited from defaults');
    });

    it('per-cluster keys in defaults', () => {
      const e = failure(`defaults:\n  routeHost: a.example.com\nclusters:\n${ENTRY}`);
      expect(e.entry).to.equal('defaults');
      expect(e.key).to.equal('routeHost');
    });

    it('unknown guest key, with its line', () => {
      const e = failure(`clusters:\n${ENTRY}    guest:\n      enabled: true\n      replica: 2\n`);
      expect(e.key).to.equal('guest.replica');
      expect(e.line).to.equal(8);
      expect(e.message).to.include('unknown key');
    });

    it('guest without sync but without components', () => {
      const e = failure(`clusters:\n${ENTRY}    guest:\n      enabled: true\n      sync: false\n`);
      expect(e.key).to.equal('guest.components');
      expect(e.message).to.include('required with guest.sync: false');
    });

    it('a bad component name points at the list item', () => {
      const e = failure(`clusters:\n${ENTRY}    guest:\n      enabled: true\n      sync: false\n      components:\n        - etcd\n        - kube apiserver\n`);
      expect(e.key).to.equal('guest.components[1]');
      expect(e.line).to.equal(11);
    });

    it('guest auth mode the proxy does not accept', () => {
      const e = failure(`clusters:\n${ENTRY}    guest:\n      enabled: true\n      authMode: clientCertificate\n`);
      expect(e.key).to.equal('guest.authMode');
      expect(e.message).to.include("not among the cluster's authModes");
    });

    it('guest forwarder replicas (validated by the guest chart)', () => {
      const e = failure(`clusters:\n${ENTRY}    guest:\n      enabled: true\n      replicas: 0\n`);
      expect(e.key).to.equal('guest.replicas');
      expect(e.line).to.equal(8);
    });

    it('duplicate namespace', () => {
      const e = failure(`clusters:\n${ENTRY}  - name: beta\n    namespace: clusters-alpha\n    routeHost: metrics-beta.apps.example.com\n    image: quay.io/example/hcp-metrics-proxy:0.1.0\n`);
      expect(e.entry).to.equal('clusters[1] (beta)');
      expect(e.key).to.equal('namespace');
      expect(e.message).to.include('already used by clusters[0] (alpha)');
    });
  });
});
