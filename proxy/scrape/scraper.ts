/** Choose how pods are scraped: worker threads (production: every core parses) or this thread. */
import { availableParallelism } from 'node:os';
import type { Logger } from '../../common/log.js';
import { UpstreamAgents } from './agents.js';
import { InProcessScraper, type PodScraper } from './task.js';
import { WorkerPoolScraper, type WorkerPoolOptions } from './workers.js';

/**
 * One worker per core, at most 8, but never fewer than 3: HA control-plane components run 3 replicas,
 * and the pods of one worker share its single thread: 3 pods on 2 workers leave one core idle once its
 * pod is done while the other still has two to finish. With a worker per pod the OS shares the cores out evenly.
 */
export function defaultScrapeWorkers(): number {
  return Math.min(8, Math.max(3, availableParallelism()));
}

export function createScraper(workers: number, logger: Logger, opts: WorkerPoolOptions = {}): PodScraper {
  return workers > 0 ? new WorkerPoolScraper(workers, logger, opts) : new InProcessScraper(new UpstreamAgents());
}
