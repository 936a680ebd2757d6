/**
 * Limits before authentication on real sockets: the HTTPS listener (common/https-server.ts) and the
 * plain-HTTP probe listener (common/health.ts) close silent, trickling and idle connections, refuse
 * connections past the total and per-source caps, and never cut a long answer. Timeouts are made
 * small through the options; the assertions are on what happens, never on how fast.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { startHealthListener, type HealthListener } from '../../common/health.js';
import { startHttpsServer, type RunningServer } from '../../common/https-server.js';
import { listenerLimitFlags, listenerLimitsFromFlags } from '../../common/listener-flags.js';
import { DEFAULT_LISTENER_LIMITS, validateListenerLimits, type ListenerLimits } from '../../common/listener-limits.js';
import { parseFlags } from '../../common/flags.js';
import { memoryLogger } from '../../common/log.js';
import { createCA, issueCertificate, type CertificatePair } from '../../generator/pki/index.js';
import { ProxyMetrics } from '../../proxy/server/metrics.js';

const SMALL: ListenerLimits = {
  headersTimeoutMs: 300,
  requestTimeoutMs: 400,
  idleTimeoutMs: 300,
  handshakeTimeoutMs: 300,
  maxConnections: 0,
  maxConnectionsPerSource: 0,
};

/** Everything a raw connection received until the server closed it. */
function closed(socket: net.Socket): Promise<string> {
  return new Promise((resolve) => {
    let got = '';
    socket.on('data', (b: Buffer) => (got += b.toString('latin1')));
    socket.on('error', () => {});
    socket.on('close', () => resolve(got));
  });
}

function connectTls(port: number, ca: string, localAddress = '127.0.0.1'): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const raw = net.connect({ host: '127.0.0.1', port, localAddress });
    raw.once('error', reject);
    const s = tls.connect({ socket: raw, ca, servername: 'localhost' }, () => resolve(s));
    s.once('error', reject);
    s.once('close', () => reject(new Error('closed before the handshake finished')));
  });
}

/** A TCP connection the server has certainly accepted (it answers a TLS ClientHello), kept open. */
async function openConnection(port: number, ca: string, localAddress = '127.0.0.1'): Promise<tls.TLSSocket> {
  const s = await connectTls(port, ca, localAddress);
  s.on('error', () => {});
  return s;
}

/** Whether a new TLS connection from `localAddress` is accepted (handshake completes) or dropped. */
async function accepted(port: number, ca: string, localAddress = '127.0.0.1'): Promise<boolean> {
  try {
    const s = await connectTls(port, ca, localAddress);
    s.destroy();
    return true;
  } catch {
    return false;
  }
}

