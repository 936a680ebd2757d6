/**
 * The pass-through over real sockets: bytes unchanged both ways, TLS end to end (SNI and both certificates
 * untouched), half-close, per-connection name resolution and upstream file, the connection cap, the
 * connect and idle timeouts, dial error reasons, and the drain on shutdown.
 */
import { expect } from 'chai';
import { createHash, randomBytes } from 'node:crypto';
import dns from 'node:dns';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import net, { type LookupFunction, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { memoryLogger } from '../../common/log.js';
import type { Forwarder } from '../../forwarder/forwarder.js';
import { parseUpstream } from '../../forwarder/upstream.js';
import { createCA, issueCertificate } from '../../generator/pki/index.js';
import { peerGone, closedPort, connect, metric, readAll, readBytes, startEcho, startNamedEcho, startServer, startTestForwarder, waitFor, type TestServer, type TestForwarderOptions } from './helpers.js';

describe('forwarder: TCP pass-through', function () {
  this.timeout(30_000);
  let forwarders: Forwarder[] = [];
  let servers: TestServer[] = [];
  let dirs: string[] = [];
  const forwarder = async (opts: TestForwarderOptions) => {
    const f = await startTestForwarder(opts);
    forwarders.push(f);
    return f;
  };
  const server = async (s: Promise<TestServer>) => {
    const started = await s;
    servers.push(started);
    return started;
  };
  /** The readiness probe at start is the upstream's first connection; tests count the ones after it. */
  const startProbe = (upstream: TestServer) => waitFor(() => upstream.accepted.length === 1, 'the readiness probe at start');
  afterEach(async () => {
    await Promise.all(forwarders.map((f) => f.close(0)));
    await Promise.all(servers.map((s) => s.close()));
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    forwarders = [];
    servers = [];
    dirs = [];
  });

  it('carries bytes unchanged both ways and counts them', async () => {
    const echo = await server(startEcho());
    const f = await forwarder({ upstream: { host: '127.0.0.1', port: echo.port } });
    const payload = randomBytes(3 * 1024 * 1024 + 17);
    const client = await connect(f.port);
    const answer = readAll(client);
    client.end(payload);
    const got = await answer;
    expect(got.length).to.equal(payload.length);
    expect(createHash('sha256').update(got).digest('hex')).to.equal(createHash('sha256').update(payload).digest('hex'));
    await waitFor(() => f.activeConnections() === 0, 'the connection to close');
    expect(await metric(f, 'hcp_metrics_forwarder_bytes_total', { direction: 'to_upstream' })).to.equal(payload.length);
    expect(await metric(f, 'hcp_metrics_forwarder_bytes_total', { direction: 'to_client' })).to.equal(payload.length);
    expect(await metric(f, 'hcp_metrics_forwarder_connections_accepted_total')).to.equal(1);
    expect(await metric(f, 'hcp_metrics_forwarder_connections_closed_total', { reason: 'done' })).to.equal(1);
    expect(await metric(f, 'hcp_metrics_forwarder_connection_duration_seconds_count')).to.equal(1);
  });

  it('passes TLS through: the client verifies the server certificate for its SNI name, the server verifies the client certificate', async () => {
    const routeHost = 'metrics-proxy-clusters-a.apps.mgmt.example.com';
    const ca = createCA({ commonName: 'metrics-proxy CA' });
    const serving = issueCertificate(ca, { commonName: routeHost, dnsNames: [routeHost], usages: ['serverAuth'] });
    const clientCert = issueCertificate(ca, { commonName: 'system:serviceaccount:openshift-monitoring:prometheus-k8s', usages: ['clientAuth'] });
    const proxy = https.createServer({ cert: serving.certPem, key: serving.keyPem, ca: ca.certPem, requestCert: true, rejectUnauthorized: true }, (req, res) => {
      const tls = req.socket as TLSSocket;
      res.end(JSON.stringify({ sni: tls.servername, client: tls.getPeerCertificate().subject.CN, authorized: tls.authorized }));
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    try {
      const port = (proxy.address() as net.AddressInfo).port;
      const f = await forwarder({ upstream: { host: '127.0.0.1', port } });
      const answer = await new Promise<{ body: string; peerCN: string; authorized: boolean }>((resolve, reject) => {
        const req = https.request(
          { host: '127.0.0.1', port: f.port, path: '/metrics/kube-apiserver', servername: routeHost, ca: ca.certPem, cert: clientCert.certPem, key: clientCert.keyPem, agent: false },
          (res) => {
            const tls = res.socket as TLSSocket;
            const peerCN = String(tls.getPeerCertificate().subject.CN);
            let body = '';
            res.on('data', (c: Buffer) => (body += c.toString()));
            res.on('end', () => resolve({ body, peerCN, authorized: tls.authorized }));
          },
        );
        req.on('error', reject);
        req.end();
      });
      expect(answer.authorized).to.equal(true);
      expect(answer.peerCN).to.equal(routeHost);
      expect(JSON.parse(answer.body)).to.deep.equal({ sni: routeHost, client: 'system:serviceaccount:openshift-monitoring:prometheus-k8s', authorized: true });

      // Without a client certificate the upstream refuses the handshake: the forwarder did not stand in for it.
      const refused = await new Promise<string>((resolve) => {
        const req = https.request({ host: '127.0.0.1', port: f.port, servername: routeHost, ca: ca.certPem, agent: false }, () => resolve('answered'));
        req.on('error', (err) => resolve(err.message));
        req.end();
      });
      expect(refused).to.not.equal('answered');
    } finally {
      proxy.closeAllConnections();
      await new Promise((r) => proxy.close(r));
    }
  });

  it('half-close: the client ends its write and still receives the answer', async () => {
    // Answers only after the client's FIN, with the size and hash of what it read.
    const upstream = await server(
      startServer((s) => {
        const hash = createHash('sha256');
        let n = 0;
        s.on('data', (b: Buffer) => {
          n += b.length;
          hash.update(b);
        });
        s.on('end', () => s.end(`got ${n} ${hash.digest('hex')}`));
      }),
    );
    const f = await forwarder({ upstream: { host: '127.0.0.1', port: upstream.port } });
    const payload = randomBytes(200_000);
    const client = await connect(f.port);
    const answer = readAll(client);
    client.end(payload);
    expect((await answer).toString()).to.equal(`got ${payload.length} ${createHash('sha256').update(payload).digest('hex')}`);
    await peerGone(client);
    await waitFor(() => f.activeConnections() === 0, 'the pair to close');
    expect(await metric(f, 'hcp_metrics_forwarder_connections_closed_total', { reason: 'done' })).to.equal(1);
  });

  it('half-close the other way: the upstream ends first and the client can still send', async () => {
    // Says goodbye and ends its write at once, then keeps reading.
    const received: Buffer[] = [];
    const upstream = await server(
      startServer((s) => {
        s.end('bye\n');
        s.on('data', (b: Buffer) => received.push(b));
      }),
    );
    const f = await forwarder({ upstream: { host: '127.0.0.1', port: upstream.port } });
    const client = await connect(f.port);
    const fromUpstream = readAll(client);
    expect((await fromUpstream).toString()).to.equal('bye\n');
    client.end('still talking');
    await peerGone(client);
    await waitFor(() => Buffer.concat(received).toString() === 'still talking', 'the bytes sent after the upstream ended');
  });

  it('destroys both sides when one resets', async () => {
    const upstream = await server(startServer(() => {}));
    const f = await forwarder({ upstream: { host: '127.0.0.1', port: upstream.port } });
    await startProbe(upstream);
    const client = await connect(f.port);
    await waitFor(() => upstream.accepted.length === 2, 'the upstream connection');
    client.resetAndDestroy();
    await peerGone(upstream.accepted[1]!);
    await waitFor(() => f.activeConnections() === 0, 'the pair to close');
  });

  it('reaches an IPv6 upstream given as [::1]:PORT', async function () {
    const echo = net.createServer((s) => s.pipe(s));
    const listening = await new Promise<boolean>((resolve) => {
      echo.once('error', () => resolve(false));
      echo.listen(0, '::1', () => resolve(true));
    });
    if (!listening) this.skip(); // no IPv6 loopback in this sandbox
    try {
      const port = (echo.address() as net.AddressInfo).port;
      const f = await forwarder({ upstream: parseUpstream(`[::1]:${port}`) });
      const c = await connect(f.port);
      const back = readAll(c);
      c.end('over IPv6');
      expect((await back).toString()).to.equal('over IPv6');
    } finally {
      echo.close();
    }
  });

  it('resolves the upstream name for every connection', async () => {
    const echo = await server(startEcho());
    const asked: string[] = [];
    const lookup: LookupFunction = (hostname, options, callback) => {
      asked.push(hostname);
      dns.lookup(hostname, options, callback);
    };
    const f = await forwarder({ upstream: { host: 'localhost', port: echo.port }, lookup, probeIntervalMs: 3_600_000 });
    await waitFor(() => asked.length === 1, 'the first readiness probe'); // the probe at start
    for (let i = 0; i < 3; i++) {
      const c = await connect(f.port);
      const back = readAll(c);
      c.end(`ping ${i}`);
      expect((await back).toString()).to.equal(`ping ${i}`);
    }
    expect(asked).to.deep.equal(['localhost', 'localhost', 'localhost', 'localhost']);
  });

  it('sends new connections to the new upstream when the file changes, and leaves open ones alone', async () => {
    const a = await server(startNamedEcho('a'));
    const b = await server(startNamedEcho('b'));
    const dir = mkdtempSync(join(tmpdir(), 'fw-reload-'));
    dirs.push(dir);
    const file = join(dir, 'upstream');
    writeFileSync(file, `# the Route\n127.0.0.1:${a.port}\n`);
    const f = await forwarder({ upstreamFile: file, upstreamFileWatch: { pollIntervalMs: 20, debounceMs: 5 } });

    const first = await connect(f.port);
    expect((await readBytes(first, 2)).toString()).to.equal('a\n');

    writeFileSync(file, `127.0.0.1:${b.port}\n`);
    await waitFor(() => f.upstream().port === b.port, 'the reload');
    const second = await connect(f.port);
    expect((await readBytes(second, 2)).toString()).to.equal('b\n');

    // The first connection still talks to a.
    first.resume();
    const rest = readAll(first);
    first.end('still a');
    expect((await rest).toString()).to.equal('still a');

    writeFileSync(file, 'two\nlines\n');
    await waitFor(async () => (await metric(f, 'hcp_metrics_forwarder_upstream_reloads_total', { result: 'error' })) === 1, 'the rejected reload');
    const third = await connect(f.port);
    expect((await readBytes(third, 2)).toString()).to.equal('b\n');
    second.destroy();
    third.destroy();
  });

  it('closes connections beyond --max-connections at once and counts them', async () => {
    const upstream = await server(startServer(() => {}));
    const f = await forwarder({ upstream: { host: '127.0.0.1', port: upstream.port }, maxConnections: 2 });
    await startProbe(upstream);
    const held = [await connect(f.port), await connect(f.port)];
    await waitFor(() => upstream.accepted.length === 3, 'two upstream connections');
    const extra = await connect(f.port);
    const got = await readAll(extra);
    expect(got.length).to.equal(0);
    await peerGone(extra);
    expect(upstream.accepted.length).to.equal(3);
    expect(await metric(f, 'hcp_metrics_forwarder_connections_refused_total')).to.equal(1);
    expect(await metric(f, 'hcp_metrics_forwarder_connections_active')).to.equal(2);

    held[0]!.resetAndDestroy();
    await waitFor(() => f.activeConnections() === 1, 'a free slot');
    await connect(f.port);
    await waitFor(() => upstream.accepted.length === 4, 'the next connection to go through');
    expect(await metric(f, 'hcp_metrics_forwarder_connections_accepted_total')).to.equal(3);
  });

  it('gives up a dial after --connect-timeout and counts a timeout', async () => {
    // A socket that never connects stands in for a blackholed address.
    const pending: Socket[] = [];
    const createConnection = () => {
      const s = new net.Socket();
      pending.push(s);
      return s;
    };
    const f = await forwarder({ upstream: { host: 'blackhole.example.com', port: 443 }, connectTimeoutMs: 50, createConnection, probeIntervalMs: 3_600_000 });
    const client = await connect(f.port);
    await peerGone(client);
    await waitFor(async () => (await metric(f, 'hcp_metrics_forwarder_dial_errors_total', { reason: 'timeout' })) === 2, 'the timeouts (start probe and client)');
    expect(await metric(f, 'hcp_metrics_forwarder_connections_closed_total', { reason: 'dial_error' })).to.equal(1);
    expect(pending.every((s) => s.destroyed)).to.equal(true);
  });

  it('names the reason of a failed dial: refused, dns', async () => {
    const port = await closedPort();
    const logger = memoryLogger();
    const refused = await forwarder({ upstream: { host: '127.0.0.1', port }, probeIntervalMs: 3_600_000, logger });
    await peerGone(await connect(refused.port));
    await waitFor(async () => (await metric(refused, 'hcp_metrics_forwarder_dial_errors_total', { reason: 'refused' })) === 2, 'refused dials');
    const warn = logger.lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((r) => r.msg === 'cannot reach the upstream');
    expect(warn).to.include({ upstream: `127.0.0.1:${port}`, reason: 'refused' });

    const lookup: LookupFunction = (hostname, _options, callback) => {
      const err: NodeJS.ErrnoException = Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND', syscall: 'getaddrinfo', hostname });
      process.nextTick(() => callback(err, ''));
    };
    const noName = await forwarder({ upstream: { host: 'gone.apps.example.com', port: 443 }, lookup, probeIntervalMs: 3_600_000 });
    await peerGone(await connect(noName.port));
    await waitFor(async () => (await metric(noName, 'hcp_metrics_forwarder_dial_errors_total', { reason: 'dns' })) === 2, 'dns failures');
  });

  it('closes a connection on which nothing moved for --idle-timeout', async () => {
    const echo = await server(startEcho());
    const f = await forwarder({ upstream: { host: '127.0.0.1', port: echo.port }, idleTimeoutMs: 100 });
    await startProbe(echo);
    const client = await connect(f.port);
    const back = readAll(client);
    client.write('one');
    await peerGone(client);
    expect((await back).toString()).to.equal('one');
    await waitFor(() => echo.accepted[1]!.destroyed, 'the upstream side closed too');
    await waitFor(async () => (await metric(f, 'hcp_metrics_forwarder_connections_closed_total', { reason: 'idle_timeout' })) === 1, 'the idle close, counted');
  });

  it('keeps a connection open while bytes move in one direction only', async () => {
    // The upstream streams to the client, which sends nothing after its first byte; ticks are far
    // below the idle timeout, and the test waits for the idle close only after the stream stops.
    const upstream = await server(
      startServer((s) => {
        s.once('data', () => {
          let n = 0;
          const tick = setInterval(() => {
            if (s.destroyed) return clearInterval(tick);
            s.write('x');
            if (++n === 40) clearInterval(tick);
          }, 50);
        });
      }),
    );
    const f = await forwarder({ upstream: { host: '127.0.0.1', port: upstream.port }, idleTimeoutMs: 1500 });
    const client = await connect(f.port);
    const got = readAll(client);
    client.write('go');
    expect((await got).toString()).to.equal('x'.repeat(40));
    await waitFor(async () => (await metric(f, 'hcp_metrics_forwarder_connections_closed_total', { reason: 'idle_timeout' })) === 1, 'the idle close, counted');
    expect(await metric(f, 'hcp_metrics_forwarder_connections_closed_total')).to.equal(1);
  });

  it('on close: refuses new connections, lets open ones finish within the grace period, then closes the rest', async () => {
    const echo = await server(startEcho());
    const f = await startTestForwarder({ upstream: { host: '127.0.0.1', port: echo.port } });
    const finishing = await connect(f.port);
    const lingering = await connect(f.port);
    await waitFor(() => f.activeConnections() === 2, 'both connections');
    const closing = f.close(60_000);
    expect(f.readiness()).to.deep.equal({ ready: false, reason: 'shutting down' });
    const refused = await connect(f.port).then(
      () => 'connected',
      (err: NodeJS.ErrnoException) => err.code,
    );
    expect(refused).to.equal('ECONNREFUSED');
    // An open connection still works during the drain.
    const back = readAll(finishing);
    finishing.end('last scrape');
    expect((await back).toString()).to.equal('last scrape');
    await waitFor(() => f.activeConnections() === 1, 'the finished connection to go');

    const g = await forwarder({ upstream: { host: '127.0.0.1', port: echo.port } });
    const stuck = await connect(g.port);
    await waitFor(() => g.activeConnections() === 1, 'the connection');
    await g.close(50);
    await peerGone(stuck);
    expect(g.activeConnections()).to.equal(0);

    lingering.end();
    await closing;
    expect(f.activeConnections()).to.equal(0);
  });
});
