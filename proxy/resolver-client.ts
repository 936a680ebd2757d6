/**
 * Client of the endpoint resolver (DESIGN §3): HTTPS with the proxy's client certificate, a short
 * cache per selector so a burst of scrapes costs one call, one shared call per selector in flight,
 * and stale-while-error: when the resolver is unreachable the last answer is used for a grace
 * period, after which callers get ResolverUnavailableError (the server turns it into 503).
 */
import { readFileSync, statSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { errorMessage } from '../common/errors.js';
import type { EndpointResolverConfig } from './config/types.js';
import type { PodTarget } from './scrape/pod-scrape.js';
import { selectorKey, type PodSelector, type SelectorRequirement } from '../common/label-selector.js';

export class ResolverUnavailableError extends Error {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
    this.name = 'ResolverUnavailableError';
  }
}

export interface ResolverClientOptions {
  cacheTtlMs?: number;
  staleGraceMs?: number;
  timeoutMs?: number;
  now?: () => number;
  /** Called on every failed call, for metrics. */
  onError?: (reason: string) => void;
}

interface Entry {
  pods: PodTarget[];
  fetchedAt: number;
}

const MAX_ANSWER_BYTES = 4 * 1024 * 1024;

export class ResolverClient {
  private readonly cache = new Map<string, Entry>();
  private readonly inflight = new Map<string, Promise<PodTarget[]>>();
  private agent: http.Agent | undefined;
  private agentStamp = '';
  private readonly cacheTtlMs: number;
  private readonly staleGraceMs: number;
  private readonly timeoutMs: number;
  private readonly now: () => number;

  constructor(
    readonly config: EndpointResolverConfig,
    private readonly opts: ResolverClientOptions = {},
  ) {
    this.cacheTtlMs = opts.cacheTtlMs ?? 5000;
    this.staleGraceMs = opts.staleGraceMs ?? 60_000;
    this.timeoutMs = opts.timeoutMs ?? 5000;
    this.now = opts.now ?? Date.now;
  }

  /** Pods matching the labels (and the expressions, when a component has them). */
  async resolve(matchLabels: Record<string, string>, matchExpressions: readonly SelectorRequirement[] = []): Promise<PodTarget[]> {
    const selector: PodSelector = { matchLabels, matchExpressions: [...matchExpressions] };
    const key = selectorKey(selector);
    const hit = this.cache.get(key);
    const t = this.now();
    if (hit && t - hit.fetchedAt < this.cacheTtlMs) return hit.pods;
    let call = this.inflight.get(key);
    if (!call) {
      call = this.call(selector).finally(() => this.inflight.delete(key));
      this.inflight.set(key, call);
    }
    try {
      const pods = await call;
      this.cache.set(key, { pods, fetchedAt: this.now() });
      return pods;
    } catch (err) {
      const last = this.cache.get(key);
      if (last && this.now() - last.fetchedAt < this.staleGraceMs) return last.pods;
      throw new ResolverUnavailableError(`endpoint resolver unavailable: ${errorMessage(err)}`, 5);
    }
  }

  close(): void {
    this.agent?.destroy();
  }

  private agentFor(url: URL): http.Agent {
    const c = this.config;
    const stamp = [c.caFile, c.certFile, c.keyFile]
      .map((f) => {
        if (!f) return '-';
        try {
          const st = statSync(f);
          return `${st.ino}:${st.mtimeMs}`;
        } catch {
          return 'missing';
        }
      })
      .join('|');
    if (this.agent && stamp === this.agentStamp) return this.agent;
    this.agent?.destroy();
    this.agentStamp = stamp;
    this.agent =
      url.protocol === 'https:'
        ? new https.Agent({
            keepAlive: true,
            maxSockets: 8,
            ca: c.caFile ? readFileSync(c.caFile) : undefined,
            cert: c.certFile ? readFileSync(c.certFile) : undefined,
            key: c.keyFile ? readFileSync(c.keyFile) : undefined,
          })
        : new http.Agent({ keepAlive: true, maxSockets: 8 });
    return this.agent;
  }

  private call(selector: PodSelector): Promise<PodTarget[]> {
    const url = new URL('/resolve', this.config.url);
    // HyperShift's resolver understands the plain map; the LabelSelector form only when it is needed.
    const payload = JSON.stringify({ selector: selector.matchExpressions.length === 0 ? selector.matchLabels : selector });
    return new Promise<PodTarget[]>((resolve, reject) => {
      let agent: http.Agent;
      try {
        agent = this.agentFor(url);
      } catch (err) {
        this.opts.onError?.('tls_files');
        reject(new Error(`cannot load resolver TLS files: ${errorMessage(err)}`));
        return;
      }
      const fail = (reason: string, err: Error) => {
        this.opts.onError?.(reason);
        reject(err);
      };
      const req = (url.protocol === 'https:' ? https : http).request(url, {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
        timeout: this.timeoutMs,
      });
      req.on('timeout', () => req.destroy(new Error(`no answer within ${this.timeoutMs} ms`)));
      req.on('error', (err) => fail('unreachable', err));
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (b: Buffer) => {
          size += b.length;
          if (size > MAX_ANSWER_BYTES) req.destroy(new Error('answer too large'));
          else chunks.push(b);
        });
        res.on('error', (err) => fail('unreachable', err));
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          if (res.statusCode === 404) return resolve([]); // no ready pods: zero targets
          if (res.statusCode !== 200) return fail(`http_${res.statusCode}`, new Error(`HTTP ${res.statusCode}: ${body.slice(0, 200)}`));
          try {
            resolve(parsePods(body));
          } catch (err) {
            fail('bad_answer', err as Error);
          }
        });
      });
      req.end(payload);
    });
  }
}

function parsePods(body: string): PodTarget[] {
  const doc = JSON.parse(body) as unknown;
  const pods = (doc as { pods?: unknown }).pods;
  if (!Array.isArray(pods)) throw new Error('answer has no "pods" list');
  return pods.map((p: unknown, i) => {
    const { name, ip, labels } = (p ?? {}) as { name?: unknown; ip?: unknown; labels?: unknown };
    if (typeof name !== 'string' || typeof ip !== 'string' || name === '' || ip === '') throw new Error(`pods[${i}] needs a name and an ip`);
    // Labels are optional: HyperShift's resolver answers name and ip only.
    if (labels === undefined || labels === null) return { name, ip };
    if (typeof labels !== 'object' || Array.isArray(labels) || !Object.values(labels).every((v) => typeof v === 'string')) {
      throw new Error(`pods[${i}].labels must map label names to strings`);
    }
    return { name, ip, labels: labels as Record<string, string> };
  });
}
