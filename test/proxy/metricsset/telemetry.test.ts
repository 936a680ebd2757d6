import { expect } from 'chai';
import { metricsSetRules } from '../../../proxy/metricsset/index.js';
import { TELEMETRY_RULES } from '../../../proxy/metricsset/telemetry.js';
import { COMPONENT_KEYS } from '../../../proxy/metricsset/types.js';
import { compileRelabelConfigs } from '../../../proxy/relabel/index.js';
import { survives } from './helpers.js';

const tel = (monitor: string, endpoint = 0) => metricsSetRules('Telemetry', monitor, endpoint);

describe('metricsset/Telemetry', () => {
  it('every table entry compiles', () => {
    for (const key of COMPONENT_KEYS) {
      const rules = TELEMETRY_RULES[key] ?? [];
      expect(() => compileRelabelConfigs(rules, `telemetry.${key}`), key).not.to.throw();
    }
  });

  it('name-only rules use sourceLabels [__name__]', () => {
    for (const rules of Object.values(TELEMETRY_RULES)) {
      for (const r of rules ?? []) expect(r.sourceLabels).to.deep.equal(['__name__']);
    }
  });

  it('kube-apiserver keeps the three telemetry series and nothing else', () => {
    const r = tel('kube-apiserver');
    expect(survives(r, 'apiserver_request_total', { code: '200', verb: 'GET' })).to.equal(true);
    expect(survives(r, 'apiserver_storage_objects', { resource: 'pods' })).to.equal(true);
    expect(survives(r, 'apiserver_current_inflight_requests')).to.equal(true);
    expect(survives(r, 'apiserver_request_duration_seconds_bucket', { le: '1' })).to.equal(false);
    // Anchored: a longer name that merely starts with a kept one is dropped.
    expect(survives(r, 'apiserver_request_total_extra')).to.equal(false);
    expect(survives(r, 'go_goroutines')).to.equal(false);
  });

  it('openshift-apiserver has the same keep-list', () => {
    const r = tel('openshift-apiserver');
    expect(survives(r, 'apiserver_request_total')).to.equal(true);
    expect(survives(r, 'apiserver_request_duration_seconds_count')).to.equal(false);
  });

  it('etcd keeps histogram buckets per sample, not their _sum/_count', () => {
    const r = tel('etcd');
    expect(survives(r, 'etcd_disk_wal_fsync_duration_seconds_bucket', { le: '0.001' })).to.equal(true);
    expect(survives(r, 'etcd_disk_wal_fsync_duration_seconds_sum')).to.equal(false);
    expect(survives(r, 'etcd_disk_wal_fsync_duration_seconds_count')).to.equal(false);
    expect(survives(r, 'etcd_disk_backend_commit_duration_seconds_bucket', { le: '+Inf' })).to.equal(true);
    expect(survives(r, 'etcd_network_peer_round_trip_time_seconds_bucket', { le: '0.1' })).to.equal(true);
    expect(survives(r, 'etcd_mvcc_db_total_size_in_bytes')).to.equal(true);
    expect(survives(r, 'etcd_mvcc_db_total_size_in_use_in_bytes')).to.equal(true);
    expect(survives(r, 'etcd_server_leader_changes_seen_total')).to.equal(true);
    expect(survives(r, 'etcd_server_has_leader')).to.equal(false);
  });

  it('kube-controller-manager keeps only pv_collector_total_pv_count', () => {
    const r = tel('kube-controller-manager');
    expect(survives(r, 'pv_collector_total_pv_count')).to.equal(true);
    expect(survives(r, 'workqueue_depth')).to.equal(false);
  });

  it('openshift-controller-manager keeps only openshift_build_status_phase_total', () => {
    const r = tel('openshift-controller-manager');
    expect(survives(r, 'openshift_build_status_phase_total', { phase: 'Complete' })).to.equal(true);
    expect(survives(r, 'openshift_build_total')).to.equal(false);
  });

  it('drops everything from kube-scheduler (both endpoints), route-controller-manager and the registry operator', () => {
    for (const [monitor, ep] of [
      ['kube-scheduler', 0],
      ['kube-scheduler', 1],
      ['openshift-route-controller-manager', 0],
      ['cluster-image-registry-operator', 0],
    ] as const) {
      const r = tel(monitor, ep);
      expect(r, monitor).to.have.length(1);
      for (const name of ['scheduler_pending_pods', 'kube_pod_resource_request', 'up', 'process_cpu_seconds_total']) {
        expect(survives(r, name), `${monitor}/${ep} ${name}`).to.equal(false);
      }
    }
  });

  it('cluster-version-operator keeps its six telemetry series', () => {
    const r = tel('cluster-version-operator');
    for (const name of [
      'cluster_version',
      'cluster_version_available_updates',
      'cluster_operator_up',
      'cluster_operator_conditions',
      'cluster_version_payload',
      'cluster_installer',
    ]) {
      expect(survives(r, name), name).to.equal(true);
    }
    expect(survives(r, 'cluster_version_operator_update_retrieval_timestamp_seconds')).to.equal(false);
  });

  it('olm-operator keeps csv_succeeded and csv_abnormal', () => {
    const r = tel('olm-operator');
    expect(survives(r, 'csv_succeeded')).to.equal(true);
    expect(survives(r, 'csv_abnormal')).to.equal(true);
    expect(survives(r, 'csv_count')).to.equal(false);
  });

  it('catalog-operator keeps subscription_sync_total and the quantiles of olm_resolution_duration_seconds', () => {
    const r = tel('catalog-operator');
    expect(survives(r, 'subscription_sync_total')).to.equal(true);
    expect(survives(r, 'olm_resolution_duration_seconds', { quantile: '0.95' })).to.equal(true);
    expect(survives(r, 'olm_resolution_duration_seconds_sum')).to.equal(false);
    expect(survives(r, 'catalog_source_count')).to.equal(false);
  });

  it('node-tuning-operator keeps nto_profile_calculated_total', () => {
    const r = tel('node-tuning-operator');
    expect(survives(r, 'nto_profile_calculated_total')).to.equal(true);
    expect(survives(r, 'nto_build_info')).to.equal(false);
  });

  it('does not filter the control-plane-operator, the HCCO or components outside the MetricsSet', () => {
    for (const monitor of ['controlplane-operator', 'control-plane-operator', 'hosted-cluster-config-operator', 'cluster-autoscaler', 'karpenter']) {
      const r = tel(monitor);
      expect(r, monitor).to.deep.equal([]);
      expect(survives(r, 'anything_at_all'), monitor).to.equal(true);
    }
  });

  it('applies the keep-list to extra endpoints of a filtered component', () => {
    const r = tel('kube-apiserver', 1);
    expect(survives(r, 'apiserver_request_total')).to.equal(true);
    expect(survives(r, 'kubernetes_feature_enabled')).to.equal(false);
  });
});
