/**
 * Builds the proxy's authentication and authorization (DESIGN §6) from its settings: TokenReview with
 * a cache against the hosted kube-apiserver (kubeconfig), client certificates, allowed subjects and
 * optional SubjectAccessReview, and the reachability check that drives readiness.
 */
import type { Logger } from '../../common/log.js';
import type { Authenticator } from '../server/auth.js';
import type { ProxyMetrics } from '../server/metrics.js';
import { DEFAULT_ALLOWED_SUBJECTS, parseAllowedSubjects, SubjectAuthorizer } from './authorizer.js';
import { KasHealth } from './kas-health.js';
import { HostedKubeClient, type HostedKubeApi } from './kube-client.js';
import { ProxyAuthenticator } from './proxy-authenticator.js';
import { ReviewBudget, type BucketRate } from './review-budget.js';
import { TokenAuthenticator } from './token-authenticator.js';
import { TokenCache } from './token-cache.js';
import { KubeTokenReviewer } from './token-reviewer.js';

export { DEFAULT_ALLOWED_SUBJECTS } from './authorizer.js';

export interface AuthSettings {
  /** Kubeconfig of the hosted cluster: enables bearer tokens (TokenReview) and SubjectAccessReview. */
  kubeconfigFile?: string;
  /** Instead of a kubeconfig (unit tests): the hosted kube-apiserver itself. */
  api?: HostedKubeApi;
  /** Audiences sent in TokenReviews; status.audiences must name one of them. */
  tokenAudiences?: string[];
  /** Default 300. */
  tokenCacheTtlSeconds?: number;
  /** Default 10. */
  tokenNegativeTtlSeconds?: number;
  /** Client certificates are accepted (the TLS server verifies them against this file). */
  clientCaFile?: string;
  /** Users and `group:` entries; default the prometheus-k8s service account. */
  allowedSubjects?: readonly string[];
  authorizeWithSar?: boolean;
  /** Fake clocks for tests; epoch milliseconds. */
  now?: () => number;
  /** Background reachability check period; default 5000 ms. */
  healthIntervalMs?: number;
  /** Timeout of each call to the hosted kube-apiserver; default 5000 ms. */
  kasTimeoutMs?: number;
  watchPollMs?: number;
  /** Cap on cached token answers, per positive/negative partition; default 10 000. */
  maxCacheEntries?: number;
  maxConcurrentReviews?: number;
  /** TokenReviews per second of uncached tokens, in all; default DEFAULT_REVIEW_RATES.global. perSecond 0: unlimited. */
  tokenReviewRate?: BucketRate;
  /** The same per source address; default DEFAULT_REVIEW_RATES.perSource. */
  tokenReviewRatePerSource?: BucketRate;
  /** How long a throttled answer (429) is held before it is sent; default 1000 ms (token-authenticator.ts). */
  throttleDelayMs?: number;
}

/**
 * A proxy's legitimate callers are a few Prometheus replicas whose tokens are reviewed once per cache
 * TTL (or rotation): a handful of reviews per minute. 20/s in all (bursts of 40) still lets a whole
 * set of new tokens through after a restart; 5/s per address (bursts of 10) keeps one flooding
 * address from spending it all. Behind the OpenShift Route every caller shares the router's address,
 * where the global budget is the one that matters.
 */
export const DEFAULT_REVIEW_RATES: { global: BucketRate; perSource: BucketRate } = {
  global: { perSecond: 20, burst: 40 },
  perSource: { perSecond: 5, burst: 10 },
};

export interface ProxyAuth extends Authenticator {
  readonly tokenCache?: TokenCache;
  readonly tokens?: TokenAuthenticator;
  readonly health?: KasHealth;
  readonly kube?: HostedKubeClient;
  close(): void;
}

/** A review rate from flags, checked with the flags' names. */
function reviewRate(rate: BucketRate | undefined, dflt: BucketRate, names: [string, string]): BucketRate {
  const r = rate ?? dflt;
  if (!Number.isFinite(r.perSecond) || r.perSecond < 0) throw new Error(`${names[0]} must be a number of TokenReviews per second ≥ 0 (0: unlimited), got ${r.perSecond}`);
  if (r.perSecond > 0 && (!Number.isFinite(r.burst) || r.burst < 1)) throw new Error(`${names[1]} must be at least 1, got ${r.burst}`);
  return r;
}

function seconds(name: string, v: number | undefined, dflt: number): number {
  const s = v ?? dflt;
  if (!Number.isFinite(s) || s < 0) throw new Error(`${name} must be a non-negative number of seconds, got ${v}`);
  return s;
}

