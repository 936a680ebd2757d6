/**
 * A @kubernetes/client-node informer that keeps going. The informer resumes by itself after a watch
 * ends cleanly and relists after 410 Gone, but stops after an error; this restarts it with capped
 * backoff (resuming from its last resourceVersion) and records since when its view has been stale.
 */
import { makeInformer, type Informer, type KubeConfig, type KubernetesObject, type KubernetesListObject, type ObjectCache } from '@kubernetes/client-node';
import { errorMessage } from './errors.js';
import type { Logger } from './log.js';

export interface ResilientInformerOptions<T extends KubernetesObject> {
  kubeConfig: KubeConfig;
  /** Watch path, e.g. /api/v1/namespaces/NS/pods. */
  path: string;
  list: () => Promise<KubernetesListObject<T>>;
  /** Called for every add and update (the informer's own cache decides which). */
  onChange: (obj: T) => void;
  onDelete: (obj: T) => void;
  logger: Logger;
  /** Names the watch in log lines. */
  what: string;
  backoff?: { initialMs: number; maxMs: number };
  now?: () => number;
  /** Called for each restart after an error, with a small closed set of reasons (metrics). */
  onRestart?: (reason: string) => void;
}

export interface InformerState {
  /** The first list has been applied. */
  synced: boolean;
  /** When the watch broke, while it is broken (ms since epoch). */
  brokenSince: number | undefined;
  lastError: string | undefined;
}

export class ResilientInformer<T extends KubernetesObject> {
  private informer: (Informer<T> & ObjectCache<T>) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private delayMs: number;
  private readonly now: () => number;
  private readonly backoff: { initialMs: number; maxMs: number };
  private starting: Promise<void> | undefined;
  readonly state: InformerState = { synced: false, brokenSince: undefined, lastError: undefined };

  constructor(private readonly opts: ResilientInformerOptions<T>) {
    this.now = opts.now ?? Date.now;
    this.backoff = opts.backoff ?? { initialMs: 500, maxMs: 30_000 };
    this.delayMs = this.backoff.initialMs;
  }

  /** Starts; resolves once the first attempt has either synced or failed (it keeps retrying). */
  start(): Promise<void> {
    const informer = makeInformer<T>(this.opts.kubeConfig, this.opts.path, this.opts.list);
    informer.on('add', (o) => this.opts.onChange(o));
    informer.on('update', (o) => this.opts.onChange(o));
    informer.on('delete', (o) => this.opts.onDelete(o));
    informer.on('error', (err) => this.failed(err));
    this.informer = informer;
    return this.attempt();
  }

  /** The informer's current objects. */
  list(): readonly T[] {
    return this.informer?.list() ?? [];
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
        // listed and the watch is open
        if (!this.state.synced) this.opts.logger.info(`${this.opts.what} synced`, { count: this.list().length });
        else if (errorBefore !== undefined) this.opts.logger.info(`${this.opts.what} watch restored`);
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
    this.opts.logger.warn(`${this.opts.what} watch failed; restarting`, { error: reason, retryInMs: this.delayMs });
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

function statusCode(err: unknown): number | undefined {
  const code = (err as { code?: unknown }).code ?? (err as { statusCode?: unknown }).statusCode;
  return typeof code === 'number' ? code : undefined;
}

function describe(err: unknown): string {
  const code = statusCode(err);
  const first = errorMessage(err).split('\n')[0]!;
  return code === undefined ? first : `HTTP ${code}: ${first}`;
}

function classify(err: unknown): string {
  const code = statusCode(err);
  if (code === undefined) return 'connection';
  return code === 401 || code === 403 ? 'forbidden' : `http_${Math.floor(code / 100)}xx`;
}
