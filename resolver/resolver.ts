/**
 * One running endpoint resolver: the pod watch, the index it feeds, and the HTTPS server that
 * requires client certificates, plus an optional plain-HTTP port with only /healthz and /readyz
 * (kubelet probes present no client certificate, so they cannot use the main port).
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { startHttpsServer, type RunningServer } from '../common/https-server.js';
import type { ListenerLimits } from '../common/listener-limits.js';
import type { Logger } from '../common/log.js';
import { ResolverMetrics } from './metrics.js';
import { PodIndex } from './pod-index.js';
import { PodWatch } from './pod-watch.js';
import { startHealthListener, type HealthListener } from '../common/health.js';
import { resolverHandler, type Readiness } from './server.js';

export interface ResolverOptions {
  kubeConfig: KubeConfig;
  namespace: string;
  /** host:port for HTTPS. */
  listen: string;
  tls: { certFile: string; keyFile: string; clientCaFile: string };
  /** host:port for plain-HTTP /healthz and /readyz; undefined: none. */
  healthListen?: string;
  /** Timeouts and connection caps of the HTTPS listener; default DEFAULT_LISTENER_LIMITS. */
  limits?: ListenerLimits;
  /** Not ready once the watch has been broken this long. */
  staleAfterMs: number;
  logger: Logger;
  now?: () => number;
  backoff?: { initialMs: number; maxMs: number };
  /** Poll interval for the certificate file watch (tests). */
  watchPollMs?: number;
  defaultMetrics?: boolean;
}

export interface RunningResolver {
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly healthPort: number | undefined;
  readonly index: PodIndex;
  readonly watch: PodWatch;
  readonly metrics: ResolverMetrics;
  readiness(): Readiness;
  close(): Promise<void>;
}

export async function startResolver(opts: ResolverOptions): Promise<RunningResolver> {
  const now = opts.now ?? Date.now;
  const index = new PodIndex();
  let watch: PodWatch | undefined;
  const readiness = (): Readiness => {
    const s = watch?.state;
    if (!s || !s.synced) return { ready: false, synced: false, reason: s?.lastError ? `pods not listed yet (${s.lastError})` : 'pods not listed yet' };
    if (s.brokenSince !== undefined && now() - s.brokenSince >= opts.staleAfterMs) {
      return { ready: false, synced: true, reason: `pod watch broken for ${Math.round((now() - s.brokenSince) / 1000)} s: ${s.lastError ?? 'unknown error'}` };
    }
    return { ready: true, synced: true };
  };
  const metrics = new ResolverMetrics(
    { podsCached: () => index.size, podsReady: () => index.readyCount, watchHealthy: () => watch?.state.synced === true && watch.state.brokenSince === undefined },
    { defaultMetrics: opts.defaultMetrics },
  );
  watch = new PodWatch({
    kubeConfig: opts.kubeConfig,
    namespace: opts.namespace,
    index,
    logger: opts.logger.child('watch'),
    now,
    ...(opts.backoff ? { backoff: opts.backoff } : {}),
    onRestart: (reason) => metrics.watchRestarts.inc({ reason }),
  });
  const server: RunningServer = await startHttpsServer(resolverHandler({ index, readiness, metrics, logger: opts.logger }), {
    listen: opts.listen,
    tls: { ...opts.tls, requireClientCert: true },
    logger: opts.logger,
    ...(opts.limits ? { limits: opts.limits } : {}),
    ...(opts.watchPollMs !== undefined ? { watchPollMs: opts.watchPollMs } : {}),
  });
  let health: HealthListener | undefined;
  try {
    if (opts.healthListen !== undefined) health = await startHealthListener(opts.healthListen, readiness);
    await watch.start();
  } catch (err) {
    watch.stop();
    await health?.close();
    await server.close(0);
    throw err;
  }
  const w = watch;
  const host = server.host.includes(':') ? `[${server.host}]` : server.host;
  return {
    url: `https://${host}:${server.port}`,
    host: server.host,
    port: server.port,
    healthPort: health?.port,
    index,
    watch: w,
    metrics,
    readiness,
    close: async () => {
      w.stop();
      await health?.close();
      await server.close(1000);
    },
  };
}
