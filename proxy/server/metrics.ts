/** The proxy's own metrics (GET /metrics), on a registry of its own so several proxies can share a process in tests. */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ListenerLimitEvents } from '../../common/listener-limits.js';
import { LoadMetrics } from './load-metrics.js';

export class ProxyMetrics {
  readonly registry = new Registry();
  /** Queue, memory budget and shared answers. */
  readonly load = new LoadMetrics(this.registry);
  readonly requests: Counter<'component' | 'code'>;
  readonly podScrapes: Counter<'component' | 'result'>;
  readonly podScrapeErrors: Counter<'component' | 'reason'>;
  readonly fanoutDuration: Histogram<'component'>;
  readonly bytesIn: Counter<'component'>;
  readonly bytesOut: Counter<'component'>;
  readonly samplesDropped: Counter<'component' | 'reason'>;
  readonly resolverErrors: Counter<'reason'>;
  readonly configReloads: Counter<'result'>;
  readonly configLastReloadSuccess: Gauge;
  // Authentication and authorization (proxy/auth/).
  readonly authDecisions: Counter<'outcome' | 'method'>;
  readonly tokenReviews: Counter<'result'>;
  readonly tokenCacheLookups: Counter<'result'>;
  readonly tokenCacheEvictions: Counter<'kind'>;
  readonly tokenCacheEntries: Gauge<'kind'>;
  /** Set by the authenticator that owns the token cache; read when /metrics is scraped. */
  tokenCacheSizes: (() => { positive: number; negative: number }) | undefined;
  readonly subjectAccessReviews: Counter<'result'>;
  readonly sarCacheLookups: Counter<'result'>;
  readonly kasUp: Gauge;
  readonly kasChecks: Counter<'result'>;
  readonly kubeconfigReloads: Counter<'result'>;
  // Limits before authentication (common/listener-limits.ts, proxy/auth/review-budget.ts).
  readonly connectionsRefused: Counter<'reason'>;
  readonly connectionTimeouts: Counter<'kind'>;
  readonly tokenReviewsThrottled: Counter<'scope'>;
  readonly tokensRejectedLocally: Counter<'reason'>;

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
    this.requests = new Counter({
      name: 'hcp_metrics_proxy_requests_total',
      help: 'Scrape requests answered, by component and HTTP status code.',
      labelNames: ['component', 'code'],
      registers,
    });
    this.podScrapes = new Counter({
      name: 'hcp_metrics_proxy_pod_scrapes_total',
      help: 'Pod scrapes, by component and result (success or failure).',
      labelNames: ['component', 'result'],
      registers,
    });
    this.podScrapeErrors = new Counter({
      name: 'hcp_metrics_proxy_pod_scrape_errors_total',
      help: 'Failed pod scrapes by component and reason (timeout, connect, tls, http_status, body_too_large, aborted, decompress, content_type, parse_error, invalid_utf8, type_conflict, config, internal).',
      labelNames: ['component', 'reason'],
      registers,
    });
    this.fanoutDuration = new Histogram({
      name: 'hcp_metrics_proxy_fanout_duration_seconds',
      help: 'Time from resolving the pods of a component to having every pod answered or timed out.',
      labelNames: ['component'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.bytesIn = new Counter({
      name: 'hcp_metrics_proxy_pod_bytes_received_total',
      help: 'Bytes received from pods (as sent on the wire, compressed when gzip).',
      labelNames: ['component'],
      registers,
    });
    this.bytesOut = new Counter({
      name: 'hcp_metrics_proxy_response_bytes_total',
      help: 'Bytes of scrape answers sent to callers (after compression).',
      labelNames: ['component'],
      registers,
    });
    this.samplesDropped = new Counter({
      name: 'hcp_metrics_proxy_samples_dropped_total',
      help: 'Samples not served, by component and reason (relabel: metricRelabelings or MetricsSet; type_conflict; reserved_name; out_of_order: a pod sent a family after the streamed answer had written it).',
      labelNames: ['component', 'reason'],
      registers,
    });
    this.resolverErrors = new Counter({
      name: 'hcp_metrics_proxy_resolver_errors_total',
      help: 'Failed calls to the endpoint resolver, by reason.',
      labelNames: ['reason'],
      registers,
    });
    this.configReloads = new Counter({
      name: 'hcp_metrics_proxy_config_reloads_total',
      help: 'Configuration reloads by result (success or failure).',
      labelNames: ['result'],
      registers,
    });
    this.configLastReloadSuccess = new Gauge({
      name: 'hcp_metrics_proxy_config_last_reload_successful',
      help: 'Whether the last configuration reload succeeded (1) or was rejected (0).',
      registers,
    });
    this.authDecisions = new Counter({
      name: 'hcp_metrics_proxy_auth_decisions_total',
      help: 'Authentication/authorization decisions, by outcome (allow, unauthenticated, forbidden, unavailable) and method (x509, token, none).',
      labelNames: ['outcome', 'method'],
      registers,
    });
    this.tokenReviews = new Counter({
      name: 'hcp_metrics_proxy_token_reviews_total',
      help: 'TokenReviews sent to the hosted kube-apiserver, by result (authenticated, unauthenticated, error; throttled: refused before sending).',
      labelNames: ['result'],
      registers,
    });
    this.tokenCacheLookups = new Counter({
      name: 'hcp_metrics_proxy_token_cache_lookups_total',
      help: 'Bearer token cache lookups, by result (hit, negative_hit, miss; inflight: joined a TokenReview already running).',
      labelNames: ['result'],
      registers,
    });
    this.tokenCacheEvictions = new Counter({
      name: 'hcp_metrics_proxy_token_cache_evictions_total',
      help: 'Token cache entries evicted because the cache was full, by kind (positive, negative).',
      labelNames: ['kind'],
      registers,
    });
    const sizes = () => this.tokenCacheSizes?.();
    this.tokenCacheEntries = new Gauge({
      name: 'hcp_metrics_proxy_token_cache_entries',
      help: 'Cached TokenReview answers, by kind (positive, negative).',
      labelNames: ['kind'],
      registers,
      collect() {
        const s = sizes();
        this.set({ kind: 'positive' }, s?.positive ?? 0);
        this.set({ kind: 'negative' }, s?.negative ?? 0);
      },
    });
    this.subjectAccessReviews = new Counter({
      name: 'hcp_metrics_proxy_subject_access_reviews_total',
      help: 'SubjectAccessReviews sent to the hosted kube-apiserver, by result (allowed, denied, error).',
      labelNames: ['result'],
      registers,
    });
    this.sarCacheLookups = new Counter({
      name: 'hcp_metrics_proxy_subject_access_review_cache_lookups_total',
      help: 'SubjectAccessReview cache lookups, by result (hit, miss).',
      labelNames: ['result'],
      registers,
    });
    this.kasUp = new Gauge({
      name: 'hcp_metrics_proxy_kube_apiserver_up',
      help: 'Whether the hosted kube-apiserver is reachable (1) or not (0), from the background check and reviews.',
      registers,
    });
    this.kasChecks = new Counter({
      name: 'hcp_metrics_proxy_kube_apiserver_checks_total',
      help: 'Background reachability checks of the hosted kube-apiserver, by result (success, failure).',
      labelNames: ['result'],
      registers,
    });
    this.kubeconfigReloads = new Counter({
      name: 'hcp_metrics_proxy_kubeconfig_reloads_total',
      help: 'Reloads of the hosted kubeconfig and the credential files it names, by result (success, failure).',
      labelNames: ['result'],
      registers,
    });
    // Limits before authentication.
    this.connectionsRefused = new Counter({
      name: 'hcp_metrics_proxy_connections_refused_total',
      help: 'Connections closed on arrival because a cap was reached, by reason (max_connections, max_connections_per_source).',
      labelNames: ['reason'],
      registers,
    });
    this.connectionTimeouts = new Counter({
      name: 'hcp_metrics_proxy_connection_timeouts_total',
      help: 'Connections closed because the caller was too slow, by kind (request: headers or request not received in time, answered 408; handshake: TLS handshake not finished in time).',
      labelNames: ['kind'],
      registers,
    });
    this.tokenReviewsThrottled = new Counter({
      name: 'hcp_metrics_proxy_token_reviews_throttled_total',
      help: 'Requests with an uncached bearer token answered 429 instead of sending a TokenReview, by the budget that was spent (global, source).',
      labelNames: ['scope'],
      registers,
    });
    this.tokensRejectedLocally = new Counter({
      name: 'hcp_metrics_proxy_tokens_rejected_locally_total',
      help: 'Bearer tokens rejected without a TokenReview because they cannot be valid, by reason (not_jwt: not a JWT although audiences are required; expired: JWT exp in the past).',
      labelNames: ['reason'],
      registers,
    });
  }

  /** Hooks for the HTTPS listener's caps and timeouts. */
  listenerLimitEvents(): ListenerLimitEvents {
    return {
      refused: (reason) => this.connectionsRefused.inc({ reason }),
      timedOut: (kind) => this.connectionTimeouts.inc({ kind }),
    };
  }
}
