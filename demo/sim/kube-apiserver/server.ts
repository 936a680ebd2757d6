/**
 * A small fake kube-apiserver for the demo and the tests: HTTPS with a certificate from our own PKI, reachable through
 * a kubeconfig it writes, speaking the real API shapes and status codes (TokenReview 201, Status
 * objects for 400/401/403/404/429/500). Users and tokens, SubjectAccessReview grants, the caller's
 * accepted credentials, outages (connection refused), slowness and 5xx/429 answers are programmable;
 * every call is counted per route kind.
 *
 * It is a router: later tests register more resources (pods with list/watch, monitors) with
 * `route(method, '/api/v1/namespaces/:namespace/pods', handler, { kind: 'pods' })`; handlers get the
 * parsed request and the raw response (so a watch can stream), and use sendJson/sendStatus.
 */
import { once } from 'node:events';
import { mkdirSync, writeFileSync } from 'node:fs';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import YAML from 'yaml';
import { createCA, issueCertificate, type CertificatePair } from '../../../generator/pki/index.js';
import { CORE_TYPES, monitorTypes, ResourceStore } from './resources.js';
import { sendJson, sendStatus } from './respond.js';

export { sendJson, sendStatus };

export interface FakeUser {
  username: string;
  uid?: string;
  groups?: string[];
  extra?: Record<string, string[]>;
  /** Audiences the token is valid for; default the API server's own (`https://kubernetes.default.svc`). */
  audiences?: string[];
}

/** Who called the fake, from its bearer token or client certificate; undefined: anonymous. */
export interface FakeCaller {
  username: string;
  groups: string[];
}

export interface FakeKasRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  /** Values of `:name` segments of the route pattern. */
  params: Record<string, string>;
  headers: IncomingHttpHeaders;
  /** Parsed JSON body (undefined when empty). */
  body: unknown;
  caller: FakeCaller | undefined;
  raw: IncomingMessage;
}

export type FakeKasHandler = (req: FakeKasRequest, res: ServerResponse) => void | Promise<void>;

export interface RouteOptions {
  /** Counter name (`callCount(kind)`); default the pattern. */
  kind?: string;
  /** Anonymous callers allowed (health endpoints); default false: 403 for anonymous. */
  anonymous?: boolean;
}

export type FakeFailure = { status: 500 | 502 | 503 | 504 } | { status: 429; retryAfterSeconds?: number };

export interface FakeKubeApiserverOptions {
  /** Loopback address to bind; default 127.0.0.1. */
  host?: string;
  port?: number;
  /** The API server's audiences (TokenReview default); default ['https://kubernetes.default.svc']. */
  apiAudiences?: string[];
  /** API groups whose ServiceMonitor/PodMonitor CRDs are "installed"; [] for a cluster without them. Default monitoring.coreos.com. */
  monitorGroups?: string[];
}

interface Route extends Required<Pick<RouteOptions, 'kind' | 'anonymous'>> {
  method: string;
  segments: string[];
  handler: FakeKasHandler;
}

interface SarGrant {
  subject: string;
  path: string;
  verb: string;
}

