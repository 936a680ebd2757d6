/** The flags that set a listener's limits (common/listener-limits.ts), shared by the proxy and the resolver. */
import type { FlagSpecs } from './flags.js';
import { DEFAULT_LISTENER_LIMITS, validateListenerLimits, type ListenerLimits } from './listener-limits.js';

const d = DEFAULT_LISTENER_LIMITS;

/** `perSourceHelp` says who the callers are, and so why the per-source default is what it is. */
export function listenerLimitFlags(perSourceHelp: string) {
  return {
    'headers-timeout': { kind: 'seconds', help: 'time to receive a request\'s headers (for the first request of a connection, counted from the end of the TLS handshake); a slower caller gets 408 and is disconnected', default: d.headersTimeoutMs / 1000 },
    'request-timeout': { kind: 'seconds', help: 'time to receive a whole request, headers and body (not the answer: a long scrape answer is never cut); at least --headers-timeout', default: d.requestTimeoutMs / 1000 },
    'idle-timeout': { kind: 'seconds', help: 'an idle keep-alive connection is closed after this long', default: d.idleTimeoutMs / 1000 },
    'tls-handshake-timeout': { kind: 'seconds', help: 'a connection that has not finished its TLS handshake this long after connecting is closed', default: d.handshakeTimeoutMs / 1000 },
    'max-connections': { kind: 'number', help: 'open connections in all; new ones beyond it are closed at once (0: no cap)', default: d.maxConnections },
    'max-connections-per-source': { kind: 'number', help: `open connections from one source address; new ones beyond it are closed at once (0: no cap). ${perSourceHelp}`, default: d.maxConnectionsPerSource },
  } satisfies FlagSpecs;
}

type LimitFlagValues = { [K in keyof ReturnType<typeof listenerLimitFlags>]: number | undefined };

/** Limits from parsed flags; throws naming the flag when they cannot work. */
export function listenerLimitsFromFlags(flags: LimitFlagValues): ListenerLimits {
  const ms = (v: number | undefined, dflt: number) => (v === undefined ? dflt : v * 1000);
  return validateListenerLimits(
    {
      headersTimeoutMs: ms(flags['headers-timeout'], d.headersTimeoutMs),
      requestTimeoutMs: ms(flags['request-timeout'], d.requestTimeoutMs),
      idleTimeoutMs: ms(flags['idle-timeout'], d.idleTimeoutMs),
      handshakeTimeoutMs: ms(flags['tls-handshake-timeout'], d.handshakeTimeoutMs),
      maxConnections: flags['max-connections'] ?? d.maxConnections,
      maxConnectionsPerSource: flags['max-connections-per-source'] ?? d.maxConnectionsPerSource,
    },
    {
      headersTimeoutMs: '--headers-timeout',
      requestTimeoutMs: '--request-timeout',
      idleTimeoutMs: '--idle-timeout',
      handshakeTimeoutMs: '--tls-handshake-timeout',
      maxConnections: '--max-connections',
      maxConnectionsPerSource: '--max-connections-per-source',
    },
  );
}
