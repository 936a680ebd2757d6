/**
 * Readiness of the forwarder = the upstream was reached recently. Real connections report their dials;
 * when none succeeded within a probe interval, a background probe dials the upstream and closes at once
 * (no byte sent), so an idle forwarder still knows. Not ready before the first success, when the last
 * success is older than the window, or after `failuresToUnready` failures in a row.
 */
import type { Socket } from 'node:net';
import { errorMessage } from '../common/errors.js';
import type { HealthState } from '../common/health.js';
import type { Logger } from '../common/log.js';
import type { DialError } from './dial.js';

export interface UpstreamReadinessOptions {
  /** Dials the current upstream (the same dialer as real connections). */
  dial: () => Promise<Socket>;
  /** Default 10000. */
  probeIntervalMs?: number;
  /** A success counts this long. Default 3 probe intervals. */
  readyWindowMs?: number;
  /** Default 3. */
  failuresToUnready?: number;
  logger: Logger;
  onProbeFailure?: (err: DialError) => void;
  now?: () => number;
}

export class UpstreamReadiness {
  private lastSuccess: number | undefined;
  private failuresInRow = 0;
  private lastError: string | undefined;
  private shuttingDown = false;
  private probing = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly probeIntervalMs: number;
  private readonly readyWindowMs: number;
  private readonly failuresToUnready: number;
  private readonly now: () => number;

  constructor(private readonly opts: UpstreamReadinessOptions) {
    this.probeIntervalMs = opts.probeIntervalMs ?? 10_000;
    this.readyWindowMs = opts.readyWindowMs ?? 3 * this.probeIntervalMs;
    this.failuresToUnready = opts.failuresToUnready ?? 3;
    this.now = opts.now ?? Date.now;
  }

  /** Probes now (so readiness is known soon after start), then every interval the real traffic left quiet. */
  start(): void {
    if (this.timer) return;
    void this.probe();
    this.timer = setInterval(() => {
      // Half an interval: a success just after the previous tick must not skip this one.
      if (this.lastSuccess === undefined || this.now() - this.lastSuccess >= this.probeIntervalMs / 2) void this.probe();
    }, this.probeIntervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** After SIGTERM: not ready, so the Service stops sending new connections here. */
  markShuttingDown(): void {
    this.shuttingDown = true;
  }

  recordSuccess(): void {
    this.lastSuccess = this.now();
    this.failuresInRow = 0;
    this.lastError = undefined;
  }

  recordFailure(err: Error): void {
    this.failuresInRow++;
    this.lastError = errorMessage(err);
  }

  state(): HealthState {
    if (this.shuttingDown) return { ready: false, reason: 'shutting down' };
    const why = this.lastError ? `: ${this.lastError}` : '';
    if (this.lastSuccess === undefined) return { ready: false, reason: `the upstream has not been reached yet${why}` };
    if (this.failuresInRow >= this.failuresToUnready) return { ready: false, reason: `${this.failuresInRow} dials to the upstream failed in a row${why}` };
    const age = this.now() - this.lastSuccess;
    if (age > this.readyWindowMs) return { ready: false, reason: `the upstream was last reached ${Math.round(age / 1000)} s ago${why}` };
    return { ready: true };
  }

  private async probe(): Promise<void> {
    if (this.probing) return;
    this.probing = true;
    try {
      const socket = await this.opts.dial();
      socket.destroy();
      this.recordSuccess();
    } catch (err) {
      this.recordFailure(err as Error);
      this.opts.onProbeFailure?.(err as DialError);
      this.opts.logger.warn('readiness probe: upstream unreachable', { error: errorMessage(err), failuresInRow: this.failuresInRow });
    } finally {
      this.probing = false;
    }
  }
}
