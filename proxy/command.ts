/** `hcp-metrics-proxy proxy`: the metrics-proxy server. */
import { ConfigError, errorMessage } from '../common/errors.js';
import { commandFlags, type FlagSpecs } from '../common/flags.js';
import { startHttpsServer } from '../common/https-server.js';
import { listenerLimitFlags, listenerLimitsFromFlags } from '../common/listener-flags.js';
import { createLogger, setLogLevel, type LogLevel } from '../common/log.js';
import { createProxyAuth, DEFAULT_ALLOWED_SUBJECTS, DEFAULT_REVIEW_RATES, type ProxyAuth } from './auth/index.js';
import { parseMetricsSetName } from './metricsset/index.js';
import { ProxyRuntime } from './runtime.js';
import { createScraper, defaultScrapeWorkers } from './scrape/scraper.js';
import { DEFAULT_MAX_ACTIVE_PER_WORKER } from './scrape/workers.js';
import { Admission, BUDGET_SHARE_OF_LIMIT, defaultBudgetBytes, DEFAULT_BUDGET_BYTES, DEFAULT_MAX_QUEUE } from './server/admission.js';
import { createProxyApp } from './server/app.js';
import { insecureNoAuth, type Authenticator } from './server/auth.js';
import { ProxyMetrics } from './server/metrics.js';
import { parseSdTarget } from './server/sd.js';

export const proxyFlags = {
  config: { kind: 'string', help: 'proxy configuration file (YAML or JSON, DESIGN §4); reloaded when it changes' },
  'tls-cert-file': { kind: 'string', help: 'serving certificate (PEM); reloaded when it changes' },
  'tls-key-file': { kind: 'string', help: 'serving private key (PEM); reloaded when it changes' },
  listen: { kind: 'string', help: 'address to serve HTTPS on', default: '0.0.0.0:9443' },
  'metrics-set': { kind: 'string', help: 'MetricsSet filter: All, Telemetry or SRE', default: 'Telemetry' },
  'sre-config': { kind: 'string', help: "SRE metrics set file (the sre-metric-set ConfigMap's config key); required for --metrics-set SRE" },
  namespace: { kind: 'string', help: 'the hosted control plane namespace (default label value for namespace); default $MY_NAMESPACE' },
  'max-pod-body-bytes': { kind: 'number', help: "cap on one pod's decompressed answer", default: 64 * 1024 * 1024 },
  'resolver-cache-ttl': { kind: 'seconds', help: 'how long to reuse an endpoint-resolver answer (seconds or a duration such as 5s)', default: 5 },
  'scrape-workers': { kind: 'number', help: 'worker threads that fetch and parse pods (0: the main thread); default one per core, at least 3 (one per replica of an HA component), at most 8' },
  'pods-per-worker': { kind: 'number', help: 'pods one scrape worker reads at once; more wait in the proxy\'s queue (their timeout starts when they run)', default: DEFAULT_MAX_ACTIVE_PER_WORKER },
  'max-inflight-bytes': { kind: 'number', help: `memory budget of in-flight scrapes in bytes; scrapes beyond it wait, then get 503 (default ${BUDGET_SHARE_OF_LIMIT * 100}% of the container memory limit read from cgroup, else ${DEFAULT_BUDGET_BYTES / 1024 / 1024} MiB)` },
  'scrape-queue-length': { kind: 'number', help: 'scrapes that may wait for the memory budget; more get 503 at once', default: DEFAULT_MAX_QUEUE },
  'share-identical-scrapes': { kind: 'boolean', help: 'serve identical scrapes that arrive together (same path, format, encoding and timeout) from one fan-out (--share-identical-scrapes=false to turn off)', default: true },
  kubeconfig: { kind: 'string', help: 'kubeconfig of the HOSTED cluster: bearer tokens are checked with TokenReview there; the file and the files it names are re-read when they change' },
  'token-audiences': { kind: 'list', help: 'audiences sent in TokenReviews; the answer must name one of them (default: the API server\'s own)' },
  'token-cache-ttl': { kind: 'seconds', help: 'how long an authenticated token is cached, never past its JWT exp (seconds or a duration such as 5m)', default: 300 },
  'token-negative-ttl': { kind: 'seconds', help: 'how long a rejected token is cached (seconds or a duration)', default: 10 },
  'token-review-rate': { kind: 'number', help: 'TokenReviews per second for tokens not cached, in all; beyond it such requests get 429 with Retry-After while cached tokens are served as usual. Legitimate callers (a few Prometheus replicas) need a handful per minute; 0: unlimited', default: DEFAULT_REVIEW_RATES.global.perSecond },
  'token-review-burst': { kind: 'number', help: 'TokenReviews that may be sent at once after a quiet period, in all (e.g. every replica\'s new token after a restart)', default: DEFAULT_REVIEW_RATES.global.burst },
  'token-review-rate-per-source': { kind: 'number', help: 'TokenReviews per second for tokens not cached, per source address, so one flooding address cannot spend the global budget alone (behind the Route every caller shares the router\'s address); 0: unlimited', default: DEFAULT_REVIEW_RATES.perSource.perSecond },
  'token-review-burst-per-source': { kind: 'number', help: 'TokenReviews that may be sent at once per source address', default: DEFAULT_REVIEW_RATES.perSource.burst },
  'client-ca-file': { kind: 'string', help: 'CA bundle for client certificates (CN = user, O = groups); reloaded when it changes; works without the kube-apiserver' },
  'allowed-subjects': { kind: 'list', help: 'users, and groups as group:NAME, allowed to read metrics', default: [...DEFAULT_ALLOWED_SUBJECTS] },
  'authorize-with-sar': { kind: 'boolean', help: 'also allow whoever a SubjectAccessReview (get on the request path) allows in the hosted cluster; needs --kubeconfig' },
  ...listenerLimitFlags('Behind the OpenShift Route (TLS passthrough) every caller shares the router\'s address, so this must fit all of them: Prometheus keeps one connection per scraped path and replica.'),
  'insecure-no-auth': { kind: 'boolean', help: 'serve every caller without authentication (local testing only)' },
  'sd-target': { kind: 'string', help: 'HOST:PORT the guest Prometheus reaches the proxy at (the Route host and 443): GET /sd then answers Prometheus HTTP service discovery (http_sd_configs) with one target group per served path; without it /sd is 404' },
  'log-level': { kind: 'string', help: 'debug, info, warn or error', default: 'info' },
} satisfies FlagSpecs;

