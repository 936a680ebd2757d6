/**
 * The proxy's client of the *hosted* kube-apiserver: TokenReview, SubjectAccessReview and a health
 * probe, as plain JSON over node:https (keep-alive) — the API shapes are tiny, and a Kubernetes client
 * library would be most of the proxy's memory. The kubeconfig and every file it names are watched
 * and re-read on change (rotated tokens and certificates need no restart); a bad reload keeps the
 * last good configuration. Failures are classified: unreachable/timeout/5xx/429 →
 * KasUnavailableError, other refusals of our own request → KasRequestError.
 */
import https from 'node:https';
import { errorMessage } from '../../common/errors.js';
import { watchFiles, type FileWatcher } from '../../common/file-watch.js';
import type { Logger } from '../../common/log.js';
import { loadKubeconfig, type LoadedKubeconfig } from './kubeconfig.js';
import { DEFAULT_RETRY_AFTER_SECONDS, KasRequestError, KasUnavailableError } from './types.js';

/** authentication.k8s.io/v1 TokenReview spec and status (the fields the proxy uses). */
export interface TokenReviewSpec {
  token?: string;
  audiences?: string[];
}
export interface TokenReviewStatus {
  authenticated?: boolean;
  user?: { username?: string; uid?: string; groups?: string[]; extra?: Record<string, string[]> };
  audiences?: string[];
  error?: string;
}

/** authorization.k8s.io/v1 SubjectAccessReview spec and status (non-resource requests). */
export interface SubjectAccessReviewSpec {
  user?: string;
  uid?: string;
  groups?: string[];
  extra?: Record<string, string[]>;
  nonResourceAttributes?: { path?: string; verb?: string };
}
export interface SubjectAccessReviewStatus {
  allowed: boolean;
  denied?: boolean;
  reason?: string;
  evaluationError?: string;
}

/** What the authentication modules need from the hosted kube-apiserver (a fake implements it in unit tests). */
export interface HostedKubeApi {
  tokenReview(spec: TokenReviewSpec): Promise<TokenReviewStatus>;
  subjectAccessReview(spec: SubjectAccessReviewSpec): Promise<SubjectAccessReviewStatus>;
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

/** A review answer is a few hundred bytes; anything far larger is not one. */
const MAX_ANSWER_BYTES = 1024 * 1024;

interface Connection {
  loaded: LoadedKubeconfig;
  agent: https.Agent;
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

function retryAfterHeader(headers: Answer['headers']): number | undefined {
  const v = headers['retry-after'];
  if (typeof v !== 'string' || !/^\d+$/.test(v.trim())) return undefined;
  return Math.min(300, Math.max(1, Number(v)));
}

/** `: <message>` of a Kubernetes Status body, if there is one. */
function statusMessage(body: Buffer): string {
  try {
    const m = (JSON.parse(body.toString('utf8')) as { message?: unknown }).message;
    return typeof m === 'string' && m !== '' ? `: ${m.slice(0, 200)}` : '';
  } catch {
    return '';
  }
}

export class HostedKubeClient implements HostedKubeApi {
  private conn: Connection;
  private watcher: FileWatcher | undefined;
  private watched = '';
  private closed = false;
  private readonly timeoutMs: number;
  /** Successful loads so far (1 after construction); tests wait on it. */
  generation = 1;

  /** Loads the kubeconfig (throws with a clear message when it is unusable) and starts watching it. */
  constructor(private readonly opts: HostedKubeClientOptions) {
    this.timeoutMs = opts.timeoutMs ?? 5000;
    this.conn = this.connect(loadKubeconfig(opts.kubeconfigFile));
    this.watch(this.conn.loaded.files);
  }

  get server(): string {
    return this.conn.loaded.server;
  }

