/** The generator's health listener: named checks, an informational one that never fails /readyz, single checks, /metrics. */
import { expect } from 'chai';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { generatorHealthHandler } from '../../generator/health.js';
import { GeneratorMetrics } from '../../generator/metrics.js';

function request(port: number, path: string, method = 'GET'): Promise<{ status: number; body: string; type: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, type: String(res.headers['content-type']) }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('generator: health listener', () => {
  let server: http.Server;
  let port: number;
  let config: string | undefined;
  let guest: string | undefined;
  const metrics = new GeneratorMetrics({ defaultMetrics: false });

  before(async () => {
    server = http.createServer(
      generatorHealthHandler(
        [
          { name: 'config', check: () => config },
          { name: 'guest-sync', informational: true, check: () => guest },
        ],
        metrics,
      ),
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    port = (server.address() as AddressInfo).port;
  });
  after(() => server.close());

  it('is ready when the management side is, whatever the informational check says', async () => {
    config = undefined;
    guest = 'guest API down';
    expect(await request(port, '/readyz')).to.include({ status: 200, body: 'ok\n' });
    const verbose = await request(port, '/readyz?verbose');
    expect(verbose.status).to.equal(200);
    expect(verbose.body).to.equal('[+]config ok\n[-]guest-sync failed (informational, readiness unaffected): guest API down\nreadyz check passed\n');
    expect(await request(port, '/readyz/guest-sync')).to.include({ status: 503, body: '[-]guest-sync failed: guest API down\n' });
    guest = undefined;
    expect(await request(port, '/readyz/guest-sync')).to.include({ status: 200 });
  });

  it('is not ready when a management check fails, and says which', async () => {
    config = 'no configuration generated yet';
    guest = 'guest API down';
    const r = await request(port, '/readyz');
    expect(r.status).to.equal(503);
    expect(r.body).to.equal('[-]config failed: no configuration generated yet\nreadyz check failed\n');
    expect(await request(port, '/readyz/config')).to.include({ status: 503 });
    config = undefined;
  });

  it('serves /healthz and /metrics, names unknown checks and refuses other methods', async () => {
    expect(await request(port, '/healthz')).to.include({ status: 200, body: 'ok\n' });
    const m = await request(port, '/metrics');
    expect(m.status).to.equal(200);
    expect(m.type).to.match(/^text\/plain; version=0\.0\.4/);
    expect(m.body).to.include('# TYPE hcp_metrics_proxy_generator_guest_sync_attempts_total counter');
    expect(await request(port, '/readyz/nope')).to.include({ status: 404, body: 'unknown readiness check "nope" (known: config, guest-sync)\n' });
    expect((await request(port, '/readyz', 'POST')).status).to.equal(405);
    expect((await request(port, '/other')).status).to.equal(404);
  });
});
