/** The forwarder's plain-HTTP port: /healthz always, /readyz following the upstream, /metrics with its counters. */
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memoryLogger } from '../../common/log.js';
import type { Forwarder } from '../../forwarder/forwarder.js';
import { UpstreamReadiness } from '../../forwarder/readiness.js';
import { closedPort, connect, get, metric, peerGone, readAll, startEcho, startTestForwarder, waitFor, type TestServer } from './helpers.js';

describe('forwarder: health and metrics', function () {
  this.timeout(30_000);
  let forwarders: Forwarder[] = [];
  let servers: TestServer[] = [];
  let dirs: string[] = [];
  afterEach(async () => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    dirs = [];
    await Promise.all(forwarders.map((f) => f.close(0)));
    await Promise.all(servers.map((s) => s.close()));
    forwarders = [];
    servers = [];
  });

  it('is not ready before the upstream was reached, then ready; live all along', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fw-health-'));
    dirs.push(dir);
    const file = join(dir, 'upstream');
    writeFileSync(file, `127.0.0.1:${await closedPort()}\n`);
    const f = await startTestForwarder({ upstreamFile: file, upstreamFileWatch: { pollIntervalMs: 20, debounceMs: 5 }, probeIntervalMs: 20 });
    forwarders.push(f);
    await waitFor(() => /ECONNREFUSED/.test(f.readiness().reason ?? ''), 'the first failed probe');
    const notReady = await get(f.healthPort!, '/readyz');
    expect(notReady.status).to.equal(503);
    expect(notReady.body).to.match(/^not ready: the upstream has not been reached yet: dial 127\.0\.0\.1:\d+: connect ECONNREFUSED/);
    expect(await get(f.healthPort!, '/healthz')).to.deep.equal({ status: 200, body: 'ok\n' });
    expect(await metric(f, 'hcp_metrics_forwarder_upstream_ready')).to.equal(0);

    // The upstream comes up (at a new address): the background probe finds it.
    const echo = await startEcho();
    servers.push(echo);
    writeFileSync(file, `127.0.0.1:${echo.port}\n`);
    await waitFor(async () => (await get(f.healthPort!, '/readyz')).status === 200, '/readyz 200');
    expect(await metric(f, 'hcp_metrics_forwarder_upstream_ready')).to.equal(1);
  });

  it('turns not ready when the upstream goes down', async () => {
    const echo = await startEcho();
    const f = await startTestForwarder({ upstream: { host: '127.0.0.1', port: echo.port }, probeIntervalMs: 20, failuresToUnready: 2 });
    forwarders.push(f);
    await waitFor(async () => (await get(f.healthPort!, '/readyz')).status === 200, 'ready');
    await echo.close();
    await waitFor(async () => (await get(f.healthPort!, '/readyz')).status === 503, 'not ready');
    expect((await get(f.healthPort!, '/readyz')).body).to.match(/not ready: .*ECONNREFUSED/);
    expect((await get(f.healthPort!, '/healthz')).status).to.equal(200);
  });

  it('counts the dials of real connections for readiness', () => {
    let t = 1_000_000;
    const r = new UpstreamReadiness({ dial: () => Promise.reject(new Error('unused')), probeIntervalMs: 10_000, failuresToUnready: 3, logger: memoryLogger(), now: () => t });
    expect(r.state()).to.deep.equal({ ready: false, reason: 'the upstream has not been reached yet' });
    r.recordSuccess();
    expect(r.state().ready).to.equal(true);
    r.recordFailure(new Error('dial x: connect ECONNREFUSED'));
    r.recordFailure(new Error('dial x: connect ECONNREFUSED'));
    expect(r.state().ready).to.equal(true);
    r.recordFailure(new Error('dial x: connect ECONNREFUSED'));
    expect(r.state()).to.deep.equal({ ready: false, reason: '3 dials to the upstream failed in a row: dial x: connect ECONNREFUSED' });
    r.recordSuccess();
    expect(r.state().ready).to.equal(true);
    t += 30_001;
    expect(r.state()).to.deep.equal({ ready: false, reason: 'the upstream was last reached 30 s ago' });
    r.markShuttingDown();
    r.recordSuccess();
    expect(r.state()).to.deep.equal({ ready: false, reason: 'shutting down' });
  });

  it('serves the counters on /metrics, and nothing but its three paths', async () => {
    const echo = await startEcho();
    servers.push(echo);
    const f = await startTestForwarder({ upstream: { host: '127.0.0.1', port: echo.port } });
    forwarders.push(f);
    const c = await connect(f.port);
    const back = readAll(c);
    c.end('hello');
    expect((await back).toString()).to.equal('hello');
    await peerGone(c);
    await waitFor(() => f.activeConnections() === 0, 'the connection to close');

    const { status, body } = await get(f.healthPort!, '/metrics');
    expect(status).to.equal(200);
    for (const family of [
      'hcp_metrics_forwarder_connections_accepted_total 1',
      'hcp_metrics_forwarder_connections_active 0',
      'hcp_metrics_forwarder_connections_refused_total 0',
      'hcp_metrics_forwarder_connections_closed_total{reason="done"} 1',
      'hcp_metrics_forwarder_bytes_total{direction="to_upstream"} 5',
      'hcp_metrics_forwarder_bytes_total{direction="to_client"} 5',
      'hcp_metrics_forwarder_dial_errors_total{reason="dns"} 0',
      'hcp_metrics_forwarder_dial_errors_total{reason="refused"} 0',
      'hcp_metrics_forwarder_dial_errors_total{reason="timeout"} 0',
      'hcp_metrics_forwarder_dial_errors_total{reason="other"} 0',
      'hcp_metrics_forwarder_connection_duration_seconds_count 1',
      'hcp_metrics_forwarder_upstream_ready 1',
    ]) {
      expect(body.split('\n'), family).to.include(family);
    }
    expect((await get(f.healthPort!, '/')).status).to.equal(404);
    expect((await get(f.healthPort!, '/metrics/kube-apiserver')).status).to.equal(404);
  });

  it('serves the process metrics unless told not to', async () => {
    const echo = await startEcho();
    servers.push(echo);
    const f = await startTestForwarder({ upstream: { host: '127.0.0.1', port: echo.port }, defaultMetrics: true });
    forwarders.push(f);
    expect(await metric(f, 'process_resident_memory_bytes')).to.be.greaterThan(0);
  });
});
