/**
 * One simulated control-plane pod: an HTTP(S) server on its own loopback IP serving a pre-rendered
 * exposition, with fault behaviours that tests switch at run time.
 */
import { once } from 'node:events';
import type { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { promisify } from 'node:util';
import { gzip as gzipCb } from 'node:zlib';
import { contentTypeFor, type ExpositionFormat } from './exposition/format.js';
import { DEFAULT_BOMB_INFLATED_BYTES, garbageBody, gzipBomb, oversizedBody, withInvalidUtf8 } from './faults.js';

const gzip = promisify(gzipCb);

export type Body = string | Buffer;
/** A body, or a function rendering one lazily: called once, on first use, until the next setBody(). */
export type BodySource = Body | (() => Body);

export type PodBehaviour =
  | { kind: 'ok' }
  /** Wait `delayMs`, then answer normally. */
  | { kind: 'slow'; delayMs: number }
  /** Accept the request and never answer (until close()). */
  | { kind: 'hang' }
  /** Send headers (with the full Content-Length) and `afterBytes` of the body (default half), then destroy the socket. */
  | { kind: 'close-mid-body'; afterBytes?: number }
  | { kind: 'status-500' }
  /** 200 with an exposition Content-Type and a body that is not an exposition. */
  | { kind: 'garbage' }
  /** A small gzip body (always Content-Encoding: gzip) inflating to `inflatedBytes` (default 1 GiB) of line feeds. */
  | { kind: 'gzip-bomb'; inflatedBytes?: number }
  /** A valid, uncompressed exposition of more than `bytes` bytes, streamed; chunked unless `contentLength`. */
  | { kind: 'oversized'; bytes: number; contentLength?: boolean }
  /** The normal body plus a family whose label value contains bytes 0xff 0xfe. */
  | { kind: 'invalid-utf8' }
  /** Close the listener (connections are refused) and drop open connections. */
  | { kind: 'refuse' };

export type PodBehaviourKind = PodBehaviour['kind'];

/** Defaults used when a behaviour is given by name only. */
export const DEFAULT_SLOW_DELAY_MS = 2000;
export const DEFAULT_OVERSIZED_BYTES = 64 * 1024 * 1024;

export function toBehaviour(b: PodBehaviour | PodBehaviourKind): PodBehaviour {
  if (typeof b !== 'string') return b;
  switch (b) {
    case 'slow':
      return { kind: 'slow', delayMs: DEFAULT_SLOW_DELAY_MS };
    case 'oversized':
      return { kind: 'oversized', bytes: DEFAULT_OVERSIZED_BYTES };
    default:
      return { kind: b } as PodBehaviour;
  }
}

export interface PodTls {
  certPem: string;
  keyPem: string;
  /** When set, a client certificate signed by this CA is required. */
  clientCaPem?: string;
}

export interface SimulatedPodOptions {
  name: string;
  /** Loopback address to bind (127.0.0.0/8). */
  ip: string;
  /** 0 picks a free port; `pod.port` reports it. */
  port: number;
  /** Default /metrics. */
  path?: string;
  body: BodySource;
  /** Sets the Content-Type (default text 0.0.4). */
  format?: ExpositionFormat;
  /** Overrides the Content-Type derived from `format`. */
  contentType?: string;
  tls?: PodTls;
  behaviour?: PodBehaviour | PodBehaviourKind;
  /** Compress the body in the background right away rather than on the first gzip request. */
  precompress?: boolean;
  /** false: answer uncompressed even when gzip is accepted, like a server without compression (default true). */
  gzip?: boolean;
}

export interface SimulatedPod {
  readonly name: string;
  readonly ip: string;
  readonly port: number;
  readonly scheme: 'http' | 'https';
  readonly path: string;
  /** scheme://ip:port/path */
  readonly url: string;
  /** Requests received (any path), including ones that hung or failed. */
  readonly requests: number;
  readonly lastRequestHeaders: IncomingHttpHeaders | undefined;
  /** Subject CN of the client certificate of the last request (mTLS pods). */
  readonly lastClientCertificateCN: string | undefined;
  readonly behaviour: PodBehaviour;
  /** The current body as served uncompressed (for comparing what a proxy returns). */
  readonly body: Buffer;
  /** Render and gzip the current body now, so the first scrape does not pay for it (benchmarks). */
  warm(): Promise<void>;
  /** Resolves once the behaviour is in effect (`refuse` and leaving it (re)bind the listener). */
  setBehaviour(b: PodBehaviour | PodBehaviourKind): Promise<void>;
  setBody(body: BodySource, format?: ExpositionFormat): void;
  /** Stops listening and destroys every open socket, hung requests included. */
  close(): Promise<void>;
}

interface Rendered {
  buf: Buffer;
  gz?: Promise<Buffer>;
  invalidUtf8?: Buffer;
}

/** True if the Accept-Encoding header allows gzip (q=0 excluded). */
export function acceptsGzip(header: string | undefined): boolean {
  if (!header) return false;
  for (const part of header.split(',')) {
    const [coding, ...params] = part.split(';');
    const c = coding!.trim().toLowerCase();
    if (c !== 'gzip' && c !== 'x-gzip' && c !== '*') continue;
    const q = params.map((p) => p.trim().toLowerCase()).find((p) => p.startsWith('q='));
    if (q !== undefined && Number(q.slice(2)) === 0) continue;
    return true;
  }
  return false;
}

class Pod implements SimulatedPod {
  readonly name: string;
  readonly ip: string;
  readonly scheme: 'http' | 'https';
  readonly path: string;
  port: number;
  requests = 0;
  lastRequestHeaders: IncomingHttpHeaders | undefined;
  lastClientCertificateCN: string | undefined;
  behaviour: PodBehaviour;

  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private source: BodySource;
  private contentType: string;
  private rendered: Rendered | undefined;
  private listening = false;
  private closed = false;

  constructor(private readonly opts: SimulatedPodOptions) {
    this.name = opts.name;
    this.ip = opts.ip;
    this.port = opts.port;
    this.path = opts.path ?? '/metrics';
    this.scheme = opts.tls ? 'https' : 'http';
    this.source = opts.body;
    this.contentType = opts.contentType ?? contentTypeFor(opts.format ?? 'text');
    this.behaviour = toBehaviour(opts.behaviour ?? 'ok');
    const handler = (req: IncomingMessage, res: ServerResponse): void => this.handle(req, res);
    this.server = opts.tls
      ? createHttpsServer(
          {
            cert: opts.tls.certPem,
            key: opts.tls.keyPem,
            ...(opts.tls.clientCaPem ? { ca: opts.tls.clientCaPem, requestCert: true, rejectUnauthorized: true } : {}),
          },
          handler,
        )
      : createHttpServer(handler);
    // 'connection' carries the raw TCP socket for HTTP and HTTPS alike; destroying it ends the TLS layer too.
    this.server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.once('close', () => this.sockets.delete(s));
    });
    // Failed handshakes (e.g. no client certificate) are the test's business, not a crash.
    this.server.on('tlsClientError', () => {});
    this.server.on('clientError', (_err, socket) => socket.destroy());
    if (opts.precompress) void this.gzipped(this.render()).catch(() => {});
  }

  get url(): string {
    return `${this.scheme}://${this.ip}:${this.port}${this.path}`;
  }

  get body(): Buffer {
    return this.render().buf;
  }

  async warm(): Promise<void> {
    await this.gzipped(this.render());
  }

  async listen(): Promise<void> {
    if (this.listening || this.closed) return;
    const listening = once(this.server, 'listening'); // rejects on 'error' (e.g. EADDRINUSE)
    this.server.listen({ host: this.ip, port: this.port });
    await listening;
    const addr = this.server.address();
    if (addr && typeof addr === 'object') this.port = addr.port;
    this.listening = true;
  }

  private async unlisten(): Promise<void> {
    if (!this.listening) return;
    this.listening = false;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.dropConnections();
    await closed;
  }

  private dropConnections(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }

  async setBehaviour(b: PodBehaviour | PodBehaviourKind): Promise<void> {
    this.behaviour = toBehaviour(b);
    if (this.behaviour.kind === 'refuse') await this.unlisten();
    else await this.listen();
  }

  setBody(body: BodySource, format?: ExpositionFormat): void {
    this.source = body;
    this.rendered = undefined;
    if (format) this.contentType = contentTypeFor(format);
    if (this.opts.precompress) void this.gzipped(this.render()).catch(() => {});
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.unlisten();
    this.dropConnections();
  }

  private render(): Rendered {
    if (this.rendered) return this.rendered;
    const body = typeof this.source === 'function' ? this.source() : this.source;
    this.rendered = { buf: typeof body === 'string' ? Buffer.from(body, 'utf8') : body };
    return this.rendered;
  }

  private gzipped(r: Rendered): Promise<Buffer> {
    r.gz ??= gzip(r.buf);
    return r.gz;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    this.requests++;
    this.lastRequestHeaders = req.headers;
    const peer = (req.socket as TLSSocket).getPeerCertificate?.();
    this.lastClientCertificateCN = peer && typeof peer.subject?.CN === 'string' ? peer.subject.CN : undefined;
    req.resume();

    const pathname = (req.url ?? '/').split('?', 1)[0];
    if (pathname !== this.path) return this.plain(res, 404, 'not found\n');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return this.plain(res, 405, 'method not allowed\n');
    }

    const b = this.behaviour;
    switch (b.kind) {
      case 'ok':
        return this.serve(req, res);
      case 'slow': {
        const t = setTimeout(() => {
          this.timers.delete(t);
          this.serve(req, res);
        }, b.delayMs);
        this.timers.add(t);
        res.once('close', () => {
          clearTimeout(t);
          this.timers.delete(t);
        });
        return;
      }
      case 'hang':
        return; // the socket stays open until the client gives up or close() destroys it
      case 'close-mid-body':
        return this.closeMidBody(req, res, b.afterBytes);
      case 'status-500':
        return this.plain(res, 500, 'Internal Server Error\n');
      case 'garbage':
        res.writeHead(200, { 'Content-Type': this.contentType, 'Content-Length': GARBAGE.length });
        res.end(GARBAGE);
        return;
      case 'gzip-bomb':
        gzipBomb(b.inflatedBytes ?? DEFAULT_BOMB_INFLATED_BYTES).then(
          (bomb) => {
            if (res.destroyed) return;
            res.writeHead(200, { 'Content-Type': this.contentType, 'Content-Encoding': 'gzip', 'Content-Length': bomb.length });
            res.end(bomb);
          },
          (err: unknown) => this.plain(res, 500, `${String(err)}\n`),
        );
        return;
      case 'oversized': {
        const body = oversizedBody(b.bytes);
        res.writeHead(200, { 'Content-Type': this.contentType, ...(b.contentLength ? { 'Content-Length': body.length } : {}) });
        if (req.method === 'HEAD') return void res.end();
        const stream = body.stream();
        stream.pipe(res);
        res.once('close', () => stream.destroy());
        return;
      }
      case 'invalid-utf8': {
        const r = this.render();
        r.invalidUtf8 ??= withInvalidUtf8(r.buf);
        res.writeHead(200, { 'Content-Type': this.contentType, 'Content-Length': r.invalidUtf8.length });
        res.end(r.invalidUtf8);
        return;
      }
      case 'refuse':
        // A keep-alive connection from before the switch: behave like a dead pod.
        req.socket.destroy();
        return;
    }
  }

  private plain(res: ServerResponse, status: number, text: string): void {
    if (res.destroyed) return;
    res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  }

  /** The body in the representation the request asked for, with its headers. */
  private async representation(req: IncomingMessage): Promise<{ data: Buffer; headers: Record<string, string | number> }> {
    const r = this.render();
    const headers: Record<string, string | number> = { 'Content-Type': this.contentType, Vary: 'Accept-Encoding' };
    if (this.opts.gzip !== false && acceptsGzip(req.headers['accept-encoding'])) {
      const gz = await this.gzipped(r);
      return { data: gz, headers: { ...headers, 'Content-Encoding': 'gzip', 'Content-Length': gz.length } };
    }
    return { data: r.buf, headers: { ...headers, 'Content-Length': r.buf.length } };
  }

  private serve(req: IncomingMessage, res: ServerResponse): void {
    this.representation(req).then(
      ({ data, headers }) => {
        if (res.destroyed) return;
        res.writeHead(200, headers);
        res.end(req.method === 'HEAD' ? undefined : data);
      },
      (err: unknown) => this.plain(res, 500, `${String(err)}\n`),
    );
  }

  private closeMidBody(req: IncomingMessage, res: ServerResponse, afterBytes: number | undefined): void {
    this.representation(req).then(
      ({ data, headers }) => {
        if (res.destroyed) return;
        const cut = Math.max(0, Math.min(data.length - 1, afterBytes ?? Math.floor(data.length / 2)));
        res.writeHead(200, headers);
        res.flushHeaders();
        // Destroy only once the partial body has reached the socket, so the client sees it and then the abort.
        res.write(data.subarray(0, cut), () => res.socket?.destroy());
      },
      (err: unknown) => this.plain(res, 500, `${String(err)}\n`),
    );
  }
}

const GARBAGE = garbageBody();

/** Start a simulated pod; resolves once it listens (unless started with the `refuse` behaviour). */
export async function startSimulatedPod(opts: SimulatedPodOptions): Promise<SimulatedPod> {
  const pod = new Pod(opts);
  if (pod.behaviour.kind !== 'refuse') await pod.listen();
  return pod;
}
