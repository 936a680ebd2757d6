import { expect } from 'chai';
import { ALL_RULES } from '../../../proxy/metricsset/all.js';
import { metricsSetRules } from '../../../proxy/metricsset/index.js';
import { COMPONENT_KEYS } from '../../../proxy/metricsset/types.js';
import { compileRelabelConfigs } from '../../../proxy/relabel/index.js';
import { survives } from './helpers.js';

const all = (monitor: string, endpoint = 0) => metricsSetRules('All', monitor, endpoint);

describe('metricsset/All', () => {
  it('every table entry compiles and only drops', () => {
    for (const key of COMPONENT_KEYS) {
      const rules = ALL_RULES[key] ?? [];
      expect(() => compileRelabelConfigs(rules, `all.${key}`), key).not.to.throw();
      for (const r of rules) expect(r.action, key).to.equal('drop');
    }
  });

  it('kube-apiserver has HyperShift’s 11 legacy drop rules', () => {
    expect(all('kube-apiserver')).to.have.length(11);
  });

  it('kube-apiserver drops legacy series and keeps current ones', () => {
    const r = all('kube-apiserver');
    for (const name of [
      'etcd_debugging_mvcc_keys_total',
      'etcd_disk_foo',
      'etcd_server_whatever',
      'apiserver_admission_controller_admission_latencies_seconds_bucket',
      'apiserver_admission_step_admission_latencies_seconds_summary',
      'scheduler_e2e_scheduling_latency_microseconds',
      'apiserver_request_count',
      'apiserver_dropped_requests',
      'docker_operations_errors',
      'reflector_watches_total',
      'etcd_helper_cache_hit_count',
      'transformation_failures_total',
      'rest_client_request_latency_seconds',
      'sync_proxy_rules_latency_microseconds',
    ]) {
      expect(survives(r, name), name).to.equal(false);
    }
    for (const name of ['apiserver_request_total', 'apiserver_storage_objects', 'etcd_request_duration_seconds_bucket', 'rest_client_requests_total']) {
      expect(survives(r, name), name).to.equal(true);
    }
  });

  it('kube-apiserver drops the fine apiserver_request_duration_seconds buckets by (__name__, le)', () => {
    const r = all('kube-apiserver');
    expect(survives(r, 'apiserver_request_duration_seconds_bucket', { le: '0.15' })).to.equal(false);
    expect(survives(r, 'apiserver_request_duration_seconds_bucket', { le: '3' })).to.equal(false);
    expect(survives(r, 'apiserver_request_duration_seconds_bucket', { le: '3.0' })).to.equal(false); // (\.0)? suffix
    expect(survives(r, 'apiserver_request_duration_seconds_bucket', { le: '50' })).to.equal(false);
    // Coarse buckets, +Inf, _sum/_count and other histograms stay.
    expect(survives(r, 'apiserver_request_duration_seconds_bucket', { le: '0.1' })).to.equal(true);
    expect(survives(r, 'apiserver_request_duration_seconds_bucket', { le: '1' })).to.equal(true);
    expect(survives(r, 'apiserver_request_duration_seconds_bucket', { le: '60' })).to.equal(true);
    expect(survives(r, 'apiserver_request_duration_seconds_bucket', { le: '+Inf' })).to.equal(true);
    expect(survives(r, 'apiserver_request_duration_seconds_sum')).to.equal(true);
    expect(survives(r, 'etcd_request_duration_seconds_bucket', { le: '3' })).to.equal(true);
  });

  it('openshift-apiserver drops etcd debugging, admission latencies and fine buckets only', () => {
    const r = all('openshift-apiserver');
    expect(r).to.have.length(4);
    expect(survives(r, 'etcd_disk_x')).to.equal(false);
    expect(survives(r, 'apiserver_admission_controller_admission_latencies_seconds_count')).to.equal(false);
    expect(survives(r, 'apiserver_request_duration_seconds_bucket', { le: '0.4' })).to.equal(false);
    expect(survives(r, 'apiserver_request_count')).to.equal(true); // only kube-apiserver drops this
  });

  it('kube-controller-manager drops etcd_request too, and two legacy histograms', () => {
    const r = all('kube-controller-manager');
    expect(survives(r, 'etcd_request_duration_seconds_bucket')).to.equal(false);
    expect(survives(r, 'rest_client_request_latency_seconds_bucket')).to.equal(false);
    expect(survives(r, 'root_ca_cert_publisher_sync_duration_seconds_sum')).to.equal(false);
    expect(survives(r, 'rest_client_request_latency_seconds')).to.equal(true);
    expect(survives(r, 'pv_collector_total_pv_count')).to.equal(true);
  });

  it('openshift-controller-manager and route-controller-manager drop etcd_(debugging|disk|request|server)', () => {
    for (const monitor of ['openshift-controller-manager', 'openshift-route-controller-manager']) {
      const r = all(monitor);
      expect(survives(r, 'etcd_request_latency'), monitor).to.equal(false);
      expect(survives(r, 'openshift_build_total'), monitor).to.equal(true);
    }
  });

  it('cvo, olm-operator and catalog-operator drop etcd_(debugging|disk|server) but keep etcd_request', () => {
    for (const monitor of ['cluster-version-operator', 'olm-operator', 'catalog-operator']) {
      const r = all(monitor);
      expect(survives(r, 'etcd_server_x'), monitor).to.equal(false);
      expect(survives(r, 'etcd_request_x'), monitor).to.equal(true);
      expect(survives(r, 'cluster_version'), monitor).to.equal(true);
    }
  });

  it('does not filter etcd, kube-scheduler, NTO, the registry operator, CPO or HCCO', () => {
    for (const [monitor, ep] of [
      ['etcd', 0],
      ['kube-scheduler', 0],
      ['kube-scheduler', 1],
      ['node-tuning-operator', 0],
      ['cluster-image-registry-operator', 0],
      ['controlplane-operator', 0],
      ['hosted-cluster-config-operator', 0],
    ] as const) {
      expect(all(monitor, ep), `${monitor}/${ep}`).to.deep.equal([]);
    }
    expect(survives(all('etcd'), 'etcd_disk_wal_fsync_duration_seconds_sum')).to.equal(true);
  });
});
