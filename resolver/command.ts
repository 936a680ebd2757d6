/** `hcp-metrics-proxy resolver`: the endpoint resolver (DESIGN §3). */
import { commandFlags, type FlagSpecs } from '../common/flags.js';
import { loadKubeConfig } from '../common/kubeconfig.js';
import { listenerLimitFlags, listenerLimitsFromFlags } from '../common/listener-flags.js';
import { createLogger, setLogLevel, type LogLevel } from '../common/log.js';
import { startResolver } from './resolver.js';

export const resolverFlags = {
  namespace: { kind: 'string', help: 'namespace whose pods are resolved; default $MY_NAMESPACE (downward API)' },
  kubeconfig: { kind: 'string', help: 'kubeconfig of the management cluster; default the in-cluster service account' },
  listen: { kind: 'string', help: 'address to serve HTTPS on (client certificates required)', default: '0.0.0.0:9444' },
  'health-listen': { kind: 'string', help: "plain-HTTP address for /healthz and /readyz only (kubelet probes carry no client certificate; probe-only limits: 10 s header and request timeouts, 5 s idle, 64 connections, 16 per source); '' disables it", default: '0.0.0.0:9445' },
  'tls-cert-file': { kind: 'string', help: 'serving certificate (PEM); reloaded when it changes' },
  'tls-key-file': { kind: 'string', help: 'serving private key (PEM); reloaded when it changes' },
  'client-ca-file': { kind: 'string', help: "CA bundle the proxy's client certificate must chain to (required); reloaded when it changes" },
  'stale-after': { kind: 'seconds', help: 'how long the pod watch may stay broken before /readyz fails (seconds or a duration such as 2m)', default: 60 },
  ...listenerLimitFlags('Only the proxy replicas call the resolver, each over a few keep-alive connections.'),
  'log-level': { kind: 'string', help: 'debug, info, warn or error', default: 'info' },
} satisfies FlagSpecs;

export async function runResolver(argv: string[]): Promise<void> {
  const flags = commandFlags('resolver', argv, resolverFlags);
  if (!flags) return;
  setLogLevel(flags['log-level'] as LogLevel);
  const logger = createLogger('resolver');
  const missing = (['tls-cert-file', 'tls-key-file', 'client-ca-file'] as const).filter((f) => !flags[f]);
  if (missing.length > 0) throw new Error(`missing required flag(s): ${missing.map((f) => '--' + f).join(', ')} (the resolver hands out pod IPs, so it serves only HTTPS to holders of a client certificate)`);
  const namespace = flags.namespace ?? process.env.MY_NAMESPACE;
  if (!namespace) throw new Error('no namespace: give --namespace or set MY_NAMESPACE');
  const staleAfter = flags['stale-after']!;
  if (!(staleAfter > 0)) throw new Error(`--stale-after must be a positive number of seconds, not ${staleAfter}`);
  const limits = listenerLimitsFromFlags(flags);
  const kubeConfig = loadKubeConfig(flags.kubeconfig);
  const resolver = await startResolver({
    kubeConfig,
    namespace,
    listen: flags.listen!,
    ...(flags['health-listen'] ? { healthListen: flags['health-listen'] } : {}),
    tls: { certFile: flags['tls-cert-file']!, keyFile: flags['tls-key-file']!, clientCaFile: flags['client-ca-file']! },
    staleAfterMs: staleAfter * 1000,
    limits,
    logger,
  });
  logger.info('endpoint-resolver listening', { address: `${resolver.host}:${resolver.port}`, healthPort: resolver.healthPort, namespace, ready: resolver.readiness().ready });
  const stop = async (signal: string) => {
    logger.info('shutting down', { signal });
    await resolver.close();
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}
