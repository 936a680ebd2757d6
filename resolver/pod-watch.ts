/** Keeps a PodIndex in step with one namespace's pods (list, then watch; see ResilientInformer). */
import { CoreV1Api, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import type { Logger } from '../common/log.js';
import { ResilientInformer, type InformerState } from '../common/resilient-informer.js';
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

export type PodWatchState = InformerState;

export class PodWatch {
  private readonly informer: ResilientInformer<V1Pod>;

  constructor(opts: PodWatchOptions) {
    const ns = opts.namespace;
    const core = opts.kubeConfig.makeApiClient(CoreV1Api);
    this.informer = new ResilientInformer<V1Pod>({
      kubeConfig: opts.kubeConfig,
      path: `/api/v1/namespaces/${encodeURIComponent(ns)}/pods`,
      list: () => core.listNamespacedPod({ namespace: ns }),
      onChange: (p) => opts.index.upsert(p),
      onDelete: (p) => opts.index.remove(p),
      logger: opts.logger.child(ns),
      what: 'pods',
      ...(opts.backoff ? { backoff: opts.backoff } : {}),
      ...(opts.now ? { now: opts.now } : {}),
      ...(opts.onRestart ? { onRestart: opts.onRestart } : {}),
    });
  }

  get state(): PodWatchState {
    return this.informer.state;
  }

  start(): Promise<void> {
    return this.informer.start();
  }

  stop(): void {
    this.informer.stop();
  }
}
