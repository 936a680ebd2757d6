/**
 * Day 2: the generator in watch mode and a running proxy. A monitor added, changed and removed shows
 * up in the written ConfigMap and, through the proxy's file watch (the test plays the kubelet that
 * syncs the ConfigMap volume), in the proxy's GET /components without a restart. Addresses: 127.0.121.x.
 */
import { expect } from 'chai';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { startHttpsServer, type RunningServer } from '../../common/https-server.js';
import { memoryLogger } from '../../common/log.js';
import { CONFIG_KEY } from '../../generator/generate.js';
import { servedMonitorGroups } from '../../generator/inventory.js';
import { GeneratorWatch } from '../../generator/watch.js';
import { OutputWriter } from '../../generator/writer.js';
import { createCA, issueCertificate } from '../../generator/pki/index.js';
import { ProxyRuntime } from '../../proxy/runtime.js';
import { createScraper } from '../../proxy/scrape/scraper.js';
import { createProxyApp } from '../../proxy/server/app.js';
import { insecureNoAuth } from '../../proxy/server/auth.js';
import { ProxyMetrics } from '../../proxy/server/metrics.js';
import { FakeKubeApiserver } from '../support/fake-kube-apiserver.js';
import { eventually } from '../support/prometheus.js';
import { FIXTURE_NS, loadFixture } from './fixtures.js';

