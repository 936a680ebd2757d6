/** Choose how pods are scraped: worker threads (production: every core parses) or this thread. */
import { availableParallelism } from 'node:os';
import type { Logger } from '../../common/log.js';
import { UpstreamAgents } from './agents.js';
import { InProcessScraper, type PodScraper } from './task.js';
import { WorkerPoolScraper } from './workers.js';

/** One worker per core, at most 8: parsing is CPU-bound, more threads than cores only add switching. */
export function defaultScrapeWorkers(): number {
  return Math.min(8, Math.max(1, availableParallelism()));
}

export function createScraper(workers: number, logger: Logger): PodScraper {
  return workers > 0 ? new WorkerPoolScraper(workers, logger) : new InProcessScraper(new UpstreamAgents());
}
