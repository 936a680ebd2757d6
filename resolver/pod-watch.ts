/**
 * Keeps a PodIndex in step with one namespace through a @kubernetes/client-node informer: list, then
 * watch from the list's resourceVersion. The informer itself resumes after a watch ends cleanly and
 * relists after 410 Gone; after an error it stops, so this restarts it with capped backoff and
 * records since when the view has been stale (readiness depends on that).
 */
import { CoreV1Api, makeInformer, type Informer, type KubeConfig, type ObjectCache, type V1Pod } from '@kubernetes/client-node';
import { errorMessage } from '../common/errors.js';
import type { Logger } from '../common/log.js';
import type { PodIndex } from './pod-index.js';

export interface PodWatchOptions {
  kubeConfig: KubeConfig;
  namespace: string;
  index: PodIndex;
  logger: Logger;
  /** Backoff between restarts after errors: doubles from initialMs up to maxMs. */
  backoff?: { initialMs: number; maxMs: number };
  now?: () => number;
  /** Called for each restart after an error (metrics). */
  onRestart?: (reason: string) => void;
}

export interface PodWatchState {
  /** The first list has been applied. */
  synced: boolean;
  /** When the watch broke, while it is broken (ms since epoch). */
  brokenSince: number | undefined;
  lastError: string | undefined;
}

export class PodWatch {
  private informer: (Informer<V1Pod> & ObjectCache<V1Pod>) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private delayMs: number;
  private readonly now: () => number;
  private readonly backoff: { initialMs: number; maxMs: number };
  private starting: Promise<void> | undefined;
  readonly state: PodWatchState = { synced: false, brokenSince: undefined, lastError: undefined };

  constructor(private readonly opts: PodWatchOptions) {
    this.now = opts.now ?? Date.now;
    this.backoff = opts.backoff ?? { initialMs: 500, maxMs: 30_000 };
    this.delayMs = this.backoff.initialMs;
  }

  /** Starts watching; resolves once the first attempt has either synced or failed (it keeps retrying). */
  start(): Promise<void> {
    const ns = this.opts.namespace;
    const core = this.opts.kubeConfig.makeApiClient(CoreV1Api);
    const informer = makeInformer<V1Pod>(this.opts.kubeConfig, `/api/v1/namespaces/${encodeURIComponent(ns)}/pods`, () => core.listNamespacedPod({ namespace: ns }));
    informer.on('add', (p) => this.opts.index.upsert(p));
    informer.on('update', (p) => this.opts.index.upsert(p));
    informer.on('delete', (p) => this.opts.index.remove(p));
    informer.on('error', (err) => this.failed(err));
    this.informer = informer;
    return this.attempt();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    void this.informer?.stop();
  }

  private attempt(): Promise<void> {
    const errorBefore = this.state.lastError;
    let failedDuring = false;
    const onError = () => (failedDuring = true);
    this.informer!.on('error', onError);
    this.starting = this.informer!.start()
      .catch((err: unknown) => this.failed(err))
      .finally(() => {
        this.informer?.off('error', onError);
        this.starting = undefined;
      })
      .then(() => {
        if (failedDuring || this.stopped) return;
        // list applied and the watch is open
        if (!this.state.synced) this.opts.logger.info('pods synced', { namespace: this.opts.namespace, pods: this.opts.index.size });
        else if (errorBefore !== undefined) this.opts.logger.info('pod watch restored', { namespace: this.opts.namespace });
        this.state.synced = true;
        this.state.brokenSince = undefined;
        this.state.lastError = undefined;
        this.delayMs = this.backoff.initialMs;
      });
    return this.starting;
  }

  private failed(err: unknown): void {
    if (this.stopped) return;
    const reason = describe(err);
    this.state.lastError = reason;
    this.state.brokenSince ??= this.now();
    if (this.timer) return; // a restart is already scheduled
    this.opts.logger.warn('pod watch failed; restarting', { namespace: this.opts.namespace, error: reason, retryInMs: this.delayMs });
    this.opts.onRestart?.(classify(err));
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.stopped) return;
      void (this.starting ?? Promise.resolve()).then(() => this.attempt());
    }, this.delayMs);
    this.timer.unref?.();
    this.delayMs = Math.min(this.delayMs * 2, this.backoff.maxMs);
  }
}

function describe(err: unknown): string {
  const code = (err as { code?: unknown; statusCode?: unknown }).code ?? (err as { statusCode?: unknown }).statusCode;
  return typeof code === 'number' ? `HTTP ${code}: ${errorMessage(err).split('\n')[0]}` : errorMessage(err).split('\n')[0]!;
}

/** A small closed set of reasons for the restart metric. */
function classify(err: unknown): string {
  const code = (err as { code?: unknown }).code ?? (err as { statusCode?: unknown }).statusCode;
  if (typeof code === 'number') return code === 401 || code === 403 ? 'forbidden' : `http_${Math.floor(code / 100)}xx`;
  return 'connection';
}
