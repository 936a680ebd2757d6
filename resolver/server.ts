/**
 * The resolver's HTTP handlers (DESIGN §3): `POST /resolve` answered from the PodIndex, health and
 * readiness, and its own metrics. Transport security (required client certificates) is the
 * HTTPS server's job; this module only speaks HTTP.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { errorMessage } from '../common/errors.js';
import type { Logger } from '../common/log.js';
import type { ResolverMetrics } from './metrics.js';
import type { PodIndex } from './pod-index.js';
import { healthHandler } from '../common/health.js';
import { parseSelector, SelectorError } from '../common/label-selector.js';

export const MAX_RESOLVE_BODY_BYTES = 64 * 1024;

export interface Readiness {
  ready: boolean;
  /** The first list has been applied (answers before that would be empty, not true). */
  synced: boolean;
  reason?: string;
}

export interface ResolverHandlerOptions {
  index: PodIndex;
  readiness: () => Readiness;
  metrics: ResolverMetrics;
  logger: Logger;
}

function send(res: ServerResponse, code: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json', 'Content-Length': String(Buffer.byteLength(text)), ...headers });
  res.end(text);
}

/** Reads the body up to the limit; undefined when it is larger (the connection is then closed after the answer). */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? '0');
    if (declared > limit) {
      req.resume();
      return resolve(undefined);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) over = true;
      else chunks.push(c);
    });
    req.on('end', () => resolve(over ? undefined : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export function resolverHandler(opts: ResolverHandlerOptions): RequestListener {
  const health = healthHandler(opts.readiness);
  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/resolve') {
      void resolve(opts, req, res).catch((err: unknown) => {
        opts.logger.error('resolve failed', { error: errorMessage(err) });
        if (!res.headersSent) send(res, 500, { error: 'internal error' });
        else res.destroy();
      });
      return;
    }
    if (path === '/metrics') {
      if (req.method !== 'GET') return send(res, 405, 'method not allowed\n', { Allow: 'GET' });
      void opts.metrics.registry.metrics().then((text) => send(res, 200, text, { 'Content-Type': opts.metrics.registry.contentType }));
      return;
    }
    health(req, res);
  };
}

async function resolve(opts: ResolverHandlerOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const started = process.hrtime.bigint();
  const answer = (code: number, body: unknown, headers: Record<string, string> = {}) => {
    opts.metrics.resolveRequests.inc({ code: String(code) });
    opts.metrics.resolveDuration.observe(Number(process.hrtime.bigint() - started) / 1e9);
    send(res, code, body, headers);
  };
  if (req.method !== 'POST') {
    req.resume();
    return answer(405, { error: `method ${req.method} not allowed: use POST` }, { Allow: 'POST' });
  }
  const raw = await readBody(req, MAX_RESOLVE_BODY_BYTES);
  if (raw === undefined) return answer(400, { error: `request body exceeds ${MAX_RESOLVE_BODY_BYTES} bytes` }, { Connection: 'close' });
  let doc: unknown;
  try {
    doc = JSON.parse(raw.toString('utf8'));
  } catch (err) {
    return answer(400, { error: `request body is not valid JSON: ${errorMessage(err)}` });
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return answer(400, { error: 'request body must be a JSON object {"selector": {...}}' });
  if (!('selector' in doc)) return answer(400, { error: 'request body has no "selector"' });
  let selector;
  try {
    selector = parseSelector((doc as { selector: unknown }).selector);
  } catch (err) {
    if (err instanceof SelectorError) return answer(400, { error: err.message });
    throw err;
  }
  const r = opts.readiness();
  // Before the first list an empty answer would be a lie; the proxy keeps its last answer on 503.
  if (!r.synced) return answer(503, { error: 'pods not listed yet' }, { 'Retry-After': '1' });
  const pods = opts.index.resolve(selector);
  if (pods.length === 0) return answer(404, { error: 'no ready pods match the selector', pods: [] });
  answer(200, { pods });
}
