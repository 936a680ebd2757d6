/** `hcp-metrics-proxy forwarder`: the guest cluster's TCP pass-through to the proxy's Route (DESIGN §11). */
import { commandFlags, type FlagSpecs } from '../common/flags.js';
import { createLogger, setLogLevel, type LogLevel } from '../common/log.js';
import { startForwarder } from './forwarder.js';
import { parseUpstream } from './upstream.js';

export const forwarderFlags = {
  listen: { kind: 'string', help: 'address to accept TCP connections on (TLS passes through untouched)', default: '0.0.0.0:8443' },
  upstream: { kind: 'string', help: "HOST:PORT to forward to, e.g. the proxy's Route host and 443 ([IPV6]:PORT for an IPv6 literal); with --upstream-file, used until the file holds a good address" },
  'upstream-file': { kind: 'string', help: 'file holding HOST:PORT (one line; blank lines and # comments ignored); reloaded when it changes, a bad file keeps the last good upstream' },
  'health-listen': { kind: 'string', help: "plain-HTTP address for /healthz, /readyz (ready = the upstream was reached recently) and /metrics; '' disables it", default: '0.0.0.0:8080' },
  'max-connections': { kind: 'number', help: 'open connections at most; more are closed at once and counted', default: 512 },
  'connect-timeout': { kind: 'seconds', help: 'time to connect to the upstream (seconds or a duration such as 5s)', default: 5 },
  'idle-timeout': { kind: 'seconds', help: "a connection on which no byte moved either way for this long is closed; keep it well above Prometheus' scrape interval, which keeps connections alive between scrapes", default: 300 },
  'shutdown-grace': { kind: 'seconds', help: 'after SIGTERM, how long open connections may finish before they are closed', default: 20 },
  'log-level': { kind: 'string', help: 'debug, info, warn or error', default: 'info' },
} satisfies FlagSpecs;

const LOG_LEVELS: readonly string[] = ['debug', 'info', 'warn', 'error'];

export async function runForwarder(argv: string[]): Promise<void> {
  const flags = commandFlags('forwarder', argv, forwarderFlags);
  if (!flags) return;
  if (!LOG_LEVELS.includes(flags['log-level']!)) throw new Error(`--log-level takes debug, info, warn or error, not '${flags['log-level']}'`);
  setLogLevel(flags['log-level'] as LogLevel);
  const logger = createLogger('forwarder');
  if (!flags.upstream && !flags['upstream-file']) throw new Error('missing required flag: --upstream HOST:PORT or --upstream-file FILE');
  const grace = flags['shutdown-grace']!;
  if (!(grace >= 0)) throw new Error(`--shutdown-grace must be zero or more seconds, not ${grace}`);
  const forwarder = await startForwarder({
    listen: flags.listen!,
    ...(flags['health-listen'] ? { healthListen: flags['health-listen'] } : {}),
    ...(flags.upstream ? { upstream: parseUpstream(flags.upstream) } : {}),
    ...(flags['upstream-file'] ? { upstreamFile: flags['upstream-file'] } : {}),
    maxConnections: flags['max-connections']!,
    connectTimeoutMs: flags['connect-timeout']! * 1000,
    idleTimeoutMs: flags['idle-timeout']! * 1000,
    logger,
  });
  logger.info('forwarder listening', { address: `${forwarder.host}:${forwarder.port}`, healthPort: forwarder.healthPort, maxConnections: flags['max-connections'] });
  const stop = async (signal: string) => {
    logger.info('shutting down: no new connections, draining the open ones', { signal, open: forwarder.activeConnections(), graceSeconds: grace });
    await forwarder.close(grace * 1000);
    logger.info('stopped');
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}
