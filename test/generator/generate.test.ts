/**
 * The configuration generator against HyperShift-like monitors in the in-repo kube-apiserver: the
 * generated configuration equals the golden file and loads with the proxy's own parser, the TLS
 * material lands in the output Secret, writes happen only on change, and bad monitors are skipped
 * with an Event each while the others still work. Addresses: 127.0.120.x.
 */
import { expect } from 'chai';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { memoryLogger } from '../../common/log.js';
import { ProblemReporter } from '../../generator/events.js';
import { CONFIG_KEY, generateOnce, SRE_CONFIG_KEY, type GenerateOptions } from '../../generator/generate.js';
import { servedMonitorGroups } from '../../generator/inventory.js';
import { CONTENT_HASH_ANNOTATION, OutputWriter } from '../../generator/writer.js';
import { parseProxyConfig } from '../../proxy/config/parse.js';
import { FakeKubeApiserver, monitorTypes } from '../support/fake-kube-apiserver.js';
import { FIXTURE_NS, fixturePath, loadFixture } from './fixtures.js';

const GOLDEN = 'hosted-control-plane.golden.yaml';

describe('generator: configuration from monitors', function () {
  this.timeout(30_000);
  let kas: FakeKubeApiserver;
  let dir: string;
  let kc: KubeConfig;

  beforeEach(async () => {
    kas = await FakeKubeApiserver.start({ host: '127.0.120.1' });
    dir = mkdtempSync(join(tmpdir(), 'generator-'));
    kc = new KubeConfig();
    kc.loadFromFile(kas.writeKubeconfig(dir).kubeconfig);
    loadFixture(kas, 'hosted-control-plane.yaml');
  });
  afterEach(async () => {
    await kas.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const options = async (): Promise<GenerateOptions> => ({
    kubeConfig: kc,
    namespace: FIXTURE_NS,
    groups: await servedMonitorGroups(kc),
    outputConfigMap: 'metrics-proxy-config',
    outputSecret: 'metrics-proxy-upstream-tls',
    build: {
      endpointResolver: { url: `https://endpoint-resolver.${FIXTURE_NS}.svc`, caFile: '/etc/metrics-proxy/resolver-client/ca.crt', certFile: '/etc/metrics-proxy/resolver-client/tls.crt', keyFile: '/etc/metrics-proxy/resolver-client/tls.key' },
      tlsMountDir: '/etc/metrics-proxy/upstream',
    },
    sreConfigMap: { namespace: FIXTURE_NS, name: 'sre-metric-set' },
    writer: new OutputWriter(kc, FIXTURE_NS),
    reporter: new ProblemReporter(kc, FIXTURE_NS, memoryLogger('events')),
    logger: memoryLogger('generator'),
  });

  it('generates the golden configuration, which the proxy loads', async () => {
    const r = await generateOnce(await options());
    expect(r.result.problems).to.deep.equal([]);
    const golden = fixturePath(GOLDEN);
    if (!existsSync(golden) || process.env.UPDATE_GOLDEN === '1') {
      if (process.env.CI) expect.fail(`golden file ${golden} missing`);
      writeFileSync(golden, r.configYaml);
    }
    expect(r.configYaml, `differs from ${GOLDEN}; rerun with UPDATE_GOLDEN=1 if intended`).to.equal(readFileSync(golden, 'utf8'));
    const cm = kas.resources.get('configmaps', FIXTURE_NS, 'metrics-proxy-config')!;
    expect((cm.data as Record<string, string>)[CONFIG_KEY]).to.equal(r.configYaml);
    const parsed = parseProxyConfig(r.configYaml, { source: 'golden', defaultNamespace: FIXTURE_NS });
    expect(parsed.components.map((c) => c.name)).to.deep.equal([
      'cluster-version-operator', 'control-plane-operator', 'etcd', 'hosted-cluster-config-operator', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'olm-operator', 'openshift-apiserver',
    ]);
    const by = (n: string) => parsed.components.find((c) => c.name === n)!;
    expect(by('kube-apiserver')).to.deep.include({ metricsPort: 6443, metricsScheme: 'https', tlsServerName: 'kube-apiserver', metricsJob: 'apiserver', metricsNamespace: 'default', metricsService: 'kubernetes', metricsEndpoint: 'https' });
    expect(by('kube-apiserver').selector).to.deep.equal({ app: 'kube-apiserver', 'hypershift.openshift.io/control-plane-component': 'kube-apiserver' });
    expect(by('etcd')).to.deep.include({ metricsPort: 2382, certFile: '/etc/metrics-proxy/upstream/secret__etcd-metrics-client-tls__etcd-client.crt', caFile: '/etc/metrics-proxy/upstream/configmap__etcd-ca__ca.crt' });
    expect(by('kube-scheduler').endpoints.map((e) => e.metricsPath)).to.deep.equal(['/metrics/resources']);
    expect(by('cluster-version-operator').certFile).to.equal(undefined);
    expect(by('olm-operator').targetLabels).to.deep.equal({ app_kubernetes_io_part_of: 'operator-lifecycle-manager' });
    expect(by('control-plane-operator')).to.deep.include({ metricsPort: 8080, metricsScheme: 'http', metricsEndpoint: 'metrics', metricsJob: 'control-plane-operator', metricsNamespace: FIXTURE_NS });
    expect(by('hosted-cluster-config-operator').metricsPort).to.equal(8080);

    const secret = kas.resources.get('secrets', FIXTURE_NS, 'metrics-proxy-upstream-tls')!;
    const data = secret.data as Record<string, string>;
    expect(Object.keys(data)).to.deep.equal(['configmap__etcd-ca__ca.crt', 'configmap__root-ca__ca.crt', 'secret__etcd-metrics-client-tls__etcd-client.crt', 'secret__etcd-metrics-client-tls__etcd-client.key', 'secret__metrics-client__tls.crt', 'secret__metrics-client__tls.key']);
    expect(Buffer.from(data['secret__metrics-client__tls.key']!, 'base64').toString()).to.match(/METRICS CLIENT KEY/);
  });

  it('writes only when the content changed, and copies the SRE MetricsSet when present', async () => {
    const o = await options();
    const first = await generateOnce(o);
    expect([first.configMap, first.secret]).to.deep.equal(['created', 'created']);
    const rv = kas.resources.get('configmaps', FIXTURE_NS, 'metrics-proxy-config')!.metadata.resourceVersion;
    const again = await generateOnce(o);
    expect([again.configMap, again.secret]).to.deep.equal(['unchanged', 'unchanged']);
    expect(kas.resources.get('configmaps', FIXTURE_NS, 'metrics-proxy-config')!.metadata.resourceVersion).to.equal(rv);

    kas.resources.create('configmaps', { metadata: { name: 'sre-metric-set', namespace: FIXTURE_NS }, data: { config: 'etcd:\n- action: keep\n  regex: etcd_.*\n  sourceLabels: [__name__]\n' } });
    const withSre = await generateOnce(o);
    expect(withSre.configMap).to.equal('updated');
    const cm = kas.resources.get('configmaps', FIXTURE_NS, 'metrics-proxy-config')!;
    expect((cm.data as Record<string, string>)[SRE_CONFIG_KEY]).to.match(/regex: etcd_\.\*/);
    expect(cm.metadata.annotations?.[CONTENT_HASH_ANNOTATION]).to.match(/^[0-9a-f]{64}$/);
  });

  it('refuses to overwrite an output object it does not own', async () => {
    kas.resources.create('configmaps', { metadata: { name: 'metrics-proxy-config', namespace: FIXTURE_NS }, data: { 'config.yaml': 'mine' } });
    const err = await generateOnce(await options()).then(() => undefined, (e: Error) => e);
    expect(err?.message).to.match(/ConfigMap clusters-example\/metrics-proxy-config exists but is not managed by the generator/);
    expect((kas.resources.get('configmaps', FIXTURE_NS, 'metrics-proxy-config')!.data as Record<string, string>)['config.yaml']).to.equal('mine');
  });

  it('passes relabelings through, warning about discovery labels the proxy cannot offer', async () => {
    const relabelings = [
      { sourceLabels: ['__meta_kubernetes_pod_name'], targetLabel: 'replica' },
      { sourceLabels: ['__meta_kubernetes_pod_node_name'], targetLabel: 'node' },
    ];
    kas.resources.create('servicemonitors.monitoring.coreos.com', { apiVersion: 'monitoring.coreos.com/v1', kind: 'ServiceMonitor', metadata: { name: 'etcd-relabeled', namespace: FIXTURE_NS }, spec: { selector: { matchLabels: { app: 'etcd' } }, endpoints: [{ port: 'metrics', scheme: 'http', relabelings }] } });
    const r = await generateOnce(await options());
    expect(r.result.config.components.find((c) => c.name === 'etcd-relabeled')).to.deep.include({ relabelings });
    expect(r.result.warnings.join('\n')).to.match(/ServiceMonitor etcd-relabeled: spec\.endpoints\[0\]\.relabelings read __meta_kubernetes_pod_node_name, which the proxy does not know/);
    expect(r.result.warnings.join('\n')).not.to.match(/read __meta_kubernetes_pod_name/);
  });

  it('passes podTargetLabels on for the proxy to copy per pod, and pod-label discovery without a warning', async () => {
    const relabelings = [{ sourceLabels: ['__meta_kubernetes_pod_label_app'], targetLabel: 'app' }];
    const spec = { selector: { matchLabels: { app: 'etcd' } }, podTargetLabels: ['app.kubernetes.io/version', 'pod', 'not a key'], endpoints: [{ port: 'metrics', scheme: 'http', relabelings }] };
    kas.resources.create('servicemonitors.monitoring.coreos.com', { apiVersion: 'monitoring.coreos.com/v1', kind: 'ServiceMonitor', metadata: { name: 'etcd-pod-labels', namespace: FIXTURE_NS }, spec });
    const r = await generateOnce(await options());
    expect(r.result.config.components.find((c) => c.name === 'etcd-pod-labels')).to.deep.include({ podTargetLabels: ['app.kubernetes.io/version'] });
    const warnings = r.result.warnings.join('\n');
    expect(warnings).to.match(/ServiceMonitor etcd-pod-labels: podTargetLabels "pod" would replace the proxy's own "pod" label/);
    expect(warnings).to.match(/ServiceMonitor etcd-pod-labels: podTargetLabels "not a key" is not a Kubernetes label key/);
    expect(warnings).not.to.match(/etcd-pod-labels: .*relabelings read/);
  });

  it('understands matchExpressions: a ServiceMonitor selects its Service, a PodMonitor passes them to the proxy', async () => {
    kas.resources.create('servicemonitors.monitoring.coreos.com', { apiVersion: 'monitoring.coreos.com/v1', kind: 'ServiceMonitor', metadata: { name: 'etcd-by-expression', namespace: FIXTURE_NS }, spec: { selector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['etcd'] }] }, endpoints: [{ port: 'metrics', scheme: 'http' }] } });
    const podSelector = { matchLabels: { app: 'etcd' }, matchExpressions: [{ key: 'canary', operator: 'DoesNotExist' }] };
    kas.resources.create('podmonitors.monitoring.coreos.com', { apiVersion: 'monitoring.coreos.com/v1', kind: 'PodMonitor', metadata: { name: 'etcd-pods', namespace: FIXTURE_NS }, spec: { selector: podSelector, podMetricsEndpoints: [{ port: 'metrics', scheme: 'http' }] } });
    kas.resources.create('podmonitors.monitoring.coreos.com', { apiVersion: 'monitoring.coreos.com/v1', kind: 'PodMonitor', metadata: { name: 'bad-operator', namespace: FIXTURE_NS }, spec: { selector: { matchExpressions: [{ key: 'app', operator: 'Like', values: ['x'] }] }, podMetricsEndpoints: [{ port: 'metrics' }] } });
    const r = await generateOnce(await options());
    const byName = (n: string) => r.result.config.components.find((c) => c.name === n) as Record<string, unknown> | undefined;
    expect(byName('etcd-by-expression')?.selector, 'the Service pod selector, a plain map').to.deep.equal(byName('etcd')?.selector);
    expect(byName('etcd-pods')?.selector).to.deep.equal({ matchLabels: { app: 'etcd' }, matchExpressions: [{ key: 'canary', operator: 'DoesNotExist', values: [] }] });
    expect(r.result.problems.map((p) => `${p.name} ${p.reason} ${p.message}`)).to.deep.equal(['bad-operator InvalidMonitor spec.selector.matchExpressions[0].operator must be one of In, NotIn, Exists, DoesNotExist, not "Like"']);
    // The proxy loads it, with the expressions.
    const loaded = parseProxyConfig(r.configYaml, { source: 'generated', defaultNamespace: FIXTURE_NS });
    expect(loaded.components.find((c) => c.name === 'etcd-pods')?.matchExpressions).to.deep.equal([{ key: 'canary', operator: 'DoesNotExist', values: [] }]);
  });

  it('reads monitoring.rhobs/v1 monitors too when the API serves them', async () => {
    for (const t of monitorTypes('monitoring.rhobs')) kas.resources.serve(t);
    kas.resources.create('servicemonitors.monitoring.rhobs', { apiVersion: 'monitoring.rhobs/v1', kind: 'ServiceMonitor', metadata: { name: 'rhobs-etcd', namespace: FIXTURE_NS }, spec: { selector: { matchLabels: { app: 'etcd' } }, endpoints: [{ port: 'etcd-client', scheme: 'http' }] } });
    kas.resources.create('servicemonitors.monitoring.rhobs', { apiVersion: 'monitoring.rhobs/v1', kind: 'ServiceMonitor', metadata: { name: 'etcd', namespace: FIXTURE_NS }, spec: { selector: { matchLabels: { app: 'etcd' } }, endpoints: [{ port: 'metrics' }] } });
    const o = await options();
    expect(o.groups).to.deep.equal(['monitoring.coreos.com', 'monitoring.rhobs']);
    const r = await generateOnce(o);
    const names = r.result.config.components.map((c) => c.name);
    expect(names).to.include('rhobs-etcd');
    expect(r.result.config.components.find((c) => c.name === 'rhobs-etcd')).to.deep.include({ metricsPort: 2379, metricsScheme: 'http' });
    expect(r.result.problems.map((p) => `${p.group} ${p.name} ${p.reason}`)).to.deep.equal(['monitoring.rhobs etcd DuplicateName']);
  });

  describe('bad monitors are skipped with an Event; the others still work', () => {
    const cases: [string, Record<string, unknown>, string, RegExp][] = [
      ['missing port', { kind: 'ServiceMonitor', spec: { selector: { matchLabels: { app: 'etcd' } }, endpoints: [{ port: 'nope', scheme: 'https' }] } }, 'MissingPort', /spec\.endpoints\[0\]\.port "nope" is not a port of Service "etcd-client"/],
      ['unknown secret', { kind: 'ServiceMonitor', spec: { selector: { matchLabels: { app: 'etcd' } }, endpoints: [{ port: 'metrics', scheme: 'https', tlsConfig: { cert: { secret: { name: 'gone', key: 'tls.crt' } }, keySecret: { name: 'gone', key: 'tls.key' } } }] } }, 'MissingTLSMaterial', /tlsConfig\.cert: Secret "gone" not found/],
      ['a selector matching nothing', { kind: 'PodMonitor', spec: { selector: { matchLabels: { app: 'nothing-here' } }, podMetricsEndpoints: [{ port: 'metrics' }] } }, 'SelectorMatchesNothing', /matches no pod in namespace clusters-example/],
      ['an invalid relabel regex', { kind: 'ServiceMonitor', spec: { selector: { matchLabels: { app: 'etcd' } }, endpoints: [{ port: 'metrics', metricRelabelings: [{ action: 'drop', regex: '(unclosed', sourceLabels: ['__name__'] }] }] } }, 'InvalidRelabeling', /metricRelabelings\[0\]\.regex/],
    ];
    for (const [what, monitor, reason, message] of cases) {
      it(what, async () => {
        const type = monitor.kind === 'ServiceMonitor' ? 'servicemonitors.monitoring.coreos.com' : 'podmonitors.monitoring.coreos.com';
        kas.resources.create(type, { apiVersion: 'monitoring.coreos.com/v1', kind: String(monitor.kind), metadata: { name: 'bad-one', namespace: FIXTURE_NS }, spec: monitor.spec as Record<string, unknown> });
        const o = await options();
        const r = await generateOnce(o);
        expect(r.result.problems.map((p) => p.reason)).to.deep.equal([reason]);
        expect(r.result.problems[0]!.message).to.match(message);
        expect(r.result.config.components.map((c) => c.name)).not.to.include('bad-one');
        expect(r.result.config.components).to.have.length(9);
        const events = kas.resources.list('events', FIXTURE_NS);
        expect(events).to.have.length(1);
        expect(events[0]).to.deep.include({ reason, type: 'Warning' });
        expect(events[0]!.involvedObject).to.deep.include({ kind: monitor.kind, name: 'bad-one', apiVersion: 'monitoring.coreos.com/v1' });
        expect(String(events[0]!.message)).to.match(message);
        await generateOnce(o);
        expect(kas.resources.list('events', FIXTURE_NS), 'reported once').to.have.length(1);
      });
    }
  });
});
