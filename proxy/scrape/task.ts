/**
 * One pod scrape as plain data, so it can run in this thread or in a worker thread: pods are parsed
 * on every core while the main thread only routes bytes.
 */
import { compileRelabelConfigs } from '../relabel/index.js';
import type { RelabelConfig } from '../relabel/types.js';
import { prepareRules, type PreparedRules } from '../exposition/parser.js';
import { isOutputBlock, outputBlocks } from '../exposition/block-pool.js';
import { makeTargetLabels } from '../exposition/target.js';
import type { UpstreamAgents, UpstreamEndpoint } from './agents.js';
import { scrapePod, type PodScrapeResult, type PodTarget } from './pod-scrape.js';
import { errorMessage } from '../../common/errors.js';

/** The relabel rules of one endpoint as written, with a key that identifies them for caching. */
export interface RuleSource {
  key: string;
  configs: RelabelConfig[];
}

export interface PodScrapeTask {
  pod: PodTarget;
  /** Connection pool identity, e.g. `kube-apiserver/0`. */
  poolId: string;
  upstream: UpstreamEndpoint;
  port: number;
  path: string;
  timeoutMs: number;
  timeoutHeaderSeconds: number;
  maxBodyBytes: number;
  accept: string;
  target: [string, string][];
  rules: RuleSource;
}

/** Runs scrape tasks: in this thread, or spread over worker threads. */
export interface PodScraper {
  scrape(task: PodScrapeTask): Promise<PodScrapeResult>;
  /** Drop connection pools of endpoints that are no longer configured. */
  prune(liveIds: ReadonlySet<string>): void;
  /**
   * Output blocks of results whose answer has been sent completely: nothing reads them any more, the
   * next scrapes refill them. Blocks this scraper did not hand out are ignored.
   */
  recycle(blocks: readonly ArrayBuffer[]): void;
  close(): Promise<void>;
}

const RULE_CACHE_LIMIT = 1000;

/** Compiled rules per key; the key changes whenever the rules do. */
export class RuleCache {
  private readonly cache = new Map<string, PreparedRules>();

  get(source: RuleSource): PreparedRules {
    let r = this.cache.get(source.key);
    if (!r) {
      r = prepareRules(compileRelabelConfigs(source.configs, 'rules'));
      if (this.cache.size >= RULE_CACHE_LIMIT) this.cache.clear();
      this.cache.set(source.key, r);
    }
    return r;
  }
}

export function failedResult(pod: PodTarget, reason: 'config' | 'internal', message: string): PodScrapeResult {
  return { pod, ok: false, failure: { reason, message }, durationSeconds: 0, wireBytes: 0, bodyBytes: 0 };
}

/** Run one task with the given pools and rule cache (shared by both scrapers). */
export async function runScrapeTask(task: PodScrapeTask, agents: UpstreamAgents, rules: RuleCache): Promise<PodScrapeResult> {
  let agent;
  let prepared;
  try {
    agent = agents.agentFor(task.poolId, task.upstream);
  } catch (err) {
    return failedResult(task.pod, 'config', `cannot load TLS material: ${errorMessage(err)}`);
  }
  try {
    prepared = rules.get(task.rules);
  } catch (err) {
    return failedResult(task.pod, 'config', `relabel rules: ${errorMessage(err)}`);
  }
  return scrapePod({
    pod: task.pod,
    scheme: task.upstream.metricsScheme,
    port: task.port,
    path: task.path,
    agent,
    servername: task.upstream.tlsServerName,
    timeoutMs: task.timeoutMs,
    timeoutHeaderSeconds: task.timeoutHeaderSeconds,
    maxBodyBytes: task.maxBodyBytes,
    accept: task.accept,
    transform: { target: makeTargetLabels(task.target), rules: prepared },
  });
}

/** Scrapes in the calling thread. */
export class InProcessScraper implements PodScraper {
  private readonly rules = new RuleCache();

  constructor(private readonly agents: UpstreamAgents) {}

  scrape(task: PodScrapeTask): Promise<PodScrapeResult> {
    return runScrapeTask(task, this.agents, this.rules);
  }

  prune(liveIds: ReadonlySet<string>): void {
    this.agents.prune(liveIds);
  }

  recycle(blocks: readonly ArrayBuffer[]): void {
    outputBlocks.give(blocks.filter(isOutputBlock));
  }

  async close(): Promise<void> {
    this.agents.close();
  }
}