  private connect(loaded: LoadedKubeconfig): Connection {
    // One agent per credentials: connections made with the old client certificate are not reused.
    const agent = new https.Agent({ keepAlive: true, maxSockets: 64, ...loaded.tls });
    return { loaded, agent };
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
      const old = this.conn;
      this.conn = this.connect(loaded);
      // Requests still running on the old agent finish within their timeout; then its sockets go.
      setTimeout(() => old.agent.destroy(), this.timeoutMs + 1000).unref();
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

  /** One request; transport failures and timeouts become KasUnavailableError, any answer resolves. */
  private async send(method: 'GET' | 'POST', path: string, what: string, body?: unknown): Promise<Answer> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const signal = AbortSignal.timeout(this.timeoutMs);
    try {
      return await this.attempt(method, path, payload, signal).catch((err: unknown) => {
        // A kept-alive connection the server closed while idle fails on reuse: that says nothing
        // about the server, so try once more on a fresh one (reviews have no side effects).
        if ((err as { reusedSocket?: boolean }).reusedSocket && ['ECONNRESET', 'EPIPE'].includes((err as NodeJS.ErrnoException).code ?? '')) {
          return this.attempt(method, path, payload, signal);
        }
        throw err;
      });
    } catch (err) {
      const name = (err as { name?: string } | undefined)?.name;
      if (name === 'AbortError' || name === 'TimeoutError') throw new KasUnavailableError(`${what}: no answer from the hosted kube-apiserver within ${this.timeoutMs} ms`);
      throw new KasUnavailableError(`${what}: hosted kube-apiserver unreachable: ${errorMessage(err)}`);
    }
  }

  private attempt(method: string, path: string, payload: Buffer | undefined, signal: AbortSignal): Promise<Answer> {
    const { loaded, agent } = this.conn;
    const headers: Record<string, string> = {
      accept: payload ? 'application/json' : 'text/plain',
      ...(payload ? { 'content-type': 'application/json', 'content-length': String(payload.length) } : {}),
      ...(loaded.authorization ? { authorization: loaded.authorization } : {}),
    };
    return new Promise<Answer>((resolve, reject) => {
      const req = https.request(`${loaded.server}${path}`, { method, agent, headers, signal }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > MAX_ANSWER_BYTES) return void res.destroy(new Error(`answer larger than ${MAX_ANSWER_BYTES} bytes`));
          chunks.push(c);
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      });
      req.on('error', (err) => reject(Object.assign(err, { reusedSocket: req.reusedSocket })));
      req.end(payload);
    });
  }

  /** POSTs a review object and returns its status; non-2xx answers become typed errors. */
  private async review<S>(path: string, kind: string, apiVersion: string, spec: unknown): Promise<S | undefined> {
    const a = await this.send('POST', path, kind, { apiVersion, kind, spec });
    if (a.status === 429 || a.status >= 500) {
      throw new KasUnavailableError(`${kind}: hosted kube-apiserver answered ${a.status}${statusMessage(a.body)}`, retryAfterHeader(a.headers) ?? DEFAULT_RETRY_AFTER_SECONDS, a.status);
    }
    if (a.status < 200 || a.status > 299) throw new KasRequestError(`${kind}: hosted kube-apiserver answered ${a.status}${statusMessage(a.body)}`, a.status);
    let doc: unknown;
    try {
      doc = JSON.parse(a.body.toString('utf8'));
    } catch {
      throw new KasUnavailableError(`${kind}: hosted kube-apiserver answered ${a.status} with a body that is not JSON`, DEFAULT_RETRY_AFTER_SECONDS, a.status);
    }
    const status = typeof doc === 'object' && doc !== null ? (doc as { status?: unknown }).status : undefined;
    return typeof status === 'object' && status !== null ? (status as S) : undefined;
  }

  async tokenReview(spec: TokenReviewSpec): Promise<TokenReviewStatus> {
    return (await this.review<TokenReviewStatus>('/apis/authentication.k8s.io/v1/tokenreviews', 'TokenReview', 'authentication.k8s.io/v1', spec)) ?? {};
  }

  async subjectAccessReview(spec: SubjectAccessReviewSpec): Promise<SubjectAccessReviewStatus> {
    return (await this.review<SubjectAccessReviewStatus>('/apis/authorization.k8s.io/v1/subjectaccessreviews', 'SubjectAccessReview', 'authorization.k8s.io/v1', spec)) ?? { allowed: false };
  }

  async probe(): Promise<void> {
    const a = await this.send('GET', '/readyz', 'hosted kube-apiserver /readyz');
    if (a.status !== 200) throw new KasUnavailableError(`hosted kube-apiserver /readyz answered ${a.status}`, DEFAULT_RETRY_AFTER_SECONDS, a.status);
  }

  close(): void {
    this.closed = true;
    this.watcher?.close();
    this.conn.agent.destroy();
  }
}
