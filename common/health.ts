/**
 * Plain-HTTP /healthz and /readyz for kubelet probes (which carry no client certificate), shared by the
 * resolver and the generator. Nothing else is served on such a listener.
 */
import type { RequestListener, ServerResponse } from 'node:http';

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
