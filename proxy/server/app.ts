/**
 * The metrics-proxy HTTP surface (DESIGN §2): routes, status codes, and the streaming scrape answer.
 * Everything except /healthz and /readyz goes through the Authenticator first.
 */
import type { IncomingMessage } from 'node:http';
import { Readable, pipeline } from 'node:stream';
import express, { type Request, type Response } from 'express';
import { errorMessage } from '../../common/errors.js';
import type { Logger } from '../../common/log.js';
import type { ComponentConfig, EndpointConfig, ProxyConfig } from '../config/types.js';
import { renderExposition } from '../exposition/serialize.js';
import { OPENMETRICS_CONTENT_TYPE, TEXT_CONTENT_TYPE } from '../exposition/types.js';
import { ResolverUnavailableError, type ResolverClient } from '../resolver-client.js';
import type { RuleBook } from '../rule-book.js';
import type { PodScraper } from '../scrape/task.js';
import { fanOut, fanoutBlocks, type FanoutResult } from '../scrape/fanout.js';
import type { Authenticator } from './auth.js';
import type { ProxyMetrics } from './metrics.js';
import { acceptsGzip, prefersOpenMetrics } from './negotiate.js';
import { gzipInParallel } from './parallel-gzip.js';

/** What the app reads on every request; swapped underneath it when files change. */
export interface ProxyState {
  config(): ProxyConfig | undefined;
  resolver(): ResolverClient | undefined;
  rules(): RuleBook;
  /** Why the proxy is not ready beyond config and auth (undefined: no reason). */
  notReadyReason?(): string | undefined;
}

export interface ProxyAppOptions {
  state: ProxyState;
  authenticator: Authenticator;
  scraper: PodScraper;
  metrics: ProxyMetrics;
  logger: Logger;
  /** Cap on one pod's decompressed body. */
  maxBodyBytes: number;
  /** gzip level for answers; speed matters more than ratio for tens of MB per scrape. */
  gzipLevel?: number;
}

/**
 * Answer groups deflated at once: the whole libuv pool (4 threads unless UV_THREADPOOL_SIZE says
 * otherwise), even on 2 cores: with only one group per core in flight a core idles while the main
 * thread computes the CRC and writes (gzip answer of 3 x 30 MB pods: 350-380 ms with 4, 432 with 2).
 */
const GZIP_CONCURRENCY = Math.min(8, Math.max(2, Number(process.env.UV_THREADPOOL_SIZE) || 4));

const COMPONENT_SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Seconds left for pods once the caller's own timeout and our merge/transfer time are accounted for. */
export function effectiveTimeoutSeconds(configured: number, callerHeader: string | undefined): number {
  const caller = Number(callerHeader);
  if (!callerHeader || !Number.isFinite(caller) || caller <= 0) return configured;
  const margin = Math.max(0.25, caller * 0.1);
  return Math.max(0.1, Math.min(configured, caller - margin));
}

interface ParsedPath {
  component: string;
  endpoint: number;
}

/** `/metrics/<component>` or `/metrics/<component>/<n>`; a string is a 400 message. */
function parseScrapePath(path: string): ParsedPath | string {
  const segs = path.slice('/metrics/'.length).split('/');
  const [component, index, ...extra] = segs;
  if (!component || extra.length > 0) return `malformed path "${path}": expected /metrics/<component> or /metrics/<component>/<n>`;
  if (!COMPONENT_SEGMENT.test(component)) return `malformed component name "${component}"`;
  if (index === undefined) return { component, endpoint: 0 };
  if (!/^(0|[1-9]\d{0,3})$/.test(index)) return `malformed endpoint index "${index}": expected an integer`;
  return { component, endpoint: Number(index) };
}

export function servedPaths(config: ProxyConfig): string[] {
  return config.components.flatMap((c) => [`/metrics/${c.name}`, ...c.endpoints.map((_e, i) => `/metrics/${c.name}/${i + 1}`)]);
}

