/** The proxy's own metrics about load: the scrape queue, the memory budget, shared answers (DESIGN §10). */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export interface LoadSnapshot {
  scrapes: number;
  reservedBytes: number;
  heldBytes: number;
  queued: number;
  podsWaitingForWorker: number;
  budgetBytes: number;
}

export class LoadMetrics {
  readonly queueSeconds: Histogram;
  readonly rejections: Counter<'reason'>;
  readonly sharedJoins: Counter;
  /** Set by whoever owns the admission state; read when /metrics is scraped. */
  snapshot: (() => LoadSnapshot) | undefined;

  constructor(registry: Registry) {
    const registers = [registry];
    this.queueSeconds = new Histogram({
      name: 'hcp_metrics_proxy_scrape_queue_seconds',
      help: 'Time scrapes waited for the memory budget before their fan-out started.',
      buckets: [0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.rejections = new Counter({
      name: 'hcp_metrics_proxy_scrape_rejections_total',
      help: 'Scrapes answered 503 by the proxy\'s own limits, by reason (queue_full: too many waiting; deadline: the memory budget stayed full until the scrape deadline; pods_not_started: no worker or connection was free in time).',
      labelNames: ['reason'],
      registers,
    });
    this.sharedJoins = new Counter({
      name: 'hcp_metrics_proxy_shared_answers_total',
      help: 'Scrapes served by joining an identical scrape already in flight instead of a fan-out of their own.',
      registers,
    });
    const snap = () => this.snapshot?.();
    const gauge = (name: string, help: string, pick: (s: LoadSnapshot) => number) =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          const s = snap();
          this.set(s ? pick(s) : 0);
        },
      });
    gauge('hcp_metrics_proxy_inflight_scrapes', 'Fan-outs running now (identical scrapes sharing one count once).', (s) => s.scrapes);
    gauge('hcp_metrics_proxy_inflight_reserved_bytes', 'Bytes of the memory budget reserved by running fan-outs.', (s) => s.reservedBytes);
    gauge('hcp_metrics_proxy_inflight_held_bytes', 'Bytes of output blocks and encoded pieces running scrapes hold now.', (s) => s.heldBytes);
    gauge('hcp_metrics_proxy_scrape_queue_length', 'Scrapes waiting for the memory budget.', (s) => s.queued);
    gauge('hcp_metrics_proxy_pods_waiting_for_worker', 'Pod scrapes waiting for a free scrape worker.', (s) => s.podsWaitingForWorker);
    gauge('hcp_metrics_proxy_memory_budget_bytes', 'The memory budget of in-flight scrapes (--max-inflight-bytes).', (s) => s.budgetBytes);
  }
}
