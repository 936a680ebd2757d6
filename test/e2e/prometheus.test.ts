/**
 * End to end: a real Prometheus scrapes every component through the proxy of a local stack, the way a
 * guest cluster's Prometheus does (one job per component, `honor_labels: true`, HTTPS with the stack's
 * CA), and we read what it stored through its HTTP API.
 * Addresses: 127.0.90.x (pods); the resolver, the proxy and Prometheus listen on 127.0.0.1.
 */
import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { memoryLogger } from '../../common/log.js';
import { startLocalStack, type LocalStack } from '../../demo/stack.js';
import { metricsSetRules } from '../../proxy/metricsset/index.js';
import type { RelabelConfig } from '../../proxy/relabel/types.js';
import { sumSamples } from '../support/exposition.js';
import { eventually, startPrometheus, type PrometheusServer } from '../support/prometheus.js';
import { PROMETHEUS } from '../support/promtool.js';
import { expectedPodLabels, stackComponents } from '../support/expected-labels.js';

const INJECTED = ['job', 'namespace', 'service', 'endpoint', 'pod', 'instance', 'apiserver'] as const;

const COLLISIONS =
  '# HELP sim_collision_info Simulated: scraped labels named like target labels.\n# TYPE sim_collision_info gauge\n' +
  'sim_collision_info{apiserver="other",endpoint="e",exported_pod="q",instance="i",job="j",namespace="n",pod="p",service="s"} 1\n' +
  'sim_collision_info{apiserver="",namespace="",x="empty values"} 2\n';

const jobName = (component: string) => `hcp-${component}`;

/** Components a second set of jobs scrapes directly, as standalone OpenShift's Prometheus would. */
const DIRECT = ['kube-apiserver', 'etcd', 'kube-controller-manager', 'cluster-version-operator'];

/** A prometheus-operator RelabelConfig as Prometheus's own metric_relabel_configs entry. */
function toPrometheusRelabel(r: RelabelConfig): Record<string, unknown> {
  return {
    ...(r.sourceLabels ? { source_labels: r.sourceLabels } : {}),
    ...(r.separator !== undefined ? { separator: r.separator } : {}),
    ...(r.targetLabel !== undefined ? { target_label: r.targetLabel } : {}),
    ...(r.regex !== undefined ? { regex: r.regex } : {}),
    ...(r.modulus !== undefined ? { modulus: r.modulus } : {}),
    ...(r.replacement !== undefined ? { replacement: r.replacement } : {}),
    ...(r.action !== undefined ? { action: r.action } : {}),
  };
}

/** name + labels (without `via`) → value, for comparing what two jobs stored. */
function seriesMap(result: { metric: Record<string, string>; value: [number, string] }[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const s of result) {
    const { via: _via, ...labels } = s.metric;
    out.set(JSON.stringify(Object.entries(labels).sort()), s.value[1]);
  }
  return out;
}

