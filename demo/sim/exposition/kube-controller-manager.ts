/**
 * kube-controller-manager /metrics (port 10257): controller workqueues, client-go towards the apiserver,
 * leader election and a few controller-specific families.
 */
import { buildInfoFamily, goProcessFamilies, restClientFamilies, workqueueFamilies } from './common.js';
import { type Exposition, ExpositionBuilder, labelText } from './format.js';
import { hashSeed, Prng } from './prng.js';
import { countAround, writeHistogram } from './shapes.js';

export interface KubeControllerManagerOptions {
  seed?: number;
  /** Whether this replica holds the lease (leader_election_master_status 1). */
  leader?: boolean;
}

const QUEUES = [
  'ClusterRoleAggregator', 'DynamicCABundle-client-ca-bundle', 'DynamicServingCertificateController', 'bootstrap_signer_queue',
  'certificate', 'claims', 'cronjob', 'daemonset', 'deployment', 'disruption', 'disruption_recheck', 'endpoint', 'endpoint_slice',
  'endpoint_slice_mirroring', 'ephemeral_volume', 'garbage_collector_attempt_to_delete', 'garbage_collector_attempt_to_orphan',
  'garbage_collector_graph_changes', 'horizontalpodautoscaler', 'job', 'job_orphan_pod', 'namespace', 'node_lifecycle_controller',
  'node_lifecycle_controller_pods', 'noexec_taint_node', 'noexec_taint_pod', 'orphaned_pods_nodes', 'pvcprotection', 'pvcs',
  'pvprotection', 'replicaset', 'replicationmanager', 'resource_quota_controller_resource_changes', 'resourcequota_primary',
  'resourcequota_priority', 'root_ca_cert_publisher', 'service', 'serviceaccount', 'serviceaccount_tokens_secret',
  'serviceaccount_tokens_service', 'stale_pod_disruption', 'statefulset', 'token_cleaner', 'ttl_jobs_to_delete',
  'ttlcontroller', 'volume_expand', 'volumes',
];

const SYNC_BUCKETS = [0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 0.512, 1.024, 2.048, 4.096, 8.192, 16.384];

export function renderKubeControllerManagerMetrics(opts: KubeControllerManagerOptions = {}): Exposition {
  const seed = opts.seed ?? 1;
  const rng = new Prng(hashSeed(seed, 'kube-controller-manager'));
  const leader = opts.leader ?? true;
  const b = new ExpositionBuilder('text');
  goProcessFamilies(b, rng, { heapBytes: rng.int(100, 600) * 1048576 });
  buildInfoFamily(b);
  // A standby replica runs no controllers: its queues stay empty, as in a real HA pair.
  workqueueFamilies(b, rng, leader ? QUEUES : QUEUES.slice(0, 3));
  restClientFamilies(b, rng, ['api-int.hosted.example.com:6443', 'kube-apiserver:6443']);

  b.family('leader_election_master_status', 'gauge', '[ALPHA] Gauge of if the reporting system is master of the relevant lease, 0 indicates backup, 1 indicates master. \'name\' is the string used to identify the lease. Please make sure to group by name.')
    .sample('', labelText({ name: 'kube-controller-manager' }), leader ? 1 : 0);
  b.family('running_managed_controllers', 'gauge', '[ALPHA] Indicates where instances of a controller are currently running')
    .sample('', labelText({ manager: 'kube-controller-manager', name: 'nodeipam' }), leader ? 1 : 0);
  if (!leader) return b.render();

  const gcErrors = b.family('garbagecollector_controller_resources_sync_error_total', 'counter', '[ALPHA] Number of garbage collector resources sync errors');
  gcErrors.sample('', '', rng.int(0, 4));
  const nodes = b.family('node_collector_zone_size', 'gauge', '[ALPHA] Gauge measuring number of registered Nodes per zones.');
  const health = b.family('node_collector_zone_health', 'gauge', '[ALPHA] Gauge measuring percentage of healthy nodes per zone.');
  const evictions = b.family('node_collector_evictions_total', 'counter', '[STABLE] Number of Node evictions that happened since current instance of NodeController started.');
  for (const zone of ['us-east-1a', 'us-east-1b', 'us-east-1c']) {
    // Real KCM joins region and zone with ":\x00:", so a NUL byte does appear in label values.
    const l = labelText({ zone: `us-east-1:\x00:${zone}` });
    nodes.sample('', l, rng.int(1, 40));
    health.sample('', l, 100);
    evictions.sample('', l, rng.int(0, 3));
  }
  const sync = b.family('endpoint_slice_controller_endpointslices_changed_per_sync', 'histogram', '[ALPHA] Number of EndpointSlices changed on each Service sync');
  writeHistogram(sync, labelText({ topology: 'Disabled', traffic_distribution: '' }), [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384], countAround(rng, 20000), { median: 1.2, sigma: 0.5 }, rng);
  const jobSync = b.family('job_controller_job_sync_duration_seconds', 'histogram', '[ALPHA] The time it took to sync a job');
  for (const action of ['pods_created', 'pods_deleted', 'reconciling', 'tracking']) {
    for (const result of ['error', 'success']) {
      writeHistogram(jobSync, labelText({ action, completion_mode: 'NonIndexed', result }), SYNC_BUCKETS, result === 'error' ? rng.int(0, 5) : countAround(rng, 2000), { median: 0.004, sigma: 1 }, rng);
    }
  }
  return b.render();
}
