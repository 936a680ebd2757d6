/**
 * The proxy's HTTP surface on a complete local stack (DESIGN §2): status codes, /components, probes,
 * content negotiation, gzip, and the two live reloads (config file, serving certificate).
 * Addresses: 127.0.104.x (pods); the resolver and the proxy listen on 127.0.0.1.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { join } from 'node:path';
import tls from 'node:tls';
import zlib from 'node:zlib';
import YAML from 'yaml';
import { memoryLogger } from '../../../common/log.js';
import { scrapeProxy } from '../../../demo/client.js';
import { startLocalStack, type LocalStack } from '../../../demo/stack.js';
import { createCA, issueCertificate } from '../../../generator/pki/index.js';
import { parseSamples, proxyMetric } from '../../support/exposition.js';
import { eventually } from '../../support/prometheus.js';

/** What Prometheus 2.42 sends. */
const PROMETHEUS_ACCEPT = 'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';
const TEXT_TYPE = /^text\/plain; version=0\.0\.4/;
const OM_TYPE = /^application\/openmetrics-text; version=1\.0\.0/;

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** Any method, any path, raw (the body is gunzipped when gzip). */
function request(url: string, caPem: string, method: string, headers: Record<string, string> = {}, agent: https.Agent | false = false): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method, ca: caPem, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (b: Buffer) => chunks.push(b));
      res.on('error', reject);
      res.on('end', () => {
        let raw = Buffer.concat(chunks);
        if (res.headers['content-encoding'] === 'gzip') raw = zlib.gunzipSync(raw);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: raw.toString('utf8') });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/** SHA-256 fingerprint of the certificate a new TLS connection to the proxy is given. */
function servedFingerprint(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
      const fp = s.getPeerCertificate().fingerprint256;
      s.end();
      resolve(fp);
    });
    s.on('error', reject);
  });
}

/** Replace a file the way a ConfigMap/Secret update or `mv` does: readers see the old or the new content, never half. */
function writeAtomically(file: string, content: string): void {
  writeFileSync(`${file}.tmp`, content);
  renameSync(`${file}.tmp`, file);
}

function withoutDurations(body: string): string {
  return body
    .split('\n')
    .filter((l) => !l.startsWith('scrape_duration_seconds{'))
    .join('\n');
}