export async function runProxy(argv: string[]): Promise<void> {
  const logger = createLogger('proxy');
  const flags = commandFlags('proxy', argv, proxyFlags);
  if (!flags) return;
  setLogLevel(flags['log-level'] as LogLevel);
  const missing = (['config', 'tls-cert-file', 'tls-key-file'] as const).filter((f) => !flags[f]);
  if (missing.length > 0) throw new Error(`missing required flag(s): ${missing.map((f) => '--' + f).join(', ')}`);
  const metricsSet = parseMetricsSetName(flags['metrics-set'] ?? 'Telemetry');
  const sdTarget = flags['sd-target'] === undefined ? undefined : parseSdTarget(flags['sd-target']);
  if (metricsSet === 'SRE' && !flags['sre-config']) throw new Error('--metrics-set SRE needs --sre-config FILE');
  const authFlags = flags.kubeconfig !== undefined || flags['client-ca-file'] !== undefined;
  if (flags['insecure-no-auth'] && authFlags) throw new Error('--insecure-no-auth cannot be combined with --kubeconfig or --client-ca-file');
  if (!flags['insecure-no-auth'] && !authFlags) {
    throw new Error('no authentication configured: give --kubeconfig FILE (bearer tokens via TokenReview against the hosted cluster) and/or --client-ca-file FILE (client certificates); --insecure-no-auth serves every caller (local testing only)');
  }
  if (flags['insecure-no-auth']) {
    logger.warn('AUTHENTICATION IS DISABLED (--insecure-no-auth): every caller can read every component\'s metrics. Never expose this proxy like that.');
  }

  const limits = listenerLimitsFromFlags(flags);
  const metrics = new ProxyMetrics();
  let auth: ProxyAuth | undefined;
  let authenticator: Authenticator = insecureNoAuth;
  if (!flags['insecure-no-auth']) {
    try {
      auth = createProxyAuth(
        {
          kubeconfigFile: flags.kubeconfig,
          tokenAudiences: flags['token-audiences'],
          tokenCacheTtlSeconds: flags['token-cache-ttl'],
          tokenNegativeTtlSeconds: flags['token-negative-ttl'],
          clientCaFile: flags['client-ca-file'],
          allowedSubjects: flags['allowed-subjects'],
          authorizeWithSar: flags['authorize-with-sar'],
          tokenReviewRate: { perSecond: flags['token-review-rate']!, burst: flags['token-review-burst']! },
          tokenReviewRatePerSource: { perSecond: flags['token-review-rate-per-source']!, burst: flags['token-review-burst-per-source']! },
        },
        { logger: logger.child('auth'), metrics },
      );
    } catch (err) {
      throw new Error(`authentication: ${errorMessage(err)}`);
    }
    authenticator = auth;
  }
  const scraper = createScraper(flags['scrape-workers'] ?? defaultScrapeWorkers(), logger, { maxActivePerWorker: flags['pods-per-worker'] });
  const admission = new Admission({ budgetBytes: flags['max-inflight-bytes'] ?? defaultBudgetBytes(), maxQueue: flags['scrape-queue-length'] });
  let runtime: ProxyRuntime;
  try {
    runtime = await ProxyRuntime.start({
      configFile: flags.config!,
      namespace: flags.namespace ?? process.env.MY_NAMESPACE ?? process.env.POD_NAMESPACE ?? 'default',
      metricsSet,
      sreConfigFile: flags['sre-config'],
      resolverCacheTtlMs: (flags['resolver-cache-ttl'] ?? 5) * 1000,
      scraper,
      metrics,
      logger,
    });
  } catch (err) {
    auth?.close();
    throw new Error(err instanceof ConfigError ? `invalid configuration: ${err.message}` : errorMessage(err));
  }
  const app = createProxyApp({
    state: runtime,
    authenticator,
    scraper,
    metrics,
    logger,
    maxBodyBytes: flags['max-pod-body-bytes']!,
    admission,
    shareIdenticalScrapes: flags['share-identical-scrapes'],
    sdTarget,
  });
  const server = await startHttpsServer(app, {
    listen: flags.listen!,
    tls: { certFile: flags['tls-cert-file']!, keyFile: flags['tls-key-file']!, ...(flags['client-ca-file'] ? { clientCaFile: flags['client-ca-file'] } : {}) },
    logger,
    limits,
    limitEvents: metrics.listenerLimitEvents(),
  });
  logger.info('metrics-proxy listening', {
    address: `${server.host}:${server.port}`,
    metricsSet,
    auth: flags['insecure-no-auth'] ? 'none' : [flags.kubeconfig ? 'token' : '', flags['client-ca-file'] ? 'x509' : ''].filter(Boolean).join('+'),
    allowedSubjects: flags['allowed-subjects'],
    authorizeWithSar: flags['authorize-with-sar'],
    memoryBudgetBytes: admission.budgetBytes,
  });
  const stop = async (signal: string) => {
    logger.info('shutting down', { signal });
    await server.close();
    auth?.close();
    runtime.close();
    await scraper.close();
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}
