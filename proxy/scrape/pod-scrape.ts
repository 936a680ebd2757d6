/**
 * Scrape one pod: stream the body (gunzipping as it comes) into the exposition parser chunk by
 * chunk. Any failure—connect, TLS, status, timeout, cap, parse—ends in a
 * typed failure for that pod only; nothing here throws.
 */
import http from 'node:http';
import https from 'node:https';
import zlib from 'node:zlib';
import { errorMessage } from '../../common/errors.js';
import { PodExpositionParser, type SampleTransform, type Shipment } from '../exposition/parser.js';
import { ExpositionParseError, type ExpositionFormat, type PodExposition } from '../exposition/types.js';

export type ScrapeFailureReason =
  | 'timeout'
  | 'connect'
  | 'tls'
  | 'http_status'
  | 'body_too_large'
  | 'aborted'
  | 'decompress'
  | 'content_type'
  | 'parse_error'
  | 'invalid_utf8'
  | 'type_conflict'
  | 'config'
  | 'internal'
  /** Never started: no connection or worker was free before the scrape's deadline (the proxy's queue, not the pod). */
  | 'queued';

export interface PodTarget {
  name: string;
  ip: string;
  /** The pod's labels, when the resolver answers them (podTargetLabels and pod-label discovery). */
  labels?: Readonly<Record<string, string>>;
}

export interface PodScrapeOptions {
  pod: PodTarget;
  scheme: 'http' | 'https';
  port: number;
  path: string;
  agent: http.Agent;
  servername?: string;
  timeoutMs: number;
  maxBodyBytes: number;
  /** Accept header sent to the pod. */
  accept: string;
  /** Sent to the pod as X-Prometheus-Scrape-Timeout-Seconds, as Prometheus does. */
  timeoutHeaderSeconds: number;
  transform: SampleTransform;
  /**
   * Wall-clock time (ms since the epoch) by which the request must have a connection; waiting for a
   * pooled connection is the proxy's queue, so the pod's own `timeoutMs` starts only once it has one.
   */
  startBy?: number;
  /** Receives the body while it arrives; without it the whole exposition comes with the result. */
  sink?: PodScrapeSink;
  /** Gives up on the pod (the caller went away). */
  signal?: AbortSignal;
  /** Lets the caller stop reading the pod for a while. */
  gate?: ReadGate;
}

/**
 * Lets whoever merges a pod's answer stop reading it while the answer cannot take more (its other
 * pods lag, or its caller reads slowly), so a scrape holds bounded memory. Time the proxy deliberately
 * does not read a pod is not the pod's: its timeout and scrape duration are suspended meanwhile.
 */
export class ReadGate {
  private handler: ((paused: boolean) => void) | undefined;
  private closed = false;

  get paused(): boolean {
    return this.closed;
  }

  /** The reader of the pod: told at once if the gate is already closed. */
  bind(handler: (paused: boolean) => void): void {
    this.handler = handler;
    if (this.closed) handler(true);
  }

  set(paused: boolean): void {
    if (paused === this.closed) return;
    this.closed = paused;
    this.handler?.(paused);
  }
}

/** Where a streaming scrape delivers the pod's answer as it arrives. */
export interface PodScrapeSink {
  /** The pod answered 200 in this format; shipments follow. */
  head(format: ExpositionFormat): void;
  ship(shipment: Shipment): void;
}

/** A paused pod's parsed bytes are shipped after this long without new data. */
const IDLE_SHIP_MS = 20;

export interface PodScrapeResult {
  pod: PodTarget;
  ok: boolean;
  exposition?: PodExposition;
  failure?: { reason: ScrapeFailureReason; message: string };
  durationSeconds: number;
  /** Bytes as received (compressed if gzip). */
  wireBytes: number;
  /** Bytes after decompression. */
  bodyBytes: number;
  /** Thread time spent parsing the body (what a scrape of this pod costs the proxy's CPU, roughly). */
  parseSeconds?: number;
}

class ScrapeFailure extends Error {
  constructor(
    readonly reason: ScrapeFailureReason,
    message: string,
  ) {
    super(message);
  }
}

const TLS_CODES = /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY|HOSTNAME|ERR_TLS|EPROTO/;