describe('e2e: a real Prometheus scrapes every component through the proxy', function () {
  this.timeout(120_000);
  let stack: LocalStack | undefined;
  let prom: PrometheusServer | undefined;
  /** Per pod: the labels the stack's config says its series must carry. */
  let expected: Map<string, Record<string, string>>;
  let downPods: Set<string>;

  before(async function () {
    if (!existsSync(PROMETHEUS)) this.skip();
    // The slow openshift-apiserver pod takes 3 s, far beyond the 500 ms pod timeout (and Prometheus's 1 s).
    stack = await startLocalStack({
      ipPrefix: '127.0.90',
      apiserver: { seriesCount: 3000 },
      scrapeTimeout: '500ms',
      slowDelayMs: 3000,
      logger: memoryLogger('e2e-prometheus'),
    });
    // Scraped labels that collide with target labels, in a text and an OpenMetrics pod: renamed
    // exported_<name> (exported_exported_<name> when that exists too) as Prometheus does.
    for (const name of ['kube-apiserver', 'cluster-version-operator']) {
      const pod = stack.controlPlane.component(name).pods[0]!;
      const body = pod.body.toString('utf8');
      const om = body.endsWith('# EOF\n');
      const head = om ? body.slice(0, -'# EOF\n'.length) : body;
      pod.setBody(head + COLLISIONS + (om ? '# EOF\n' : ''), om ? 'openmetrics' : 'text');
    }
    const components = stackComponents(stack);
    expected = expectedPodLabels(stack);
    downPods = new Set([stack.controlPlane.component('openshift-apiserver').pods[1]!.name, stack.controlPlane.component('openshift-controller-manager').pods[1]!.name]);
    const target = stack.proxyUrl.replace(/^https:\/\//, '');
    const viaProxy = stack.controlPlane.components.map((c) => ({
      job_name: jobName(c.name),
      scheme: 'https',
      tls_config: { ca_file: stack!.certs.caFile },
      honor_labels: true,
      metrics_path: `/metrics/${c.name}`,
      scrape_interval: '1s',
      scrape_timeout: '1s',
      static_configs: [{ targets: [target] }],
    }));
    // The same pods scraped directly, with the labels and the MetricsSet as static target labels and
    // metric_relabel_configs: what the proxy serves must be what this stores (plus via="direct").
    const direct = DIRECT.map((name) => {
      const c = components.find((x) => x.name === name)!;
      const sim = stack!.controlPlane.component(name);
      return {
        job_name: c.metricsJob ?? name,
        scheme: 'https',
        tls_config: { ca_file: stack!.certs.podCaFile, cert_file: stack!.certs.podClient.certFile, key_file: stack!.certs.podClient.keyFile, server_name: sim.tlsServerName },
        honor_labels: false,
        metrics_path: sim.path,
        scrape_interval: '1s',
        scrape_timeout: '1s',
        static_configs: sim.pods.map((pod) => {
          const { job: _job, instance: _instance, ...labels } = expected.get(pod.name)!;
          return { targets: [`${pod.ip}:${c.metricsPort}`], labels: { ...labels, via: 'direct' } };
        }),
        metric_relabel_configs: metricsSetRules('All', name, 0).map(toPrometheusRelabel),
      };
    });
    prom = await startPrometheus([...viaProxy, ...direct]);
    // Several scrapes of every job, so duplicates or ordering problems across scrapes would show.
    await eventually(
      async () => {
        const r = await prom!.query('count_over_time(up{job=~"hcp-.*"}[1m]) >= 3');
        const d = await prom!.query('count_over_time(up{via="direct"}[1m]) >= 3');
        const directPods = DIRECT.reduce((n, name) => n + stack!.controlPlane.component(name).pods.length, 0);
        return r.length === stack!.controlPlane.components.length && d.length === directPods ? true : undefined;
      },
      60_000,
      'three scrapes of every job',
    );
  });

  after(async () => {
    await prom?.stop();
    await stack?.close();
  });

  it('has every job up with no scrape error', async () => {
    const targets = await eventually(
      async () => {
        const t = (await prom!.targets()).filter((x) => x.scrapePool.startsWith('hcp-'));
        return t.length === stack!.controlPlane.components.length && t.every((x) => x.health === 'up' && x.lastError === '') ? t : undefined;
      },
      30_000,
      'every target up without error',
    ).catch(async (err: Error) => {
      throw new Error(`${err.message}\n${JSON.stringify(await prom!.targets(), null, 1)}`);
    });
    expect(targets.map((t) => t.scrapePool).sort()).to.deep.equal(stack!.controlPlane.components.map((c) => jobName(c.name)).sort());
    for (const t of targets) {
      expect(t.health, t.scrapePool).to.equal('up');
      expect(t.lastError, t.scrapePool).to.equal('');
    }
  });

  it('stores every series with the injected labels exactly as the stack’s config says', async () => {
    const groups = await prom!.query(`count by (${INJECTED.join(', ')}) ({__name__=~".+", __name__!="sim_collision_info", job!~"hcp-.*", via=""})`);
    const got = groups.map((g) => JSON.stringify(Object.entries(g.metric).sort()));
    const want = [...expected.values()].map((l) => JSON.stringify(Object.entries(l).sort()));
    expect(got.sort()).to.deep.equal(want.sort());
    // kube-apiserver's series carry apiserver="kube-apiserver", the others none.
    const kas = groups.filter((g) => g.metric.job === 'apiserver');
    expect(kas).to.have.length(3);
    for (const g of kas) expect(g.metric.apiserver).to.equal('kube-apiserver');
  });

  it('has up per pod: 1 for healthy pods, 0 for the slow and the broken one', async () => {
    const up = await prom!.query('up{pod!="", via=""}');
    const byPod = Object.fromEntries(up.map((s) => [s.metric.pod!, s.value[1]]));
    const want = Object.fromEntries([...expected.keys()].map((p) => [p, downPods.has(p) ? '0' : '1']));
    expect(byPod).to.deep.equal(want);
    for (const s of up) {
      const { __name__: name, ...labels } = s.metric;
      expect(name).to.equal('up');
      expect(labels).to.deep.equal(expected.get(s.metric.pod!));
    }
    const durations = await prom!.query('scrape_duration_seconds{pod!="", via=""}');
    expect(durations.map((s) => s.metric.pod).sort()).to.deep.equal([...expected.keys()].sort());
  });

  it('stores samples of every healthy pod and none of the failed ones', async () => {
    const perPod = await prom!.query('count by (pod) ({__name__=~".+", __name__!~"up|scrape_duration_seconds", pod!="", job!~"hcp-.*", via=""})');
    const pods = perPod.map((s) => s.metric.pod!).sort();
    expect(pods).to.deep.equal([...expected.keys()].filter((p) => !downPods.has(p)).sort());
    for (const s of perPod) expect(Number(s.value[1]), s.metric.pod).to.be.greaterThan(10);
    expect((await prom!.query('apiserver_request_total{apiserver="kube-apiserver", via=""}')).length).to.be.greaterThan(10);
    expect((await prom!.query('etcd_server_has_leader{job="etcd", via=""}')).length).to.equal(3);
  });

  it('ingests the OpenMetrics cluster-version-operator as OpenMetrics', async () => {
    const requests = await prom!.query('cluster_version_operator_http_requests_total{job="cluster-version-operator", via=""}');
    expect(requests.length).to.equal(3);
    const build = await prom!.query('cluster_version_operator_build_info{via=""}');
    expect(build).to.have.length(1);
    expect(build[0]!.metric).to.include(expected.get(build[0]!.metric.pod!)!);
    // Only an OpenMetrics answer carries the info and stateset types.
    const r = await fetch(`${prom!.url}/api/v1/targets/metadata?match_target=${encodeURIComponent('{job="hcp-cluster-version-operator"}')}`);
    const meta = ((await r.json()) as { data: { metric: string; type: string }[] }).data;
    const types = Object.fromEntries(meta.map((m) => [m.metric, m.type]));
    expect(types).to.include({ cluster_version_operator_build: 'info', cluster_version_operator_update_state: 'stateset' });
  });

  it('renames scraped labels that collide with target labels exported_<name>', async () => {
    const kasPod = stack!.controlPlane.component('kube-apiserver').pods[0]!.name;
    const r = await prom!.query(`sim_collision_info{pod="${kasPod}", via=""}`);
    const byValue = Object.fromEntries(r.map((s) => [s.value[1], s.metric]));
    expect(byValue['1']).to.deep.equal({
      __name__: 'sim_collision_info',
      ...expected.get(kasPod)!,
      exported_apiserver: 'other',
      exported_endpoint: 'e',
      exported_pod: 'q',
      exported_exported_pod: 'p',
      exported_instance: 'i',
      exported_job: 'j',
      exported_namespace: 'n',
      exported_service: 's',
    });
    // Empty values are absent labels: nothing to rename.
    expect(byValue['2']).to.deep.equal({ __name__: 'sim_collision_info', ...expected.get(kasPod)!, x: 'empty values' });
    // cluster-version-operator has no `apiserver` target label: its scraped `apiserver` stays as it is.
    const cvoPod = stack!.controlPlane.component('cluster-version-operator').pods[0]!.name;
    const cvo = Object.fromEntries((await prom!.query('sim_collision_info{job="cluster-version-operator", via=""}')).map((s) => [s.value[1], s.metric]));
    expect(cvo['1']).to.deep.equal({
      __name__: 'sim_collision_info',
      ...expected.get(cvoPod)!,
      apiserver: 'other',
      exported_endpoint: 'e',
      exported_pod: 'q',
      exported_exported_pod: 'p',
      exported_instance: 'i',
      exported_job: 'j',
      exported_namespace: 'n',
      exported_service: 's',
    });
    expect(cvo['2']).to.deep.equal({ __name__: 'sim_collision_info', ...expected.get(cvoPod)!, x: 'empty values' });
  });

  for (const name of DIRECT) {
    it(`stores for ${name} exactly the series and values that scraping its pods directly (honor_labels: false) stores`, async () => {
      const job = expected.get(stack!.controlPlane.component(name).pods[0]!.name)!.job;
      // Everything but the series Prometheus writes itself for each target.
      const own = '__name__!~"up|scrape_duration_seconds|scrape_samples_scraped|scrape_samples_post_metric_relabeling|scrape_series_added"';
      const direct = seriesMap(await prom!.query(`{job="${job}", via="direct", ${own}}`));
      const proxied = seriesMap(await prom!.query(`{job="${job}", via="", ${own}}`));
      expect(direct.size).to.be.greaterThan(40);
      const missing = [...direct.keys()].filter((k) => !proxied.has(k));
      const extra = [...proxied.keys()].filter((k) => !direct.has(k));
      expect(missing.slice(0, 5), `${missing.length} series stored from the pods but not through the proxy`).to.deep.equal([]);
      expect(extra.slice(0, 5), `${extra.length} series stored through the proxy but not from the pods`).to.deep.equal([]);
      const differ = [...direct].filter(([k, v]) => proxied.get(k) !== v);
      expect(differ.slice(0, 5), `${differ.length} values differ`).to.deep.equal([]);
    });
  }

  it('counts no duplicate, out-of-order, out-of-bounds or over-limit samples', async () => {
    const r = await fetch(`${prom!.url}/metrics`);
    const own = await r.text();
    for (const name of [
      'prometheus_target_scrapes_sample_duplicate_timestamp_total',
      'prometheus_target_scrapes_sample_out_of_order_total',
      'prometheus_target_scrapes_sample_out_of_bounds_total',
      'prometheus_target_scrapes_exceeded_sample_limit_total',
    ]) {
      expect(own, name).to.match(new RegExp(`^${name} `, 'm'));
      expect(sumSamples(own, name), name).to.equal(0);
    }
    expect(prom!.logs()).to.not.match(/Error on ingesting|Append failed|append failed/);
  });
});
