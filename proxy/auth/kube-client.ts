/**
 * The proxy's client of the *hosted* kube-apiserver: TokenReview, SubjectAccessReview and a health
 * probe, through @kubernetes/client-node. The kubeconfig and every file it names are watched and
 * re-read on change (rotated tokens and certificates need no restart); a bad reload keeps the last
 * good configuration. Failures are classified: unreachable/timeout/5xx/429 → KasUnavailableError,
 * other refusals of our own request → KasRequestError.
 */
import https from 'node:https';
import * as k8s from '@kubernetes/client-node';
import { errorMessage } from '../../common/errors.js';
import { watchFiles, type FileWatcher } from '../../common/file-watch.js';
import type { Logger } from '../../common/log.js';
import { loadKubeconfig, type LoadedKubeconfig } from './kubeconfig.js';
import { DEFAULT_RETRY_AFTER_SECONDS, KasRequestError, KasUnavailableError } from './types.js';

/** What the authentication modules need from the hosted kube-apiserver (a fake implements it in unit tests). */
export interface HostedKubeApi {
  tokenReview(spec: k8s.V1TokenReviewSpec): Promise<k8s.V1TokenReviewStatus>;
  subjectAccessReview(spec: k8s.V1SubjectAccessReviewSpec): Promise<k8s.V1SubjectAccessReviewStatus>;
  /** Resolves when the API server answers GET /readyz with 200; throws KasUnavailableError otherwise. */
  probe(): Promise<void>;
}

export interface HostedKubeClientOptions {
  kubeconfigFile: string;
  logger: Logger;
  /** Per-request timeout; default 5000 ms. */
  timeoutMs?: number;
  /** Poll period of the file watcher (tests use a short one). */
  watchPollMs?: number;
  onReload?: (result: 'success' | 'failure') => void;
}

interface Clients {
  loaded: LoadedKubeconfig;
  authn: k8s.AuthenticationV1Api;
  authz: k8s.AuthorizationV1Api;
}

function retryAfterHeader(headers: Record<string, string> | undefined): number | undefined {
  const v = headers?.['retry-after'];
  if (v === undefined || !/^\d+$/.test(v.trim())) return undefined;
  return Math.min(300, Math.max(1, Number(v)));
}

function statusMessage(body: unknown): string {
  const m = typeof body === 'object' && body !== null ? (body as { message?: unknown }).message : undefined;
  return typeof m === 'string' && m !== '' ? `: ${m.slice(0, 200)}` : '';
}

export class HostedKubeClient implements HostedKubeApi {
  private clients: Clients;
  private watcher: FileWatcher | undefined;
  private watched = '';
  private closed = false;
  private readonly timeoutMs: number;
  /** Successful loads so far (1 after construction); tests wait on it. */
  generation = 1;

  /** Loads the kubeconfig (throws with a clear message when it is unusable) and starts watching it. */
  constructor(private readonly opts: HostedKubeClientOptions) {
    this.timeoutMs = opts.timeoutMs ?? 5000;
    this.clients = this.build(loadKubeconfig(opts.kubeconfigFile));
    this.watch(this.clients.loaded.files);
  }

  get server(): string {
    return this.clients.loaded.server;
  }

  private build(loaded: LoadedKubeconfig): Clients {
    const timeoutMs = this.timeoutMs;
    const config = k8s.createConfiguration({
      baseServer: new k8s.ServerConfiguration(loaded.server, {}),
      authMethods: { default: loaded.kc },
      // client-node has no timeout of its own: abort each request after timeoutMs.
      promiseMiddleware: [
        {
          pre: async (ctx) => {
            ctx.setSignal(AbortSignal.timeout(timeoutMs));
            return ctx;
          },
          post: async (ctx) => ctx,
        },
      ],
    });
    return { loaded, authn: new k8s.AuthenticationV1Api(config), authz: new k8s.AuthorizationV1Api(config) };
  }

