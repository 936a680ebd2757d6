/**
 * etcd /metrics (port 2381): server, disk, mvcc, network and gRPC families of etcd 3.5.
 * Families whose real names break promtool's lint (gauges named `*_total`) are left out on purpose.
 */
import { goProcessFamilies } from './common.js';
import { type Exposition, ExpositionBuilder, labelText } from './format.js';
import { hashSeed, Prng } from './prng.js';
import { countAround, exponentialBuckets, writeHistogram } from './shapes.js';

export interface EtcdOptions {
  seed?: number;
  /** This member's index in the cluster (0-based); member 0 is the leader. */
  member?: number;
  members?: number;
}

const DISK_BUCKETS = exponentialBuckets(0.001, 2, 14);
const PEER_RTT_BUCKETS = exponentialBuckets(0.0001, 2, 16);
const SNAPSHOT_BUCKETS = exponentialBuckets(0.1, 2, 14);

const GRPC_METHODS: [string, string, string[]][] = [
  ['etcdserverpb.Auth', 'unary', ['Authenticate', 'AuthDisable', 'AuthEnable', 'AuthStatus', 'RoleAdd', 'RoleGet', 'UserAdd', 'UserGet']],
  ['etcdserverpb.Cluster', 'unary', ['MemberAdd', 'MemberList', 'MemberPromote', 'MemberRemove', 'MemberUpdate']],
  ['etcdserverpb.KV', 'unary', ['Compact', 'DeleteRange', 'Put', 'Range', 'Txn']],
  ['etcdserverpb.Lease', 'bidi_stream', ['LeaseKeepAlive']],
  ['etcdserverpb.Lease', 'unary', ['LeaseGrant', 'LeaseLeases', 'LeaseRevoke', 'LeaseTimeToLive']],
  ['etcdserverpb.Maintenance', 'unary', ['Alarm', 'Defragment', 'Downgrade', 'Hash', 'HashKV', 'MoveLeader', 'Status']],
  ['etcdserverpb.Maintenance', 'server_stream', ['Snapshot']],
  ['etcdserverpb.Watch', 'bidi_stream', ['Watch']],
  ['grpc.health.v1.Health', 'unary', ['Check']],
  ['grpc.health.v1.Health', 'server_stream', ['Watch']],
];

const GRPC_CODES = [
  'Aborted', 'AlreadyExists', 'Canceled', 'DataLoss', 'DeadlineExceeded', 'FailedPrecondition', 'Internal', 'InvalidArgument',
  'NotFound', 'OK', 'OutOfRange', 'PermissionDenied', 'ResourceExhausted', 'Unauthenticated', 'Unavailable', 'Unimplemented', 'Unknown',
];

const HOT_METHODS = new Set(['Range', 'Txn', 'Put', 'LeaseKeepAlive', 'Watch', 'Status', 'LeaseGrant', 'Check']);

/** Member IDs as etcd prints them (16 hex digits), stable per seed and index. */
export function etcdMemberId(seed: number, index: number): string {
  return new Prng(hashSeed(seed, 'member', index)).hex(16);
}

