/**
 * The generator's plain-HTTP listener (`--health-listen`): /healthz, /readyz with named checks as
 * the kube-apiserver's (`?verbose` lists them, `/readyz/<check>` asks one), and /metrics.
 *
 * A check marked informational (guest sync) is shown but never fails /readyz: the generator's
 * readiness is about the management-side work, which a guest outage does not stop. Asked alone
 * (`/readyz/guest-sync`), it answers 503 while failing, for whoever wants to alert on it.
 */
import type { RequestListener, ServerResponse } from 'node:http';
import type { GeneratorMetrics } from './metrics.js';

export interface ReadinessCheck {
  name: string;
  /** undefined when fine; else why not. */
  check: () => string | undefined;
  informational?: boolean;
}

function text(res: ServerResponse, code: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(code, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': String(Buffer.byteLength(body)), ...headers });
  res.end(body);
}

export function generatorHealthHandler(checks: readonly ReadinessCheck[], metrics?: GeneratorMetrics): RequestListener {
  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://generator');
    const path = url.pathname;
    if (req.method !== 'GET' && req.method !== 'HEAD') return text(res, 405, 'method not allowed\n', { Allow: 'GET, HEAD' });
    if (path === '/healthz') return text(res, 200, 'ok\n');
    if (path === '/metrics' && metrics) {
      void metrics.registry.metrics().then(
        (body) => text(res, 200, body, { 'Content-Type': metrics.registry.contentType }),
        (err: unknown) => text(res, 500, `metrics failed: ${String(err)}\n`),
      );
      return;
    }
    if (path.startsWith('/readyz/')) {
      const name = path.slice('/readyz/'.length);
      const c = checks.find((x) => x.name === name);
      if (!c) return text(res, 404, `unknown readiness check "${name}" (known: ${checks.map((x) => x.name).join(', ')})\n`);
      const reason = c.check();
      return reason === undefined ? text(res, 200, 'ok\n') : text(res, 503, `[-]${name} failed: ${reason}\n`);
    }
    if (path === '/readyz') {
      let ok = true;
      const lines = checks.map((c) => {
        const reason = c.check();
        if (reason === undefined) return `[+]${c.name} ok`;
        if (c.informational) return `[-]${c.name} failed (informational, readiness unaffected): ${reason}`;
        ok = false;
        return `[-]${c.name} failed: ${reason}`;
      });
      const verbose = url.searchParams.has('verbose');
      if (!ok) return text(res, 503, lines.filter((l) => verbose || (l.startsWith('[-]') && !l.includes('(informational'))).join('\n') + '\nreadyz check failed\n');
      return text(res, 200, verbose ? lines.join('\n') + '\nreadyz check passed\n' : 'ok\n');
    }
    text(res, 404, `not found: only /healthz, /readyz${metrics ? ', /metrics' : ''} are served here\n`);
  };
}
