/**
 * The `All` set: the legacy drop rules of the `default` branch of each *RelabelConfigs function in
 * openshift/hypershift support/metrics/sets.go (the same rules OpenShift's own monitors have long
 * carried). Regexes are HyperShift's, unchanged.
 */
import type { RelabelConfig } from '../relabel/types.js';
import { dropNames, rules } from './rules.js';
import type { RuleTable } from './types.js';

const ETCD_CLIENT_DEBUG = 'etcd_(debugging|disk|server).*';
const ETCD_CLIENT_DEBUG_WITH_REQUEST = 'etcd_(debugging|disk|request|server).*';

/**
 * Drops the finer apiserver_request_duration_seconds buckets, keyed on `__name__;le`.
 * The optional `.0` is current HyperShift's: it also matches `le` values written as "3.0"
 * (as Prometheus 3 and OpenMetrics normalise them) as well as "3".
 */
const APISERVER_DURATION_BUCKETS: Readonly<RelabelConfig> = Object.freeze({
  sourceLabels: Object.freeze(['__name__', 'le']) as string[],
  regex:
    'apiserver_request_duration_seconds_bucket;(0.15|0.25|0.3|0.35|0.4|0.45|0.6|0.7|0.8|0.9|1.25|1.5|1.75|2.5|3|3.5|4.5|6|7|8|9|15|25|30|50)(\\.0)?',
  action: 'drop',
});

const ADMISSION_LATENCIES = [
  dropNames('apiserver_admission_controller_admission_latencies_seconds_.*'),
  dropNames('apiserver_admission_step_admission_latencies_seconds_.*'),
];

export const ALL_RULES: RuleTable = Object.freeze({
  kubeAPIServer: rules(
    dropNames(ETCD_CLIENT_DEBUG),
    ...ADMISSION_LATENCIES,
    dropNames(
      'scheduler_(e2e_scheduling_latency_microseconds|scheduling_algorithm_predicate_evaluation|scheduling_algorithm_priority_evaluation|scheduling_algorithm_preemption_evaluation|scheduling_algorithm_latency_microseconds|binding_latency_microseconds|scheduling_latency_seconds)',
    ),
    dropNames(
      'apiserver_(request_count|request_latencies|request_latencies_summary|dropped_requests|storage_data_key_generation_latencies_microseconds|storage_transformation_failures_total|storage_transformation_latencies_microseconds|proxy_tunnel_sync_latency_secs)',
    ),
    dropNames('docker_(operations|operations_latency_microseconds|operations_errors|operations_timeout)'),
    dropNames(
      'reflector_(items_per_list|items_per_watch|list_duration_seconds|lists_total|short_watches_total|watch_duration_seconds|watches_total)',
    ),
    dropNames(
      'etcd_(helper_cache_hit_count|helper_cache_miss_count|helper_cache_entry_count|request_cache_get_latencies_summary|request_cache_add_latencies_summary|request_latencies_summary)',
    ),
    dropNames('transformation_(transformation_latencies_microseconds|failures_total)'),
    dropNames('network_plugin_operations_latency_microseconds|sync_proxy_rules_latency_microseconds|rest_client_request_latency_seconds'),
    APISERVER_DURATION_BUCKETS,
  ),
  openshiftAPIServer: rules(dropNames(ETCD_CLIENT_DEBUG), ...ADMISSION_LATENCIES, APISERVER_DURATION_BUCKETS),
  kubeControllerManager: rules(
    dropNames(ETCD_CLIENT_DEBUG_WITH_REQUEST),
    dropNames('rest_client_request_latency_seconds_(bucket|count|sum)'),
    dropNames('root_ca_cert_publisher_sync_duration_seconds_(bucket|count|sum)'),
  ),
  openshiftControllerManager: rules(dropNames(ETCD_CLIENT_DEBUG_WITH_REQUEST)),
  openshiftRouteControllerManager: rules(dropNames(ETCD_CLIENT_DEBUG_WITH_REQUEST)),
  cvo: rules(dropNames(ETCD_CLIENT_DEBUG)),
  olm: rules(dropNames(ETCD_CLIENT_DEBUG)),
  catalogOperator: rules(dropNames(ETCD_CLIENT_DEBUG)),
  // No rules under All (nil in sets.go): etcd, kubeScheduler, kubeSchedulerResourceMetrics,
  // nodeTuningOperator, registryOperator, controlPlaneOperator, hostedClusterConfigOperator.
});
