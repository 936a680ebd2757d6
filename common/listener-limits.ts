/**
 * Limits every listener applies before anything is authenticated: how long a caller may take to
 * finish its TLS handshake, its request headers and its request (head and body), how long an idle
 * keep-alive connection stays open, and how many connections may be open at once, in all and per
 * source address. Node's requestTimeout covers *receiving* the request only (checked on Node 20:
 * the parser leaves the server's expiry list once the request is complete), so a scrape answer
 * that takes long to stream is never cut by it.
 */
import type http from 'node:http';
import type https from 'node:https';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';

export interface ListenerLimits {
  /** Time to receive the request headers, from the first byte (or the end of the TLS handshake). */
  headersTimeoutMs: number;
  /** Time to receive the whole request (head and body); not the answer. ≥ headersTimeoutMs. */
  requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this long. */
  idleTimeoutMs: number;
  /** Time to finish the TLS handshake (TLS listeners only). */
  handshakeTimeoutMs: number;
  /** Open connections in all; beyond it new ones are closed at once. 0: no cap. */
  maxConnections: number;
  /** Open connections per source address; beyond it new ones from that address are closed at once. 0: no cap. */
  maxConnectionsPerSource: number;
}

/** What a listener refused or closed, for metrics. */
export interface ListenerLimitEvents {
  refused?(reason: 'max_connections' | 'max_connections_per_source'): void;
  timedOut?(kind: 'request' | 'handshake'): void;
}

/** The HTTPS listeners (proxy, resolver): Prometheus keeps connections alive between scrapes. */
export const DEFAULT_LISTENER_LIMITS: ListenerLimits = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  // Longer than the 60 s idle timeout of common load balancers and routers, so they close first.
  idleTimeoutMs: 65_000,
  handshakeTimeoutMs: 10_000,
  maxConnections: 1024,
  maxConnectionsPerSource: 256,
};

/** Probe-only plain-HTTP listeners (/healthz, /readyz): the kubelet opens a connection per probe. */
export const HEALTH_LISTENER_LIMITS: ListenerLimits = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 10_000,
  idleTimeoutMs: 5_000,
  handshakeTimeoutMs: 10_000,
  maxConnections: 64,
  maxConnectionsPerSource: 16,
};

/** Throws with a message naming what is wrong; `names` maps fields to the flags that set them. */
export function validateListenerLimits(l: ListenerLimits, names: Partial<Record<keyof ListenerLimits, string>> = {}): ListenerLimits {
  const name = (k: keyof ListenerLimits) => names[k] ?? k;
  for (const k of ['headersTimeoutMs', 'requestTimeoutMs', 'idleTimeoutMs', 'handshakeTimeoutMs'] as const) {
    if (!Number.isFinite(l[k]) || l[k] <= 0) throw new Error(`${name(k)} must be a positive duration, got ${l[k] / 1000} s`);
  }
  for (const k of ['maxConnections', 'maxConnectionsPerSource'] as const) {
    if (!Number.isInteger(l[k]) || l[k] < 0) throw new Error(`${name(k)} must be a whole number ≥ 0 (0: no cap), got ${l[k]}`);
  }
  if (l.requestTimeoutMs < l.headersTimeoutMs) {
    throw new Error(`${name('requestTimeoutMs')} (${l.requestTimeoutMs / 1000} s) must not be shorter than ${name('headersTimeoutMs')} (${l.headersTimeoutMs / 1000} s): the headers are part of the request`);
  }
  return l;
}

/**
 * Options for http.createServer / https.createServer. The expiry check runs every
 * connectionsCheckingInterval (Node's default 30 s would let a 10 s header timeout last 40 s).
 */
export function listenerServerOptions(l: ListenerLimits): http.ServerOptions & Pick<https.ServerOptions, 'handshakeTimeout'> {
  const shortest = Math.min(l.headersTimeoutMs, l.requestTimeoutMs);
  return {
    headersTimeout: l.headersTimeoutMs,
    requestTimeout: l.requestTimeoutMs,
    keepAliveTimeout: l.idleTimeoutMs,
    connectionsCheckingInterval: Math.max(25, Math.min(1000, Math.floor(shortest / 4))),
    handshakeTimeout: l.handshakeTimeoutMs,
  };
}

/** `::ffff:10.0.0.1` and `10.0.0.1` are one source. */
function sourceOf(address: string | undefined): string {
  if (!address) return 'unknown';
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

/** Open connections per source address, as counted by capConnections. */
export interface ConnectionCounts {
  total(): number;
  of(address: string): number;
}

/**
 * Connection caps and the accounting of timeouts on a created server. The per-source check runs
 * before TLS starts (prepended 'connection' listener), so a refused connection costs no handshake.
 */
export function capConnections(server: http.Server | https.Server, l: ListenerLimits, events: ListenerLimitEvents = {}): ConnectionCounts {
  const perSource = new Map<string, number>();
  let open = 0;
  if (l.maxConnections > 0) server.maxConnections = l.maxConnections;
  // Node closes connections past maxConnections itself and says so with 'drop' (Node ≥ 18.6).
  server.on('drop', () => events.refused?.('max_connections'));
  server.prependListener('connection', (socket: Socket) => {
    const source = sourceOf(socket.remoteAddress);
    const n = perSource.get(source) ?? 0;
    if (l.maxConnectionsPerSource > 0 && n >= l.maxConnectionsPerSource) {
      events.refused?.('max_connections_per_source');
      socket.destroy();
      return;
    }
    perSource.set(source, n + 1);
    open++;
    socket.once('close', () => {
      open--;
      const left = (perSource.get(source) ?? 1) - 1;
      if (left <= 0) perSource.delete(source);
      else perSource.set(source, left);
    });
  });
  // A listener of our own replaces Node's default answer to client errors, so give the same one.
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') events.timedOut?.('request');
    const status =
      err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout' : err.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : '400 Bad Request';
    const sent = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent === true;
    if (err.code !== 'ECONNRESET' && socket.writable && !sent) {
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\n\r\n`);
    }
    socket.destroy();
  });
  server.on('tlsClientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    if (err.code === 'ERR_TLS_HANDSHAKE_TIMEOUT') events.timedOut?.('handshake');
    socket.destroy();
  });
  return { total: () => open, of: (address) => perSource.get(sourceOf(address)) ?? 0 };
}
