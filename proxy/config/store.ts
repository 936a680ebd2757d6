/**
 * Holds the current good proxy configuration and reloads it when the file changes (DESIGN §4):
 * a bad new file is logged with its key path and rejected, and the last good config stays in use.
 */
import { ConfigError, errorMessage } from '../../common/errors.js';
import { watchFiles, type FileWatcher, type WatchFilesOptions } from '../../common/file-watch.js';
import type { Logger } from '../../common/log.js';
import { readConfigText, type LoadOptions } from './load.js';
import { parseProxyConfig } from './parse.js';
import type { ProxyConfig } from './types.js';

export interface ConfigStoreOptions extends LoadOptions {
  /** File watcher tuning (tests use short intervals). */
  watch?: Pick<WatchFilesOptions, 'pollIntervalMs' | 'debounceMs'>;
}

/** Called after a new config is applied, with the one it replaced. */
export type ConfigListener = (config: ProxyConfig, previous: ProxyConfig) => void;

export class ConfigStore {
  #config!: ProxyConfig;
  /** Text of the applied config: an unchanged file (touch, identical rewrite) is not a new generation. */
  #text = '';
  #generation = 0;
  #lastError: Error | undefined;
  #reloadFailures = 0;
  #listeners = new Set<ConfigListener>();
  #watcher: FileWatcher | undefined;
  #reloading: Promise<void> | undefined;
  #again = false;
  #closed = false;
  /** False until the first load completes; a change seen before that is replayed right after it. */
  #ready = false;
  #changedBeforeReady = false;

  private constructor(
    readonly path: string,
    private readonly opts: ConfigStoreOptions,
    private readonly logger: Logger,
  ) {}

  /** Loads `path` (throws if that fails) and starts watching it. */
  static async open(path: string, opts: ConfigStoreOptions, logger: Logger): Promise<ConfigStore> {
    const store = new ConfigStore(path, opts, logger);
    // Watch before the first read, so a change landing right after that read still triggers a reload.
    const changed = (): void => {
      if (store.#ready) void store.reload();
      else store.#changedBeforeReady = true;
    };
    store.#watcher = watchFiles([path], changed, {
      ...opts.watch,
      onError: (err) => logger.error('config watch callback failed', { path, error: errorMessage(err) }),
    });
    try {
      const text = await readConfigText(path);
      store.#config = parseProxyConfig(text, { ...opts, source: path });
      store.#text = text;
    } catch (err) {
      store.close();
      throw err;
    }
    store.#generation = 1;
    store.#ready = true;
    logger.info('config loaded', { path, generation: 1, components: store.#config.components.length });
    if (store.#changedBeforeReady) void store.reload();
    return store;
  }

  current(): ProxyConfig {
    return this.#config;
  }

  /** 1 after the initial load, incremented on each applied change. */
  get generation(): number {
    return this.#generation;
  }

  /** Why the file on disk is not the config in use; undefined when it is. */
  get lastError(): Error | undefined {
    return this.#lastError;
  }

  /** Rejected reloads since open, for metrics. */
  get reloadFailures(): number {
    return this.#reloadFailures;
  }

  /** Returns an unsubscribe function. */
  onChange(listener: ConfigListener): () => void {
    this.#listeners.add(listener);
    return () => void this.#listeners.delete(listener);
  }

  /** Re-reads the file now (the watcher calls this). Concurrent calls coalesce into one more pass. */
  reload(): Promise<void> {
    if (this.#reloading) {
      this.#again = true;
      return this.#reloading;
    }
    const run = async (): Promise<void> => {
      do {
        this.#again = false;
        await this.#reloadOnce();
      } while (this.#again && !this.#closed);
    };
    this.#reloading = run().finally(() => {
      this.#reloading = undefined;
    });
    return this.#reloading;
  }

  close(): void {
    this.#closed = true;
    this.#watcher?.close();
    this.#watcher = undefined;
    this.#listeners.clear();
  }

  async #reloadOnce(): Promise<void> {
    if (this.#closed) return;
    let text: string;
    let next: ProxyConfig;
    try {
      text = await readConfigText(this.path);
      if (this.#closed) return;
      if (text === this.#text) {
        if (this.#lastError) {
          this.#lastError = undefined;
          this.logger.info('config file matches the applied config again', { path: this.path, generation: this.#generation });
        }
        return;
      }
      next = parseProxyConfig(text, { ...this.opts, source: this.path });
    } catch (err) {
      this.#reject(err);
      return;
    }
    const previous = this.#config;
    this.#config = next;
    this.#text = text;
    this.#generation++;
    this.#lastError = undefined;
    this.logger.info('config reloaded', { path: this.path, generation: this.#generation, components: next.components.length });
    for (const listener of [...this.#listeners]) {
      try {
        listener(next, previous);
      } catch (err) {
        this.logger.error('config change listener failed', { path: this.path, error: errorMessage(err) });
      }
    }
  }

  #reject(err: unknown): void {
    this.#lastError = err instanceof Error ? err : new Error(String(err));
    this.#reloadFailures++;
    this.logger.error('config reload rejected; keeping the last good config', {
      path: this.path,
      keyPath: err instanceof ConfigError ? err.keyPath : undefined,
      error: errorMessage(err),
      generation: this.#generation,
    });
  }
}
