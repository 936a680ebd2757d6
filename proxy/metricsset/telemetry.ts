/**
 * The `Telemetry` set (HyperShift's default): per component, the rules of the `MetricsSetTelemetry`
 * branch of each *RelabelConfigs function in openshift/hypershift support/metrics/sets.go.
 * Regexes are HyperShift's, unchanged; Prometheus anchors them (^(?:...)$) and matches the SAMPLE name.
 */
import { dropNames, keepNames, rules } from './rules.js';
import type { RuleTable } from './types.js';

const APISERVER_KEEP = '(apiserver_storage_objects|apiserver_request_total|apiserver_current_inflight_requests)';

export const TELEMETRY_RULES: RuleTable = Object.freeze({
  kubeAPIServer: rules(keepNames(APISERVER_KEEP)),
  openshiftAPIServer: rules(keepNames(APISERVER_KEEP)),
  // Per sample, as Prometheus applies the ServiceMonitor: only the `_bucket` series of the two
  // histograms survive (no _sum/_count). HyperShift's own metrics-proxy matches this regex against
  // FAMILY names instead, so there the two histogram families never match and are lost entirely.
  etcd: rules(
    keepNames(
      '(etcd_disk_wal_fsync_duration_seconds_bucket|etcd_mvcc_db_total_size_in_bytes|etcd_network_peer_round_trip_time_seconds_bucket|etcd_mvcc_db_total_size_in_use_in_bytes|etcd_disk_backend_commit_duration_seconds_bucket|etcd_server_leader_changes_seen_total)',
    ),
  ),
  kubeControllerManager: rules(keepNames('pv_collector_total_pv_count')),
  openshiftControllerManager: rules(keepNames('openshift_build_status_phase_total')),
  // Telemetry wants nothing from these components.
  openshiftRouteControllerManager: rules(dropNames('(.*)')),
  registryOperator: rules(dropNames('(.*)')),
  kubeScheduler: rules(dropNames('.*')),
  // /metrics/resources of kube-scheduler (SchedulerResourceRelabelConfigs): drop-all as well.
  kubeSchedulerResourceMetrics: rules(dropNames('.*')),
  cvo: rules(
    keepNames(
      '(cluster_version|cluster_version_available_updates|cluster_operator_up|cluster_operator_conditions|cluster_version_payload|cluster_installer)',
    ),
  ),
  olm: rules(keepNames('(csv_succeeded|csv_abnormal)')),
  // olm_resolution_duration_seconds is a summary (OLM pkg/metrics): per sample only its quantile
  // series match, not _sum/_count. HyperShift's family-name filter keeps the whole summary.
  catalogOperator: rules(keepNames('(subscription_sync_total|olm_resolution_duration_seconds)')),
  nodeTuningOperator: rules(keepNames('nto_profile_calculated_total')),
  // controlPlaneOperator: never filtered (ControlPlaneOperatorRelabelConfigs returns nil for every set).
  // hostedClusterConfigOperator: current HyperShift returns nil for every set; older releases kept
  // (cluster_infrastructure_provider|cluster_feature_set) under Telemetry. We follow current HyperShift.
});
