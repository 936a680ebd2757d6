/**
 * Plain-HTTP /healthz and /readyz for kubelet probes (which carry no client certificate), shared by the
 * resolver and the generator. Nothing else is served on such a listener.
 */
import http, { type RequestListener, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { capConnections, HEALTH_LISTENER_LIMITS, listenerServerOptions, validateListenerLimits, type ListenerLimits } from './listener-limits.js';
import { parseListen } from './listen.js';

export interface HealthState {
  ready: boolean;
  /** Why not ready, for the probe's answer and the logs. */
  reason?: string;
}

function text(res: ServerResponse, code: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(code, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': String(Buffer.byteLength(body)), ...headers });
  res.end(body);
}

export function healthHandler(readiness: () => HealthState): RequestListener {
  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') return text(res, 405, 'method not allowed\n', { Allow: 'GET, HEAD' });
    if (path === '/healthz') return text(res, 200, 'ok\n');
    if (path === '/readyz') {
      const r = readiness();
      return r.ready ? text(res, 200, 'ok\n') : text(res, 503, `not ready: ${r.reason ?? 'unknown'}\n`);
    }
    text(res, 404, 'not found: only /healthz and /readyz are served here\n');
  };
}

export interface HealthListener {
  server: http.Server;
  port: number;
  close(): Promise<void>;
}

/**
 * The probe listener on `listen` (host:port), with limits of its own: a port that answers probes
 * must not be the one a silent or trickling client can hold open.
 */
export function startHealthListener(listen: string, readiness: () => HealthState, limits: ListenerLimits = HEALTH_LISTENER_LIMITS): Promise<HealthListener> {
  return startProbeListener(listen, healthHandler(readiness), limits);
}

/** A plain-HTTP listener for probes and metrics with the limits of every listener (DESIGN §10). */
export async function startProbeListener(listen: string, handler: http.RequestListener, limits: ListenerLimits = HEALTH_LISTENER_LIMITS): Promise<HealthListener> {
  const { host, port } = parseListen(listen);
  validateListenerLimits(limits);
  const server = http.createServer(listenerServerOptions(limits), handler);
  capConnections(server, limits);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
