/** The probe-only listener of the resolver and the generator. */
import { expect } from 'chai';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { healthHandler, type HealthState } from '../../common/health.js';

function call(port: number, method: string, path: string): Promise<{ status: number; body: string; allow?: string }> {
  return new Promise((resolve, reject) => {
    http
      .request({ host: '127.0.0.1', port, method, path }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, allow: res.headers.allow }));
      })
      .on('error', reject)
      .end();
  });
}

describe('common/health', () => {
  let server: http.Server;
  let port: number;
  let state: HealthState = { ready: false, reason: 'pods not listed yet' };
  before(async () => {
    server = http.createServer(healthHandler(() => state));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  it('is live at once and ready when the state says so, giving the reason otherwise', async () => {
    expect(await call(port, 'GET', '/healthz')).to.include({ status: 200, body: 'ok\n' });
    expect(await call(port, 'GET', '/readyz')).to.include({ status: 503, body: 'not ready: pods not listed yet\n' });
    state = { ready: true };
    expect(await call(port, 'GET', '/readyz?verbose')).to.include({ status: 200, body: 'ok\n' });
  });

  it('serves nothing else', async () => {
    expect((await call(port, 'GET', '/resolve')).status).to.equal(404);
    expect(await call(port, 'POST', '/healthz')).to.include({ status: 405, allow: 'GET, HEAD' });
  });
});