export function renderEtcdMetrics(opts: EtcdOptions = {}): Exposition {
  const seed = opts.seed ?? 1;
  const member = opts.member ?? 0;
  const members = opts.members ?? 3;
  const clusterSeed = hashSeed(seed, 'cluster');
  const rng = new Prng(hashSeed(seed, 'etcd', member));
  const b = new ExpositionBuilder('text');
  goProcessFamilies(b, rng, { goVersion: 'go1.21.9', heapBytes: rng.int(150, 900) * 1048576 });

  const isLeader = member === 0;
  b.family('etcd_server_has_leader', 'gauge', 'Whether or not a leader exists. 1 is existence, 0 is not.').sample('', '', 1);
  b.family('etcd_server_is_leader', 'gauge', 'Whether or not this member is a leader. 1 if is, 0 otherwise.').sample('', '', isLeader ? 1 : 0);
  b.family('etcd_server_is_learner', 'gauge', 'Whether or not this member is a learner. 1 if is, 0 otherwise.').sample('', '', 0);
  b.family('etcd_server_leader_changes_seen_total', 'counter', 'The number of leader changes seen.').sample('', '', rng.int(1, 6));
  b.family('etcd_server_proposals_failed_total', 'counter', 'The total number of failed proposals seen.').sample('', '', rng.int(0, 20));
  b.family('etcd_server_proposals_pending', 'gauge', 'The current number of pending proposals to commit.').sample('', '', rng.int(0, 3));
  b.family('etcd_server_slow_apply_total', 'counter', 'The total number of slow apply requests (likely overloaded from slow disk).').sample('', '', rng.int(0, 200));
  b.family('etcd_server_slow_read_indexes_total', 'counter', 'The total number of pending read indexes not in sync with leader\'s or timed out read index requests.').sample('', '', rng.int(0, 10));
  b.family('etcd_server_heartbeat_send_failures_total', 'counter', 'The total number of leader heartbeat send failures (likely overloaded from slow disk).').sample('', '', 0);
  b.family('etcd_server_quota_backend_bytes', 'gauge', 'Current backend storage quota size in bytes.').sample('', '', 8589934592);
  b.family('etcd_server_version', 'gauge', 'Which version is running. 1 for \'server_version\' label with current version.').sample('', labelText({ server_version: '3.5.14' }), 1);
  b.family('etcd_cluster_version', 'gauge', 'Which version is running. 1 for \'cluster_version\' label with current cluster version').sample('', labelText({ cluster_version: '3.5' }), 1);
  b.family('etcd_server_id', 'gauge', 'Etcd server ID').sample('', labelText({ server_id: etcdMemberId(clusterSeed, member) }), 1);

  const writes = countAround(rng, 4e6);
  writeHistogram(
    b.family('etcd_disk_wal_fsync_duration_seconds', 'histogram', 'The latency distributions of fsync called by WAL.'),
    '',
    DISK_BUCKETS,
    writes,
    { median: 0.0025, sigma: 0.9 },
    rng,
  );
  writeHistogram(
    b.family('etcd_disk_backend_commit_duration_seconds', 'histogram', 'The latency distributions of commit called by backend.'),
    '',
    DISK_BUCKETS,
    Math.round(writes / 8),
    { median: 0.006, sigma: 0.9 },
    rng,
  );
  writeHistogram(
    b.family('etcd_disk_backend_snapshot_duration_seconds', 'histogram', 'The latency distribution of backend snapshots.'),
    '',
    SNAPSHOT_BUCKETS,
    rng.int(0, 5),
    { median: 0.4, sigma: 0.5 },
    rng,
  );
  b.family('etcd_disk_wal_write_bytes_total', 'counter', 'Total number of bytes written in WAL.').sample('', '', writes * rng.int(500, 3000));

  const dbSize = rng.int(60, 900) * 1048576;
  b.family('etcd_mvcc_db_total_size_in_bytes', 'gauge', 'Total size of the underlying database physically allocated in bytes.').sample('', '', dbSize);
  b.family('etcd_mvcc_db_total_size_in_use_in_bytes', 'gauge', 'Total size of the underlying database logically in use in bytes.').sample('', '', Math.round(dbSize * (0.4 + 0.5 * rng.float())));
  b.family('etcd_mvcc_db_open_read_transactions', 'gauge', 'The number of currently open read transactions').sample('', '', rng.int(0, 8));
  b.family('etcd_mvcc_put_total', 'counter', 'Total number of puts seen by this member.').sample('', '', countAround(rng, 3e6));
  b.family('etcd_mvcc_delete_total', 'counter', 'Total number of deletes seen by this member.').sample('', '', countAround(rng, 4e5));
  b.family('etcd_mvcc_range_total', 'counter', 'Total number of ranges seen by this member.').sample('', '', countAround(rng, 2e7));
  b.family('etcd_mvcc_txn_total', 'counter', 'Total number of txns seen by this member.').sample('', '', countAround(rng, 3e6));
  b.family('etcd_debugging_mvcc_db_compaction_keys_total', 'counter', 'Total number of db keys compacted.').sample('', '', countAround(rng, 2e6));

  const rtt = b.family('etcd_network_peer_round_trip_time_seconds', 'histogram', 'Round-Trip-Time histogram between peers');
  const sent = b.family('etcd_network_peer_sent_bytes_total', 'counter', 'The total number of bytes sent to peers.');
  const received = b.family('etcd_network_peer_received_bytes_total', 'counter', 'The total number of bytes received from peers.');
  const sentFailures = b.family('etcd_network_peer_sent_failures_total', 'counter', 'The total number of send failures from peers.');
  const activePeers = b.family('etcd_network_active_peers', 'gauge', 'The current number of active peer connections.');
  const self = etcdMemberId(clusterSeed, member);
  for (let m = 0; m < members; m++) {
    if (m === member) continue;
    const peer = etcdMemberId(clusterSeed, m);
    writeHistogram(rtt, labelText({ To: peer }), PEER_RTT_BUCKETS, countAround(rng, 30000), { median: 0.0009, sigma: 0.7 }, rng);
    sent.sample('', labelText({ To: peer }), countAround(rng, 5e9));
    received.sample('', labelText({ From: peer }), countAround(rng, 5e9));
    sentFailures.sample('', labelText({ To: peer }), rng.int(0, 30));
    activePeers.sample('', labelText({ Local: self, Remote: peer }), 1);
  }
  b.family('etcd_network_client_grpc_received_bytes_total', 'counter', 'The total number of bytes received from grpc clients.').sample('', '', countAround(rng, 9e10));
  b.family('etcd_network_client_grpc_sent_bytes_total', 'counter', 'The total number of bytes sent to grpc clients.').sample('', '', countAround(rng, 9e11));

  const started = b.family('grpc_server_started_total', 'counter', 'Total number of RPCs started on the server.');
  const handled = b.family('grpc_server_handled_total', 'counter', 'Total number of RPCs completed on the server, regardless of success or failure.');
  const msgReceived = b.family('grpc_server_msg_received_total', 'counter', 'Total number of RPC stream messages received on the server.');
  const msgSent = b.family('grpc_server_msg_sent_total', 'counter', 'Total number of gRPC stream messages sent by the server.');
  for (const [service, type, methods] of GRPC_METHODS) {
    for (const method of methods) {
      const base = { grpc_method: method, grpc_service: service, grpc_type: type };
      const n = HOT_METHODS.has(method) ? countAround(rng, 2e6) : rng.int(0, 40);
      started.sample('', labelText(base), n);
      msgReceived.sample('', labelText(base), type === 'unary' ? n : n * rng.int(2, 50));
      msgSent.sample('', labelText(base), type === 'unary' ? n : n * rng.int(2, 50));
      // go-grpc-prometheus pre-initialises every code for every method.
      for (const code of GRPC_CODES) {
        let v = 0;
        if (code === 'OK') v = n;
        else if (HOT_METHODS.has(method) && (code === 'Canceled' || code === 'Unavailable' || code === 'DeadlineExceeded')) v = rng.int(0, 300);
        handled.sample('', labelText({ ...base, grpc_code: code }), v);
      }
    }
  }
  return b.render();
}
