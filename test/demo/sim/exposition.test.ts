import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import {
  CONTENT_TYPE_OPENMETRICS,
  CONTENT_TYPE_TEXT,
  type Exposition,
  formatFloat,
  REQUEST_DURATION_BUCKETS,
  renderEtcdMetrics,
  renderGenericComponentMetrics,
  renderKubeApiserverMetrics,
  renderKubeControllerManagerMetrics,
  renderOpenMetricsComponentMetrics,
} from '../../../demo/sim/exposition/index.js';
import { PROMTOOL, promtoolCheckMetrics } from '../../support/promtool.js';
import { checkExposition, type CheckedFamily } from './exposition-check.js';

const require = createRequire(import.meta.url);
const parsePrometheusTextFormat = require('parse-prometheus-text-format') as (text: string) => { name: string; type: string; metrics: unknown[] }[];

const MB = 1024 * 1024;

function family(body: string, name: string, format: 'text' | 'openmetrics' = 'text'): CheckedFamily {
  const f = checkExposition(body, format).families.get(name);
  if (!f) throw new Error(`no family ${name}`);
  return f;
}

function seriesKeys(body: string): string[] {
  return body.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.slice(0, l.lastIndexOf(' ')));
}

describe('demo/sim exposition generators', function () {
  this.timeout(120_000);

  describe('formatFloat (Go strconv "g", -1)', () => {
    it('matches what client_golang writes', () => {
      expect(formatFloat(0)).to.equal('0');
      expect(formatFloat(1)).to.equal('1');
      expect(formatFloat(123456)).to.equal('123456');
      expect(formatFloat(1e6)).to.equal('1e+06');
      expect(formatFloat(1234567)).to.equal('1.234567e+06');
      expect(formatFloat(0.0001)).to.equal('0.0001');
      expect(formatFloat(0.00005)).to.equal('5e-05');
      expect(formatFloat(1e-8)).to.equal('1e-08');
      expect(formatFloat(9.999999999999999e-6)).to.equal('9.999999999999999e-06');
      expect(formatFloat(1.8446744073709552e19)).to.equal('1.8446744073709552e+19');
      expect(formatFloat(Infinity)).to.equal('+Inf');
      expect(formatFloat(NaN)).to.equal('NaN');
    });
  });

  describe('kube-apiserver', () => {
    let small: Exposition;
    before(() => {
      small = renderKubeApiserverMetrics({ seed: 42, targetBytes: 3 * MB });
    });

    it('is deterministic: same seed, same bytes; another seed, the same families with other values', () => {
      const again = renderKubeApiserverMetrics({ seed: 42, targetBytes: 3 * MB });
      expect(again.body === small.body).to.equal(true);
      const other = renderKubeApiserverMetrics({ seed: 43, targetBytes: 3 * MB });
      expect(other.body === small.body).to.equal(false);
      const names = (body: string): string[] => [...checkExposition(body, 'text').families.keys()];
      expect(names(other.body)).to.deep.equal(names(small.body));
      const keys = new Set(seriesKeys(small.body));
      const shared = seriesKeys(other.body).filter((k) => keys.has(k)).length;
      expect(shared / keys.size).to.be.above(0.9); // replicas differ a little (dry-run requests, ids), not wholesale
    });

    it('honours targetBytes (a few MB) without overshooting by more than one API resource', () => {
      expect(small.bytes).to.equal(Buffer.byteLength(small.body));
      expect(small.bytes).to.be.at.least(3 * MB);
      expect(small.bytes).to.be.below(3 * MB + 512 * 1024);
      expect(small.contentType).to.equal(CONTENT_TYPE_TEXT);
    });

    it('honours seriesCount (tens of thousands of series)', () => {
      const e = renderKubeApiserverMetrics({ seed: 1, seriesCount: 40_000 });
      const checked = checkExposition(e.body, 'text');
      expect(checked.series).to.equal(e.series);
      expect(e.series).to.be.at.least(40_000);
      expect(e.series).to.be.below(42_000);
    });

    it('reaches benchmark sizes (30 MB+) and stays valid', () => {
      const e = renderKubeApiserverMetrics({ seed: 7, targetBytes: 32 * MB });
      expect(e.bytes).to.be.at.least(32 * MB);
      expect(checkExposition(e.body, 'text').series).to.equal(e.series);
      if (existsSync(PROMTOOL)) {
        const r = promtoolCheckMetrics(e.body);
        expect(r.status, r.output).to.equal(0);
      }
    });

    it('parses strictly: HELP/TYPE once per contiguous family, valid histograms and summaries', () => {
      const { families } = checkExposition(small.body, 'text');
      for (const f of families.values()) {
        expect(f.help, f.name).to.be.a('string').and.not.equal('');
        expect(f.type, f.name).to.not.equal('untyped');
      }
      expect([...families.values()].filter((f) => f.type === 'summary').length).to.be.at.least(2);
    });

    it('uses the real family names and label sets', () => {
      const { families } = checkExposition(small.body, 'text');
      for (const name of [
        'apiserver_request_total',
        'apiserver_request_duration_seconds',
        'apiserver_storage_objects',
        'apiserver_current_inflight_requests',
        'etcd_request_duration_seconds',
        'rest_client_requests_total',
        'workqueue_adds_total',
        'workqueue_depth',
        'workqueue_queue_duration_seconds',
        'go_goroutines',
        'go_gc_duration_seconds',
        'process_cpu_seconds_total',
        'process_resident_memory_bytes',
        'kubernetes_build_info',
      ]) {
        expect(families.has(name), name).to.equal(true);
      }
      const requests = families.get('apiserver_request_total')!;
      expect(requests.type).to.equal('counter');
      for (const s of requests.samples) {
        expect(Object.keys(s.labels).sort()).to.deep.equal(['code', 'component', 'dry_run', 'group', 'resource', 'scope', 'subresource', 'verb', 'version']);
      }
      expect(requests.samples.some((s) => s.labels.resource === 'pods' && s.labels.verb === 'LIST' && s.labels.code === '200')).to.equal(true);

      const duration = families.get('apiserver_request_duration_seconds')!;
      expect(duration.type).to.equal('histogram');
      const first = duration.samples.find((s) => s.name.endsWith('_bucket'))!;
      const { le: _le, ...groupLabels } = first.labels;
      expect(Object.keys(groupLabels).sort()).to.deep.equal(['component', 'dry_run', 'group', 'resource', 'scope', 'subresource', 'verb', 'version']);
      const les = duration.samples.filter((s) => s.name.endsWith('_bucket') && JSON.stringify({ ...s.labels, le: undefined }) === JSON.stringify({ ...first.labels, le: undefined })).map((s) => s.labels.le);
      expect(les).to.deep.equal([...REQUEST_DURATION_BUCKETS.map(formatFloat), '+Inf']);

      expect(families.get('apiserver_current_inflight_requests')!.samples.map((s) => s.labels.request_kind).sort()).to.deep.equal(['mutating', 'readOnly']);
      expect(Object.keys(families.get('etcd_request_duration_seconds')!.samples[0]!.labels).sort()).to.deep.equal(['le', 'operation', 'type']);
      expect(Object.keys(families.get('rest_client_requests_total')!.samples[0]!.labels).sort()).to.deep.equal(['code', 'host', 'method']);
    });

    it('has label values and HELP text that need escaping', () => {
      expect(small.body).to.include('\\"').and.include('\\\\').and.include('\\n');
      const values = [...checkExposition(small.body, 'text').families.values()].flatMap((f) => f.samples.flatMap((s) => Object.values(s.labels)));
      expect(values.some((v) => v.includes('"'))).to.equal(true);
      expect(values.some((v) => v.includes('\\'))).to.equal(true);
      expect(values.some((v) => v.includes('\n'))).to.equal(true);
    });

    it('is accepted by a third-party parser', () => {
      const parsed = parsePrometheusTextFormat(small.body);
      expect(parsed.length).to.equal(small.families);
      expect(parsed.find((f) => f.name === 'apiserver_request_duration_seconds')?.type).to.equal('HISTOGRAM');
    });

    it('passes promtool check metrics', function () {
      if (!existsSync(PROMTOOL)) return this.skip();
      const r = promtoolCheckMetrics(small.body);
      expect(r.status, r.output).to.equal(0);
    });
  });

  describe('etcd, kube-controller-manager and generic components', () => {
    const cases: [string, () => Exposition][] = [
      ['etcd member 0', () => renderEtcdMetrics({ seed: 3, member: 0 })],
      ['etcd member 2', () => renderEtcdMetrics({ seed: 3, member: 2 })],
      ['kube-controller-manager leader', () => renderKubeControllerManagerMetrics({ seed: 3, leader: true })],
      ['kube-controller-manager standby', () => renderKubeControllerManagerMetrics({ seed: 3, leader: false })],
      ['generic operator', () => renderGenericComponentMetrics({ seed: 3, component: 'openshift-apiserver' })],
    ];
    for (const [name, render] of cases) {
      it(`${name}: deterministic, strictly valid and promtool-clean`, function () {
        const e = render();
        expect(render().body === e.body).to.equal(true);
        expect(checkExposition(e.body, 'text').series).to.equal(e.series);
        if (!existsSync(PROMTOOL)) return;
        const r = promtoolCheckMetrics(e.body);
        expect(r.status, r.output).to.equal(0);
      });
    }

    it('etcd has the key families, one leader, and one peer per other member', () => {
      const bodies = [0, 1, 2].map((member) => renderEtcdMetrics({ seed: 5, member, members: 3 }).body);
      for (const name of ['etcd_disk_wal_fsync_duration_seconds', 'etcd_mvcc_db_total_size_in_bytes', 'etcd_server_has_leader', 'grpc_server_handled_total']) {
        expect(family(bodies[0]!, name).samples.length, name).to.be.greaterThan(0);
      }
      expect(family(bodies[0]!, 'etcd_disk_wal_fsync_duration_seconds').type).to.equal('histogram');
      const leaders = bodies.map((b) => family(b, 'etcd_server_is_leader').samples[0]!.value);
      expect(leaders).to.deep.equal([1, 0, 0]);
      const peers = new Set(family(bodies[1]!, 'etcd_network_peer_round_trip_time_seconds').samples.map((s) => s.labels.To));
      expect(peers.size).to.equal(2);
    });

    it('kube-controller-manager reports leader election and workqueues', () => {
      const leader = renderKubeControllerManagerMetrics({ seed: 1, leader: true }).body;
      const standby = renderKubeControllerManagerMetrics({ seed: 1, leader: false }).body;
      expect(family(leader, 'leader_election_master_status').samples[0]!.value).to.equal(1);
      expect(family(standby, 'leader_election_master_status').samples[0]!.value).to.equal(0);
      expect(family(leader, 'workqueue_adds_total').samples.length).to.be.greaterThan(30);
      expect(family(leader, 'rest_client_requests_total').samples.length).to.be.greaterThan(0);
    });
  });

  describe('OpenMetrics variant', () => {
    it('has UNIT, _total and _created counters, an exemplar on a bucket, and ends with # EOF', () => {
      const e = renderOpenMetricsComponentMetrics({ seed: 9 });
      expect(renderOpenMetricsComponentMetrics({ seed: 9 }).body === e.body).to.equal(true);
      expect(e.contentType).to.equal(CONTENT_TYPE_OPENMETRICS);
      expect(e.body.endsWith('# EOF\n')).to.equal(true);
      const { families, series } = checkExposition(e.body, 'openmetrics');
      expect(series).to.equal(e.series);
      const requests = families.get('cluster_version_operator_http_requests')!;
      expect(requests.type).to.equal('counter');
      expect(requests.samples.some((s) => s.name.endsWith('_total'))).to.equal(true);
      expect(requests.samples.some((s) => s.name.endsWith('_created'))).to.equal(true);
      const hist = families.get('cluster_version_operator_http_request_duration_seconds')!;
      expect(hist.unit).to.equal('seconds');
      expect(hist.samples.some((s) => s.name.endsWith('_bucket') && s.exemplar !== undefined)).to.equal(true);
      expect([...families.values()].some((f) => f.type === 'info')).to.equal(true);
    });
  });
});
