/** Entry point of a scrape worker thread: runs PodScrapeTasks and hands results back without copying. */
import { parentPort } from 'node:worker_threads';
import { errorMessage } from '../../common/errors.js';
import { chunkBlocks, outputBlocks } from '../exposition/block-pool.js';
import { UpstreamAgents } from './agents.js';
import { failedResult, RuleCache, runScrapeTask } from './task.js';
import type { WorkerReply, WorkerRequest } from './workers.js';

const port = parentPort;
if (!port) throw new Error('worker-main must run in a worker thread');
const agents = new UpstreamAgents();
const rules = new RuleCache();

port.on('message', (msg: WorkerRequest) => {
  if (msg.kind === 'prune') {
    agents.prune(new Set(msg.liveIds));
    return;
  }
  if (msg.kind === 'recycle') {
    outputBlocks.give(msg.blocks);
    return;
  }
  runScrapeTask(msg.task, agents, rules)
    .catch((err: unknown) => failedResult(msg.task.pod, 'internal', errorMessage(err)))
    .then((result) => {
      // The rendered samples live in a few large blocks: move them, do not copy them.
      const reply: WorkerReply = { id: msg.id, result };
      port.postMessage(reply, chunkBlocks(result.exposition?.families ?? []));
    });
});
