/**
 * Reachability of the hosted kube-apiserver: a background probe every `intervalMs`, plus what
 * reviews observe on the way (a transport failure marks it down at once, a success marks it up).
 * Readiness is false until the first successful probe and while the API server is down. Only a
 * transport failure (refused, reset, timeout) makes it `unreachable`, which lets reviews fail fast;
 * an API server that answers but is unhappy (5xx on /readyz, 401 for our credentials) is still tried.
 */
import { errorMessage } from '../../common/errors.js';
import { KasUnavailableError } from './types.js';
import type { Logger } from '../../common/log.js';
import type { ProxyMetrics } from '../server/metrics.js';

export interface KasHealthOptions {
  probe: () => Promise<void>;
  /** Default 5000 ms. */
  intervalMs?: number;
  logger: Logger;
  metrics?: ProxyMetrics;
}

export class KasHealth {
  private reachable: boolean | undefined;
  private transportFailure = false;
  private reason = 'hosted kube-apiserver not checked yet';
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<boolean> | undefined;
  private closed = false;

  constructor(private readonly opts: KasHealthOptions) {
    opts.metrics?.kasUp.set(0);
  }

  /** First probe now, then one every intervalMs. */
  start(): void {
    if (this.timer || this.closed) return;
    void this.check();
    this.timer = setInterval(() => void this.check(), this.opts.intervalMs ?? 5000);
    this.timer.unref();
  }

  /** Probes now (joining a probe already running); resolves to reachability. */
  check(): Promise<boolean> {
    if (this.running) return this.running;
    this.running = (async () => {
      try {
        await this.opts.probe();
        this.opts.metrics?.kasChecks.inc({ result: 'success' });
        this.markUp();
        return true;
      } catch (err) {
        this.opts.metrics?.kasChecks.inc({ result: 'failure' });
        this.markDown(errorMessage(err), !(err instanceof KasUnavailableError && err.status !== undefined));
        return false;
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }

  /** True after a transport failure with no success since (unknown is not unreachable). */
  get unreachable(): boolean {
    return this.reachable === false && this.transportFailure;
  }

  markUp(): void {
    if (this.closed || this.reachable === true) return;
    if (this.reachable === false) this.opts.logger.info('hosted kube-apiserver reachable again');
    this.reachable = true;
    this.transportFailure = false;
    this.reason = '';
    this.opts.metrics?.kasUp.set(1);
  }

  /** `transport`: the API server could not be reached at all (not: it answered with an error). */
  markDown(reason: string, transport = true): void {
    if (this.closed) return;
    if (this.reachable !== false) this.opts.logger.warn('hosted kube-apiserver not usable: uncached tokens get 503 until it recovers', { error: reason });
    this.reachable = false;
    this.transportFailure = transport;
    this.reason = reason.includes('kube-apiserver') ? reason : `hosted kube-apiserver unreachable: ${reason}`;
    this.opts.metrics?.kasUp.set(0);
  }

  ready(): { ok: boolean; reason?: string } {
    return this.reachable === true ? { ok: true } : { ok: false, reason: this.reason };
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