  private watch(files: string[]): void {
    const key = files.join('\n');
    if (key === this.watched) return;
    this.watcher?.close();
    this.watched = key;
    this.watcher = watchFiles(files, () => this.reload(), { pollIntervalMs: this.opts.watchPollMs });
  }

  /** Re-reads the kubeconfig and its files; on failure keeps the current ones. */
  reload(): boolean {
    if (this.closed) return false;
    const log = this.opts.logger;
    try {
      const loaded = loadKubeconfig(this.opts.kubeconfigFile);
      this.clients = this.build(loaded);
      this.generation++;
      this.watch(loaded.files);
      log.info('hosted kubeconfig reloaded', { server: loaded.server, context: loaded.context, user: loaded.user });
      this.opts.onReload?.('success');
      return true;
    } catch (err) {
      // Mid-rotation files can be briefly inconsistent; the next change event retries.
      log.error('cannot reload the hosted kubeconfig; keeping the current one', { error: errorMessage(err) });
      this.opts.onReload?.('failure');
      return false;
    }
  }

  private classify(err: unknown, what: string): Error {
    if (err instanceof k8s.ApiException) {
      const code = err.code;
      const text = `${what}: hosted kube-apiserver answered ${code}${statusMessage(err.body)}`;
      if (code === 429 || code >= 500) return new KasUnavailableError(text, retryAfterHeader(err.headers) ?? DEFAULT_RETRY_AFTER_SECONDS, code);
      return new KasRequestError(text, code);
    }
    const name = (err as { name?: string } | undefined)?.name;
    if (name === 'AbortError' || name === 'TimeoutError') return new KasUnavailableError(`${what}: no answer from the hosted kube-apiserver within ${this.timeoutMs} ms`);
    return new KasUnavailableError(`${what}: hosted kube-apiserver unreachable: ${errorMessage(err)}`);
  }

  async tokenReview(spec: k8s.V1TokenReviewSpec): Promise<k8s.V1TokenReviewStatus> {
    try {
      const r = await this.clients.authn.createTokenReview({ body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec } });
      return r.status ?? {};
    } catch (err) {
      throw this.classify(err, 'TokenReview');
    }
  }

  async subjectAccessReview(spec: k8s.V1SubjectAccessReviewSpec): Promise<k8s.V1SubjectAccessReviewStatus> {
    try {
      const r = await this.clients.authz.createSubjectAccessReview({ body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec } });
      return r.status ?? { allowed: false };
    } catch (err) {
      throw this.classify(err, 'SubjectAccessReview');
    }
  }

  async probe(): Promise<void> {
    const { kc, server } = this.clients.loaded;
    const opts: https.RequestOptions = { method: 'GET', headers: { accept: 'text/plain' } };
    await kc.applyToHTTPSOptions(opts); // CA, client cert, bearer token, and a fresh agent
    const agent = opts.agent as https.Agent | undefined;
    try {
      const status = await new Promise<number>((resolve, reject) => {
        const req = https.request(`${server}/readyz`, { ...opts, signal: AbortSignal.timeout(this.timeoutMs) }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
          res.on('error', reject);
        });
        req.on('error', reject);
        req.end();
      });
      if (status !== 200) throw new KasUnavailableError(`hosted kube-apiserver /readyz answered ${status}`, DEFAULT_RETRY_AFTER_SECONDS, status);
    } catch (err) {
      if (err instanceof KasUnavailableError) throw err;
      const name = (err as { name?: string }).name;
      if (name === 'AbortError' || name === 'TimeoutError') throw new KasUnavailableError(`hosted kube-apiserver /readyz: no answer within ${this.timeoutMs} ms`);
      throw new KasUnavailableError(`hosted kube-apiserver unreachable: ${errorMessage(err)}`);
    } finally {
      agent?.destroy();
    }
  }

  close(): void {
    this.closed = true;
    this.watcher?.close();
  }
}
