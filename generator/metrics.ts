/** The generator's own metrics (GET /metrics on its health listener), on a registry of its own so tests can run several. */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

export type GuestSyncResult = 'success' | 'error' | 'conflict';
export type GuestWriteAction = 'created' | 'updated' | 'deleted';

/** What the guest-sync gauges read at scrape time. */
export interface GuestSyncGaugeSource {
  lastSuccessMs(): number | undefined;
  consecutiveFailures(): number;
  conflicts(): number;
}

export class GeneratorMetrics {
  readonly registry = new Registry();
  readonly guestSyncAttempts: Counter<'result'>;
  readonly guestObjectsWritten: Counter<'kind' | 'action'>;
  readonly generations: Counter<'result'>;
  private guest: GuestSyncGaugeSource | undefined;
  private rotationWaiting: () => boolean = () => false;

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
    const self = this;
    this.generations = new Counter({ name: 'hcp_metrics_proxy_generator_generations_total', help: 'Configuration generations (read, build, write), by result.', labelNames: ['result'], registers });
    this.guestSyncAttempts = new Counter({
      name: 'hcp_metrics_proxy_generator_guest_sync_attempts_total',
      help: 'Guest sync passes, by result: success, error (guest or management API failure; retried with backoff), conflict (an object of ours is held by someone else and left alone).',
      labelNames: ['result'],
      registers,
    });
    this.guestObjectsWritten = new Counter({
      name: 'hcp_metrics_proxy_generator_guest_objects_written_total',
      help: 'Objects guest sync created, updated or deleted in the guest cluster, by kind and action.',
      labelNames: ['kind', 'action'],
      registers,
    });
    new Gauge({
      name: 'hcp_metrics_proxy_generator_guest_sync_last_success_timestamp_seconds',
      help: 'When guest sync last completed a pass without error (0: never).',
      registers,
      collect() {
        this.set((self.guest?.lastSuccessMs() ?? 0) / 1000);
      },
    });
    new Gauge({
      name: 'hcp_metrics_proxy_generator_guest_sync_consecutive_failures',
      help: 'Guest sync passes that failed in a row (0 while the guest is in sync).',
      registers,
      collect() {
        this.set(self.guest?.consecutiveFailures() ?? 0);
      },
    });
    new Gauge({
      name: 'hcp_metrics_proxy_generator_guest_sync_conflicts',
      help: 'Guest objects with our name that we do not own and leave alone.',
      registers,
      collect() {
        this.set(self.guest?.conflicts() ?? 0);
      },
    });
    new Gauge({
      name: 'hcp_metrics_proxy_generator_ca_rotation_waiting_for_guest',
      help: '1 while a CA rotation keeps serving leaves of the old CA because the guest bundle does not have the new CA yet.',
      registers,
      collect() {
        this.set(self.rotationWaiting() ? 1 : 0);
      },
    });
  }

  watchGuestSync(source: GuestSyncGaugeSource): void {
    this.guest = source;
  }

  watchRotation(waiting: () => boolean): void {
    this.rotationWaiting = waiting;
  }
}
