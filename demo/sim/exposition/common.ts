/**
 * Families every Go control-plane binary exposes: go_* and process_* (client_golang defaults),
 * workqueue_* and rest_client_* (client-go), kubernetes_build_info.
 */
import { type ExpositionBuilder, labelText } from './format.js';
import type { Prng } from './prng.js';
import { countAround, exponentialBuckets, tidy, writeHistogram, writeSummary } from './shapes.js';

/** A fixed, plausible process start (2024-03-01T00:00:00Z): wall-clock time would break determinism. */
export const SIM_EPOCH_SECONDS = 1709251200;

export function goProcessFamilies(b: ExpositionBuilder, rng: Prng, opts: { goVersion?: string; heapBytes?: number } = {}): void {
  const heap = opts.heapBytes ?? rng.int(80, 900) * 1024 * 1024;
  const gauge = (name: string, help: string, v: number): void => b.family(name, 'gauge', help).sample('', '', v);
  const counter = (name: string, help: string, v: number): void => b.family(name, 'counter', help).sample('', '', v);

  writeSummary(
    b.family('go_gc_duration_seconds', 'summary', 'A summary of the pause duration of garbage collection cycles.'),
    '',
    [0, 0.25, 0.5, 0.75, 1],
    rng.int(500, 90000),
    { median: 0.00006, sigma: 0.8 },
    rng,
  );
  gauge('go_goroutines', 'Number of goroutines that currently exist.', rng.int(300, 9000));
  b.family('go_info', 'gauge', 'Information about the Go environment.').sample('', labelText({ version: opts.goVersion ?? 'go1.21.9' }), 1);
  gauge('go_memstats_alloc_bytes', 'Number of bytes allocated and still in use.', heap);
  counter('go_memstats_alloc_bytes_total', 'Total number of bytes allocated, even if freed.', heap * rng.int(200, 5000));
  gauge('go_memstats_buck_hash_sys_bytes', 'Number of bytes used by the profiling bucket hash table.', rng.int(1_500_000, 9_000_000));
  counter('go_memstats_frees_total', 'Total number of frees.', rng.int(1e8, 9e9));
  gauge('go_memstats_gc_sys_bytes', 'Number of bytes used for garbage collection system metadata.', Math.round(heap * 0.04));
  gauge('go_memstats_heap_alloc_bytes', 'Number of heap bytes allocated and still in use.', heap);
  gauge('go_memstats_heap_idle_bytes', 'Number of heap bytes waiting to be used.', Math.round(heap * 0.6));
  gauge('go_memstats_heap_inuse_bytes', 'Number of heap bytes that are in use.', Math.round(heap * 1.1));
  gauge('go_memstats_heap_objects', 'Number of allocated objects.', Math.round(heap / 180));
  gauge('go_memstats_heap_released_bytes', 'Number of heap bytes released to OS.', Math.round(heap * 0.3));
  gauge('go_memstats_heap_sys_bytes', 'Number of heap bytes obtained from system.', Math.round(heap * 1.7));
  gauge('go_memstats_last_gc_time_seconds', 'Number of seconds since 1970 of last garbage collection.', tidy(SIM_EPOCH_SECONDS + 86400 + rng.float() * 60));
  counter('go_memstats_lookups_total', 'Total number of pointer lookups.', 0);
  counter('go_memstats_mallocs_total', 'Total number of mallocs.', rng.int(1e8, 9e9));
  gauge('go_memstats_mcache_inuse_bytes', 'Number of bytes in use by mcache structures.', 19200);
  gauge('go_memstats_mcache_sys_bytes', 'Number of bytes used for mcache structures obtained from system.', 31200);
  gauge('go_memstats_mspan_inuse_bytes', 'Number of bytes in use by mspan structures.', Math.round(heap * 0.012));
  gauge('go_memstats_mspan_sys_bytes', 'Number of bytes used for mspan structures obtained from system.', Math.round(heap * 0.015));
  gauge('go_memstats_next_gc_bytes', 'Number of heap bytes when next garbage collection will take place.', Math.round(heap * 1.9));
  gauge('go_memstats_other_sys_bytes', 'Number of bytes used for other system allocations.', rng.int(2_000_000, 9_000_000));
  gauge('go_memstats_stack_inuse_bytes', 'Number of bytes in use by the stack allocator.', rng.int(4, 60) * 1048576);
  gauge('go_memstats_stack_sys_bytes', 'Number of bytes obtained from system for stack allocator.', rng.int(4, 60) * 1048576);
  gauge('go_memstats_sys_bytes', 'Number of bytes obtained from system.', Math.round(heap * 2.1));
  gauge('go_threads', 'Number of OS threads created.', rng.int(12, 80));

  counter('process_cpu_seconds_total', 'Total user and system CPU time spent in seconds.', tidy(rng.float() * 90000));
  gauge('process_max_fds', 'Maximum number of open file descriptors.', 1048576);
  gauge('process_open_fds', 'Number of open file descriptors.', rng.int(40, 3000));
  gauge('process_resident_memory_bytes', 'Resident memory size in bytes.', Math.round(heap * 2.3));
  gauge('process_start_time_seconds', 'Start time of the process since unix epoch in seconds.', tidy(SIM_EPOCH_SECONDS + rng.float() * 3600));
  gauge('process_virtual_memory_bytes', 'Virtual memory size in bytes.', Math.round(heap * 3.5));
  gauge('process_virtual_memory_max_bytes', 'Maximum amount of virtual memory available in bytes.', 1.8446744073709552e19);
}

