/**
 * Small expositions for the other control-plane components: a controller-runtime operator in text format,
 * and an OpenMetrics 1.0 variant (UNIT, _created, an exemplar, info and stateset types, `# EOF`).
 */
import { goProcessFamilies, SIM_EPOCH_SECONDS, workqueueFamilies } from './common.js';
import { type Exposition, ExpositionBuilder, labelText } from './format.js';
import { hashSeed, Prng } from './prng.js';
import { countAround, exponentialBuckets, tidy, writeHistogram, writeSummary } from './shapes.js';

export interface GenericComponentOptions {
  seed?: number;
  /** Component name, used in seeds and as the default controller names' prefix. */
  component?: string;
  controllers?: readonly string[];
}

const RECONCILE_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 1, 1.25, 1.5, 1.75, 2, 2.5, 3, 3.5, 4, 4.5, 5, 6, 7, 8, 9, 10, 15, 20, 25, 30, 40, 50, 60];

/** A controller-runtime based operator (a few hundred series). */
export function renderGenericComponentMetrics(opts: GenericComponentOptions = {}): Exposition {
  const component = opts.component ?? 'generic-operator';
  const rng = new Prng(hashSeed(opts.seed ?? 1, component));
  const controllers = opts.controllers ?? ['config', 'deployment', 'secret', 'status'].map((c) => `${component}-${c}`);
  const b = new ExpositionBuilder('text');
  goProcessFamilies(b, rng, { heapBytes: rng.int(30, 200) * 1048576 });
  workqueueFamilies(b, rng, controllers);

  const total = b.family('controller_runtime_reconcile_total', 'counter', 'Total number of reconciliations per controller');
  const errors = b.family('controller_runtime_reconcile_errors_total', 'counter', 'Total number of reconciliation errors per controller');
  const time = b.family('controller_runtime_reconcile_time_seconds', 'histogram', 'Length of time per reconciliation per controller');
  const workers = b.family('controller_runtime_active_workers', 'gauge', 'Number of currently used workers per controller');
  const maxConc = b.family('controller_runtime_max_concurrent_reconciles', 'gauge', 'Maximum number of concurrent reconciles per controller');
  for (const controller of [...controllers].sort()) {
    const n = countAround(rng, 3000);
    const errs = rng.int(0, 20);
    for (const result of ['error', 'requeue', 'requeue_after', 'success']) {
      const v = result === 'success' ? n : result === 'error' ? errs : rng.int(0, 100);
      total.sample('', labelText({ controller, result }), v);
    }
    errors.sample('', labelText({ controller }), errs);
    writeHistogram(time, labelText({ controller }), RECONCILE_BUCKETS, n, { median: 0.02, sigma: 1.2 }, rng);
    workers.sample('', labelText({ controller }), rng.int(0, 1));
    maxConc.sample('', labelText({ controller }), 1);
  }
  const certExpiry = b.family('certwatcher_read_certificate_total', 'counter', 'Total number of certificate reads');
  certExpiry.sample('', '', rng.int(1, 50));
  return b.render();
}

export interface OpenMetricsComponentOptions {
  seed?: number;
  /** Metric name prefix of the component's own families. */
  prefix?: string;
}

/** A small component answering in OpenMetrics 1.0 text. */
export function renderOpenMetricsComponentMetrics(opts: OpenMetricsComponentOptions = {}): Exposition {
  const prefix = opts.prefix ?? 'cluster_version_operator';
  const rng = new Prng(hashSeed(opts.seed ?? 1, 'openmetrics', prefix));
  const b = new ExpositionBuilder('openmetrics');
  const created = tidy(SIM_EPOCH_SECONDS + 12.5);

  // Counters: the family name has no _total; samples carry _total and _created.
  const requests = b.family(`${prefix}_http_requests`, 'counter', 'Total HTTP requests served by the metrics and health endpoints, by code and method.');
  const reqCounts: [string, string, number][] = [
    ['200', 'GET', countAround(rng, 20000)],
    ['404', 'GET', rng.int(0, 30)],
    ['500', 'GET', rng.int(0, 5)],
  ];
  for (const [code, method, v] of reqCounts) {
    const l = labelText({ code, method });
    requests.sample('_total', l, v, code === '200' ? ` # {trace_id="${rng.hex(32)}"} 1 ${tidy(SIM_EPOCH_SECONDS + 86000.25)}` : '');
    requests.sample('_created', l, created);
  }

  const duration = b.family(`${prefix}_http_request_duration_seconds`, 'histogram', 'Latency of HTTP requests, by handler.', 'seconds');
  for (const handler of ['/healthz', '/metrics']) {
    const n = countAround(rng, 10000);
    const traceId = rng.hex(32);
    writeHistogram(duration, labelText({ handler }), exponentialBuckets(0.001, 4, 6), n, { median: handler === '/metrics' ? 0.02 : 0.001, sigma: 1 }, rng, {
      // One exemplar on the third bucket: a sampled request with its trace.
      exemplar: (i) => (i === 2 ? ` # {trace_id="${traceId}"} 0.0137 ${tidy(SIM_EPOCH_SECONDS + 86399.5)}` : ''),
      created,
    });
  }

  const gc = b.family('go_gc_duration_seconds', 'summary', 'A summary of the pause duration of garbage collection cycles.', 'seconds');
  writeSummary(gc, '', [0, 0.25, 0.5, 0.75, 1], rng.int(100, 5000), { median: 0.00005, sigma: 0.7 }, rng);
  gc.sample('_created', '', created);

  b.family('process_start_time_seconds', 'gauge', 'Start time of the process since unix epoch in seconds.', 'seconds').sample('', '', created);
  b.family('process_resident_memory_bytes', 'gauge', 'Resident memory size in bytes.', 'bytes').sample('', '', rng.int(40, 300) * 1048576);
  const cpu = b.family('process_cpu_seconds', 'counter', 'Total user and system CPU time spent in seconds.', 'seconds');
  cpu.sample('_total', '', tidy(rng.float() * 4000));

  b.family(`${prefix}_build`, 'info', 'Build information of the component.').sample('_info', labelText({ git_commit: rng.hex(40), version: '4.16.3' }), 1);
  const state = b.family(`${prefix}_update_state`, 'stateset', 'Current phase of the cluster version update.');
  for (const phase of ['Completed', 'Failed', 'Partial']) state.sample('', labelText({ [`${prefix}_update_state`]: phase }), phase === 'Completed' ? 1 : 0);

  const operators = b.family('cluster_operator_up', 'gauge', 'Reports key highlights of the active cluster operators.');
  for (const name of ['console', 'dns', 'ingress', 'kube-apiserver', 'monitoring', 'network']) {
    operators.sample('', labelText({ name, reason: 'AsExpected', version: '4.16.3' }), 1);
  }
  return b.render();
}
