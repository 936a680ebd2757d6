/**
 * The guest cluster's API clients, from the hosted control plane's admin kubeconfig
 * (`--guest-kubeconfig`). The kubeconfig and every file it names are re-read when they change (the
 * admin kubeconfig Secret may be rotated); a file that does not load keeps the last good clients and
 * is reported, never quoted (it holds credentials).
 */
import { CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { errorMessage } from '../../common/errors.js';
import { watchFiles, type FileWatcher } from '../../common/file-watch.js';
import type { Logger } from '../../common/log.js';
import { loadKubeconfig, type LoadedKubeconfig } from '../../proxy/auth/kubeconfig.js';

export interface GuestApis {
  core: CoreV1Api;
  custom: CustomObjectsApi;
  /** The guest API server URL (for logs). */
  server: string;
}

export interface GuestClientOptions {
  kubeconfig: string;
  logger: Logger;
  /** Called after the kubeconfig (or a file it names) changed and loaded. */
  onReload?: () => void;
  /** Poll period of the file watch; default 2 s. */
  watchPollMs?: number;
}

export class GuestClient {
  private apis: GuestApis | undefined;
  private watcher: FileWatcher | undefined;
  private watched = '';
  /** Why the current kubeconfig does not load (the last good one is in use, if any). */
  loadError: string | undefined;

  constructor(private readonly opts: GuestClientOptions) {}

  /** Loads the kubeconfig and starts watching it; a load failure is kept in loadError, not thrown. */
  start(): void {
    this.load();
  }

  /** The current clients; throws with the load error when the kubeconfig never loaded. */
  current(): GuestApis {
    if (!this.apis) throw new Error(`cannot load --guest-kubeconfig: ${this.loadError ?? 'not loaded'}`);
    return this.apis;
  }

  stop(): void {
    this.watcher?.close();
    this.watcher = undefined;
  }

  private load(): boolean {
    let files: string[];
    try {
      const loaded = loadKubeconfig(this.opts.kubeconfig);
      const kc = clientNodeConfig(loaded);
      this.apis = { core: kc.makeApiClient(CoreV1Api), custom: kc.makeApiClient(CustomObjectsApi), server: loaded.server };
      this.loadError = undefined;
      files = loaded.files;
    } catch (err) {
      const message = errorMessage(err);
      if (message !== this.loadError) this.opts.logger.error(this.apis ? 'guest kubeconfig does not load; keeping the previous one' : 'guest kubeconfig does not load', { error: message });
      this.loadError = message;
      // Until it loads, watch the kubeconfig itself so a fixed file is picked up.
      files = [this.opts.kubeconfig];
    }
    this.watch(files);
    return this.loadError === undefined;
  }

  /** (Re)watches `files` when the set changed (a rotated kubeconfig may name other files). */
  private watch(files: string[]): void {
    const key = files.join('\n');
    if (key === this.watched && this.watcher) return;
    this.watcher?.close();
    this.watched = key;
    this.watcher = watchFiles(
      files,
      () => {
        if (this.load()) {
          this.opts.logger.info('guest kubeconfig reloaded', { server: this.apis!.server });
          this.opts.onReload?.();
        }
      },
      { ...(this.opts.watchPollMs !== undefined ? { pollIntervalMs: this.opts.watchPollMs } : {}), onError: (err) => this.opts.logger.warn('guest kubeconfig reload failed', { error: errorMessage(err) }) },
    );
  }
}

/**
 * A client-node KubeConfig from the loader the proxy uses (one reading of kubeconfig files: token
 * files, *-data fields, tls-server-name, the same refusals), with everything inline.
 */
function clientNodeConfig(l: LoadedKubeconfig): KubeConfig {
  const b64 = (b: Buffer | undefined) => (b ? b.toString('base64') : undefined);
  const auth = l.authorization ?? '';
  const basic = auth.startsWith('Basic ') ? Buffer.from(auth.slice(6), 'base64').toString('utf8') : undefined;
  const colon = basic?.indexOf(':') ?? -1;
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'guest', server: l.server, caData: b64(l.tls.ca), skipTLSVerify: !l.tls.rejectUnauthorized, tlsServerName: l.tls.servername }],
    users: [
      {
        name: 'guest',
        token: auth.startsWith('Bearer ') ? auth.slice(7) : undefined,
        certData: b64(l.tls.cert),
        keyData: b64(l.tls.key),
        username: basic !== undefined && colon >= 0 ? basic.slice(0, colon) : undefined,
        password: basic !== undefined && colon >= 0 ? basic.slice(colon + 1) : undefined,
      },
    ],
    contexts: [{ name: 'guest', cluster: 'guest', user: 'guest' }],
    currentContext: 'guest',
  });
  return kc;
}