describe('generator: day-2 changes reach a running proxy', function () {
  this.timeout(60_000);
  let kas: FakeKubeApiserver;
  let dir: string;
  let watch: GeneratorWatch;
  let runtime: ProxyRuntime;
  let server: RunningServer;
  let caPem: string;
  const scraper = createScraper(0, memoryLogger('scraper'));
  let generations = 0;
  const deleted: string[] = [];

  /** What the kubelet does for a ConfigMap volume: the new content appears atomically. */
  const syncVolume = (configFile: string) => {
    const cm = kas.resources.get('configmaps', FIXTURE_NS, 'metrics-proxy-config');
    const text = (cm?.data as Record<string, string> | undefined)?.[CONFIG_KEY];
    if (text === undefined) return;
    writeFileSync(`${configFile}.tmp`, text);
    renameSync(`${configFile}.tmp`, configFile);
  };

  const components = (): Promise<string[]> =>
    new Promise((resolve, reject) => {
      https
        .get(`https://127.0.121.1:${server.port}/components`, { ca: caPem }, (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => (res.statusCode === 200 ? resolve(JSON.parse(body) as string[]) : reject(new Error(`HTTP ${res.statusCode}: ${body}`))));
        })
        .on('error', reject);
    });

  before(async () => {
    kas = await FakeKubeApiserver.start({ host: '127.0.121.2' });
    dir = mkdtempSync(join(tmpdir(), 'generator-day2-'));
    loadFixture(kas, 'hosted-control-plane.yaml');
    const kc = new KubeConfig();
    kc.loadFromFile(kas.writeKubeconfig(dir).kubeconfig);
    const configFile = join(dir, 'config.yaml');
    const logger = memoryLogger('generator');
    watch = new GeneratorWatch({
      kubeConfig: kc,
      namespace: FIXTURE_NS,
      groups: await servedMonitorGroups(kc),
      outputConfigMap: 'metrics-proxy-config',
      outputSecret: 'metrics-proxy-upstream-tls',
      build: { endpointResolver: { url: 'https://127.0.121.3:9444' }, tlsMountDir: join(dir, 'upstream') },
      writer: new OutputWriter(kc, FIXTURE_NS),
      logger,
      debounceMs: 50,
      onGenerated: () => {
        generations++;
        syncVolume(configFile);
      },
      onDeleted: (kind, name) => deleted.push(`${kind}/${name}`),
    });
    await watch.start();
    await eventually(async () => (generations > 0 ? true : undefined), 10_000, 'the first generation');

    const ca = createCA({ commonName: 'day-2 CA' });
    const serving = issueCertificate(ca, { commonName: 'metrics-proxy', ipAddresses: ['127.0.121.1'], usages: ['serverAuth'] });
    caPem = ca.certPem;
    writeFileSync(join(dir, 'tls.crt'), serving.certPem);
    writeFileSync(join(dir, 'tls.key'), serving.keyPem);
    const metrics = new ProxyMetrics({ defaultMetrics: false });
    runtime = await ProxyRuntime.start({ configFile, namespace: FIXTURE_NS, metricsSet: 'All', scraper, metrics, logger: memoryLogger('proxy'), watchPollMs: 100 });
    const app = createProxyApp({ state: runtime, authenticator: insecureNoAuth, scraper, metrics, logger: memoryLogger('proxy'), maxBodyBytes: 1 << 20 });
    server = await startHttpsServer(app, { listen: '127.0.121.1:0', tls: { certFile: join(dir, 'tls.crt'), keyFile: join(dir, 'tls.key') }, logger: memoryLogger('https') });
  });
  after(async () => {
    watch?.stop();
    await server?.close(0);
    runtime?.close();
    await scraper.close();
    await kas?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the generated components', async () => {
    expect(await components()).to.include.members(['/metrics/kube-apiserver', '/metrics/kube-scheduler', '/metrics/kube-scheduler/1', '/metrics/olm-operator']);
  });

  it('adds a component when a monitor is created', async () => {
    kas.resources.create('services', { metadata: { name: 'openshift-controller-manager', namespace: FIXTURE_NS, labels: { app: 'openshift-controller-manager' } }, spec: { selector: { app: 'openshift-controller-manager' }, ports: [{ name: 'https', port: 8443, targetPort: 8443 }] } });
    kas.resources.create('servicemonitors.monitoring.coreos.com', {
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'ServiceMonitor',
      metadata: { name: 'openshift-controller-manager', namespace: FIXTURE_NS },
      spec: { selector: { matchLabels: { app: 'openshift-controller-manager' } }, endpoints: [{ port: 'https', scheme: 'https', tlsConfig: { serverName: 'openshift-controller-manager', ca: { configMap: { name: 'root-ca', key: 'ca.crt' } } } }] },
    });
    await eventually(async () => ((await components()).includes('/metrics/openshift-controller-manager') ? true : undefined), 20_000, 'the new component at the proxy');
    const cm = kas.resources.get('configmaps', FIXTURE_NS, 'metrics-proxy-config')!;
    expect((cm.data as Record<string, string>)[CONFIG_KEY]).to.match(/name: openshift-controller-manager/);
  });

  it('follows a changed monitor (a second endpoint) and a removed one', async () => {
    const sm = kas.resources.get('servicemonitors.monitoring.coreos.com', FIXTURE_NS, 'openshift-controller-manager')!;
    const spec = sm.spec as { endpoints: Record<string, unknown>[] };
    kas.resources.patch('servicemonitors.monitoring.coreos.com', FIXTURE_NS, 'openshift-controller-manager', { spec: { endpoints: [...spec.endpoints, { ...spec.endpoints[0], path: '/debug/metrics' }] } });
    await eventually(async () => ((await components()).includes('/metrics/openshift-controller-manager/1') ? true : undefined), 20_000, 'the second endpoint');
    kas.resources.remove('servicemonitors.monitoring.coreos.com', FIXTURE_NS, 'olm-operator');
    await eventually(async () => (!(await components()).includes('/metrics/olm-operator') ? true : undefined), 20_000, 'olm-operator to go');
    expect(watch.ready()).to.deep.equal({ ok: true });
  });

  it('reports every deleted Secret and ConfigMap (the certificate manager repairs its own at once)', async () => {
    kas.resources.create('secrets', { metadata: { name: 'doomed', namespace: FIXTURE_NS }, data: {} });
    kas.resources.create('configmaps', { metadata: { name: 'doomed-too', namespace: FIXTURE_NS }, data: {} });
    await new Promise((r) => setTimeout(r, 200));
    kas.resources.remove('secrets', FIXTURE_NS, 'doomed');
    kas.resources.remove('configmaps', FIXTURE_NS, 'doomed-too');
    await eventually(async () => (deleted.includes('Secret/doomed') && deleted.includes('ConfigMap/doomed-too') ? true : undefined), 10_000, 'both deletions reported');
  });

  it('ignores pod status churn but follows pod label changes', async () => {
    const before = generations;
    const podEvents = kas.callCount('pods');
    kas.resources.patch('pods', FIXTURE_NS, 'etcd-0', { status: { conditions: [{ type: 'Ready', status: 'False' }] } });
    await new Promise((r) => setTimeout(r, 300)); // six debounce periods
    kas.resources.patch('pods', FIXTURE_NS, 'etcd-0', { status: { conditions: [{ type: 'Ready', status: 'True' }] } });
    await new Promise((r) => setTimeout(r, 300));
    expect(generations - before, 'status changes regenerate nothing').to.equal(0);
    expect(kas.callCount('pods'), 'the watch stayed open').to.equal(podEvents);
    kas.resources.patch('pods', FIXTURE_NS, 'etcd-0', { metadata: { labels: { app: 'etcd', extra: 'x' } } });
    await eventually(async () => (generations > before ? true : undefined), 10_000, 'the label change to regenerate');
  });
});