export function buildInfoFamily(b: ExpositionBuilder, gitVersion = 'v1.29.5+29c95f3'): void {
  b.family(
    'kubernetes_build_info',
    'gauge',
    '[ALPHA] A metric with a constant \'1\' value labeled by major, minor, git version, git commit, git tree state, build date, Go version, and compiler from which Kubernetes was built, and platform on which it is running.',
  ).sample(
    '',
    labelText({
      build_date: '2024-05-29T14:28:57Z',
      compiler: 'gc',
      git_commit: '29c95f3e5b4b3f1e0a8b6c6e1d2f3a4b5c6d7e8f',
      git_tree_state: 'clean',
      git_version: gitVersion,
      go_version: 'go1.21.9 (Red Hat 1.21.9-1.el9_4) X:strictfipsruntime',
      major: '1',
      minor: '29',
      platform: 'linux/amd64',
    }),
    1,
  );
}

const WORKQUEUE_LATENCY = exponentialBuckets(10e-9, 10, 10);

/** client-go workqueue metrics for the given queue names. */
export function workqueueFamilies(b: ExpositionBuilder, rng: Prng, queues: readonly string[]): void {
  const adds = b.family('workqueue_adds_total', 'counter', '[ALPHA] Total number of adds handled by workqueue');
  const depth = b.family('workqueue_depth', 'gauge', '[ALPHA] Current depth of workqueue');
  const longest = b.family(
    'workqueue_longest_running_processor_seconds',
    'gauge',
    '[ALPHA] How many seconds has the longest running processor for workqueue been running.',
  );
  const queueDur = b.family(
    'workqueue_queue_duration_seconds',
    'histogram',
    '[ALPHA] How long in seconds an item stays in workqueue before being requested.',
  );
  const retries = b.family('workqueue_retries_total', 'counter', '[ALPHA] Total number of retries handled by workqueue');
  const unfinished = b.family(
    'workqueue_unfinished_work_seconds',
    'gauge',
    '[ALPHA] How many seconds of work has done that is in progress and hasn\'t been observed by work_duration. Large values indicate stuck threads. One can deduce the number of stuck threads by observing the rate at which this increases.',
  );
  const workDur = b.family('workqueue_work_duration_seconds', 'histogram', '[ALPHA] How long in seconds processing an item from workqueue takes.');
  for (const name of [...queues].sort()) {
    const l = labelText({ name });
    const n = countAround(rng, 4000);
    adds.sample('', l, n);
    depth.sample('', l, rng.chance(0.9) ? 0 : rng.int(1, 40));
    longest.sample('', l, rng.chance(0.8) ? 0 : tidy(rng.float() * 2));
    writeHistogram(queueDur, l, WORKQUEUE_LATENCY, n, { median: 0.0004, sigma: 2.2 }, rng);
    retries.sample('', l, Math.round(n * rng.float() * 0.05));
    unfinished.sample('', l, rng.chance(0.8) ? 0 : tidy(rng.float() * 3));
    writeHistogram(workDur, l, WORKQUEUE_LATENCY, n, { median: 0.003, sigma: 1.8 }, rng);
  }
}

const REST_CLIENT_LATENCY = [0.005, 0.025, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60];
const REST_CLIENT_SIZE = [64, 256, 512, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216];

/** client-go rest_client_* metrics towards the given hosts. */
export function restClientFamilies(b: ExpositionBuilder, rng: Prng, hosts: readonly string[]): void {
  const requests = b.family('rest_client_requests_total', 'counter', '[ALPHA] Number of HTTP requests, partitioned by status code, method, and host.');
  const duration = b.family(
    'rest_client_request_duration_seconds',
    'histogram',
    '[ALPHA] Request latency in seconds. Broken down by verb, and host.',
  );
  const reqSize = b.family('rest_client_request_size_bytes', 'histogram', '[ALPHA] Request size in bytes. Broken down by verb and host.');
  const respSize = b.family('rest_client_response_size_bytes', 'histogram', '[ALPHA] Response size in bytes. Broken down by verb and host.');
  const rateLimiter = b.family(
    'rest_client_rate_limiter_duration_seconds',
    'histogram',
    '[ALPHA] Client side rate limiter latency in seconds. Broken down by verb, and host.',
  );
  const methods: [string, string[]][] = [
    ['DELETE', ['200', '404']],
    ['GET', ['200', '404', '<error>']],
    ['PATCH', ['200']],
    ['POST', ['201', '409']],
    ['PUT', ['200', '409']],
  ];
  for (const host of [...hosts].sort()) {
    for (const [method, codes] of methods) {
      for (const code of codes) requests.sample('', labelText({ code, host, method }), countAround(rng, code.startsWith('2') ? 20000 : 30));
    }
    for (const [verb] of methods) {
      const l = labelText({ host, verb });
      const n = countAround(rng, 8000);
      writeHistogram(duration, l, REST_CLIENT_LATENCY, n, { median: 0.008, sigma: 1.2 }, rng);
      writeHistogram(reqSize, l, REST_CLIENT_SIZE, n, { median: verb === 'GET' ? 64 : 1500, sigma: 1 }, rng);
      writeHistogram(respSize, l, REST_CLIENT_SIZE, n, { median: verb === 'GET' ? 6000 : 1500, sigma: 1.5 }, rng);
      writeHistogram(rateLimiter, l, REST_CLIENT_LATENCY, n, { median: 0.000002, sigma: 1 }, rng);
    }
  }
}
