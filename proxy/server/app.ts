/**
 * The metrics-proxy HTTP surface (DESIGN §2): routes, status codes, and the streaming scrape answer.
 * Everything except /healthz and /readyz goes through the Authenticator first.
 */
import type { IncomingMessage } from 'node:http';
import express from 'express';
import { errorMessage } from '../../common/errors.js';
import type { Logger } from '../../common/log.js';
import type { ProxyConfig } from '../config/types.js';
import type { ResolverClient } from '../resolver-client.js';
import type { RuleBook } from '../rule-book.js';
import type { PodScraper } from '../scrape/task.js';
import { Admission, defaultBudgetBytes } from './admission.js';
import type { Authenticator } from './auth.js';
import type { ProxyMetrics } from './metrics.js';
import { ScrapeHandler } from './scrape-handler.js';
import { sdAnswer } from './sd.js';

export { effectiveTimeoutSeconds } from './scrape-handler.js';

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
  /** The memory budget of in-flight scrapes (default: from the container's limit, see admission.ts). */
  admission?: Admission;
  /** Let identical concurrent scrapes share one fan-out (default true). */
  shareIdenticalScrapes?: boolean;
  /** HOST:PORT the guest reaches (--sd-target): GET /sd answers Prometheus HTTP SD with it; undefined: /sd is 404. */
  sdTarget?: string | (() => string | undefined);
}

export function servedPaths(config: ProxyConfig): string[] {
  return config.components.flatMap((c) => [`/metrics/${c.name}`, ...c.endpoints.map((_e, i) => `/metrics/${c.name}/${i + 1}`)]);
}

export function createProxyApp(opts: ProxyAppOptions): express.Express {
  const { state, metrics, logger } = opts;
  const scrapes = new ScrapeHandler({
    state,
    scraper: opts.scraper,
    metrics,
    logger,
    admission: opts.admission ?? new Admission({ budgetBytes: defaultBudgetBytes() }),
    maxBodyBytes: opts.maxBodyBytes,
    gzipLevel: opts.gzipLevel,
    shareIdentical: opts.shareIdenticalScrapes,
  });
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

  app.get('/sd', (_req, res) => {
    const a = sdAnswer(state.config(), typeof opts.sdTarget === 'function' ? opts.sdTarget() : opts.sdTarget, servedPaths);
    if (a.status === 200) return void res.json(a.body);
    if (a.retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(a.retryAfterSeconds));
    res.status(a.status).type('text/plain').send(`${a.message}\n`);
  });

  app.get(/^\/metrics\/.*/, (req, res) => {
    scrapes.handle(req, res).catch((err: unknown) => {
      logger.error('scrape failed unexpectedly', { path: req.path, error: errorMessage(err) });
      if (!res.headersSent) {
        res.setHeader('Retry-After', '5');
        res.status(503).type('text/plain').send('Service Unavailable: scrape failed\n');
      } else res.destroy();
    });
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
