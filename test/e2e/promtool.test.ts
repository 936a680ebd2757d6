/**
 * `promtool check metrics` on every answer the proxy gives for every component, under each MetricsSet
 * (All, Telemetry, SRE with a small SRE config), as text and gzip: exit status 0, no lint complaint.
 * The simulated pods' bodies are lint-clean by construction, so any complaint is about the proxy.
 *
 * promtool 2.42 reads only the text format; OpenMetrics answers (cluster-version-operator when asked
 * for it) are checked for their framing here and parsed by a real Prometheus in prometheus.test.ts.
 * Addresses: 127.0.100.x, 127.0.101.x, 127.0.102.x (pods, one range per stack).
 */
import { expect } from 'chai';
import { existsSync, readFileSync } from 'node:fs';
import { memoryLogger } from '../../common/log.js';
import { scrapeProxy } from '../../demo/client.js';
import { startLocalStack, type LocalStack } from '../../demo/stack.js';
import type { MetricsSetName } from '../../proxy/metricsset/index.js';
import { expectPromtoolClean, parseSamples } from '../support/exposition.js';
import { PROMTOOL } from '../support/promtool.js';

const PROMETHEUS_ACCEPT = 'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';

/** A small SRE set: keep-lists for two components, a drop rule for a third, a label added for a fourth. */
const SRE_CONFIG = `
kubeAPIServer:
- action: keep
  sourceLabels: [__name__]
  regex: apiserver_request_total|apiserver_current_inflight_requests|apiserver_storage_objects
etcd:
- action: keep
  sourceLabels: [__name__]
  regex: etcd_disk_wal_fsync_duration_seconds_bucket|etcd_mvcc_db_total_size_in_bytes|etcd_server_has_leader
kubeControllerManager:
- action: drop
  sourceLabels: [__name__]
  regex: workqueue_.*
openshiftAPIServer:
- action: replace
  targetLabel: sre_selected
  replacement: "yes"
`;

const SETS: { set: MetricsSetName; ipPrefix: string; sre?: string }[] = [
  { set: 'All', ipPrefix: '127.0.100' },
  { set: 'Telemetry', ipPrefix: '127.0.101' },
  { set: 'SRE', ipPrefix: '127.0.102', sre: SRE_CONFIG },
];

for (const { set, ipPrefix, sre } of SETS) {
  describe(`e2e: promtool check metrics on every proxy answer (MetricsSet ${set})`, function () {
    this.timeout(60_000);
    let stack: LocalStack | undefined;
    let caPem: string;

    before(async function () {
      if (!existsSync(PROMTOOL)) this.skip();
      stack = await startLocalStack({
        ipPrefix,
        metricsSet: set,
        sreConfig: sre,
        apiserver: { seriesCount: 3000 },
        scrapeTimeout: '500ms',
        slowDelayMs: 3000,
        logger: memoryLogger(`e2e-promtool-${set}`),
      });
      caPem = readFileSync(stack.certs.caFile, 'utf8');
    });
    after(async () => {
      await stack?.close();
    });

    for (const component of ['kube-apiserver', 'etcd', 'kube-controller-manager', 'openshift-apiserver', 'openshift-controller-manager', 'cluster-version-operator']) {
      it(`/metrics/${component}: text, gzip and Prometheus's Accept header all pass promtool`, async () => {
        const pods = stack!.controlPlane.component(component).pods.length;
        for (const headers of [{}, { 'Accept-Encoding': 'gzip' }, { Accept: PROMETHEUS_ACCEPT, 'Accept-Encoding': 'gzip' }] as Record<string, string>[]) {
          const what = `/metrics/${component} (${set}, ${JSON.stringify(headers)})`;
          const a = await scrapeProxy(`${stack!.proxyUrl}/metrics/${component}`, { caPem, headers });
          expect(a.status, what).to.equal(200);
          const contentType = String(a.headers['content-type']);
          if (contentType.startsWith('application/openmetrics-text')) {
            expect(component, 'only the OpenMetrics component answers OpenMetrics').to.equal('cluster-version-operator');
            expect(a.body.endsWith('# EOF\n'), what).to.equal(true);
            expect(a.body.match(/^# EOF$/gm), what).to.have.length(1);
            expect(a.body, what).to.not.match(/\n\n/);
            parseSamples(a.body.slice(0, -'# EOF\n'.length));
          } else {
            expect(contentType, what).to.match(/^text\/plain; version=0\.0\.4/);
            expectPromtoolClean(a.body, what);
          }
          const up = parseSamples(a.body.replace(/# EOF\n$/, '')).filter((s) => s.name === 'up');
          expect(up, what).to.have.length(pods);
        }
      });
    }

    if (set === 'SRE') {
      it('applies the SRE config file', async () => {
        const kas = await scrapeProxy(`${stack!.proxyUrl}/metrics/kube-apiserver`, { caPem });
        const names = new Set(parseSamples(kas.body).map((s) => s.name));
        expect([...names].sort()).to.deep.equal(['apiserver_current_inflight_requests', 'apiserver_request_total', 'apiserver_storage_objects', 'scrape_duration_seconds', 'up']);
        const etcd = await scrapeProxy(`${stack!.proxyUrl}/metrics/etcd`, { caPem });
        const etcdNames = new Set(parseSamples(etcd.body).map((s) => s.name));
        expect(etcdNames).to.include('etcd_disk_wal_fsync_duration_seconds_bucket');
        // Per sample name: the buckets of the histogram are kept, not its _sum and _count.
        expect(etcdNames).to.not.include('etcd_disk_wal_fsync_duration_seconds_sum');
        const kcm = await scrapeProxy(`${stack!.proxyUrl}/metrics/kube-controller-manager`, { caPem });
        expect(parseSamples(kcm.body).some((s) => s.name.startsWith('workqueue_'))).to.equal(false);
        expect(parseSamples(kcm.body).length).to.be.greaterThan(100);
        const oas = await scrapeProxy(`${stack!.proxyUrl}/metrics/openshift-apiserver`, { caPem });
        const scraped = parseSamples(oas.body).filter((s) => s.name !== 'up' && s.name !== 'scrape_duration_seconds');
        expect(scraped.length).to.be.greaterThan(100);
        expect(scraped.filter((s) => s.labels.sre_selected !== 'yes')).to.deep.equal([]);
      });
    }
  });
}
