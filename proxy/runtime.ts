/**
 * The proxy's live state: the config store, the resolver client that matches the current config,
 * and the rule book for the MetricsSet (rebuilt when the SRE config file changes).
 */
import { readFileSync } from 'node:fs';
import { errorMessage } from '../common/errors.js';
import { watchFiles, type FileWatcher } from '../common/file-watch.js';
import type { Logger } from '../common/log.js';
import { ConfigStore } from './config/store.js';
import type { ProxyConfig } from './config/types.js';
import { parseSREConfig, type MetricsSetName, type SREConfig } from './metricsset/index.js';
import { ResolverClient } from './resolver-client.js';
import { RuleBook } from './rule-book.js';
import type { PodScraper } from './scrape/task.js';
import type { ProxyState } from './server/app.js';
import type { ProxyMetrics } from './server/metrics.js';
import { servedPaths } from './server/app.js';

export interface ProxyRuntimeOptions {
  configFile: string;
  namespace: string;
  metricsSet: MetricsSetName;
  sreConfigFile?: string;
  resolverCacheTtlMs?: number;
  watchPollMs?: number;
  scraper: PodScraper;
  metrics: ProxyMetrics;
  logger: Logger;
}

export class ProxyRuntime implements ProxyState {
  private resolverClient: ResolverClient | undefined;
  private ruleBook: RuleBook;
  private sreWatcher: FileWatcher | undefined;

  private constructor(
    private readonly store: ConfigStore,
    private readonly opts: ProxyRuntimeOptions,
  ) {
    this.ruleBook = new RuleBook(opts.metricsSet, undefined);
  }

  static async start(opts: ProxyRuntimeOptions): Promise<ProxyRuntime> {
    const store = await ConfigStore.open(opts.configFile, { defaultNamespace: opts.namespace, watch: { pollIntervalMs: opts.watchPollMs } }, opts.logger);
    const rt = new ProxyRuntime(store, opts);
    rt.applyConfig(store.current(), undefined);
    opts.metrics.configReloads.inc({ result: 'success' });
    opts.metrics.configLastReloadSuccess.set(1);
    let failures = store.reloadFailures;
    store.onChange((next, prev) => {
      rt.applyConfig(next, prev);
      opts.metrics.configReloads.inc({ result: 'success' });
      opts.metrics.configLastReloadSuccess.set(1);
    });
    // Rejected reloads are only visible through the store's counter; mirror it into metrics.
    const poll = setInterval(() => {
      if (store.reloadFailures !== failures) {
        opts.metrics.configReloads.inc({ result: 'failure' }, store.reloadFailures - failures);
        failures = store.reloadFailures;
      }
      opts.metrics.configLastReloadSuccess.set(store.lastError ? 0 : 1);
    }, 1000);
    poll.unref();
    rt.closers.push(() => clearInterval(poll));
    if (opts.sreConfigFile) rt.watchSre(opts.sreConfigFile);
    return rt;
  }

  private readonly closers: (() => void)[] = [];

  config(): ProxyConfig {
    return this.store.current();
  }

  resolver(): ResolverClient | undefined {
    return this.resolverClient;
  }

  rules(): RuleBook {
    return this.ruleBook;
  }

  close(): void {
    this.store.close();
    this.sreWatcher?.close();
    this.resolverClient?.close();
    for (const c of this.closers) c();
  }

  private applyConfig(next: ProxyConfig, prev: ProxyConfig | undefined): void {
    if (!prev || JSON.stringify(prev.endpointResolver) !== JSON.stringify(next.endpointResolver) || !this.resolverClient) {
      this.resolverClient?.close();
      this.resolverClient = new ResolverClient(next.endpointResolver, {
        cacheTtlMs: this.opts.resolverCacheTtlMs,
        onError: (reason) => this.opts.metrics.resolverErrors.inc({ reason }),
      });
    }
    // Each endpoint's pool, and the pools of targets its relabelings move to the other scheme (fanout.ts).
    const ids = next.components.flatMap((c) => [`${c.name}/0`, ...c.endpoints.map((_e, i) => `${c.name}/${i + 1}`)]);
    const live = new Set(ids.flatMap((id) => [id, `${id}/http`, `${id}/https`]));
    this.opts.scraper.prune(live);
    this.opts.logger.info('serving components', { paths: servedPaths(next) });
  }

  private watchSre(file: string): void {
    const load = (first: boolean) => {
      let sre: SREConfig;
      try {
        sre = parseSREConfig(readFileSync(file, 'utf8'), file);
      } catch (err) {
        if (first) throw err;
        this.opts.logger.error('SRE metrics set rejected; keeping the last good one', { file, error: errorMessage(err) });
        return;
      }
      this.ruleBook = new RuleBook(this.opts.metricsSet, sre);
      if (!first) this.opts.logger.info('SRE metrics set reloaded', { file });
    };
    load(true);
    this.sreWatcher = watchFiles([file], () => load(false), { pollIntervalMs: this.opts.watchPollMs });
  }
}
