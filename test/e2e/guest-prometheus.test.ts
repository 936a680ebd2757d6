/**
 * End to end, the guest side: real Prometheus servers scrape the control plane through the TCP forwarder
 * and the proxy with TLS end to end (the proxy's serving CA, `server_name` = a Route-host-like name the
 * serving certificate covers, a client certificate or a bearer token reviewed by the fake hosted
 * kube-apiserver).
 *  - One runs the configuration prometheus-operator renders from the PodMonitor guest sync writes, plus
 *    control-plane rules in the kubernetes-mixin style: they evaluate over the proxied series, and the down
 *    alerts stay silent while the pods are up and fire when they are all down.
 *  - One discovers its targets with http_sd_configs at GET /sd (bearer token) and follows a component
 *    added to the proxy's config without a restart.
 * Addresses: 127.0.150.x (pods); the resolver, the proxy, the forwarder and Prometheus listen on 127.0.0.1.
 */
import { expect } from 'chai';
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { memoryLogger } from '../../common/log.js';
import { LOCAL_ROUTE_HOST } from '../../demo/certs.js';
import { DEMO_NAMESPACE, startLocalStack, type LocalStack } from '../../demo/stack.js';
import { startForwarder, type Forwarder } from '../../forwarder/forwarder.js';
import { desiredPodMonitor, type GuestAuth, type GuestObjectOptions } from '../../generator/guest/objects.js';
import { PROMETHEUS_SA, writePrometheusCredentials } from '../support/prometheus-credentials.js';
import { createProxyAuth, type ProxyAuth } from '../../proxy/auth/index.js';
import { servedPaths } from '../../proxy/server/app.js';
import { controlPlaneRules, RULE_NAMES } from '../support/control-plane-rules.js';
import { expectedPodLabels } from '../support/expected-labels.js';
import { FakeKubeApiserver } from '../support/fake-kube-apiserver.js';
import { podMonitorScrapeConfigs } from '../support/podmonitor-scrape-config.js';
import { eventually, startPrometheus, type PrometheusServer } from '../support/prometheus.js';
import { havePrometheus, promtoolCheckRules } from '../support/promtool.js';

const GUEST_NS = 'openshift-monitoring';
const PM_JOB = `${GUEST_NS}/hcp-metrics-proxy`;
const FOR_SECONDS = 2;

/** Multiplies the request counters and latency histograms the rules read by `factor`: they grow between scrapes as in a live cluster. */
function scaled(body: string, factor: number): string {
  return body.replace(
    /^((?:apiserver_request_(?:total|duration_seconds_\w+|sli_duration_seconds_\w+)|etcd_disk_wal_fsync_duration_seconds_\w+)\{[^\n]*\} )(\S+)$/gm,
    (_m, head: string, v: string) => `${head}${Number(v) * factor}`,
  );
}

