/** The resolver's own metrics (GET /metrics), on a registry of its own so several resolvers can share a process in tests. */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export class ResolverMetrics {
  readonly registry = new Registry();
  readonly resolveRequests: Counter<'code'>;
  readonly resolveDuration: Histogram;
  readonly watchRestarts: Counter<'reason'>;

  constructor(source: { podsCached(): number; podsReady(): number; watchHealthy(): boolean }, opts: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
    new Gauge({
      name: 'hcp_endpoint_resolver_pods_cached',
      help: 'Pods in the resolver cache (any state).',
      registers,
      collect() {
        this.set(source.podsCached());
      },
    });
    new Gauge({
      name: 'hcp_endpoint_resolver_pods_ready',
      help: 'Cached pods that are Running and Ready with an IP (what /resolve may return).',
      registers,
      collect() {
        this.set(source.podsReady());
      },
    });
    new Gauge({
      name: 'hcp_endpoint_resolver_watch_healthy',
      help: '1 while the pod watch is established, 0 while it is broken.',
      registers,
      collect() {
        this.set(source.watchHealthy() ? 1 : 0);
      },
    });
    this.watchRestarts = new Counter({
      name: 'hcp_endpoint_resolver_watch_restarts_total',
      help: 'Restarts of the pod watch after an error, by reason.',
      labelNames: ['reason'],
      registers,
    });
    this.resolveRequests = new Counter({
      name: 'hcp_endpoint_resolver_resolve_requests_total',
      help: 'POST /resolve requests, by HTTP status code.',
      labelNames: ['code'],
      registers,
    });
    this.resolveDuration = new Histogram({
      name: 'hcp_endpoint_resolver_resolve_duration_seconds',
      help: 'Time to answer POST /resolve, from the first byte of the request to the answer.',
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1],
      registers,
    });
  }
}
