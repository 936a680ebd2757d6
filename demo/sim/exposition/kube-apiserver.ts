/**
 * kube-apiserver /metrics: the real family names, label sets and bucket layouts of a 1.29 apiserver.
 * Size scales with the number of API resources served (per-resource request, latency, storage and etcd
 * families), which is also what makes real apiserver payloads reach tens of MB.
 */
import { buildInfoFamily, goProcessFamilies, restClientFamilies, SIM_EPOCH_SECONDS, workqueueFamilies } from './common.js';
import { type Exposition, ExpositionBuilder, type Family, labelText, type SizeOptions } from './format.js';
import { type ApiResource, apiResourceAt, KNOWN_API_RESOURCES, storageName } from './kube-apiserver-resources.js';
import { hashSeed, Prng } from './prng.js';
import { countAround, type Dist, exponentialBuckets, writeHistogram, writeSummary } from './shapes.js';

export interface KubeApiserverOptions extends SizeOptions {
  /** Without targetBytes/seriesCount: the built-in and OpenShift resources only (~50k series, ~10 MB). */
  gitVersion?: string;
}

/** apiserver_request_duration_seconds and etcd_request_duration_seconds buckets (k8s ≥ 1.27). */
export const REQUEST_DURATION_BUCKETS = [0.005, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1, 1.25, 1.5, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 45, 60];
const SLI_BUCKETS = [0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1, 1.5, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 45, 60];
const RESPONSE_SIZE_BUCKETS = exponentialBuckets(1000, 10, 7);
const WATCH_EVENT_SIZE_BUCKETS = exponentialBuckets(1024, 2, 8);
const ADMISSION_BUCKETS = [0.005, 0.025, 0.1, 0.5, 1, 2.5];
const CERT_EXPIRY_BUCKETS = [0, 1800, 3600, 7200, 21600, 43200, 86400, 172800, 345600, 604800, 2592000, 7776000, 15552000, 31104000];
const FLOWCONTROL_WAIT_BUCKETS = [0, 0.005, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30];

const VERB_LATENCY: Record<string, Dist> = {
  GET: { median: 0.004, sigma: 0.9 },
  LIST: { median: 0.05, sigma: 1.3 },
  WATCH: { median: 45, sigma: 0.8 },
  POST: { median: 0.012, sigma: 1 },
  PUT: { median: 0.01, sigma: 0.9 },
  PATCH: { median: 0.011, sigma: 0.9 },
  DELETE: { median: 0.012, sigma: 1 },
  APPLY: { median: 0.015, sigma: 1 },
  CONNECT: { median: 2, sigma: 1.5 },
};

const VERB_CODES: Record<string, string[]> = {
  GET: ['200', '404'],
  LIST: ['200'],
  WATCH: ['200'],
  POST: ['201', '409', '422'],
  PUT: ['200', '409'],
  PATCH: ['200', '404'],
  DELETE: ['200', '404'],
  APPLY: ['200', '201'],
  CONNECT: ['101'],
};

const ETCD_OPERATIONS = ['create', 'delete', 'get', 'listWithCount', 'update'];

/** The families fed per API resource, created up front so accounting covers them from the start. */
class ResourceFamilies {
  readonly requests: Family;
  readonly duration: Family;
  readonly sli: Family;
  readonly responseSizes: Family;
  readonly longrunning: Family;
  readonly storageObjects: Family;
  readonly etcdDuration: Family;
  readonly etcdRequests: Family;
  readonly watchEvents: Family;
  readonly watchEventSizes: Family;
  readonly watchCacheCapacity: Family;
  readonly cacheList: Family;
  readonly listFetched: Family;
  readonly listReturned: Family;
  readonly initEvents: Family;

