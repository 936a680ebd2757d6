/**
 * A test double of the endpoint resolver (DESIGN §3): the same HTTPS API and status codes, answering
 * from a function instead of watching pods. Client certificates are required and verified.
 */
import { once } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';

export interface ResolvedPod {
  name: string;
  ip: string;
  /** The pod's labels, as the real resolver answers them. */
  labels?: Record<string, string>;
}

export type PodLookup = (selector: Record<string, string>) => ResolvedPod[];

/** Faults for proxy tests: answer 500, or accept and never answer. */
export type ResolverFault = 'none' | 'status-500' | 'hang';

export interface StaticResolverOptions {
  /** Loopback address to bind; default 127.0.0.1. */
  ip?: string;
  /** Default 0 (any free port); the real resolver listens on 9444. */
  port?: number;
  tls: { certPem: string; keyPem: string; clientCaPem: string };
  pods: PodLookup;
}

export interface StaticResolver {
  readonly ip: string;
  readonly port: number;
  /** https://ip:port */
  readonly url: string;
  /** POST /resolve requests received, valid or not. */
  readonly calls: number;
  /** Selector of the last well-formed POST /resolve. */
  readonly lastSelector: Record<string, string> | undefined;
  /** Subject CN of the client certificate of the last request. */
  readonly lastClientCertificateCN: string | undefined;
  setPods(pods: PodLookup): void;
  setFault(fault: ResolverFault): void;
  close(): Promise<void>;
}

export const MAX_RESOLVE_BODY_BYTES = 64 * 1024;
/** Beyond this a too-large body is no longer drained politely; the connection is dropped. */
const MAX_DRAIN_BYTES = 8 * 1024 * 1024;

type SelectorResult = { selector: Record<string, string> } | { error: string };

/** Validate a /resolve body: `{"selector": {non-empty map of string → string}}`. */
export function parseResolveRequest(raw: string): SelectorResult {
  let doc: unknown;
  try {
    doc = JSON.parse(raw);
  } catch {
    return { error: 'request body is not valid JSON' };
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return { error: 'request body must be a JSON object' };
  const selector = (doc as { selector?: unknown }).selector;
  if (typeof selector !== 'object' || selector === null || Array.isArray(selector)) return { error: 'selector must be an object' };
  const entries = Object.entries(selector);
  if (entries.length === 0) return { error: 'selector must not be empty' };
  for (const [k, v] of entries) {
    if (typeof v !== 'string') return { error: `selector value for ${JSON.stringify(k)} must be a string` };
  }
  return { selector: selector as Record<string, string> };
}

class Resolver implements StaticResolver {
  readonly ip: string;
  port: number;
  calls = 0;
  lastSelector: Record<string, string> | undefined;
  lastClientCertificateCN: string | undefined;
  private fault: ResolverFault = 'none';
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();

  constructor(
    opts: StaticResolverOptions,
    private pods: PodLookup,
  ) {
    this.ip = opts.ip ?? '127.0.0.1';
    this.port = opts.port ?? 0;
    this.server = createServer(
      { cert: opts.tls.certPem, key: opts.tls.keyPem, ca: opts.tls.clientCaPem, requestCert: true, rejectUnauthorized: true },
      (req, res) => this.handle(req, res),
    );
    this.server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.once('close', () => this.sockets.delete(s));
    });
    this.server.on('tlsClientError', () => {});
  }

  get url(): string {
    return `https://${this.ip}:${this.port}`;
  }

  async listen(): Promise<void> {
    const listening = once(this.server, 'listening');
    this.server.listen({ host: this.ip, port: this.port });
    await listening;
    const addr = this.server.address();
    if (addr && typeof addr === 'object') this.port = addr.port;
  }

  setPods(pods: PodLookup): void {
    this.pods = pods;
  }

  setFault(fault: ResolverFault): void {
    this.fault = fault;
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    await closed;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const cn = (req.socket as TLSSocket).getPeerCertificate().subject?.CN;
    this.lastClientCertificateCN = typeof cn === 'string' ? cn : undefined;
    const path = (req.url ?? '/').split('?', 1)[0];
    if (path === '/healthz' || path === '/readyz') {
      req.resume();
      if (req.method !== 'GET' && req.method !== 'HEAD') return this.json(res, 405, { error: 'method not allowed' }, { Allow: 'GET, HEAD' });
      return this.send(res, 200, 'text/plain; charset=utf-8', 'ok\n');
    }
    if (path !== '/resolve') {
      req.resume();
      return this.json(res, 404, { error: `no such path: ${path}` });
    }
    if (req.method !== 'POST') {
      req.resume();
      return this.json(res, 405, { error: 'method not allowed' }, { Allow: 'POST' });
    }
    this.calls++;
    if (this.fault === 'hang') return void req.resume();
    this.readBody(req, res, (raw) => {
      if (this.fault === 'status-500') return this.json(res, 500, { error: 'simulated resolver failure' });
      if (raw === undefined) return this.json(res, 400, { error: `request body exceeds ${MAX_RESOLVE_BODY_BYTES} bytes` }, { Connection: 'close' });
      const parsed = parseResolveRequest(raw);
      if ('error' in parsed) return this.json(res, 400, { error: parsed.error });
      this.lastSelector = parsed.selector;
      let pods: ResolvedPod[];
      try {
        pods = this.pods(parsed.selector).map((p) => ({ name: p.name, ip: p.ip, ...(p.labels ? { labels: p.labels } : {}) }));
      } catch (err) {
        return this.json(res, 500, { error: err instanceof Error ? err.message : String(err) });
      }
      if (pods.length === 0) return this.json(res, 404, { error: 'no ready pods match the selector', pods: [] });
      pods.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      this.json(res, 200, { pods });
    });
  }

  /** Calls back with the body text, or undefined when it is over the limit (after draining it). */
  private readBody(req: IncomingMessage, res: ServerResponse, done: (raw: string | undefined) => void): void {
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (declared > MAX_DRAIN_BYTES) {
      // Not worth reading: answer now and close the connection.
      this.json(res, 400, { error: `request body exceeds ${MAX_RESOLVE_BODY_BYTES} bytes` }, { Connection: 'close' });
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_RESOLVE_BODY_BYTES) chunks.push(c);
      else if (size > MAX_DRAIN_BYTES) req.socket.destroy();
    });
    req.once('end', () => done(size > MAX_RESOLVE_BODY_BYTES ? undefined : Buffer.concat(chunks).toString('utf8')));
    req.once('error', () => {});
  }

  private json(res: ServerResponse, status: number, doc: unknown, headers: Record<string, string> = {}): void {
    this.send(res, status, 'application/json', `${JSON.stringify(doc)}\n`, headers);
  }

  private send(res: ServerResponse, status: number, contentType: string, text: string, headers: Record<string, string> = {}): void {
    if (res.destroyed) return;
    res.writeHead(status, { ...headers, 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  }
}

/** Start the static resolver; resolves once it listens. */
export async function startStaticResolver(opts: StaticResolverOptions): Promise<StaticResolver> {
  const r = new Resolver(opts, opts.pods);
  await r.listen();
  return r;
}
