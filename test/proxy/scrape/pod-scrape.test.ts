/**
 * One pod scrape over a kept-alive connection: a connection the pod closed while idle is retried
 * once on a new one (as Go's transport does for GET), so a pod restart between scrapes costs no `up 0`.
 * Addresses: 127.0.95.x.
 */
import { expect } from 'chai';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { prepareRules } from '../../../proxy/exposition/parser.js';
import { makeTargetLabels } from '../../../proxy/exposition/target.js';
import { scrapePod } from '../../../proxy/scrape/pod-scrape.js';

const BODY = '# TYPE x gauge\nx 1\n';

describe('proxy: pod scrape over kept-alive connections', () => {
  let server: net.Server;
  let connections = 0;
  /** Requests per connection after which the server drops the connection on the next request. */
  let dropAfter = Infinity;

  before(async () => {
    server = net.createServer((sock) => {
      connections++;
      let served = 0;
      let buf = '';
      sock.on('data', (d: Buffer) => {
        buf += d.toString('latin1');
        while (buf.includes('\r\n\r\n')) {
          buf = buf.slice(buf.indexOf('\r\n\r\n') + 4);
          if (served >= dropAfter) {
            sock.resetAndDestroy();
            return;
          }
          served++;
          sock.write(`HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: ${BODY.length}\r\nConnection: keep-alive\r\n\r\n${BODY}`);
        }
      });
      sock.on('error', () => {});
    });
    await new Promise<void>((r) => server.listen(0, '127.0.95.30', () => r()));
  });
  after(() => server.close());

  const scrape = (agent: http.Agent) =>
    scrapePod({
      pod: { name: 'p', ip: '127.0.95.30' },
      scheme: 'http',
      port: (server.address() as AddressInfo).port,
      path: '/metrics',
      agent,
      timeoutMs: 5000,
      maxBodyBytes: 1 << 20,
      accept: 'text/plain',
      timeoutHeaderSeconds: 5,
      transform: { target: makeTargetLabels([['job', 'j']]), rules: prepareRules([]) },
    });

  it('retries once on a new connection when a reused one is reset', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      connections = 0;
      dropAfter = 1;
      expect((await scrape(agent)).ok).to.equal(true);
      const second = await scrape(agent);
      expect(second.ok, JSON.stringify(second.failure)).to.equal(true);
      expect(connections, 'the retry opened a new connection').to.equal(2);
    } finally {
      agent.destroy();
    }
  });

  it('does not retry a failure on a fresh connection', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      connections = 0;
      dropAfter = 0;
      const r = await scrape(agent);
      expect(r.ok).to.equal(false);
      expect(r.failure!.reason).to.equal('aborted');
      expect(connections).to.equal(1);
    } finally {
      agent.destroy();
      dropAfter = Infinity;
    }
  });
});