  constructor(b: ExpositionBuilder) {
    this.requests = b.family(
      'apiserver_request_total',
      'counter',
      '[STABLE] Counter of apiserver requests broken out for each verb, dry run value, group, version, resource, scope, component, and HTTP response code.',
    );
    this.duration = b.family(
      'apiserver_request_duration_seconds',
      'histogram',
      '[STABLE] Response latency distribution in seconds for each verb, dry run value, group, version, resource, subresource, scope and component.',
    );
    this.sli = b.family(
      'apiserver_request_sli_duration_seconds',
      'histogram',
      '[ALPHA] Response latency distribution (not counting webhook duration and priority & fairness queue wait times) in seconds for each verb, group, version, resource, subresource, scope and component.',
    );
    this.responseSizes = b.family(
      'apiserver_response_sizes',
      'histogram',
      '[STABLE] Response size distribution in bytes for each group, version, verb, resource, subresource, scope and component.',
    );
    this.longrunning = b.family(
      'apiserver_longrunning_requests',
      'gauge',
      '[STABLE] Gauge of all active long-running apiserver requests broken out by verb, group, version, resource, scope and component. Not all requests are tracked this way.',
    );
    this.storageObjects = b.family('apiserver_storage_objects', 'gauge', '[STABLE] Number of stored objects at the time of last check split by kind.');
    this.etcdDuration = b.family('etcd_request_duration_seconds', 'histogram', '[ALPHA] Etcd request latency in seconds for each operation and object type.');
    this.etcdRequests = b.family('etcd_requests_total', 'counter', '[ALPHA] Etcd request counts for each operation and object type.');
    this.watchEvents = b.family('apiserver_watch_events_total', 'counter', '[ALPHA] Number of events sent in watch clients');
    this.watchEventSizes = b.family('apiserver_watch_events_sizes', 'histogram', '[ALPHA] Watch event size distribution in bytes');
    this.watchCacheCapacity = b.family('watch_cache_capacity', 'gauge', '[ALPHA] Total capacity of watch cache broken by resource type.');
    this.cacheList = b.family('apiserver_cache_list_total', 'counter', '[ALPHA] Number of LIST requests served from watch cache');
    this.listFetched = b.family(
      'apiserver_cache_list_fetched_objects_total',
      'counter',
      '[ALPHA] Number of objects read from watch cache in the course of serving a LIST request',
    );
    this.listReturned = b.family(
      'apiserver_cache_list_returned_objects_total',
      'counter',
      '[ALPHA] Number of objects returned for a LIST request from watch cache',
    );
    this.initEvents = b.family('apiserver_init_events_total', 'counter', '[ALPHA] Counter of init events processed in watch cache broken by resource type.');
  }
}

/** (verb, scope) pairs a resource sees. */
function verbScopes(res: ApiResource): [string, string][] {
  if (res.verbs) return res.verbs.map((v) => [v, res.namespaced && v !== 'POST' ? 'namespace' : 'resource']);
  const out: [string, string][] = [['GET', 'resource']];
  if (res.namespaced) out.push(['LIST', 'namespace'], ['LIST', 'cluster'], ['WATCH', 'namespace'], ['WATCH', 'cluster']);
  else out.push(['LIST', 'cluster'], ['WATCH', 'cluster']);
  out.push(['POST', 'resource'], ['PUT', 'resource'], ['PATCH', 'resource'], ['DELETE', 'resource']);
  if (res.weight >= 1) out.push(['APPLY', 'resource']);
  return out;
}

function emitRequests(
  fam: ResourceFamilies,
  rng: Prng,
  res: ApiResource,
  subresource: string,
  pairs: [string, string][],
  volume: number,
): void {
  for (const [verb, scope] of pairs) {
    const base = { component: 'apiserver', group: res.group, resource: res.resource, scope, subresource, verb, version: res.version };
    const total = countAround(rng, volume * (verb === 'GET' || verb === 'LIST' ? 4 : 1));
    const codes = VERB_CODES[verb] ?? ['200'];
    codes.forEach((code, i) => {
      const n = i === 0 ? total : Math.round(total * rng.float() * 0.02);
      fam.requests.sample('', labelText({ ...base, code, dry_run: '' }), n);
    });
    if ((verb === 'POST' || verb === 'PATCH') && rng.chance(0.2)) {
      fam.requests.sample('', labelText({ ...base, code: codes[0]!, dry_run: 'All' }), rng.int(1, 40));
    }
    const l = labelText({ ...base, dry_run: '' });
    const dist = VERB_LATENCY[verb] ?? VERB_LATENCY.GET!;
    writeHistogram(fam.duration, l, REQUEST_DURATION_BUCKETS, total, dist, rng);
    if (verb !== 'WATCH' && verb !== 'CONNECT') {
      const sliLabels = labelText(base);
      writeHistogram(fam.sli, sliLabels, SLI_BUCKETS, total, { median: dist.median * 0.8, sigma: dist.sigma }, rng);
    }
    if (verb === 'GET' || verb === 'LIST') {
      const sizes = labelText(base);
      writeHistogram(fam.responseSizes, sizes, RESPONSE_SIZE_BUCKETS, total, { median: verb === 'LIST' ? 60000 : 3000, sigma: 1.6 }, rng);
    }
    if (verb === 'WATCH') fam.longrunning.sample('', labelText(base), rng.int(0, Math.ceil(res.weight * 40)));
  }
}

