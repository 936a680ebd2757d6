/**
 * Guest sync against two in-repo kube-apiservers over HTTPS (the management cluster and the hosted
 * "guest" cluster), driven through @kubernetes/client-node as in production: the objects it writes,
 * day-2 components through the generator's watch loop, drift repair, a guest outage (500s, then
 * connection refused) with backoff, metrics and logs, a rotated guest kubeconfig, objects it does not
 * own, and turning it off. Addresses: 127.0.147.x.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { memoryLogger } from '../../../common/log.js';
import { GuestClient } from '../../../generator/guest/client.js';
import { managementBundleReader } from '../../../generator/guest/management-bundle.js';
import { SOURCE_NAMESPACE_ANNOTATION, type GuestAuthSetting } from '../../../generator/guest/objects.js';
import { GuestSync, type GuestSyncOptions } from '../../../generator/guest/sync.js';
import { servedMonitorGroups } from '../../../generator/inventory.js';
import { CertificateManager } from '../../../generator/certs/manager.js';
import { GeneratorMetrics } from '../../../generator/metrics.js';
import { certificateInfo, createCA, verifyChain } from '../../../generator/pki/index.js';
import { GeneratorWatch } from '../../../generator/watch.js';
import { OutputWriter } from '../../../generator/writer.js';
import { FakeKubeApiserver, type KubeObject } from '../../support/fake-kube-apiserver.js';
import { eventually } from '../../support/prometheus.js';
import { FIXTURE_NS, loadFixture } from '../fixtures.js';

const GUEST_NS = 'openshift-monitoring';
const HOST = 'metrics-proxy-clusters-example.apps.example.com';
const PM = 'podmonitors.monitoring.coreos.com';
const MANAGED = { 'app.kubernetes.io/managed-by': 'hcp-metrics-proxy-generator' };

/** The value of one sample of the metrics text (labels as written by prom-client), or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(series + ' '));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('generator: guest sync', function () {
  this.timeout(60_000);
  let mgmt: FakeKubeApiserver;
  let guest: FakeKubeApiserver;
  let dir: string;
  let mgmtKc: KubeConfig;
  let guestKubeconfig: string;
  let client: GuestClient;
  let caPem: string;
  const running: { stop(): void }[] = [];

  const guestObj = (type: string, name: string, ns = GUEST_NS): KubeObject | undefined => guest.resources.get(type, ns, name);
  const podMonitorPaths = (): string[] | undefined =>
    (guestObj(PM, 'hcp-metrics-proxy')?.spec as { podMetricsEndpoints?: { path: string }[] } | undefined)?.podMetricsEndpoints?.map((e) => e.path);
  const guestBundle = (): string | undefined => (guestObj('configmaps', 'metrics-proxy-serving-ca')?.data as Record<string, string> | undefined)?.['ca.crt'];

  const newSync = (o: Partial<GuestSyncOptions> & { auth?: GuestAuthSetting } = {}): GuestSync => {
    const { auth, ...rest } = o;
    const s = new GuestSync({
      client,
      objects: { namespace: GUEST_NS, sourceNamespace: FIXTURE_NS, routeHost: HOST, auth: auth ?? { mode: 'client-certificate' } },
      readBundle: managementBundleReader(mgmtKc, FIXTURE_NS),
      logger: memoryLogger('guest'),
      debounceMs: 20,
      intervalMs: 60_000,
      backoff: { initialMs: 40, maxMs: 320 },
      ...rest,
    });
    running.push(s);
    return s;
  };

  beforeEach(async () => {
    mgmt = await FakeKubeApiserver.start({ host: '127.0.147.1' });
    guest = await FakeKubeApiserver.start({ host: '127.0.147.2' });
    dir = mkdtempSync(join(tmpdir(), 'guest-sync-'));
    mgmtKc = new KubeConfig();
    mgmtKc.loadFromFile(mgmt.writeKubeconfig(dir, { name: 'management' }).kubeconfig);
    guestKubeconfig = guest.writeKubeconfig(dir, { name: 'guest' }).kubeconfig;
    client = new GuestClient({ kubeconfig: guestKubeconfig, logger: memoryLogger('guest-client'), watchPollMs: 50 });
    client.start();
    running.push(client);
    caPem = createCA({ commonName: 'guest-sync test CA' }).certPem;
    mgmt.resources.create('configmaps', { metadata: { name: 'metrics-proxy-serving-ca', namespace: FIXTURE_NS }, data: { 'ca.crt': caPem } });
  });
  afterEach(async () => {
    for (const r of running.splice(0)) r.stop();
    await mgmt.close();
    await guest.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates the CA bundle ConfigMap and the PodMonitor, labelled, one endpoint per served path; a second pass writes nothing', async () => {
    const sync = newSync();
    sync.setPaths(['/metrics/etcd', '/metrics/kube-apiserver', '/metrics/kube-scheduler/1']);
    const first = await sync.reconcile();
    expect(first.written).to.deep.equal(['ConfigMap/metrics-proxy-serving-ca', 'PodMonitor/hcp-metrics-proxy']);
    const cm = guestObj('configmaps', 'metrics-proxy-serving-ca')!;
    expect(cm.data).to.deep.equal({ 'ca.crt': caPem });
    expect(cm.metadata.labels).to.deep.equal(MANAGED);
    expect(cm.metadata.annotations).to.deep.equal({ [SOURCE_NAMESPACE_ANNOTATION]: FIXTURE_NS });
    const pm = guestObj(PM, 'hcp-metrics-proxy')!;
    expect(pm.metadata.labels).to.deep.equal(MANAGED);
    expect(pm.metadata.annotations).to.deep.equal({ [SOURCE_NAMESPACE_ANNOTATION]: FIXTURE_NS });
    const tls = { serverName: HOST, ca: { configMap: { name: 'metrics-proxy-serving-ca', key: 'ca.crt' } } };
    expect(pm.spec).to.deep.equal({
      selector: { matchLabels: { 'app.kubernetes.io/name': 'metrics-forwarder' } },
      scrapeClass: 'tls-client-certificate-auth',
      podMetricsEndpoints: ['/metrics/etcd', '/metrics/kube-apiserver', '/metrics/kube-scheduler/1'].map((path) => ({ port: 'https', path, scheme: 'https', honorLabels: true, tlsConfig: tls })),
    });
    expect(sync.trustedSince(caPem), 'the guest bundle is known to hold the CA').to.be.a('number');
    const rv = guest.resources.resourceVersion;
    expect((await sync.reconcile()).written).to.deep.equal([]);
    expect(guest.resources.resourceVersion, 'nothing written').to.equal(rv);
  });

  it('with bearer-token auth, every endpoint authenticates with the token Secret and there is no scrape class', async () => {
    const sync = newSync({ auth: { mode: 'bearer-token', secret: 'metrics-forwarder-token' } });
    sync.setPaths(['/metrics/etcd', '/metrics/etcd/1']);
    await sync.reconcile();
    const spec = guestObj(PM, 'hcp-metrics-proxy')!.spec as { scrapeClass?: string; podMetricsEndpoints: { authorization?: unknown }[] };
    expect(spec.scrapeClass).to.equal(undefined);
    expect(spec.podMetricsEndpoints.map((e) => e.authorization)).to.deep.equal([0, 1].map(() => ({ type: 'Bearer', credentials: { name: 'metrics-forwarder-token', key: 'token' } })));
  });

  it('with auto auth, uses bearer tokens exactly when the guest chart created the token Secret', async () => {
    const sync = newSync({ auth: { mode: 'auto' } });
    sync.setPaths(['/metrics/etcd']);
    await sync.reconcile();
    const spec = () => guestObj(PM, 'hcp-metrics-proxy')!.spec as { scrapeClass?: string; podMetricsEndpoints: { authorization?: unknown }[] };
    expect(spec().scrapeClass).to.equal('tls-client-certificate-auth');
    expect(spec().podMetricsEndpoints[0]!.authorization).to.equal(undefined);
    guest.resources.create('secrets', {
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'kubernetes.io/service-account-token',
      metadata: { name: 'hcp-metrics-proxy-prometheus-token', namespace: GUEST_NS, annotations: { 'kubernetes.io/service-account.name': 'prometheus-k8s' } },
    });
    await sync.reconcile();
    expect(spec().scrapeClass).to.equal(undefined);
    expect(spec().podMetricsEndpoints[0]!.authorization).to.deep.equal({ type: 'Bearer', credentials: { name: 'hcp-metrics-proxy-prometheus-token', key: 'token' } });
  });

  it('does not write a PodMonitor before the first generation (an empty one would stop every scrape), but publishes the bundle', async () => {
    const sync = newSync();
    const r = await sync.reconcile();
    expect(r.written).to.deep.equal(['ConfigMap/metrics-proxy-serving-ca']);
    expect(r.pending).to.deep.equal(['no configuration generated yet']);
    expect(guestObj(PM, 'hcp-metrics-proxy')).to.equal(undefined);
    expect(sync.status()).to.include({ ok: false, reason: 'no configuration generated yet' });
  });

  it('follows components added and removed in the management namespace through the watch loop, and repairs drift', async () => {
    loadFixture(mgmt, 'hosted-control-plane.yaml');
    const metrics = new GeneratorMetrics({ defaultMetrics: false });
    const sync = newSync({ metrics, intervalMs: 150 });
    const watch = new GeneratorWatch({
      kubeConfig: mgmtKc,
      namespace: FIXTURE_NS,
      groups: await servedMonitorGroups(mgmtKc),
      outputConfigMap: 'metrics-proxy-config',
      outputSecret: 'metrics-proxy-upstream-tls',
      build: { endpointResolver: { url: 'https://endpoint-resolver.clusters-example.svc' }, tlsMountDir: '/etc/metrics-proxy/upstream' },
      writer: new OutputWriter(mgmtKc, FIXTURE_NS),
      logger: memoryLogger('generator'),
      debounceMs: 30,
      onGenerated: (r) => sync.setPaths(r.paths),
      onChanged: (kind, name) => kind === 'ConfigMap' && name === 'metrics-proxy-serving-ca' && sync.nudge(),
    });
    running.push(watch);
    await watch.start();
    sync.start();
    await eventually(async () => (podMonitorPaths()?.includes('/metrics/kube-apiserver') ? true : undefined), 20_000, 'the first PodMonitor');
    expect(podMonitorPaths()).to.include.members(['/metrics/etcd', '/metrics/kube-scheduler', '/metrics/kube-scheduler/1']);

    // Day 2: a component is added...
    mgmt.resources.create('services', { metadata: { name: 'extra-operator', namespace: FIXTURE_NS, labels: { app: 'extra-operator' } }, spec: { selector: { app: 'extra-operator' }, ports: [{ name: 'metrics', port: 8080, targetPort: 8080 }] } });
    mgmt.resources.create('pods', { metadata: { name: 'extra-operator-0', namespace: FIXTURE_NS, labels: { app: 'extra-operator' } }, spec: { containers: [{ name: 'c', image: 'x', ports: [{ name: 'metrics', containerPort: 8080 }] }] } });
    mgmt.resources.create('servicemonitors.monitoring.coreos.com', {
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'ServiceMonitor',
      metadata: { name: 'extra-operator', namespace: FIXTURE_NS },
      spec: { selector: { matchLabels: { app: 'extra-operator' } }, endpoints: [{ port: 'metrics', scheme: 'http' }, { port: 'metrics', scheme: 'http', path: '/debug' }] },
    });
    await eventually(async () => (podMonitorPaths()?.includes('/metrics/extra-operator/1') ? true : undefined), 20_000, 'the new component in the guest PodMonitor');
    expect(podMonitorPaths()).to.include('/metrics/extra-operator');
    // ...and removed.
    mgmt.resources.remove('servicemonitors.monitoring.coreos.com', FIXTURE_NS, 'extra-operator');
    await eventually(async () => (podMonitorPaths() && !podMonitorPaths()!.some((p) => p.startsWith('/metrics/extra-operator')) ? true : undefined), 20_000, 'the removed component gone from the guest');
    expect(podMonitorPaths()).to.include('/metrics/kube-apiserver');

    // A new CA bundle on the management side reaches the guest.
    const next = createCA({ commonName: 'next CA' }).certPem;
    mgmt.resources.patch('configmaps', FIXTURE_NS, 'metrics-proxy-serving-ca', { data: { 'ca.crt': caPem + next } });
    await eventually(async () => (guestBundle() === caPem + next ? true : undefined), 20_000, 'the new bundle in the guest');

    // Drift: someone deletes the PodMonitor and edits the bundle by hand; the periodic pass repairs both.
    const before = podMonitorPaths();
    guest.resources.remove(PM, GUEST_NS, 'hcp-metrics-proxy');
    guest.resources.patch('configmaps', GUEST_NS, 'metrics-proxy-serving-ca', { data: { 'ca.crt': 'tampered' } });
    await eventually(async () => (podMonitorPaths() && guestBundle() === caPem + next ? true : undefined), 20_000, 'the PodMonitor and bundle repaired');
    expect(podMonitorPaths()).to.deep.equal(before);
    const text = await metrics.registry.metrics();
    expect(sample(text, 'hcp_metrics_proxy_generator_guest_objects_written_total{kind="PodMonitor",action="created"}')).to.equal(2);
    expect(sample(text, 'hcp_metrics_proxy_generator_guest_objects_written_total{kind="PodMonitor",action="updated"}')).to.be.at.least(2);
    expect(sample(text, 'hcp_metrics_proxy_generator_guest_sync_attempts_total{result="error"}')).to.equal(undefined);
    expect(watch.ready()).to.deep.equal({ ok: true });
  });

  it('CA rotation: the guest bundle holds the new CA before the serving leaf moves to it, even across a guest outage', async () => {
    mgmt.resources.remove('configmaps', FIXTURE_NS, 'metrics-proxy-serving-ca'); // the certificate manager keeps it here
    const DAY = 86_400_000;
    let clock = Date.now();
    let sync: GuestSync | undefined;
    const certs = new CertificateManager({
      kubeConfig: mgmtKc,
      namespace: FIXTURE_NS,
      routeHost: HOST,
      logger: memoryLogger('certs'),
      now: () => new Date(clock),
      caValidityDays: 300,
      leafValidityDays: 90,
      propagationMs: 10 * 60_000,
      trustGate: { name: 'guest cluster', trustedSince: (pem) => sync!.trustedSince(pem) },
    });
    sync = newSync({ now: () => clock });
    sync.setPaths(['/metrics/etcd']);
    const servingLeaf = () => Buffer.from((mgmt.resources.get('secrets', FIXTURE_NS, 'metrics-proxy-serving-cert')!.data as Record<string, string>)['tls.crt']!, 'base64').toString();
    const guestCerts = () => guestBundle()?.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g) ?? [];
    /** The invariant: whatever leaf the proxy serves, the guest Prometheus can verify it. */
    const guestVerifiesServingLeaf = () => expect(verifyChain(servingLeaf(), guestCerts(), new Date(clock)), 'the guest bundle verifies the serving leaf').to.equal(true);
    const servingIssuer = () => certificateInfo(servingLeaf()).authorityKeyId;

    await certs.reconcile();
    await sync.reconcile();
    guestVerifiesServingLeaf();
    const oldCa = certificateInfo(Buffer.from((mgmt.resources.get('secrets', FIXTURE_NS, 'metrics-proxy-ca-cert')!.data as Record<string, string>)['tls.crt']!, 'base64').toString());

    clock += 201 * DAY; // past 2/3 of the CA's 300 days: the rotation starts
    expect((await certs.reconcile()).caRotated).to.equal(true);
    guestVerifiesServingLeaf();
    // The guest is down when the new bundle should go out.
    await guest.setReachable(false);
    await sync.reconcile().then(() => expect.fail('the guest is down'), () => undefined);
    clock += 11 * 60_000;
    expect((await certs.reconcile()).waitingFor).to.equal('guest cluster');
    expect(servingIssuer(), 'still the old CA').to.equal(oldCa.subjectKeyId);
    guestVerifiesServingLeaf();

    await guest.setReachable(true);
    await sync.reconcile();
    expect(guestCerts()).to.have.length(2);
    expect((await certs.reconcile()).issued, 'the guest Prometheus still needs time to pick the bundle up').to.deep.equal([]);
    clock += 11 * 60_000;
    expect((await certs.reconcile()).issued).to.include('metrics-proxy-serving-cert');
    expect(servingIssuer(), 'moved to the new CA').to.not.equal(oldCa.subjectKeyId);
    guestVerifiesServingLeaf();

    clock += 11 * 60_000;
    expect((await certs.reconcile()).previousCaRetired).to.equal(true);
    await sync.reconcile();
    expect(guestCerts(), 'the old CA leaves the guest bundle last').to.have.length(1);
    guestVerifiesServingLeaf();
  });

  it('guest API down (500s, then connection refused): management config still written, retries with capped backoff, logged once, in metrics and status; recovers', async () => {
    loadFixture(mgmt, 'hosted-control-plane.yaml');
    const metrics = new GeneratorMetrics({ defaultMetrics: false });
    const logger = memoryLogger('guest');
    const sync = newSync({ metrics, logger });
    let generated = 0;
    const watch = new GeneratorWatch({
      kubeConfig: mgmtKc,
      namespace: FIXTURE_NS,
      groups: await servedMonitorGroups(mgmtKc),
      outputConfigMap: 'metrics-proxy-config',
      outputSecret: 'metrics-proxy-upstream-tls',
      build: { endpointResolver: { url: 'https://endpoint-resolver.clusters-example.svc' }, tlsMountDir: '/etc/metrics-proxy/upstream' },
      writer: new OutputWriter(mgmtKc, FIXTURE_NS),
      logger: memoryLogger('generator'),
      debounceMs: 30,
      onGenerated: (r) => {
        generated++;
        sync.setPaths(r.paths);
      },
    });
    running.push(watch);
    guest.setFailure({ status: 500 });
    await watch.start();
    sync.start();
    const retries: number[] = [];
    await eventually(
      async () => {
        const s = sync.status();
        if (s.retryInMs !== undefined && retries[retries.length - 1] !== s.retryInMs) retries.push(s.retryInMs);
        return s.consecutiveFailures >= 5 ? true : undefined;
      },
      20_000,
      'five failed attempts',
    );
    // Capped exponential backoff: 40, 80, 160, 320, 320 ms (every value seen is on that ladder, rising).
    expect(retries.every((r) => [40, 80, 160, 320].includes(r))).to.equal(true);
    expect(retries).to.deep.equal([...retries].sort((a, b) => a - b));
    expect(sync.status().retryInMs).to.equal(320);
    expect(sync.status()).to.include({ ok: false });
    expect(sync.status().reason).to.match(/^guest API https:\/\/127\.0\.147\.2:\d+: kube-apiserver answered HTTP 500 Internal Server Error: Internal error occurred: simulated failure$/);
    // The management side goes on: a new component is written there while the guest is down.
    mgmt.resources.create('services', { metadata: { name: 'late-operator', namespace: FIXTURE_NS, labels: { app: 'late-operator' } }, spec: { selector: { app: 'late-operator' }, ports: [{ name: 'metrics', port: 8080, targetPort: 8080 }] } });
    mgmt.resources.create('servicemonitors.monitoring.coreos.com', {
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'ServiceMonitor',
      metadata: { name: 'late-operator', namespace: FIXTURE_NS },
      spec: { selector: { matchLabels: { app: 'late-operator' } }, endpoints: [{ port: 'metrics', scheme: 'http' }] },
    });
    await eventually(async () => (String((mgmt.resources.get('configmaps', FIXTURE_NS, 'metrics-proxy-config')?.data as Record<string, string> | undefined)?.['config.yaml']).includes('name: late-operator') ? true : undefined), 20_000, 'the management config written');
    expect(watch.ready()).to.deep.equal({ ok: true });
    expect(generated).to.be.at.least(2);
    // One log line for the whole outage, not one per retry.
    const failed = () => logger.lines.filter((l) => l.includes('guest sync failed'));
    expect(failed()).to.have.length(1);
    expect(failed()[0]).to.include('"level":"error"');
    let text = await metrics.registry.metrics();
    expect(sample(text, 'hcp_metrics_proxy_generator_guest_sync_attempts_total{result="error"}')).to.be.at.least(5);
    expect(sample(text, 'hcp_metrics_proxy_generator_guest_sync_consecutive_failures')).to.be.at.least(5);
    expect(sample(text, 'hcp_metrics_proxy_generator_guest_sync_last_success_timestamp_seconds')).to.equal(0);

    // A different failure is a new state: logged once more.
    await guest.setReachable(false);
    guest.setFailure(undefined);
    await eventually(async () => (failed().length === 2 ? true : undefined), 20_000, 'the connection failure logged');
    expect(failed()[1]).to.match(/ECONNREFUSED|connect/);
    const attempts = sample(await metrics.registry.metrics(), 'hcp_metrics_proxy_generator_guest_sync_attempts_total{result="error"}')!;
    await eventually(async () => ((sample(await metrics.registry.metrics(), 'hcp_metrics_proxy_generator_guest_sync_attempts_total{result="error"}') ?? 0) >= attempts + 2 ? true : undefined), 20_000, 'more retries');
    expect(failed(), 'still one line per state').to.have.length(2);

    // Recovery: the guest comes back and gets everything, the late component included.
    await guest.setReachable(true);
    await eventually(async () => (podMonitorPaths()?.includes('/metrics/late-operator') ? true : undefined), 20_000, 'the guest caught up');
    expect(guestBundle()).to.equal(caPem);
    await eventually(async () => (sync.status().ok ? true : undefined), 20_000, 'status ok');
    expect(logger.lines.filter((l) => l.includes('guest sync recovered'))).to.have.length(1);
    text = await metrics.registry.metrics();
    expect(sample(text, 'hcp_metrics_proxy_generator_guest_sync_consecutive_failures')).to.equal(0);
    expect(sample(text, 'hcp_metrics_proxy_generator_guest_sync_last_success_timestamp_seconds')).to.be.greaterThan(0);
    expect(sample(text, 'hcp_metrics_proxy_generator_guest_sync_attempts_total{result="success"}')).to.be.at.least(1);
  });

  it('picks up a rotated guest kubeconfig without a restart', async () => {
    let sync: GuestSync | undefined;
    const reloads: string[] = [];
    client = new GuestClient({ kubeconfig: guestKubeconfig, logger: memoryLogger('guest-client'), watchPollMs: 50, onReload: () => (reloads.push('reload'), sync?.nudge(true)) });
    client.start();
    running.push(client);
    // A long backoff: recovering quickly proves the reload, not a retry, brought it back.
    sync = newSync({ backoff: { initialMs: 60_000, maxMs: 60_000 } });
    sync.setPaths(['/metrics/etcd']);
    sync.start();
    await eventually(async () => (sync.status().ok ? true : undefined), 20_000, 'in sync');
    // The admin kubeconfig is rotated: the old token stops working...
    guest.acceptClientTokens(['rotated-token']);
    guest.resources.remove(PM, GUEST_NS, 'hcp-metrics-proxy');
    sync.nudge();
    await eventually(async () => (sync.status().reason?.includes('HTTP 401') ? true : undefined), 20_000, 'the old token rejected');
    // ...and the Secret's new content lands in the file.
    guest.writeKubeconfig(dir, { name: 'guest', token: 'rotated-token' });
    await eventually(async () => (sync!.status().ok && podMonitorPaths() ? true : undefined), 20_000, 'in sync with the new credentials');
    expect(reloads.length).to.be.at.least(1);
  });

  it('leaves objects of its names that it does not own alone, and says so', async () => {
    const metrics = new GeneratorMetrics({ defaultMetrics: false });
    guest.resources.create('configmaps', { metadata: { name: 'metrics-proxy-serving-ca', namespace: GUEST_NS }, data: { 'ca.crt': 'an operator-provided bundle' } });
    // Labelled, but written for another hosted control plane: not ours either.
    guest.resources.create(PM, { apiVersion: 'monitoring.coreos.com/v1', kind: 'PodMonitor', metadata: { name: 'hcp-metrics-proxy', namespace: GUEST_NS, labels: MANAGED, annotations: { [SOURCE_NAMESPACE_ANNOTATION]: 'clusters-other' } }, spec: { podMetricsEndpoints: [] } });
    const rv = guest.resources.resourceVersion;
    const logger = memoryLogger('guest');
    const sync = newSync({ metrics, logger, intervalMs: 50 });
    sync.setPaths(['/metrics/etcd']);
    sync.start();
    await eventually(async () => ((sample(await metrics.registry.metrics(), 'hcp_metrics_proxy_generator_guest_sync_attempts_total{result="conflict"}') ?? 0) >= 3 ? true : undefined), 20_000, 'three passes');
    expect(guest.resources.resourceVersion, 'nothing written').to.equal(rv);
    expect(guestBundle()).to.equal('an operator-provided bundle');
    const status = sync.status();
    expect(status.ok).to.equal(false);
    expect(status.reason).to.include(`ConfigMap ${GUEST_NS}/metrics-proxy-serving-ca exists in the guest but was not created by this generator for ${FIXTURE_NS}; left alone`);
    expect(status.reason).to.include(`PodMonitor ${GUEST_NS}/hcp-metrics-proxy exists in the guest`);
    expect(sample(await metrics.registry.metrics(), 'hcp_metrics_proxy_generator_guest_sync_conflicts')).to.equal(2);
    expect(logger.lines.filter((l) => l.includes('left alone')), 'logged once').to.have.length(1);
  });

  it('turned off, removes the objects it created and nothing else', async () => {
    const sync = newSync();
    sync.setPaths(['/metrics/etcd']);
    await sync.reconcile();
    // Neighbours: an unlabelled ConfigMap, a labelled one of another name, our names in another namespace.
    guest.resources.create('configmaps', { metadata: { name: 'unrelated', namespace: GUEST_NS }, data: {} });
    guest.resources.create('configmaps', { metadata: { name: 'labelled-but-not-ours', namespace: GUEST_NS, labels: MANAGED, annotations: { [SOURCE_NAMESPACE_ANNOTATION]: FIXTURE_NS } }, data: {} });
    guest.resources.create('configmaps', { metadata: { name: 'metrics-proxy-serving-ca', namespace: 'default', labels: MANAGED, annotations: { [SOURCE_NAMESPACE_ANNOTATION]: FIXTURE_NS } }, data: {} });
    guest.resources.create(PM, { apiVersion: 'monitoring.coreos.com/v1', kind: 'PodMonitor', metadata: { name: 'someone-elses', namespace: GUEST_NS }, spec: {} });
    const metrics = new GeneratorMetrics({ defaultMetrics: false });
    const off = newSync({ mode: 'cleanup', metrics });
    off.start();
    await eventually(async () => (off.status().done ? true : undefined), 20_000, 'cleanup done');
    expect(guestObj('configmaps', 'metrics-proxy-serving-ca')).to.equal(undefined);
    expect(guestObj(PM, 'hcp-metrics-proxy')).to.equal(undefined);
    for (const [type, name, ns] of [['configmaps', 'unrelated', GUEST_NS], ['configmaps', 'labelled-but-not-ours', GUEST_NS], ['configmaps', 'metrics-proxy-serving-ca', 'default'], [PM, 'someone-elses', GUEST_NS]] as const) {
      expect(guestObj(type, name, ns), `${type} ${ns}/${name}`).to.not.equal(undefined);
    }
    const text = await metrics.registry.metrics();
    expect(sample(text, 'hcp_metrics_proxy_generator_guest_objects_written_total{kind="ConfigMap",action="deleted"}')).to.equal(1);
    expect(sample(text, 'hcp_metrics_proxy_generator_guest_objects_written_total{kind="PodMonitor",action="deleted"}')).to.equal(1);
    // Idempotent, and an unlabelled object of our name is not ours to delete.
    guest.resources.create('configmaps', { metadata: { name: 'metrics-proxy-serving-ca', namespace: GUEST_NS }, data: { 'ca.crt': 'hand-made' } });
    const again = await off.cleanup();
    expect(again.written).to.deep.equal([]);
    expect(again.conflicts).to.have.length(1);
    expect(guestBundle()).to.equal('hand-made');
  });
});