describe('proxy server (on a local stack)', function () {
  this.timeout(60_000);
  let stack: LocalStack;
  let caPem: string;
  let originalConfig: string;
  let components: string[];
  const get = (path: string, headers: Record<string, string> = {}) => request(`${stack.proxyUrl}${path}`, caPem, 'GET', headers);
  const servedComponents = async (): Promise<string[]> => {
    const a = await get('/components');
    expect(a.status).to.equal(200);
    return JSON.parse(a.body) as string[];
  };
  const restoreConfig = async () => {
    writeAtomically(stack.configFile, originalConfig);
    await eventually(async () => (JSON.stringify(await servedComponents()) === JSON.stringify(components) ? true : undefined), 20_000, 'the original config back');
  };

  before(async () => {
    stack = await startLocalStack({ ipPrefix: '127.0.104', apiserver: { seriesCount: 1000 }, scrapeTimeout: '2s', logger: memoryLogger('app-test') });
    caPem = readFileSync(stack.certs.caFile, 'utf8');
    originalConfig = readFileSync(stack.configFile, 'utf8');
    components = stack.controlPlane.components.map((c) => `/metrics/${c.name}`);
  });
  after(async () => {
    await stack?.close();
  });

  describe('probes and listings', () => {
    it('GET /healthz and /readyz answer 200 ok', async () => {
      for (const p of ['/healthz', '/readyz']) {
        const a = await get(p);
        expect(a.status, p).to.equal(200);
        expect(a.body).to.equal('ok\n');
      }
      const verbose = await get('/readyz?verbose');
      expect(verbose.body).to.match(/^\[\+\]config ok$/m);
      const unknown = await get('/readyz?exclude=etcd');
      expect(unknown.status).to.equal(400);
      expect(unknown.body).to.match(/unknown readiness check\(s\) to exclude: etcd \(known: config, kube-apiserver, runtime\)/);
    });

    it('GET /components lists the served paths as JSON', async () => {
      const a = await get('/components');
      expect(a.status).to.equal(200);
      expect(a.headers['content-type']).to.match(/^application\/json/);
      expect(JSON.parse(a.body)).to.deep.equal([
        '/metrics/kube-apiserver',
        '/metrics/etcd',
        '/metrics/kube-controller-manager',
        '/metrics/openshift-apiserver',
        '/metrics/openshift-controller-manager',
        '/metrics/cluster-version-operator',
      ]);
    });

    it('GET /metrics serves the proxy’s own metrics', async () => {
      await get('/metrics/etcd');
      const a = await get('/metrics');
      expect(a.status).to.equal(200);
      expect(a.body).to.match(/^# TYPE hcp_metrics_proxy_requests_total counter$/m);
      expect(a.body).to.match(/^hcp_metrics_proxy_requests_total\{component="etcd",code="200"\} [1-9]/m);
    });
  });

  describe('status codes (DESIGN §2)', () => {
    for (const path of ['/metrics/a/b/c', '/metrics/x/abc', '/metrics/etcd/abc', '/metrics/etcd/-1', '/metrics/etcd/01', '/metrics/.hidden', '/metrics/etcd/']) {
      it(`400 for the malformed path ${path}`, async () => {
        const a = await get(path);
        expect(a.status, a.body).to.equal(400);
        expect(a.body).to.match(/malformed/);
      });
    }

    it('404 for an unknown component, with a pointer to /components', async () => {
      const a = await get('/metrics/no-such-component');
      expect(a.status).to.equal(404);
      expect(a.body).to.match(/unknown component "no-such-component".*\/components/);
    });

    it('404 for an endpoint index the component does not have', async () => {
      for (const path of ['/metrics/etcd/1', '/metrics/kube-apiserver/2', '/metrics/etcd/9999']) {
        const a = await get(path);
        expect(a.status, path).to.equal(404);
        expect(a.body).to.match(/has no endpoint/);
      }
    });

    it('404 for a path outside the API', async () => {
      expect((await get('/nothing-here')).status).to.equal(404);
    });

    it('405 with Allow: GET for other methods', async () => {
      for (const [method, path] of [
        ['POST', '/metrics/etcd'],
        ['PUT', '/metrics/etcd'],
        ['DELETE', '/components'],
        ['POST', '/metrics'],
      ] as const) {
        const a = await request(`${stack.proxyUrl}${path}`, caPem, method);
        expect(a.status, `${method} ${path}`).to.equal(405);
        expect(a.headers.allow).to.equal('GET');
      }
    });

    it('200 when some pods fail (their up is 0)', async () => {
      const a = await get('/metrics/openshift-controller-manager');
      expect(a.status).to.equal(200);
      const up = parseSamples(a.body).filter((s) => s.name === 'up');
      expect(up.map((s) => s.value).sort()).to.deep.equal(['0', '1']);
    });

    it('503 with Retry-After when the resolver is down and nothing is cached, 200 again once it is back', async () => {
      // A component with a selector never resolved before: nothing cached for it.
      const doc = YAML.parse(originalConfig) as { components: Record<string, unknown>[] };
      const etcd = doc.components.find((c) => c.name === 'etcd')!;
      doc.components.push({ ...etcd, name: 'resolver-probe', selector: { app: 'etcd', probe: `p${process.hrtime.bigint()}` } });
      writeAtomically(stack.configFile, YAML.stringify(doc));
      try {
        await eventually(async () => ((await servedComponents()).includes('/metrics/resolver-probe') ? true : undefined), 20_000, 'the probe component');
        const errorsBefore = await proxyMetric(stack.proxyUrl, caPem, 'hcp_metrics_proxy_resolver_errors_total');
        await stack.management.setResolverRunning(false);
        const a = await get('/metrics/resolver-probe');
        expect(a.status, a.body).to.equal(503);
        expect(a.headers['retry-after']).to.match(/^[1-9]\d*$/);
        expect(a.body).to.match(/resolver/);
        expect(await proxyMetric(stack.proxyUrl, caPem, 'hcp_metrics_proxy_resolver_errors_total')).to.be.greaterThan(errorsBefore);
        expect((await get('/healthz')).status).to.equal(200);

        await stack.management.setResolverRunning(true);
        // No pod matches the probe selector: the resolver's 404 means zero targets, still a 200.
        const b = await get('/metrics/resolver-probe');
        expect(b.status, b.body).to.equal(200);
      } finally {
        await stack.management.setResolverRunning(true);
        await restoreConfig();
      }
    });
  });

  it('answers concurrent scrapes of one component completely and identically', async () => {
    const answers = await Promise.all(Array.from({ length: 8 }, () => scrapeProxy(`${stack.proxyUrl}/metrics/kube-apiserver`, { caPem, headers: { 'Accept-Encoding': 'gzip' } })));
    const first = withoutDurations(answers[0]!.body);
    expect(parseSamples(first).filter((s) => s.name === 'up' && s.value === '1')).to.have.length(3);
    for (const a of answers) {
      expect(a.status).to.equal(200);
      expect(withoutDurations(a.body)).to.equal(first);
    }
  });

  describe('content negotiation', () => {
    it('OpenMetrics when the caller prefers it and every pod answered OpenMetrics', async () => {
      const a = await get('/metrics/cluster-version-operator', { Accept: PROMETHEUS_ACCEPT });
      expect(a.status).to.equal(200);
      expect(a.headers['content-type']).to.match(OM_TYPE);
      expect(a.body.endsWith('# EOF\n')).to.equal(true);
      expect(a.body.match(/^# EOF$/gm)).to.have.length(1);
      expect(parseSamples(a.body).some((s) => s.name === 'up' && s.value === '1')).to.equal(true);
    });

    it('text when the caller does not ask for OpenMetrics, or ranks it lower', async () => {
      for (const accept of [undefined, 'text/plain;version=0.0.4', '*/*', 'application/openmetrics-text;version=1.0.0;q=0.2,text/plain;q=0.9']) {
        const a = await get('/metrics/cluster-version-operator', accept ? { Accept: accept } : {});
        expect(a.status).to.equal(200);
        expect(a.headers['content-type'], String(accept)).to.match(TEXT_TYPE);
        expect(a.body, String(accept)).to.not.match(/^# EOF$/m);
      }
    });

    it('text when the caller prefers OpenMetrics but the pods answered text', async () => {
      const a = await get('/metrics/etcd', { Accept: PROMETHEUS_ACCEPT });
      expect(a.status).to.equal(200);
      expect(a.headers['content-type']).to.match(TEXT_TYPE);
      expect(a.body).to.not.match(/^# EOF$/m);
    });

    it('gzip when the caller accepts it, with the same content', async () => {
      const plain = await scrapeProxy(`${stack.proxyUrl}/metrics/etcd`, { caPem, headers: { 'Accept-Encoding': 'identity' } });
      const gz = await scrapeProxy(`${stack.proxyUrl}/metrics/etcd`, { caPem, headers: { 'Accept-Encoding': 'gzip' } });
      expect(plain.status).to.equal(200);
      expect(gz.status).to.equal(200);
      expect(plain.headers['content-encoding']).to.equal(undefined);
      expect(gz.headers['content-encoding']).to.equal('gzip');
      expect(String(gz.headers.vary)).to.match(/Accept-Encoding/i);
      expect(gz.wireBytes).to.be.lessThan(plain.wireBytes / 3);
      expect(withoutDurations(gz.body)).to.equal(withoutDurations(plain.body));
      expect(parseSamples(gz.body).length).to.be.greaterThan(1000);
    });

    it('gzip that curl --compressed reads to the end (one gzip member, although compressed in parallel pieces)', async () => {
      const plain = await scrapeProxy(`${stack.proxyUrl}/metrics/kube-apiserver`, { caPem, headers: { 'Accept-Encoding': 'identity' } });
      // More than one 1 MiB group, so several pieces. curl fails with error 23 at a second gzip member.
      expect(plain.wireBytes).to.be.greaterThan(1.5 * 1024 * 1024);
      const viaCurl = await new Promise<string>((resolve, reject) =>
        execFile('curl', ['-sS', '--fail', '--compressed', '--cacert', stack.certs.caFile, `${stack.proxyUrl}/metrics/kube-apiserver`], { encoding: 'utf8', maxBuffer: 1 << 28 }, (err, stdout, stderr) =>
          err ? reject(new Error(`curl: ${err.message} ${stderr}`)) : resolve(stdout),
        ),
      );
      expect(withoutDurations(viaCurl)).to.equal(withoutDurations(plain.body));
    });
  });

  describe('config file reload', () => {
    it('serves a component added to the file without restart, and keeps the last good config when the file turns invalid', async () => {
      const doc = YAML.parse(originalConfig) as { components: Record<string, unknown>[] };
      const etcd = doc.components.find((c) => c.name === 'etcd')!;
      doc.components.push({ ...etcd, name: 'etcd-again' });
      try {
        writeAtomically(stack.configFile, YAML.stringify(doc));
        const served = await eventually(async () => {
          const s = await servedComponents();
          return s.includes('/metrics/etcd-again') ? s : undefined;
        }, 20_000, '/metrics/etcd-again in /components');
        expect(served).to.deep.equal([...components, '/metrics/etcd-again']);
        const added = await get('/metrics/etcd-again');
        expect(added.status).to.equal(200);
        const up = parseSamples(added.body).filter((s) => s.name === 'up');
        expect(up.map((s) => [s.labels.pod, s.labels.job, s.value])).to.deep.equal([
          ['etcd-0', 'etcd', '1'],
          ['etcd-1', 'etcd', '1'],
          ['etcd-2', 'etcd', '1'],
        ]);

        // Invalid: an unknown key, and (were it applied) only one component left.
        const failuresBefore = await proxyMetric(stack.proxyUrl, caPem, 'hcp_metrics_proxy_config_reloads_total', { result: 'failure' });
        writeAtomically(stack.configFile, YAML.stringify({ ...doc, components: [etcd], unexpectedKey: true }));
        await eventually(
          async () => ((await proxyMetric(stack.proxyUrl, caPem, 'hcp_metrics_proxy_config_reloads_total', { result: 'failure' })) > failuresBefore ? true : undefined),
          20_000,
          'hcp_metrics_proxy_config_reloads_total{result="failure"} to increase',
        );
        expect(await proxyMetric(stack.proxyUrl, caPem, 'hcp_metrics_proxy_config_last_reload_successful')).to.equal(0);
        expect(await servedComponents()).to.deep.equal([...components, '/metrics/etcd-again']);
        expect((await get('/metrics/etcd-again')).status).to.equal(200);
        expect((await get('/metrics/kube-controller-manager')).status).to.equal(200);
        expect((await get('/readyz')).status).to.equal(200);
      } finally {
        await restoreConfig();
      }
      await eventually(
        async () => ((await proxyMetric(stack.proxyUrl, caPem, 'hcp_metrics_proxy_config_last_reload_successful')) === 1 ? true : undefined),
        20_000,
        'config_last_reload_successful back to 1',
      );
      // Removed from the file: no longer served.
      expect((await get('/metrics/etcd-again')).status).to.equal(404);
    });

    it('applies relabelings per pod: rewritten and added target labels, a dropped pod is not scraped', async () => {
      const doc = YAML.parse(originalConfig) as { components: Record<string, unknown>[] };
      const etcd = doc.components.find((c) => c.name === 'etcd')!;
      const relabelings = [
        { action: 'drop', sourceLabels: ['__meta_kubernetes_pod_name'], regex: 'etcd-1' },
        { targetLabel: 'job', replacement: 'etcd-relabeled' },
        { sourceLabels: ['pod'], regex: 'etcd-(\\d+)', targetLabel: 'member', replacement: 'm$1' },
      ];
      doc.components.push({ ...etcd, name: 'etcd-relabeled', relabelings });
      try {
        writeAtomically(stack.configFile, YAML.stringify(doc));
        await eventually(async () => ((await servedComponents()).includes('/metrics/etcd-relabeled') ? true : undefined), 20_000, '/metrics/etcd-relabeled');
        const a = await get('/metrics/etcd-relabeled');
        expect(a.status).to.equal(200);
        const samples = parseSamples(a.body);
        const up = samples.filter((s) => s.name === 'up');
        expect(up.map((s) => [s.labels.pod, s.labels.job, s.labels.member, s.value])).to.deep.equal([
          ['etcd-0', 'etcd-relabeled', 'm0', '1'],
          ['etcd-2', 'etcd-relabeled', 'm2', '1'],
        ]);
        expect(samples.some((s) => s.labels.pod === 'etcd-1'), 'etcd-1 dropped').to.equal(false);
        expect(samples.filter((s) => s.name !== 'up').every((s) => s.labels.job === 'etcd-relabeled' && /^m[02]$/.test(s.labels.member ?? ''))).to.equal(true);
      } finally {
        await restoreConfig();
      }
    });

    it('scrapes where relabelings move __address__ and __metrics_path__; instance follows the address', async () => {
      const before = parseSamples((await get('/metrics/etcd')).body).filter((s) => s.name === 'up');
      const etcd0 = before.find((s) => s.labels.pod === 'etcd-0')!.labels.instance!;
      const doc = YAML.parse(originalConfig) as { components: Record<string, unknown>[] };
      const etcd = doc.components.find((c) => c.name === 'etcd')!;
      const relabelings = [
        { sourceLabels: ['__meta_kubernetes_pod_name'], regex: 'etcd-0', targetLabel: '__metrics_path__', replacement: '/nope' },
        { sourceLabels: ['__meta_kubernetes_pod_name'], regex: 'etcd-1', targetLabel: '__address__', replacement: '127.0.0.1:1' },
        { sourceLabels: ['__meta_kubernetes_pod_name'], regex: 'etcd-2', targetLabel: '__address__', replacement: etcd0 },
      ];
      doc.components.push({ ...etcd, name: 'etcd-moved', relabelings });
      try {
        writeAtomically(stack.configFile, YAML.stringify(doc));
        await eventually(async () => ((await servedComponents()).includes('/metrics/etcd-moved') ? true : undefined), 20_000, '/metrics/etcd-moved');
        const errors = (reason: string) => proxyMetric(stack.proxyUrl, caPem, 'hcp_metrics_proxy_pod_scrape_errors_total', { component: 'etcd-moved', reason });
        const a = await get('/metrics/etcd-moved');
        expect(a.status).to.equal(200);
        const up = parseSamples(a.body).filter((s) => s.name === 'up');
        expect(up.map((s) => [s.labels.pod, s.labels.instance, s.value])).to.deep.equal([
          ['etcd-0', etcd0, '0'], // 404 on /nope
          ['etcd-1', '127.0.0.1:1', '0'], // nothing listens there
          ['etcd-2', etcd0, '1'], // etcd-0's body, under etcd-2's labels
        ]);
        expect(await errors('http_status')).to.equal(1);
        expect(await errors('connect')).to.equal(1);
      } finally {
        await restoreConfig();
      }
    });

    it("copies podTargetLabels from each pod's own labels, as the real resolver reports them", async () => {
      const { kas, namespace } = stack.management;
      kas.resources.patch('pods', namespace, 'etcd-0', { metadata: { labels: { 'topology.kubernetes.io/zone': 'zone-a' } } });
      kas.resources.patch('pods', namespace, 'etcd-1', { metadata: { labels: { 'topology.kubernetes.io/zone': 'zone-b' } } });
      const doc = YAML.parse(originalConfig) as { components: Record<string, unknown>[] };
      const etcd = doc.components.find((c) => c.name === 'etcd')!;
      doc.components.push({ ...etcd, name: 'etcd-zoned', podTargetLabels: ['topology.kubernetes.io/zone', 'hypershift.openshift.io/control-plane-component'] });
      try {
        writeAtomically(stack.configFile, YAML.stringify(doc));
        await eventually(async () => ((await servedComponents()).includes('/metrics/etcd-zoned') ? true : undefined), 20_000, '/metrics/etcd-zoned');
        // The resolver's informer sees the patch, then the proxy's resolver cache expires.
        const samples = await eventually(async () => {
          const all = parseSamples((await get('/metrics/etcd-zoned')).body);
          return all.some((x) => x.labels.topology_kubernetes_io_zone === 'zone-b') ? all : undefined;
        }, 20_000, 'zone labels on /metrics/etcd-zoned');
        const up = samples.filter((x) => x.name === 'up');
        expect(up.map((x) => [x.labels.pod, x.labels.topology_kubernetes_io_zone, x.labels.hypershift_openshift_io_control_plane_component, x.value])).to.deep.equal([
          ['etcd-0', 'zone-a', 'etcd', '1'],
          ['etcd-1', 'zone-b', 'etcd', '1'],
          ['etcd-2', undefined, 'etcd', '1'], // no such label on this pod: none copied
        ]);
        const zones = new Set(samples.filter((x) => x.labels.pod === 'etcd-1').map((x) => x.labels.topology_kubernetes_io_zone));
        expect([...zones], "every sample of etcd-1 carries etcd-1's zone").to.deep.equal(['zone-b']);
      } finally {
        await restoreConfig();
      }
    });

    it('follows a Kubernetes ConfigMap volume: config.yaml -> ..data/config.yaml, ..data swapped atomically', async () => {
      const doc = YAML.parse(originalConfig) as { components: Record<string, unknown>[] };
      const etcd = doc.components.find((c) => c.name === 'etcd')!;
      const version = (dir: string, extra: string) => {
        mkdirSync(join(stack.dir, dir));
        writeFileSync(join(stack.dir, dir, 'config.yaml'), YAML.stringify({ ...doc, components: [...doc.components, { ...etcd, name: extra }] }));
      };
      try {
        // kubelet's layout: the mounted file is a symlink through the ..data symlink.
        version('..2024_01_01_00_00_00.1', 'etcd-volume-v1');
        symlinkSync('..2024_01_01_00_00_00.1', join(stack.dir, '..data'));
        symlinkSync('..data/config.yaml', join(stack.dir, 'config.yaml.link'));
        renameSync(join(stack.dir, 'config.yaml.link'), stack.configFile);
        await eventually(async () => ((await servedComponents()).includes('/metrics/etcd-volume-v1') ? true : undefined), 20_000, 'the v1 volume served');

        // An update: a new timestamped directory, and ..data renamed over.
        version('..2024_01_01_00_05_00.2', 'etcd-volume-v2');
        symlinkSync('..2024_01_01_00_05_00.2', join(stack.dir, '..data_tmp'));
        renameSync(join(stack.dir, '..data_tmp'), join(stack.dir, '..data'));
        const served = await eventually(async () => {
          const s = await servedComponents();
          return s.includes('/metrics/etcd-volume-v2') ? s : undefined;
        }, 20_000, 'the v2 volume served');
        expect(served).to.deep.equal([...components, '/metrics/etcd-volume-v2']);
        expect((await get('/metrics/etcd-volume-v2')).status).to.equal(200);
      } finally {
        await restoreConfig();
      }
    });
  });

  describe('serving certificate reload', () => {
    it('gives new TLS connections the new certificate while the server keeps answering', async () => {
      const files = stack.certs.proxyServing;
      const oldCert = readFileSync(files.certFile, 'utf8');
      const oldKey = readFileSync(files.keyFile, 'utf8');
      const oldFp = new X509Certificate(oldCert).fingerprint256;
      expect(await servedFingerprint(stack.server.port)).to.equal(oldFp);
      // A keep-alive connection opened before the swap.
      const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
      try {
        expect((await request(`${stack.proxyUrl}/healthz`, caPem, 'GET', {}, agent)).status).to.equal(200);

        const newCa = createCA({ commonName: 'rotated serving CA' });
        const next = issueCertificate(newCa, { commonName: 'metrics-proxy', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'], usages: ['serverAuth'] });
        const newFp = new X509Certificate(next.certPem).fingerprint256;
        writeAtomically(files.keyFile, next.keyPem);
        writeAtomically(files.certFile, next.certPem);
        await eventually(async () => ((await servedFingerprint(stack.server.port)) === newFp ? true : undefined), 20_000, 'the new certificate on new connections');

        // New connections verify against the new CA, and no longer against the old one.
        const fresh = await request(`${stack.proxyUrl}/metrics/etcd`, newCa.certPem, 'GET');
        expect(fresh.status).to.equal(200);
        expect(parseSamples(fresh.body).filter((s) => s.name === 'up' && s.value === '1')).to.have.length(3);
        let rejected: unknown;
        try {
          await request(`${stack.proxyUrl}/healthz`, caPem, 'GET');
        } catch (err) {
          rejected = err;
        }
        expect(rejected, 'a new connection trusting only the old CA').to.be.instanceOf(Error);
        // The connection from before the swap still works.
        expect((await request(`${stack.proxyUrl}/healthz`, caPem, 'GET', {}, agent)).status).to.equal(200);
      } finally {
        agent.destroy();
        writeAtomically(files.keyFile, oldKey);
        writeAtomically(files.certFile, oldCert);
        await eventually(async () => ((await servedFingerprint(stack.server.port)) === oldFp ? true : undefined), 20_000, 'the original certificate back');
      }
    });
  });
});