export function createProxyApp(opts: ProxyAppOptions): express.Express {
  const { state, metrics, logger } = opts;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  app.get('/healthz', (_req, res) => {
    res.type('text/plain').send('ok\n');
  });

  // Named checks, as the kube-apiserver's /readyz: `?exclude=kube-apiserver` leaves the hosted
  // kube-apiserver out, so a Deployment's readiness probe need not pull every replica out of the
  // Service during an outage in which cached tokens and client certificates still work.
  app.get('/readyz', (req, res) => {
    const excluded = new Set(([] as unknown[]).concat(req.query.exclude ?? []).map(String));
    const checks: [string, () => string | undefined][] = [
      ['config', () => (state.config() ? undefined : 'no configuration loaded')],
      ['kube-apiserver', () => {
        const auth = opts.authenticator.ready();
        return auth.ok ? undefined : auth.reason ?? 'authenticator not ready';
      }],
      ['runtime', () => state.notReadyReason?.()],
    ];
    const unknown = [...excluded].filter((e) => !checks.some(([name]) => name === e));
    if (unknown.length > 0) {
      return void res.status(400).type('text/plain').send(`unknown readiness check(s) to exclude: ${unknown.join(', ')} (known: ${checks.map(([n]) => n).join(', ')})\n`);
    }
    const lines: string[] = [];
    let ok = true;
    for (const [name, check] of checks) {
      if (excluded.has(name)) {
        lines.push(`[+]${name} excluded: ok`);
        continue;
      }
      const reason = check();
      if (reason) ok = false;
      lines.push(reason ? `[-]${name} failed: ${reason}` : `[+]${name} ok`);
    }
    const verbose = req.query.verbose !== undefined;
    if (!ok) res.status(503).type('text/plain').send(lines.filter((l) => verbose || l.startsWith('[-]')).join('\n') + '\nreadyz check failed\n');
    else res.type('text/plain').send(verbose ? lines.join('\n') + '\nreadyz check passed\n' : 'ok\n');
  });

  // Authentication and authorization for everything below.
  app.use(async (req, res, next) => {
    try {
      const d = await opts.authenticator.authorize(req as IncomingMessage, req.path);
      switch (d.kind) {
        case 'allow':
          return next();
        case 'unauthenticated':
          res.setHeader('WWW-Authenticate', 'Bearer realm="hcp-metrics-proxy"');
          return void res.status(401).type('text/plain').send(`Unauthorized: ${d.message}\n`);
        case 'forbidden':
          return void res.status(403).type('text/plain').send(`Forbidden: ${d.message}\n`);
        case 'unavailable':
          res.setHeader('Retry-After', String(d.retryAfterSeconds));
          return void res.status(503).type('text/plain').send(`Service Unavailable: ${d.message}\n`);
        case 'throttled':
          res.setHeader('Retry-After', String(d.retryAfterSeconds));
          return void res.status(429).type('text/plain').send(`Too Many Requests: ${d.message}\n`);
      }
    } catch (err) {
      logger.error('authorization failed unexpectedly', { error: errorMessage(err) });
      res.setHeader('Retry-After', '5');
      res.status(503).type('text/plain').send('Service Unavailable: authorization failed\n');
    }
  });

  app.get('/metrics', async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });

  app.get('/components', (_req, res) => {
    const config = state.config();
    if (!config) {
      res.setHeader('Retry-After', '5');
      return void res.status(503).type('text/plain').send('Service Unavailable: no configuration loaded\n');
    }
    res.json(servedPaths(config));
  });

  app.get(/^\/metrics\/.*/, (req, res) => {
    void scrape(opts, req, res);
  });

  app.use((req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET');
      return void res.status(405).type('text/plain').send(`Method ${req.method} not allowed\n`);
    }
    res.status(404).type('text/plain').send(`Not found: ${req.path}\n`);
  });
  return app;
}

function endpointOf(c: ComponentConfig, n: number): EndpointConfig | undefined {
  return n === 0 ? c : c.endpoints[n - 1];
}

