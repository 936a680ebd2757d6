/** The forwarder's own metrics (GET /metrics on the health port), on a registry of its own so tests can run several forwarders in one process. */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { DIAL_FAILURE_REASONS, type DialFailureReason } from './dial.js';
import type { SpliceEnd } from './splice.js';

export class ForwarderMetrics {
  readonly registry = new Registry();
  readonly accepted: Counter;
  readonly active: Gauge;
  readonly refused: Counter;
  readonly closed: Counter<'reason'>;
  readonly bytes: Counter<'direction'>;
  readonly dialErrors: Counter<'reason'>;
  readonly duration: Histogram;
  readonly upstreamReloads: Counter<'result'>;
  readonly upstreamReady: Gauge;
  private readonly bytesTo: Record<'to_upstream' | 'to_client', Counter.Internal>;

  constructor(source: { ready(): boolean }, opts: { defaultMetrics?: boolean | undefined } = {}) {
    const registers = [this.registry];
    if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
    this.accepted = new Counter({ name: 'hcp_metrics_forwarder_connections_accepted_total', help: 'Client connections accepted (refused ones excluded).', registers });
    this.active = new Gauge({ name: 'hcp_metrics_forwarder_connections_active', help: 'Client connections open now (dialing or forwarding).', registers });
    this.refused = new Counter({ name: 'hcp_metrics_forwarder_connections_refused_total', help: 'Client connections closed at once because --max-connections were open.', registers });
    this.closed = new Counter({
      name: 'hcp_metrics_forwarder_connections_closed_total',
      help: 'Accepted connections that ended, by how: done (both sides closed), idle_timeout, error (reset or socket error), dial_error, shutdown.',
      labelNames: ['reason'],
      registers,
    });
    this.bytes = new Counter({ name: 'hcp_metrics_forwarder_bytes_total', help: 'Bytes forwarded, by direction (to_upstream, to_client).', labelNames: ['direction'], registers });
    this.dialErrors = new Counter({ name: 'hcp_metrics_forwarder_dial_errors_total', help: 'Failed connections to the upstream (client connections and readiness probes), by reason: dns, refused, timeout, other.', labelNames: ['reason'], registers });
    this.duration = new Histogram({
      name: 'hcp_metrics_forwarder_connection_duration_seconds',
      help: 'Lifetime of accepted client connections, from accept to close.',
      buckets: [0.01, 0.1, 1, 10, 60, 300, 900, 3600],
      registers,
    });
    this.upstreamReloads = new Counter({ name: 'hcp_metrics_forwarder_upstream_reloads_total', help: 'Reloads of --upstream-file, by result (an error keeps the last good upstream).', labelNames: ['result'], registers });
    this.upstreamReady = new Gauge({
      name: 'hcp_metrics_forwarder_upstream_ready',
      help: '1 while /readyz answers ok (the upstream was reached recently), else 0.',
      registers,
      collect() {
        this.set(source.ready() ? 1 : 0);
      },
    });
    // Zeroes up front: a rate() over a counter that appears on its first error misses that error.
    for (const r of DIAL_FAILURE_REASONS) this.dialErrors.inc({ reason: r }, 0);
    for (const r of ['done', 'idle_timeout', 'error', 'dial_error', 'shutdown'] satisfies (SpliceEnd | 'dial_error')[]) this.closed.inc({ reason: r }, 0);
    this.bytesTo = { to_upstream: this.bytes.labels('to_upstream'), to_client: this.bytes.labels('to_client') };
    this.bytesTo.to_upstream.inc(0);
    this.bytesTo.to_client.inc(0);
  }

  countBytes(direction: 'to_upstream' | 'to_client', n: number): void {
    this.bytesTo[direction].inc(n);
  }

  countDialError(reason: DialFailureReason): void {
    this.dialErrors.inc({ reason });
  }
}