/** Throws with a message naming the flag when the settings cannot work. */
export function createProxyAuth(settings: AuthSettings, deps: { logger: Logger; metrics?: ProxyMetrics }): ProxyAuth {
  const { logger, metrics } = deps;
  if (!settings.kubeconfigFile && !settings.api && !settings.clientCaFile) {
    throw new Error('no way to authenticate callers: give --kubeconfig (bearer tokens via TokenReview) and/or --client-ca-file (client certificates), or --insecure-no-auth for local testing');
  }
  if (settings.authorizeWithSar && !settings.kubeconfigFile && !settings.api) throw new Error('--authorize-with-sar needs --kubeconfig');
  if ((settings.tokenAudiences?.length ?? 0) > 0 && !settings.kubeconfigFile && !settings.api) throw new Error('--token-audiences needs --kubeconfig');
  const positiveTtlMs = seconds('--token-cache-ttl', settings.tokenCacheTtlSeconds, 300) * 1000;
  const negativeTtlMs = seconds('--token-negative-ttl', settings.tokenNegativeTtlSeconds, 10) * 1000;
  const globalRate = reviewRate(settings.tokenReviewRate, DEFAULT_REVIEW_RATES.global, ['--token-review-rate', '--token-review-burst']);
  const sourceRate = reviewRate(settings.tokenReviewRatePerSource, DEFAULT_REVIEW_RATES.perSource, ['--token-review-rate-per-source', '--token-review-burst-per-source']);
  const allowed = parseAllowedSubjects(settings.allowedSubjects ?? DEFAULT_ALLOWED_SUBJECTS);
  if (allowed.users.size === 0 && allowed.groups.size === 0 && !settings.authorizeWithSar) {
    throw new Error('--allowed-subjects is empty and --authorize-with-sar is off: nobody could be served');
  }

  const kube = settings.kubeconfigFile && !settings.api
    ? new HostedKubeClient({
        kubeconfigFile: settings.kubeconfigFile,
        logger: logger.child('kube'),
        timeoutMs: settings.kasTimeoutMs,
        watchPollMs: settings.watchPollMs,
        onReload: (result) => metrics?.kubeconfigReloads.inc({ result }),
      })
    : undefined;
  const api: HostedKubeApi | undefined = settings.api ?? kube;
  let health: KasHealth | undefined;
  let tokenCache: TokenCache | undefined;
  let tokens: TokenAuthenticator | undefined;
  if (api) {
    health = new KasHealth({ probe: () => api.probe(), intervalMs: settings.healthIntervalMs, logger: logger.child('kas-health'), metrics });
    tokenCache = new TokenCache({
      positiveTtlMs,
      negativeTtlMs,
      maxEntries: settings.maxCacheEntries ?? 10_000,
      now: settings.now,
      onEvict: (kind) => metrics?.tokenCacheEvictions.inc({ kind }),
    });
    const cache = tokenCache;
    if (metrics) metrics.tokenCacheSizes = () => cache.sizes();
    tokens = new TokenAuthenticator({
      reviewer: new KubeTokenReviewer(api, settings.tokenAudiences ?? []),
      cache,
      logger: logger.child('tokens'),
      metrics,
      health,
      maxConcurrentReviews: settings.maxConcurrentReviews,
      budget: new ReviewBudget({
        global: globalRate,
        perSource: sourceRate,
        now: settings.now,
      }),
      audiencesRequired: (settings.tokenAudiences?.length ?? 0) > 0,
      throttleDelayMs: settings.throttleDelayMs,
      now: settings.now,
    });
  }
  const authorizer = new SubjectAuthorizer({
    allowed,
    sar: settings.authorizeWithSar && api ? { api } : undefined,
    logger: logger.child('authz'),
    metrics,
    health,
    now: settings.now,
  });
  const authenticator = new ProxyAuthenticator({ tokens, clientCertificates: settings.clientCaFile !== undefined, authorizer, health, logger, metrics, now: settings.now });
  health?.start();
  return {
    authorize: (req, path) => authenticator.authorize(req, path),
    ready: () => authenticator.ready(),
    tokenCache,
    tokens,
    health,
    kube,
    close() {
      health?.close();
      kube?.close();
      tokenCache?.close();
      authorizer.close();
      if (metrics && metrics.tokenCacheSizes) metrics.tokenCacheSizes = undefined;
    },
  };
}