async function scrape(opts: ProxyAppOptions, req: Request, res: Response): Promise<void> {
  const { state, metrics, logger } = opts;
  let componentLabel = 'unknown';
  const reply = (code: number, message: string, retryAfter?: number) => {
    metrics.requests.inc({ component: componentLabel, code: String(code) });
    if (retryAfter !== undefined) res.setHeader('Retry-After', String(retryAfter));
    res.status(code).type('text/plain').send(message + '\n');
  };
  const parsed = parseScrapePath(req.path);
  if (typeof parsed === 'string') return reply(400, parsed);
  const config = state.config();
  const resolver = state.resolver();
  if (!config || !resolver) return reply(503, 'no configuration loaded', 5);
  const component = config.components.find((c) => c.name === parsed.component);
  if (!component) return reply(404, `unknown component "${parsed.component}"; see /components`);
  componentLabel = component.name;
  const endpoint = endpointOf(component, parsed.endpoint);
  if (!endpoint) return reply(404, `component "${component.name}" has no endpoint ${parsed.endpoint} (it has ${component.endpoints.length + 1})`);

  let pods;
  try {
    pods = await resolver.resolve(component.selector, component.matchExpressions);
  } catch (err) {
    if (err instanceof ResolverUnavailableError) return reply(503, err.message, err.retryAfterSeconds);
    throw err;
  }
  let rules;
  try {
    rules = state.rules().rulesFor(component, parsed.endpoint, endpoint);
  } catch (err) {
    logger.error('cannot compile relabel rules', { component: component.name, error: errorMessage(err) });
    return reply(503, `relabel rules of "${component.name}" cannot be compiled: ${errorMessage(err)}`, 30);
  }
  const timeout = effectiveTimeoutSeconds(endpoint.scrapeTimeoutSeconds, req.header('x-prometheus-scrape-timeout-seconds'));
  const result = await fanOut({
    poolId: `${component.name}/${parsed.endpoint}`,
    endpoint,
    pods,
    acceptOpenMetrics: prefersOpenMetrics(req.header('accept')),
    timeoutSeconds: timeout,
    maxBodyBytes: opts.maxBodyBytes,
    rules,
    scraper: opts.scraper,
  });
  record(opts, component.name, result);
  send(opts, req, res, component.name, result);
}

function record(opts: ProxyAppOptions, component: string, r: FanoutResult): void {
  const { metrics, logger } = opts;
  metrics.fanoutDuration.observe({ component }, r.durationSeconds);
  let dropped = 0;
  for (const p of r.pods) {
    metrics.bytesIn.inc({ component }, p.wireBytes);
    metrics.podScrapes.inc({ component, result: p.ok ? 'success' : 'failure' });
    if (p.exposition) dropped += p.exposition.dropped;
    if (p.failure) {
      metrics.podScrapeErrors.inc({ component, reason: p.failure.reason });
      logger.info('pod scrape failed', { component, pod: p.pod.name, reason: p.failure.reason, error: p.failure.message });
    }
  }
  if (dropped > 0) metrics.samplesDropped.inc({ component, reason: 'relabel' }, dropped);
  for (const d of r.drops) {
    metrics.samplesDropped.inc({ component, reason: d.reason }, d.samples);
    logger.info('pod family not served', { component, pod: r.pods[d.pod]?.pod.name, family: d.family, reason: d.reason });
  }
}

function send(opts: ProxyAppOptions, req: Request, res: Response, component: string, r: FanoutResult): void {
  const { metrics } = opts;
  res.status(200);
  res.setHeader('Content-Type', r.format === 'openmetrics' ? OPENMETRICS_CONTENT_TYPE : TEXT_CONTENT_TYPE);
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Vary', 'Accept, Accept-Encoding');
  metrics.requests.inc({ component, code: '200' });
  const recycle = () => opts.scraper.recycle(fanoutBlocks(r));
  if (req.method === 'HEAD') {
    res.end();
    return recycle();
  }
  const rendered = renderExposition(r.families, r.format);
  let out = 0;
  const count = (b: Buffer | string) => {
    out += typeof b === 'string' ? Buffer.byteLength(b) : b.length;
  };
  const done = (err: Error | null | undefined) => {
    metrics.bytesOut.inc({ component }, out);
    // After an aborted answer a deflate on the thread pool may still read a block: leave those to the GC.
    if (!err) return recycle();
    if (!res.destroyed) res.destroy(err);
  };
  const gzip = acceptsGzip(req.header('accept-encoding'));
  if (gzip) res.setHeader('Content-Encoding', 'gzip');
  // A streaming gzip runs on one thread; at tens of MB per scrape it would be the slowest step.
  const encoded = gzip ? gzipInParallel(rendered, { level: opts.gzipLevel ?? 1, concurrency: GZIP_CONCURRENCY, groupBytes: 1 << 20 }) : rendered;
  const body = Readable.from(encoded, { objectMode: false, highWaterMark: 1 << 20 });
  body.on('data', count);
  pipeline(body, res, done);
}