describe('e2e: guest Prometheus through the forwarder (PodMonitor as prometheus-operator renders it, and http_sd)', function () {
  this.timeout(120_000);
  let dir: string;
  let kas: FakeKubeApiserver | undefined;
  let auth: ProxyAuth | undefined;
  let stack: LocalStack | undefined;
  let forwarder: Forwarder | undefined;
  let fwd: string | undefined;
  let promPm: PrometheusServer | undefined;
  let promSd: PrometheusServer | undefined;
  let grow: NodeJS.Timeout | undefined;
  let paths: string[];
  let expected: Map<string, Record<string, string>>;
  let downPods: Set<string>;
  let tokenFile: string;

  before(async function () {
    if (!havePrometheus()) this.skip();
    dir = mkdtempSync(join(tmpdir(), 'hcp-e2e-guest-'));
    kas = await FakeKubeApiserver.start();
    const token = `prometheus-k8s-token-${Math.random().toString(36).slice(2)}`;
    kas.addToken(token, { username: PROMETHEUS_SA, groups: ['system:serviceaccounts'] });
    const { kubeconfig } = kas.writeKubeconfig(join(dir, 'kas'));
    // The token, and OpenShift's metrics-client-certs, which the tls-client-certificate-auth scrape class presents.
    const creds = writePrometheusCredentials(dir, token);
    tokenFile = creds.tokenFile;
    const { clientCaFile, certFile, keyFile } = creds;

    const logger = memoryLogger('e2e-guest');
    stack = await startLocalStack({
      ipPrefix: '127.0.150',
      apiserver: { seriesCount: 2500 },
      scrapeTimeout: '800ms',
      slowDelayMs: 3000,
      logger,
      clientCaFile,
      authenticator: (metrics) => (auth = createProxyAuth({ kubeconfigFile: kubeconfig, clientCaFile }, { logger, metrics })),
      // The forwarder stands in for the Route: what /sd names.
      sdTarget: () => fwd,
    });
    forwarder = await startForwarder({ listen: '127.0.0.1:0', upstream: { host: '127.0.0.1', port: stack.server.port }, maxConnections: 256, connectTimeoutMs: 2000, idleTimeoutMs: 300_000, logger });
    fwd = `127.0.0.1:${forwarder.port}`;

    let tick = 1;
    const originals = ['kube-apiserver', 'etcd'].flatMap((c) => stack!.controlPlane.component(c).pods.map((p) => [p, p.body.toString('utf8')] as const));
    grow = setInterval(() => {
      tick++;
      for (const [pod, body] of originals) pod.setBody(scaled(body, tick));
    }, 500);

    expected = expectedPodLabels(stack);
    downPods = new Set([stack.controlPlane.component('openshift-apiserver').pods[1]!.name, stack.controlPlane.component('openshift-controller-manager').pods[1]!.name]);
    paths = servedPaths(stack.runtime.config()!);
    const objects: GuestObjectOptions & { auth: GuestAuth } = { namespace: GUEST_NS, sourceNamespace: DEMO_NAMESPACE, routeHost: LOCAL_ROUTE_HOST, auth: { mode: 'client-certificate' } };
    const caFiles = { 'configmap/metrics-proxy-serving-ca/ca.crt': stack.certs.caFile, 'secret/hcp-metrics-proxy-prometheus-token/token': tokenFile };
    const rendered = podMonitorScrapeConfigs(desiredPodMonitor(paths, objects), {
      forwarderAddress: fwd,
      forwarderPod: 'metrics-forwarder-0',
      files: caFiles,
      scrapeClasses: { 'tls-client-certificate-auth': { certFile, keyFile } },
    });
    const rules = controlPlaneRules(FOR_SECONDS);
    const rulesFile = join(dir, 'rules.yml');
    writeFileSync(rulesFile, rules);
    const check = promtoolCheckRules([rulesFile]);
    expect(check.status, check.output).to.equal(0);
    promPm = await startPrometheus(rendered, { ruleFiles: [rules], evaluationInterval: '1s' });

    // The SD Prometheus: every path from /sd with a bearer token, and etcd once more from the bearer-token
    // PodMonitor (labelled via so its series stay apart from the SD job's).
    const tls = { ca_file: stack.certs.caFile, server_name: LOCAL_ROUTE_HOST };
    const bearer = { type: 'Bearer', credentials_file: tokenFile };
    const tokenPm = podMonitorScrapeConfigs(desiredPodMonitor(['/metrics/etcd'], { ...objects, auth: { mode: 'bearer-token', secret: 'hcp-metrics-proxy-prometheus-token' } }), {
      forwarderAddress: fwd,
      forwarderPod: 'metrics-forwarder-0',
      files: caFiles,
    }).map((j) => ({ ...j, relabel_configs: [...(j.relabel_configs as unknown[]), { target_label: 'via', replacement: 'podmonitor-token' }] }));
    promSd = await startPrometheus([
      { job_name: 'hcp-sd', honor_labels: true, authorization: bearer, tls_config: tls, http_sd_configs: [{ url: `https://${fwd}/sd`, refresh_interval: '1s', authorization: bearer, tls_config: tls }] },
      ...tokenPm,
    ]);
  });

  after(async () => {
    if (grow) clearInterval(grow);
    await promPm?.stop();
    await promSd?.stop();
    await forwarder?.close(0);
    auth?.close();
    await stack?.close();
    await kas?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const allUp = async (prom: PrometheusServer, pool: (p: string) => boolean, n: number) =>
    eventually(async () => {
      const t = (await prom.targets()).filter((x) => pool(x.scrapePool));
      return t.length === n && t.every((x) => x.health === 'up' && x.lastError === '') ? t : undefined;
    }, 60_000, `${n} targets up`).catch(async (err: Error) => {
      throw new Error(`${err.message}\n${JSON.stringify(await prom.targets(), null, 1)}`);
    });

  describe('the PodMonitor guest sync writes, as prometheus-operator renders it (client certificate)', () => {
    it('has every component’s target up through the forwarder, with no scrape error', async () => {
      const targets = await allUp(promPm!, (p) => p.startsWith(`podMonitor/${PM_JOB}/`), paths.length);
      expect(targets.map((t) => new URL(t.scrapeUrl).pathname).sort()).to.deep.equal([...paths].sort());
      for (const t of targets) {
        expect(new URL(t.scrapeUrl).host).to.equal(fwd);
        expect(t.labels).to.include({ job: PM_JOB, namespace: GUEST_NS, pod: 'metrics-forwarder-0', endpoint: 'https' });
      }
      // Every connection went through the forwarder.
      expect((await forwarder!.metrics.accepted.get()).values[0]!.value).to.be.greaterThan(0);
    });

    it('stores series with job/namespace/service/endpoint/pod/instance as on a standalone cluster, and up per pod', async () => {
      const labels = ['job', 'namespace', 'service', 'endpoint', 'pod', 'instance', 'apiserver'];
      const groups = await eventually(async () => {
        // Scraped series only: not the rules' output (recorded names have a colon; ALERTS).
        const g = await promPm!.query(`count by (${labels.join(', ')}) ({__name__=~"[^:]+", __name__!~"ALERTS.*", job!="${PM_JOB}"})`);
        return g.length === expected.size ? g : undefined;
      }, 30_000, 'series of every pod');
      const got = groups.map((g) => JSON.stringify(Object.entries(g.metric).sort()));
      expect(got.sort()).to.deep.equal([...expected.values()].map((l) => JSON.stringify(Object.entries(l).sort())).sort());
      const up = await promPm!.query(`up{job!="${PM_JOB}"}`);
      expect(Object.fromEntries(up.map((s) => [s.metric.pod!, s.value[1]]))).to.deep.equal(Object.fromEntries([...expected.keys()].map((p) => [p, downPods.has(p) ? '0' : '1'])));
    });

    it('evaluates the control-plane rules without error, and every recording rule produces series', async () => {
      const rules = await eventually(async () => {
        const all = (await promPm!.rules()).flatMap((g) => g.rules);
        return all.length === RULE_NAMES.recording.length + Object.keys(RULE_NAMES.downAlerts).length + 1 && all.every((r) => !r.lastEvaluation.startsWith('0001-')) ? all : undefined; // 0001-01-01: never evaluated
      }, 30_000, 'every rule evaluated');
      for (const r of rules) {
        expect(r.health, `${r.name}: ${r.lastError}`).to.equal('ok');
        expect(r.lastError ?? '', r.name).to.equal('');
      }
      for (const name of RULE_NAMES.recording) {
        const s = await eventually(async () => {
          const v = await promPm!.query(name);
          return v.length > 0 && v.every((x) => Number.isFinite(Number(x.value[1]))) ? v : undefined;
        }, 30_000, `finite series of ${name}`);
        expect(s.length, name).to.be.greaterThan(0);
      }
      // The request counters grow with no 5xx: availability 1; the read burn rate counts only slow requests.
      const availability = await promPm!.query('apiserver_request:availability30d');
      expect(availability.map((s) => s.value[1])).to.deep.equal(['1']);
      const burn = Number((await promPm!.query('apiserver_request:burnrate5m'))[0]!.value[1]);
      expect(burn).to.be.within(0, 1);
      const p99 = await promPm!.query('verb:apiserver_request_duration_seconds:p99{verb="LIST"}');
      expect(Number(p99[0]!.value[1])).to.be.greaterThan(0);
    });

    it('keeps the down alerts silent while the pods are up, fires TargetDown only for the jobs with a broken pod, and fires KubeAPIDown once every API server pod is down', async () => {
      const alertState = async () => Object.fromEntries((await promPm!.rules()).flatMap((g) => g.rules).filter((r) => r.type === 'alerting').map((r) => [r.name, r.state]));
      const firing = async () => (await promPm!.alerts()).filter((a) => a.state === 'firing');
      const targetDownJobs = await eventually(async () => {
        const jobs = (await firing()).filter((a) => a.labels.alertname === RULE_NAMES.targetDown).map((a) => a.labels.job!).sort();
        return jobs.length === 2 ? jobs : undefined;
      }, 30_000, 'TargetDown firing for the broken pods');
      expect(targetDownJobs).to.deep.equal(['api', 'controller-manager']);
      const states = await alertState();
      for (const name of Object.keys(RULE_NAMES.downAlerts)) expect(states[name], name).to.equal('inactive');
      expect((await promPm!.alerts()).filter((a) => a.labels.alertname! in RULE_NAMES.downAlerts)).to.deep.equal([]);

      for (const pod of stack!.controlPlane.component('kube-apiserver').pods) await pod.setBehaviour('refuse');
      try {
        await eventually(async () => ((await firing()).some((a) => a.labels.alertname === 'KubeAPIDown') ? true : undefined), 30_000, 'KubeAPIDown firing');
        const after = await alertState();
        expect(after.EtcdDown).to.equal('inactive');
        expect(after.KubeControllerManagerDown).to.equal('inactive');
        // The targets themselves stay up: the proxy answered, with up 0 for every API server pod.
        const up = await promPm!.query('up{job="apiserver"}');
        expect(up.map((s) => s.value[1])).to.deep.equal(['0', '0', '0']);
      } finally {
        for (const pod of stack!.controlPlane.component('kube-apiserver').pods) await pod.setBehaviour('ok');
      }
      await eventually(async () => ((await alertState()).KubeAPIDown === 'inactive' ? true : undefined), 30_000, 'KubeAPIDown resolved');
    });
  });

  describe('http_sd_configs at GET /sd (bearer token)', () => {
    it('discovers one target per served path, all up through the forwarder, labelled with the component', async () => {
      const targets = await allUp(promSd!, (p) => p === 'hcp-sd', paths.length);
      expect(targets.map((t) => new URL(t.scrapeUrl).pathname).sort()).to.deep.equal([...paths].sort());
      for (const t of targets) expect(t.labels.component).to.equal(new URL(t.scrapeUrl).pathname.split('/')[2]);
      await allUp(promSd!, (p) => p.startsWith(`podMonitor/${PM_JOB}/`), 1);
      const etcd = await eventually(async () => {
        const r = await promSd!.query('count by (via) (up{job="etcd"})');
        return r.length === 2 ? r : undefined;
      }, 30_000, 'etcd through /sd and through the bearer-token PodMonitor');
      expect(etcd.map((r) => [r.metric.via ?? '', r.value[1]]).sort()).to.deep.equal([['', '3'], ['podmonitor-token', '3']]);
    });

    it('follows a component added to the proxy config, without restarting Prometheus', async () => {
      const reloads = async () => (await (await fetch(`${promSd!.url}/metrics`)).text()).match(/^prometheus_config_last_reload_success_timestamp_seconds (\S+)$/m)![1];
      const before = await reloads();
      const original = readFileSync(stack!.configFile, 'utf8');
      const config = YAML.parse(original) as { components: Record<string, unknown>[] };
      const etcd = config.components.find((c) => c.name === 'etcd')!;
      config.components.push({ ...etcd, name: 'etcd-day2', metricsJob: 'etcd-day2' });
      writeFileSync(`${stack!.configFile}.tmp`, YAML.stringify(config));
      renameSync(`${stack!.configFile}.tmp`, stack!.configFile);
      try {
        const t = await eventually(async () => (await promSd!.targets()).find((x) => x.labels.component === 'etcd-day2' && x.health === 'up'), 30_000, 'the day-2 component as an up target');
        expect(new URL(t.scrapeUrl).pathname).to.equal('/metrics/etcd-day2');
        const up = await eventually(async () => {
          const r = await promSd!.query('up{job="etcd-day2"}');
          return r.length === 3 ? r : undefined;
        }, 30_000, 'the day-2 component’s series');
        expect(up.map((s) => s.value[1])).to.deep.equal(['1', '1', '1']);
        expect(await reloads(), 'no configuration reload').to.equal(before);
      } finally {
        writeFileSync(`${stack!.configFile}.tmp`, original);
        renameSync(`${stack!.configFile}.tmp`, stack!.configFile);
      }
      await eventually(async () => ((await promSd!.targets()).some((x) => x.labels.component === 'etcd-day2') ? undefined : true), 30_000, 'the component gone again');
    });
  });
});
