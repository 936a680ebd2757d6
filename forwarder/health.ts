/**
 * The forwarder's plain-HTTP port: /healthz and /readyz (common/health.ts) for kubelet, and /metrics for
 * the guest's own Prometheus. Plain HTTP on purpose: nothing here is secret, and the forwarder holds no
 * certificate (it never terminates TLS).
 */
import type { RequestListener } from 'node:http';
import { errorMessage } from '../common/errors.js';
import { healthHandler, type HealthState } from '../common/health.js';
import type { Registry } from 'prom-client';

export function forwarderHealthHandler(readiness: () => HealthState, registry: Registry): RequestListener {
  const health = healthHandler(readiness);
  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz' || path === '/readyz') return health(req, res);
    if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      const body = path === '/metrics' ? 'method not allowed\n' : 'not found: only /healthz, /readyz and /metrics are served here\n';
      res.writeHead(path === '/metrics' ? 405 : 404, { 'Content-Type': 'text/plain; charset=utf-8', ...(path === '/metrics' ? { Allow: 'GET, HEAD' } : {}) });
      res.end(body);
      return;
    }
    registry.metrics().then(
      (text) => {
        res.writeHead(200, { 'Content-Type': registry.contentType });
        res.end(req.method === 'HEAD' ? undefined : text);
      },
      (err: unknown) => {
        res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
        res.end(`metrics: ${errorMessage(err)}\n`);
      },
    );
  };
}