function emitResource(fam: ResourceFamilies, seed: number, res: ApiResource): void {
  const rng = new Prng(hashSeed(seed, res.group, res.version, res.resource));
  const volume = 3000 * res.weight;
  const pairs = verbScopes(res);
  emitRequests(fam, rng, res, '', pairs, volume);
  for (const sub of res.subresources ?? []) emitRequests(fam, rng, res, sub.name, sub.verbs.map((v) => [v, 'resource']), volume * 0.3);

  if (res.verbs) return; // virtual resources (reviews) are never stored
  const name = storageName(res);
  const objects = countAround(rng, 200 * res.weight);
  fam.storageObjects.sample('', labelText({ resource: name }), objects);
  for (const operation of ETCD_OPERATIONS) {
    const l = labelText({ operation, type: name });
    const n = countAround(rng, volume * (operation === 'get' ? 2 : 0.5));
    writeHistogram(fam.etcdDuration, l, REQUEST_DURATION_BUCKETS, n, { median: operation === 'listWithCount' ? 0.03 : 0.006, sigma: 1 }, rng);
    fam.etcdRequests.sample('', l, n);
  }
  const wl = labelText({ group: res.group, kind: res.kind, version: res.version });
  const events = countAround(rng, volume * 3);
  fam.watchEvents.sample('', wl, events);
  writeHistogram(fam.watchEventSizes, wl, WATCH_EVENT_SIZE_BUCKETS, events, { median: 2500, sigma: 1 }, rng);
  const rl = labelText({ resource: name });
  fam.watchCacheCapacity.sample('', rl, 100 * 2 ** rng.int(0, 6));
  const lists = countAround(rng, volume);
  fam.cacheList.sample('', labelText({ index: '', resource_prefix: `/${name}` }), lists);
  fam.listFetched.sample('', labelText({ index: '', resource_prefix: `/${name}` }), lists * objects);
  fam.listReturned.sample('', labelText({ resource_prefix: `/${name}` }), Math.round(lists * objects * 0.3));
  fam.initEvents.sample('', rl, objects * rng.int(1, 20));
}

const FLOW_SCHEMAS: [string, string][] = [
  ['catch-all', 'catch-all'],
  ['endpoint-controller', 'workload-high'],
  ['exempt', 'exempt'],
  ['global-default', 'global-default'],
  ['kube-controller-manager', 'workload-high'],
  ['kube-scheduler', 'workload-high'],
  ['kube-system-service-accounts', 'workload-high'],
  ['openshift-monitoring-metrics', 'workload-high'],
  ['probes', 'exempt'],
  ['service-accounts', 'workload-low'],
  ['system-leader-election', 'leader-election'],
  ['system-node-high', 'node-high'],
  ['system-nodes', 'system'],
  ['workload-leader-election', 'leader-election'],
];

const ADMISSION_PLUGINS = [
  'CertificateApproval',
  'LimitRanger',
  'MutatingAdmissionWebhook',
  'NamespaceLifecycle',
  'PodSecurity',
  'ResourceQuota',
  'ServiceAccount',
  'ValidatingAdmissionPolicy',
  'ValidatingAdmissionWebhook',
  'autoscaling.openshift.io/ManagementCPUsOverride',
  'security.openshift.io/SecurityContextConstraint',
];