function classifyRequestError(err: NodeJS.ErrnoException): ScrapeFailure {
  const code = err.code ?? '';
  if (TLS_CODES.test(code) || TLS_CODES.test(err.message)) return new ScrapeFailure('tls', `TLS: ${err.message}`);
  if (code === 'ECONNRESET' || code === 'EPIPE') return new ScrapeFailure('aborted', `connection closed: ${err.message}`);
  return new ScrapeFailure('connect', err.message);
}

function formatOf(contentType: string | undefined): ExpositionFormat | undefined {
  const ct = (contentType ?? '').toLowerCase();
  if (ct.startsWith('application/openmetrics-text')) return 'openmetrics';
  // Prometheus falls back to the text format for a missing or plain content type.
  if (ct === '' || ct.startsWith('text/plain')) return 'text';
  return undefined;
}

export function scrapePod(opts: PodScrapeOptions): Promise<PodScrapeResult> {
  const started = process.hrtime.bigint();
  let wireBytes = 0;
  let bodyBytes = 0;
  let parseNs = 0n;
  return new Promise<PodScrapeResult>((resolve) => {
    let settled = false;
    let req: http.ClientRequest | undefined;
    let res: http.IncomingMessage | undefined;
    let inflater: zlib.Gunzip | undefined;
    let connectedAt: bigint | undefined;
    let timer: NodeJS.Timeout | undefined;
    let idle: NodeJS.Timeout | undefined;
    let body: NodeJS.ReadableStream | undefined;
    // Time the proxy held the pod back (ReadGate): not the pod's.
    let pausedNs = 0n;
    let pausedAt: bigint | undefined;
    // The pod's time: from when it had a connection (a pooled wait is not the pod's doing), less pauses.
    const elapsedNs = () => process.hrtime.bigint() - (connectedAt ?? started) - pausedNs - (pausedAt !== undefined ? process.hrtime.bigint() - pausedAt : 0n);
    const elapsed = () => Number(elapsedNs()) / 1e9;
    const onAbort = () => finish(undefined, new ScrapeFailure('aborted', 'scrape cancelled by the proxy'));
    const finish = (exposition?: PodExposition, failure?: ScrapeFailure) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(queueTimer);
      clearTimeout(idle);
      opts.signal?.removeEventListener('abort', onAbort);
      if (failure) {
        inflater?.destroy();
        res?.destroy();
        req?.destroy();
      }
      resolve({
        pod: opts.pod,
        ok: failure === undefined,
        exposition,
        failure: failure ? { reason: failure.reason, message: failure.message } : undefined,
        durationSeconds: elapsed(),
        wireBytes,
        bodyBytes,
        parseSeconds: Number(parseNs) / 1e9,
      });
    };
    const onTimeout = () => finish(undefined, new ScrapeFailure('timeout', `no complete answer within ${opts.timeoutMs} ms`));
    const startTimer = () => {
      if (connectedAt !== undefined) return;
      connectedAt = process.hrtime.bigint();
      clearTimeout(queueTimer);
      timer = setTimeout(onTimeout, opts.timeoutMs);
    };
    opts.gate?.bind((paused) => {
      if (settled || connectedAt === undefined) return;
      if (paused && pausedAt === undefined) {
        pausedAt = process.hrtime.bigint();
        clearTimeout(timer);
        clearTimeout(idle);
        body?.pause();
      } else if (!paused && pausedAt !== undefined) {
        pausedNs += process.hrtime.bigint() - pausedAt;
        pausedAt = undefined;
        timer = setTimeout(onTimeout, Math.max(0, opts.timeoutMs - Number(elapsedNs()) / 1e6));
        body?.resume();
      }
    });
    const queueTimer =
      opts.startBy !== undefined
        ? setTimeout(() => finish(undefined, new ScrapeFailure('queued', 'no connection to the pod was free before the scrape deadline')), Math.max(0, opts.startBy - Date.now()))
        : undefined;
    if (opts.startBy === undefined) startTimer();
    if (opts.signal?.aborted) {
      onAbort();
      return;
    }
    opts.signal?.addEventListener('abort', onAbort);

    const host = opts.pod.ip.includes(':') ? `[${opts.pod.ip}]` : opts.pod.ip;
    const requestOptions: https.RequestOptions = {
      host: opts.pod.ip,
      port: opts.port,
      path: opts.path,
      method: 'GET',
      agent: opts.agent,
      // Only these headers go to the pod: never the caller's Authorization or cookies.
      headers: {
        host: `${host}:${opts.port}`,
        accept: opts.accept,
        'accept-encoding': 'gzip',
        'user-agent': 'hcp-metrics-proxy',
        'x-prometheus-scrape-timeout-seconds': opts.timeoutHeaderSeconds.toFixed(3),
      },
    };
    if (opts.scheme === 'https') requestOptions.servername = opts.servername ?? (opts.pod.ip.includes(':') || /^[\d.]+$/.test(opts.pod.ip) ? undefined : opts.pod.ip);
    const onResponse = (response: http.IncomingMessage) => {
      res = response;
      if (response.statusCode !== 200) {
        finish(undefined, new ScrapeFailure('http_status', `HTTP ${response.statusCode ?? '?'} ${response.statusMessage ?? ''}`.trim()));
        return;
      }
      const format = formatOf(response.headers['content-type']);
      if (!format) {
        finish(undefined, new ScrapeFailure('content_type', `unsupported content type "${response.headers['content-type']}"`));
        return;
      }
      const encoding = (response.headers['content-encoding'] ?? 'identity').toLowerCase();
      body = response;
      if (encoding === 'gzip' || encoding === 'x-gzip') {
        // Large output chunks: fewer callbacks and parser calls per body.
        inflater = zlib.createGunzip({ chunkSize: 128 * 1024 });
        inflater.on('error', (err) => finish(undefined, new ScrapeFailure('decompress', `gzip: ${err.message}`)));
        response.pipe(inflater);
        body = inflater;
        if (pausedAt !== undefined) inflater.pause();
      } else if (encoding !== 'identity') {
        finish(undefined, new ScrapeFailure('decompress', `unsupported content encoding "${encoding}"`));
        return;
      }
      const parser = new PodExpositionParser(format, opts.transform);
      const sink = opts.sink;
      sink?.head(format);
      const ship = (all: boolean) => {
        const s = parser.takeShipment(all);
        if (s) sink!.ship(s);
      };
      const idleShip = () => {
        if (!settled) ship(true);
      };
      response.on('data', (b: Buffer) => {
        wireBytes += b.length;
      });
      response.on('aborted', () => finish(undefined, new ScrapeFailure('aborted', 'pod closed the connection mid-body')));
      response.on('error', (err) => finish(undefined, new ScrapeFailure('aborted', `pod closed the connection mid-body: ${err.message}`)));
      body.on('data', (b: Buffer) => {
        if (settled) return;
        bodyBytes += b.length;
        if (bodyBytes > opts.maxBodyBytes) {
          finish(undefined, new ScrapeFailure('body_too_large', `body exceeds the cap of ${opts.maxBodyBytes} bytes`));
          return;
        }
        try {
          const t0 = process.hrtime.bigint();
          parser.push(b);
          if (sink) {
            ship(false);
            // A pod that pauses must not hold back what it has already sent.
            clearTimeout(idle);
            idle = setTimeout(idleShip, IDLE_SHIP_MS);
          }
          parseNs += process.hrtime.bigint() - t0;
        } catch (err) {
          finish(undefined, parseFailure(err));
        }
      });
      body.on('end', () => {
        if (settled) return;
        if (!response.complete) {
          finish(undefined, new ScrapeFailure('aborted', 'pod closed the connection mid-body'));
          return;
        }
        try {
          const exposition = parser.end();
          if (sink) {
            ship(true);
            exposition.families = [];
          }
          finish(exposition);
        } catch (err) {
          finish(undefined, parseFailure(err));
        }
      });
    };
    const send = (retry: boolean) => {
      let r: http.ClientRequest;
      try {
        r = (opts.scheme === 'https' ? https : http).request(requestOptions);
      } catch (err) {
        finish(undefined, new ScrapeFailure('config', errorMessage(err)));
        return;
      }
      req = r;
      r.on('socket', startTimer);
      r.on('error', (err: NodeJS.ErrnoException) => {
        // A kept-alive connection the pod closed while it sat idle fails at once; as Go's transport
        // does for idempotent requests, retry once on a new connection before blaming the pod.
        if (retry && !settled && res === undefined && r.reusedSocket && (err.code === 'ECONNRESET' || err.code === 'EPIPE')) {
          send(false);
          return;
        }
        finish(undefined, classifyRequestError(err));
      });
      r.on('response', onResponse);
      r.end();
    };
    send(true);
  });
}

function parseFailure(err: unknown): ScrapeFailure {
  if (err instanceof ExpositionParseError) return new ScrapeFailure(err.reason, err.message);
  return new ScrapeFailure('parse_error', errorMessage(err));
}
