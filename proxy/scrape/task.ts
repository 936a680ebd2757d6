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
import { scrapePod, type PodScrapeResult, type PodScrapeSink, type PodTarget, type ReadGate } from './pod-scrape.js';
import { errorMessage } from '../../common/errors.js';
import { collectGarbage, IdleTrimmer } from './idle-gc.js';

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
  /** Wall-clock ms by which the pod must have been started (a worker and a connection free), else it fails as `queued`. */
  startBy?: number;
}

/** Runs scrape tasks: in this thread, or spread over worker threads. */
export interface PodScraper {
  /**
   * Scrape one pod. With a sink, the body is delivered while it arrives (the result then carries no
   * families); `signal` gives up on the pod; `gate` pauses reading it.
   */
  scrape(task: PodScrapeTask, sink?: PodScrapeSink, signal?: AbortSignal, gate?: ReadGate): Promise<PodScrapeResult>;
  /** Drop connection pools of endpoints that are no longer configured. */
  prune(liveIds: ReadonlySet<string>): void;
  /**
   * Output blocks of results whose answer has been sent completely: nothing reads them any more, the
   * next scrapes refill them. Blocks this scraper did not hand out are ignored.
   */
  recycle(blocks: readonly ArrayBuffer[]): void;
  /** The proxy has been idle: give memory back (pooled output blocks; idle worker threads stop). */
  trim(): void;
  /** Pods waiting for a free worker (the proxy's own queue), where there is one. */
  readonly queued?: number;
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

export function failedResult(pod: PodTarget, reason: 'config' | 'internal' | 'queued' | 'aborted', message: string): PodScrapeResult {
  return { pod, ok: false, failure: { reason, message }, durationSeconds: 0, wireBytes: 0, bodyBytes: 0 };
}

/** Run one task with the given pools and rule cache (shared by both scrapers). */
export async function runScrapeTask(task: PodScrapeTask, agents: UpstreamAgents, rules: RuleCache, sink?: PodScrapeSink, signal?: AbortSignal, gate?: ReadGate): Promise<PodScrapeResult> {
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
    startBy: task.startBy,
    sink,
    signal,
    gate,
  });
}

/** Scrapes in the calling thread. */
export class InProcessScraper implements PodScraper {
  private readonly rules = new RuleCache();
  private readonly idle = new IdleTrimmer(() => this.trim());
  private active = 0;

  constructor(private readonly agents: UpstreamAgents) {}

  async scrape(task: PodScrapeTask, sink?: PodScrapeSink, signal?: AbortSignal, gate?: ReadGate): Promise<PodScrapeResult> {
    if (this.active++ === 0) this.idle.busy();
    try {
      return await runScrapeTask(task, this.agents, this.rules, sink, signal, gate);
    } finally {
      if (--this.active === 0) this.idle.idle();
    }
  }

  prune(liveIds: ReadonlySet<string>): void {
    this.agents.prune(liveIds);
  }

  recycle(blocks: readonly ArrayBuffer[]): void {
    outputBlocks.give(blocks.filter(isOutputBlock));
  }

  trim(): void {
    outputBlocks.clear();
    collectGarbage();
  }

  async close(): Promise<void> {
    this.idle.stop();
    this.agents.close();
  }
}