function fixedFamilies(b: ExpositionBuilder, rng: Prng, opts: KubeApiserverOptions): void {
  goProcessFamilies(b, rng, { heapBytes: rng.int(1200, 4000) * 1048576 });
  buildInfoFamily(b, opts.gitVersion);

  const inflight = b.family('apiserver_current_inflight_requests', 'gauge', '[STABLE] Maximal number of currently used inflight request limit of this apiserver per request kind in last second.');
  inflight.sample('', labelText({ request_kind: 'mutating' }), rng.int(0, 40));
  inflight.sample('', labelText({ request_kind: 'readOnly' }), rng.int(1, 150));

  const executing = b.family('apiserver_flowcontrol_current_executing_requests', 'gauge', '[BETA] Number of requests in initial (for a WATCH) or any (for a non-WATCH) execution stage in the API Priority and Fairness subsystem');
  const dispatched = b.family('apiserver_flowcontrol_dispatched_requests_total', 'counter', '[BETA] Number of requests executed by API Priority and Fairness subsystem');
  const wait = b.family('apiserver_flowcontrol_request_wait_duration_seconds', 'histogram', '[BETA] Length of time a request spent waiting in its queue');
  for (const [flow_schema, priority_level] of FLOW_SCHEMAS) {
    const l = labelText({ flow_schema, priority_level });
    const n = countAround(rng, 50000);
    executing.sample('', l, rng.int(0, 10));
    dispatched.sample('', l, n);
    writeHistogram(wait, labelText({ execute: 'true', flow_schema, priority_level }), FLOWCONTROL_WAIT_BUCKETS, n, { median: 0.0002, sigma: 1.5 }, rng);
  }
  const limits = b.family('apiserver_flowcontrol_nominal_limit_seats', 'gauge', '[BETA] Nominal number of execution seats configured for each priority level');
  for (const [pl, seats] of [['catch-all', 13], ['exempt', 0], ['global-default', 49], ['leader-election', 25], ['node-high', 98], ['system', 74], ['workload-high', 98], ['workload-low', 245]] as const) {
    limits.sample('', labelText({ priority_level: pl }), seats);
  }

  const admission = b.family('apiserver_admission_controller_admission_duration_seconds', 'histogram', '[STABLE] Admission controller latency histogram in seconds, identified by name and broken out for each operation and API resource and type (validate or admit).');
  const stepSummary = b.family(
    'apiserver_admission_step_admission_latencies_seconds',
    'summary',
    '[ALPHA] Admission sub-step latency summary in seconds, broken out for each operation and API resource and step type (validate or admit).',
  );
  for (const name of ADMISSION_PLUGINS) {
    for (const operation of ['CREATE', 'UPDATE']) {
      for (const type of ['admit', 'validate']) {
        const n = countAround(rng, 20000);
        writeHistogram(admission, labelText({ name, operation, rejected: 'false', type }), ADMISSION_BUCKETS, n, { median: 0.0003, sigma: 1.4 }, rng);
      }
    }
  }
  for (const operation of ['CREATE', 'DELETE', 'UPDATE']) {
    for (const type of ['admit', 'validate']) {
      writeSummary(stepSummary, labelText({ operation, rejected: 'false', type }), [0.5, 0.9, 0.99], countAround(rng, 30000), { median: 0.0008, sigma: 1.2 }, rng);
    }
  }

  // Free-text label values (a webhook's rejection message) are where escaping shows up in practice.
  const rejection = b.family(
    'apiserver_admission_webhook_last_rejection_info',
    'gauge',
    'Simulated: the last rejection message of each admission webhook (value 1).\nMessages are free text, e.g. paths like C:\\data or quoted "names".',
  );
  rejection.sample('', labelText({ message: 'admission webhook "validate.gatekeeper.sh" denied the request: image "quay.io/x" is not allowed', name: 'validation.gatekeeper.sh', operation: 'CREATE' }), 1);
  rejection.sample('', labelText({ message: 'path C:\\data\\logs is not a POSIX path', name: 'hostpath.policy.example.com', operation: 'UPDATE' }), 1);
  rejection.sample('', labelText({ message: 'denied:\nline two of a multi-line message', name: 'multiline.policy.example.com', operation: 'DELETE' }), 1);

  const unavailable = b.family('aggregator_unavailable_apiservice', 'gauge', '[ALPHA] Gauge of APIServices which are marked as unavailable broken down by APIService name.');
  for (const name of ['v1.apps.openshift.io', 'v1.authorization.openshift.io', 'v1.build.openshift.io', 'v1.image.openshift.io', 'v1.oauth.openshift.io', 'v1.packages.operators.coreos.com', 'v1.project.openshift.io', 'v1.quota.openshift.io', 'v1.route.openshift.io', 'v1.security.openshift.io', 'v1.template.openshift.io', 'v1.user.openshift.io', 'v1beta1.metrics.k8s.io']) {
    unavailable.sample('', labelText({ name }), 0);
  }

  b.family('apiserver_audit_event_total', 'counter', '[ALPHA] Counter of audit events generated and sent to the audit backend.').sample('', '', countAround(rng, 5e6));
  b.family('apiserver_audit_requests_rejected_total', 'counter', '[ALPHA] Counter of apiserver requests rejected due to an error in audit logging backend.').sample('', '', 0);
  b.family('apiserver_tls_handshake_errors_total', 'counter', '[ALPHA] Number of requests dropped with \'TLS handshake error from\' error').sample('', '', rng.int(0, 900));
  writeHistogram(
    b.family('apiserver_client_certificate_expiration_seconds', 'histogram', '[ALPHA] Distribution of the remaining lifetime on the certificate used to authenticate a request.'),
    '',
    CERT_EXPIRY_BUCKETS,
    countAround(rng, 1e6),
    { median: 2.0e6, sigma: 1.5 },
    rng,
  );
  b.family('apiserver_storage_size_bytes', 'gauge', '[STABLE] Size of the storage database file physically allocated in bytes.')
    .sample('', labelText({ storage_cluster_id: 'etcd-0' }), rng.int(80, 700) * 1048576);
  b.family('apiserver_registered_watchers', 'gauge', '[ALPHA] Number of currently registered watchers for a given resources')
    .sample('', labelText({ group: '', kind: 'Pod', version: 'v1' }), rng.int(10, 400));
  b.family('apiserver_encryption_config_controller_automatic_reload_last_timestamp_seconds', 'gauge', '[ALPHA] Timestamp of the last successful or failed automatic reload of encryption configuration split by apiserver identity.')
    .sample('', labelText({ apiserver_id_hash: `sha256:${rng.hex(64)}`, status: 'success' }), SIM_EPOCH_SECONDS + rng.int(0, 86400));

  workqueueFamilies(b, rng, [
    'APIServiceRegistrationController',
    'AvailableConditionController',
    'DynamicCABundle-client-ca-bundle',
    'DynamicCABundle-request-header',
    'DynamicServingCertificateController',
    'RequestHeaderAuthRequestController',
    'admission_quota_controller',
    'autoregister',
    'crd_autoregistration_controller',
    'crd_finalizer',
    'crd_naming_condition_controller',
    'crd_openapi_controller',
    'crd_openapi_v3_controller',
    'kubernetes_api_approval_conformant_condition_controller',
    'non_structural_schema_condition_controller',
    'open_api_aggregation_controller',
    'open_api_v3_aggregation_controller',
    'priority_and_fairness_config_queue',
  ]);
  restClientFamilies(b, rng, ['[::1]:6443', 'localhost:6443']);
  const retries = b.family('rest_client_request_retries_total', 'counter', '[ALPHA] Number of request retries, partitioned by status code, verb, and host.');
  retries.sample('', labelText({ code: '500', host: '[::1]:6443', verb: 'GET' }), rng.int(0, 5));
}

/** Render kube-apiserver metrics. Deterministic in (seed, options). */
export function renderKubeApiserverMetrics(opts: KubeApiserverOptions = {}): Exposition {
  const seed = opts.seed ?? 1;
  const b = new ExpositionBuilder('text');
  const fam = new ResourceFamilies(b);
  fixedFamilies(b, new Prng(hashSeed(seed, 'fixed')), opts);
  const bounded = opts.targetBytes !== undefined || opts.seriesCount !== undefined;
  const reached = (): boolean =>
    (opts.targetBytes !== undefined && b.bytes >= opts.targetBytes) || (opts.seriesCount !== undefined && b.series >= opts.seriesCount);
  for (let i = 0; bounded ? !reached() : i < KNOWN_API_RESOURCES; i++) emitResource(fam, seed, apiResourceAt(i));
  return b.render();
}