/** An unsigned JWT-shaped token carrying the given claims (the fake needs no signature; the proxy only reads `exp`). */
export function fakeJwt(claims: Record<string, unknown>): string {
  const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${enc({ alg: 'RS256', kid: 'fake' })}.${enc(claims)}.${Buffer.from(`sig-${Math.random()}`).toString('base64url')}`;
}

const DEFAULT_AUDIENCES = ['https://kubernetes.default.svc'];

export class FakeKubeApiserver {
  readonly ca: CertificatePair;
  readonly serving: CertificatePair;
  readonly host: string;
  /** Namespaced resources (pods, services, secrets, configmaps, events, ServiceMonitors, PodMonitors) with list/watch. */
  readonly resources: ResourceStore;
  port = 0;
  /** The bearer token the kubeconfig it writes carries; accepted until acceptClientTokens() says otherwise. */
  clientToken = `fake-kas-client-${Math.random().toString(36).slice(2)}`;

  private readonly server: Server;
  private readonly routes: Route[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly tokens = new Map<string, FakeUser>();
  private readonly grants: SarGrant[] = [];
  private readonly counts = new Map<string, number>();
  private readonly apiAudiences: string[];
  private clientTokens = new Set<string>([this.clientToken]);
  private failure: FakeFailure | undefined;
  private delayMs = 0;
  private listening = false;
  private closed = false;
  /** Every request: method, path and the status answered (for failure messages). */
  readonly log: { method: string; path: string; status: number }[] = [];

  private constructor(opts: FakeKubeApiserverOptions) {
    this.host = opts.host ?? '127.0.0.1';
    this.port = opts.port ?? 0;
    this.apiAudiences = opts.apiAudiences ?? DEFAULT_AUDIENCES;
    this.ca = createCA({ commonName: 'fake-kube-apiserver CA' });
    this.serving = issueCertificate(this.ca, { commonName: 'kube-apiserver', dnsNames: ['localhost', 'kubernetes.default.svc'], ipAddresses: [this.host], usages: ['serverAuth'] });
    this.server = createServer({ cert: this.serving.certPem, key: this.serving.keyPem, ca: this.ca.certPem, requestCert: true, rejectUnauthorized: false }, (req, res) => {
      this.handle(req, res).catch(() => res.destroy());
    });
    this.server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.once('close', () => this.sockets.delete(s));
    });
    this.server.on('tlsClientError', () => {});
    this.server.on('clientError', (_e, s) => s.destroy());
    this.registerBuiltins();
    this.resources = new ResourceStore(this, [...CORE_TYPES, ...(opts.monitorGroups ?? ['monitoring.coreos.com']).flatMap((g) => monitorTypes(g))]);
  }

  static async start(opts: FakeKubeApiserverOptions = {}): Promise<FakeKubeApiserver> {
    const f = new FakeKubeApiserver(opts);
    await f.listen();
    return f;
  }

  get url(): string {
    return `https://${this.host}:${this.port}`;
  }

  // ---- programming -------------------------------------------------------------------------

  /**
   * Registers a route; `:name` segments match one path segment. Later routes win over earlier ones
   * (so a test can wrap a built-in); the returned function removes the route again.
   */
  route(method: string, pattern: string, handler: FakeKasHandler, opts: RouteOptions = {}): () => void {
    const r: Route = { method: method.toUpperCase(), segments: pattern.split('/').filter(Boolean), handler, kind: opts.kind ?? pattern, anonymous: opts.anonymous ?? false };
    this.routes.unshift(r);
    return () => {
      const i = this.routes.indexOf(r);
      if (i >= 0) this.routes.splice(i, 1);
    };
  }

  addToken(token: string, user: FakeUser): void {
    this.tokens.set(token, user);
  }

  removeToken(token: string): void {
    this.tokens.delete(token);
  }

  /** SubjectAccessReview: `subject` (a user, or `group:<name>`) may `verb` the non-resource `path` (a trailing `*` is a prefix). */
  grant(subject: string, path: string, verb = 'get'): void {
    this.grants.push({ subject, path, verb });
  }

  revokeAll(): void {
    this.grants.length = 0;
  }

  /** Bearer tokens the fake accepts from its own callers (the proxy's credentials). */
  acceptClientTokens(tokens: string[]): void {
    this.clientTokens = new Set(tokens);
  }

  /** Answer every request with this failure (a Status object), or normally again with undefined. */
  setFailure(f: FakeFailure | undefined): void {
    this.failure = f;
  }

  /** Delay every answer by `ms` (0: none). */
  setDelay(ms: number): void {
    this.delayMs = ms;
  }

  /** false: stop listening and drop every connection (callers see connection refused); true: listen again on the same port. */
  async setReachable(reachable: boolean): Promise<void> {
    if (reachable) await this.listen();
    else await this.unlisten();
  }

  callCount(kind: string): number {
    return this.counts.get(kind) ?? 0;
  }

  get tokenReviews(): number {
    return this.callCount('tokenreviews');
  }

  get subjectAccessReviews(): number {
    return this.callCount('subjectaccessreviews');
  }

  resetCounts(): void {
    this.counts.clear();
    this.log.length = 0;
  }

  /**
   * Writes a kubeconfig for this server into `dir` (with the CA as a file next to it) and returns its
   * path. The user authenticates with `token` (default clientToken), inline or via a token file.
   */
  writeKubeconfig(dir: string, opts: { token?: string; tokenFile?: boolean; name?: string } = {}): { kubeconfig: string; caFile: string; tokenFile?: string } {
    mkdirSync(dir, { recursive: true });
    const name = opts.name ?? 'kubeconfig';
    const caFile = join(dir, `${name}-ca.crt`);
    writeFileSync(caFile, this.ca.certPem);
    const token = opts.token ?? this.clientToken;
    let tokenFile: string | undefined;
    if (opts.tokenFile) {
      tokenFile = join(dir, `${name}-token`);
      writeFileSync(tokenFile, token + '\n', { mode: 0o600 });
    }
    const kubeconfig = join(dir, name);
    const doc = {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'hosted', cluster: { server: this.url, 'certificate-authority': caFile } }],
      users: [{ name: 'metrics-proxy', user: tokenFile ? { tokenFile } : { token } }],
      contexts: [{ name: 'hosted', context: { cluster: 'hosted', user: 'metrics-proxy' } }],
      'current-context': 'hosted',
    };
    writeFileSync(kubeconfig, YAML.stringify(doc), { mode: 0o600 });
    return { kubeconfig, caFile, ...(tokenFile ? { tokenFile } : {}) };
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.unlisten();
  }

  // ---- serving ------------------------------------------------------------------------------

  private async listen(): Promise<void> {
    if (this.listening || this.closed) return;
    const listening = once(this.server, 'listening');
    this.server.listen({ host: this.host, port: this.port });
    await listening;
    const addr = this.server.address();
    if (addr && typeof addr === 'object') this.port = addr.port;
    this.listening = true;
  }

  private async unlisten(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    if (!this.listening) return;
    this.listening = false;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    await closed;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.timers.delete(t);
        resolve();
      }, ms);
      this.timers.add(t);
    });
  }

  private callerOf(req: IncomingMessage): FakeCaller | undefined | 'invalid' {
    const auth = req.headers.authorization;
    if (auth !== undefined) {
      const m = /^Bearer (\S+)$/.exec(auth);
      if (!m || !this.clientTokens.has(m[1]!)) return 'invalid';
      return { username: 'system:serviceaccount:hypershift:metrics-proxy', groups: ['system:authenticated'] };
    }
    const sock = req.socket as TLSSocket;
    const peer = sock.getPeerCertificate?.();
    if (peer && Object.keys(peer).length > 0) {
      if (!sock.authorized) return 'invalid';
      const o = peer.subject?.O;
      return { username: String(peer.subject?.CN ?? ''), groups: [...(o === undefined ? [] : Array.isArray(o) ? o : [o]), 'system:authenticated'] };
    }
    return undefined;
  }

  private match(method: string, path: string): { route: Route; params: Record<string, string> } | 'method' | undefined {
    const segs = path.split('/').filter(Boolean);
    let methodMismatch = false;
    for (const r of this.routes) {
      if (r.segments.length !== segs.length) continue;
      const params: Record<string, string> = {};
      const ok = r.segments.every((s, i) => {
        if (s.startsWith(':')) {
          params[s.slice(1)] = decodeURIComponent(segs[i]!);
          return true;
        }
        return s === segs[i];
      });
      if (!ok) continue;
      if (r.method !== method) {
        methodMismatch = true;
        continue;
      }
      return { route: r, params };
    }
    return methodMismatch ? 'method' : undefined;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://fake');
    const method = (req.method ?? 'GET').toUpperCase();
    res.on('finish', () => this.log.push({ method, path: url.pathname, status: res.statusCode }));
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const m = this.match(method, url.pathname);
    if (m && m !== 'method') this.counts.set(m.route.kind, this.callCount(m.route.kind) + 1);
    if (this.delayMs > 0) await this.sleep(this.delayMs);
    if (res.destroyed) return;
    if (this.failure) {
      const f = this.failure;
      const headers: Record<string, string> = f.status === 429 ? { 'Retry-After': String(f.retryAfterSeconds ?? 1) } : {};
      return sendStatus(res, f.status, f.status === 429 ? 'Too many requests, please try again later.' : 'Internal error occurred: simulated failure', headers);
    }
    const caller = this.callerOf(req);
    if (caller === 'invalid') return sendStatus(res, 401, 'Unauthorized');
    if (m === undefined) return sendStatus(res, 404, 'the server could not find the requested resource');
    if (m === 'method') return sendStatus(res, 405, `the server does not allow this method on the requested resource`);
    if (!caller && !m.route.anonymous) return sendStatus(res, 403, `forbidden: User "system:anonymous" cannot ${method.toLowerCase()} path "${url.pathname}"`);
    let body: unknown;
    if (chunks.length > 0) {
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        return sendStatus(res, 400, 'the body of the request was in an unknown format');
      }
    }
    try {
      await m.route.handler({ method, path: url.pathname, query: url.searchParams, params: m.params, headers: req.headers, body, caller, raw: req }, res);
    } catch (err) {
      sendStatus(res, 500, `handler failed: ${String(err)}`);
    }
  }

  // ---- built-in resources -------------------------------------------------------------------

  private registerBuiltins(): void {
    for (const p of ['/readyz', '/livez', '/healthz']) {
      this.route('GET', p, (_req, res) => {
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        res.end('ok');
      }, { kind: p.slice(1), anonymous: true });
    }
    this.route('GET', '/version', (_req, res) => sendJson(res, 200, { major: '1', minor: '31', gitVersion: 'v1.31.0-fake' }), { kind: 'version', anonymous: true });
    this.route('POST', '/apis/authentication.k8s.io/v1/tokenreviews', (req, res) => this.tokenReview(req, res), { kind: 'tokenreviews' });
    this.route('POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', (req, res) => this.subjectAccessReview(req, res), { kind: 'subjectaccessreviews' });
  }

  private tokenReview(req: FakeKasRequest, res: ServerResponse): void {
    const body = req.body as { kind?: string; apiVersion?: string; spec?: { token?: string; audiences?: string[] } } | undefined;
    if (!body || (body.kind !== undefined && body.kind !== 'TokenReview')) return sendStatus(res, 400, 'expected a TokenReview');
    const spec = body.spec ?? {};
    if (!spec.token) return sendStatus(res, 400, 'token is required for TokenReview in authentication');
    const wanted = spec.audiences && spec.audiences.length > 0 ? spec.audiences : this.apiAudiences;
    const user = this.tokens.get(spec.token);
    let status: Record<string, unknown>;
    if (!user) {
      status = { user: {}, error: '[invalid bearer token, token lookup failed]' };
    } else {
      const valid = user.audiences ?? this.apiAudiences;
      const audiences = wanted.filter((a) => valid.includes(a));
      status =
        audiences.length === 0
          ? { user: {}, error: `[invalid bearer token, token audiences ${JSON.stringify(valid)} is invalid for the target audiences ${JSON.stringify(wanted)}]` }
          : {
              authenticated: true,
              user: { username: user.username, ...(user.uid ? { uid: user.uid } : {}), groups: [...(user.groups ?? []), 'system:authenticated'], ...(user.extra ? { extra: user.extra } : {}) },
              audiences,
            };
    }
    sendJson(res, 201, { kind: 'TokenReview', apiVersion: 'authentication.k8s.io/v1', metadata: { creationTimestamp: null }, spec, status });
  }

  private subjectAccessReview(req: FakeKasRequest, res: ServerResponse): void {
    const body = req.body as { kind?: string; spec?: { user?: string; groups?: string[]; nonResourceAttributes?: { path?: string; verb?: string }; resourceAttributes?: unknown } } | undefined;
    if (!body || (body.kind !== undefined && body.kind !== 'SubjectAccessReview')) return sendStatus(res, 400, 'expected a SubjectAccessReview');
    const spec = body.spec ?? {};
    if (!spec.user && (spec.groups ?? []).length === 0) return sendStatus(res, 400, 'SubjectAccessReview.authorization.k8s.io "" is invalid: spec.user: Invalid value: "": at least one of user or group must be specified');
    if (!spec.nonResourceAttributes === !spec.resourceAttributes) return sendStatus(res, 400, 'exactly one of nonResourceAttributes or resourceAttributes must be specified');
    const nr = spec.nonResourceAttributes;
    const subjects = new Set([spec.user ?? '', ...(spec.groups ?? []).map((g) => `group:${g}`)]);
    const grant = nr
      ? this.grants.find((g) => subjects.has(g.subject) && (g.verb === '*' || g.verb === nr.verb) && (g.path.endsWith('*') ? (nr.path ?? '').startsWith(g.path.slice(0, -1)) : g.path === nr.path))
      : undefined;
    const status = grant ? { allowed: true, reason: `RBAC: allowed by fake grant to "${grant.subject}"` } : { allowed: false };
    sendJson(res, 201, { kind: 'SubjectAccessReview', apiVersion: 'authorization.k8s.io/v1', metadata: { creationTimestamp: null }, spec, status });
  }
}
