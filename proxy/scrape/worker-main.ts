/** Entry point of a scrape worker thread: runs PodScrapeTasks and hands results back without copying. */
import { parentPort } from 'node:worker_threads';
import { errorMessage } from '../../common/errors.js';
import { chunkBlocks, outputBlocks } from '../exposition/block-pool.js';
import { UpstreamAgents } from './agents.js';
import { collectGarbage } from './idle-gc.js';
import { ReadGate, type PodScrapeSink } from './pod-scrape.js';
import { failedResult, RuleCache, runScrapeTask } from './task.js';
import type { WorkerReply, WorkerRequest } from './workers.js';

const port = parentPort;
if (!port) throw new Error('worker-main must run in a worker thread');
const agents = new UpstreamAgents();
const rules = new RuleCache();
const running = new Map<number, { abort: AbortController; gate: ReadGate }>();

function reply(msg: WorkerReply, transfer: ArrayBuffer[] = []): void {
  port!.postMessage(msg, transfer);
}

port.on('message', (msg: WorkerRequest) => {
  switch (msg.kind) {
    case 'prune':
      agents.prune(new Set(msg.liveIds));
      return;
    case 'recycle':
      outputBlocks.give(msg.blocks);
      return;
    case 'trim':
      outputBlocks.clear();
      collectGarbage();
      return;
    case 'cancel':
      running.get(msg.id)?.abort.abort();
      return;
    case 'gate':
      running.get(msg.id)?.gate.set(msg.paused);
      return;
    case 'scrape': {
      const { id, task } = msg;
      const abort = new AbortController();
      const gate = new ReadGate();
      running.set(id, { abort, gate });
      // Streaming: the rendered blocks move to the main thread as they are sealed, never copied.
      const sink: PodScrapeSink | undefined = msg.stream
        ? {
            head: (format) => reply({ kind: 'head', id, format }),
            ship: (shipment) => reply({ kind: 'ship', id, shipment }, shipment.blocks),
          }
        : undefined;
      runScrapeTask(task, agents, rules, sink, abort.signal, gate)
        .catch((err: unknown) => failedResult(task.pod, 'internal', errorMessage(err)))
        .then((result) => {
          running.delete(id);
          reply({ kind: 'done', id, result }, chunkBlocks(result.exposition?.families ?? []));
        });
      return;
    }
  }
});