describe('common/listener-limits', function () {
  this.timeout(30_000);
  let dir: string;
  let ca: CertificatePair;
  const servers: RunningServer[] = [];
  const health: HealthListener[] = [];
  const sockets: net.Socket[] = [];

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'hcp-limits-'));
    ca = createCA({ commonName: 'limits test CA' });
    const serving = issueCertificate(ca, { commonName: 'localhost', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'], usages: ['serverAuth'] });
    writeFileSync(join(dir, 'tls.crt'), serving.certPem);
    writeFileSync(join(dir, 'tls.key'), serving.keyPem);
  });
  afterEach(async () => {
    sockets.splice(0).forEach((s) => s.destroy());
    await Promise.all(servers.splice(0).map((s) => s.close(0)));
    await Promise.all(health.splice(0).map((h) => h.close()));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const events = { refused: [] as string[], timedOut: [] as string[] };
  const start = async (limits: ListenerLimits, handler: Parameters<typeof startHttpsServer>[0] = (_req, res) => res.end('ok\n')) => {
    events.refused = [];
    events.timedOut = [];
    const s = await startHttpsServer(handler, {
      listen: '127.0.0.1:0',
      tls: { certFile: join(dir, 'tls.crt'), keyFile: join(dir, 'tls.key') },
      logger: memoryLogger(),
      limits,
      limitEvents: { refused: (r) => events.refused.push(r), timedOut: (k) => events.timedOut.push(k) },
    });
    servers.push(s);
    return s;
  };

  describe('timeouts', () => {
    it('closes a connection that never starts its TLS handshake', async () => {
      const s = await start(SMALL);
      const raw = net.connect(s.port, '127.0.0.1');
      sockets.push(raw);
      await closed(raw);
      expect(events.timedOut).to.deep.equal(['handshake']);
    });

    it('answers 408 and closes a connection that sends nothing after the handshake', async () => {
      const s = await start(SMALL);
      const c = await openConnection(s.port, ca.certPem);
      sockets.push(c);
      expect(await closed(c)).to.match(/^HTTP\/1\.1 408 Request Timeout\r\n/);
      expect(events.timedOut).to.include('request');
    });

    it('answers 408 and closes a connection that trickles its headers', async () => {
      const s = await start(SMALL);
      const c = await openConnection(s.port, ca.certPem);
      sockets.push(c);
      const done = closed(c);
      c.write('GET / HTTP/1.1\r\nHost: x\r\n');
      // One more header line every 50 ms: each arrives well within any idle timeout, the whole never.
      const drip = setInterval(() => c.writable && c.write('X-Drip: 1\r\n'), 50);
      try {
        expect(await done).to.match(/^HTTP\/1\.1 408 /);
      } finally {
        clearInterval(drip);
      }
    });

    it('answers 408 to a request whose body trickles in longer than the request timeout', async () => {
      const s = await start(SMALL, (req, res) => {
        req.resume();
        req.on('end', () => res.end('got it\n'));
      });
      const c = await openConnection(s.port, ca.certPem);
      sockets.push(c);
      const done = closed(c);
      c.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n');
      const drip = setInterval(() => c.writable && c.write('a'), 50);
      try {
        expect(await done).to.match(/^HTTP\/1\.1 408 /);
      } finally {
        clearInterval(drip);
      }
    });

    it('closes an idle keep-alive connection after its answer', async () => {
      const s = await start(SMALL);
      const c = await openConnection(s.port, ca.certPem);
      sockets.push(c);
      const done = closed(c);
      c.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
      const got = await done;
      expect(got).to.match(/^HTTP\/1\.1 200 OK\r\n/);
      expect(got).to.match(/keep-alive/i);
      expect(got).to.not.contain('408');
    });

    it('serves the next request of a kept-alive connection idle longer than the request timeout', async () => {
      const s = await start({ ...SMALL, headersTimeoutMs: 200, requestTimeoutMs: 300, idleTimeoutMs: 5000 });
      const agent = new https.Agent({ keepAlive: true, maxSockets: 1, ca: ca.certPem });
      const get = () =>
        new Promise<{ status: number; reused: boolean }>((resolve, reject) => {
          const req = https.get(`https://127.0.0.1:${s.port}/`, { agent }, (res) => {
            res.resume();
            res.on('end', () => resolve({ status: res.statusCode ?? 0, reused: req.reusedSocket }));
          });
          req.on('error', reject);
        });
      try {
        expect(await get()).to.deep.equal({ status: 200, reused: false });
        await new Promise((r) => setTimeout(r, 900)); // three request timeouts of idleness, well within the idle timeout
        expect(await get()).to.deep.equal({ status: 200, reused: true });
      } finally {
        agent.destroy();
      }
      expect(events.timedOut).to.deep.equal([]);
    });

    it('never cuts an answer that keeps streaming long past every timeout', async () => {
      const pieces = 40;
      const s = await start(SMALL, (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        let n = 0;
        const t = setInterval(() => {
          res.write(`piece ${n}\n`);
          if (++n === pieces) {
            clearInterval(t);
            res.end('end\n');
          }
        }, 50); // 40 × 50 ms: several times the header, request and idle timeouts
      });
      const body = await new Promise<string>((resolve, reject) => {
        https
          .get(`https://127.0.0.1:${s.port}/`, { ca: ca.certPem, agent: false }, (res) => {
            let b = '';
            res.setEncoding('utf8');
            res.on('data', (c: string) => (b += c));
            res.on('end', () => resolve(b));
            res.on('error', reject);
          })
          .on('error', reject);
      });
      expect(body.split('\n').filter((l) => l.startsWith('piece '))).to.have.length(pieces);
      expect(body).to.match(/end\n$/);
      expect(events.timedOut).to.deep.equal([]);
    });

    it('gives the probe listener the same protection', async () => {
      const h = await startHealthListener('127.0.0.1:0', () => ({ ready: true }), { ...SMALL, maxConnections: 10, maxConnectionsPerSource: 10 });
      health.push(h);
      const silent = net.connect(h.port, '127.0.0.1');
      sockets.push(silent);
      expect(await closed(silent)).to.match(/^HTTP\/1\.1 408 /);
      const ok = net.connect(h.port, '127.0.0.1', () => ok.write('GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'));
      sockets.push(ok);
      expect(await closed(ok)).to.match(/^HTTP\/1\.1 200 OK\r\n[\s\S]*ok\n$/);
    });
  });

  describe('connection caps', () => {
    it('refuses connections beyond the total cap, and accepts again once one closes', async () => {
      const s = await start({ ...DEFAULT_LISTENER_LIMITS, maxConnections: 2, maxConnectionsPerSource: 0 });
      const a = await openConnection(s.port, ca.certPem);
      const b = await openConnection(s.port, ca.certPem, '127.0.0.2');
      sockets.push(a, b);
      expect(await accepted(s.port, ca.certPem, '127.0.0.3')).to.equal(false);
      expect(events.refused).to.deep.equal(['max_connections']);
      a.destroy();
      await waitUntil(() => s.connections.total() < 2);
      expect(await accepted(s.port, ca.certPem, '127.0.0.3')).to.equal(true);
    });

    it('refuses connections beyond the per-source cap, while other sources are still served', async () => {
      const s = await start({ ...DEFAULT_LISTENER_LIMITS, maxConnections: 100, maxConnectionsPerSource: 2 });
      const held = [await openConnection(s.port, ca.certPem), await openConnection(s.port, ca.certPem)];
      sockets.push(...held);
      expect(s.connections.of('127.0.0.1')).to.equal(2);
      expect(await accepted(s.port, ca.certPem)).to.equal(false);
      expect(events.refused).to.deep.equal(['max_connections_per_source']);
      expect(await accepted(s.port, ca.certPem, '127.0.0.2')).to.equal(true);
      held[0]!.destroy();
      await waitUntil(() => s.connections.of('127.0.0.1') < 2);
      expect(await accepted(s.port, ca.certPem)).to.equal(true);
    });
  });

  describe('proxy metrics', () => {
    it('counts refused connections and timeouts in the proxy\'s own metrics', async () => {
      const metrics = new ProxyMetrics({ defaultMetrics: false });
      const s = await startHttpsServer((_req, res) => res.end('ok\n'), {
        listen: '127.0.0.1:0',
        tls: { certFile: join(dir, 'tls.crt'), keyFile: join(dir, 'tls.key') },
        logger: memoryLogger(),
        limits: { ...SMALL, maxConnectionsPerSource: 1 },
        limitEvents: metrics.listenerLimitEvents(),
      });
      servers.push(s);
      const c = await openConnection(s.port, ca.certPem);
      sockets.push(c);
      expect(await accepted(s.port, ca.certPem)).to.equal(false);
      expect(await closed(c)).to.match(/^HTTP\/1\.1 408 /);
      const raw = net.connect(s.port, '127.0.0.1');
      sockets.push(raw);
      await closed(raw);
      const text = await metrics.registry.metrics();
      expect(text).to.contain('hcp_metrics_proxy_connections_refused_total{reason="max_connections_per_source"} 1');
      expect(text).to.contain('hcp_metrics_proxy_connection_timeouts_total{kind="request"} 1');
      expect(text).to.contain('hcp_metrics_proxy_connection_timeouts_total{kind="handshake"} 1');
    });
  });

  describe('settings', () => {
    it('refuses limits that cannot work, naming the flag', () => {
      expect(() => validateListenerLimits({ ...DEFAULT_LISTENER_LIMITS, headersTimeoutMs: 0 })).to.throw(/headersTimeoutMs must be a positive duration/);
      expect(() => validateListenerLimits({ ...DEFAULT_LISTENER_LIMITS, maxConnections: -1 })).to.throw(/maxConnections must be a whole number/);
      const flags = listenerLimitFlags('');
      expect(() => listenerLimitsFromFlags(parseFlags(['--headers-timeout', '20s', '--request-timeout', '5s'], flags))).to.throw(/--request-timeout \(5 s\) must not be shorter than --headers-timeout \(20 s\)/);
      expect(() => listenerLimitsFromFlags(parseFlags(['--max-connections-per-source', '1.5'], flags))).to.throw(/--max-connections-per-source must be a whole number/);
      expect(listenerLimitsFromFlags(parseFlags(['--idle-timeout', '2m', '--max-connections', '0'], flags))).to.deep.equal({ ...DEFAULT_LISTENER_LIMITS, idleTimeoutMs: 120_000, maxConnections: 0 });
    });
  });
});

async function waitUntil(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((r) => setTimeout(r, 20));
}
