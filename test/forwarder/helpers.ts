/** Real TCP upstreams and clients for the forwarder tests; every server listens on 127.0.0.1 port 0. */
import http from 'node:http';
import net, { type AddressInfo, type Server, type Socket } from 'node:net';
import { memoryLogger, type Logger } from '../../common/log.js';
import { startForwarder, type Forwarder, type ForwarderOptions } from '../../forwarder/forwarder.js';
import { sumSamples } from '../support/exposition.js';

export interface TestServer {
  server: Server;
  port: number;
  /** Sockets accepted so far (open or not). */
  accepted: Socket[];
  close(): Promise<void>;
}

/** A TCP server that runs `onSocket` for every connection; half-open allowed so it may answer after the client's FIN. */
export async function startServer(onSocket: (s: Socket) => void): Promise<TestServer> {
  const accepted: Socket[] = [];
  const server = net.createServer({ allowHalfOpen: true }, (s) => {
    accepted.push(s);
    s.on('error', () => {});
    onSocket(s);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    server,
    port: (server.address() as AddressInfo).port,
    accepted,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of accepted) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Sends every byte back; ends when the client ends. */
export const startEcho = (): Promise<TestServer> => startServer((s) => s.pipe(s));

/** Greets with its name on connect, then echoes: shows which upstream a connection reached. */
export const startNamedEcho = (name: string): Promise<TestServer> =>
  startServer((s) => {
    s.write(`${name}\n`);
    s.pipe(s);
  });

/** A port nobody listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const s = await startServer(() => {});
  await s.close();
  return s.port;
}

export function connect(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true });
    s.once('connect', () => {
      s.off('error', reject);
      resolve(s);
    });
    s.once('error', reject);
  });
}

/** Everything the socket receives until the peer ends or the socket closes. */
export function readAll(s: Socket): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    s.on('data', (b: Buffer) => chunks.push(b));
    s.on('error', () => {});
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      resolve(Buffer.concat(chunks));
    };
    s.once('end', finish);
    s.once('close', finish);
  });
}

/** Reads until `n` bytes arrived (or the socket closed: then fewer). */
export function readBytes(s: Socket, n: number): Promise<Buffer> {
  return new Promise((resolve) => {
    let got = Buffer.alloc(0);
    const onData = (b: Buffer) => {
      got = Buffer.concat([got, b]);
      if (got.length >= n) done();
    };
    const done = () => {
      s.off('data', onData);
      s.off('close', done);
      s.pause();
      resolve(got);
    };
    s.on('data', onData);
    s.once('close', done);
  });
}

/**
 * Resolves once the peer is gone: its FIN arrived or the socket closed. (The test sockets allow half-open
 * connections, so a FIN alone does not close them.)
 */
export function peerGone(s: Socket): Promise<void> {
  return new Promise((resolve) => {
    if (s.readableEnded || s.destroyed) return resolve();
    s.once('end', () => resolve());
    s.once('close', () => resolve());
    s.on('error', () => {});
    s.resume();
  });
}

export async function waitFor(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export type TestForwarderOptions = Partial<ForwarderOptions> & { logger?: Logger };

/** A forwarder on loopback with generous timeouts unless the test narrows them. */
export function startTestForwarder(opts: TestForwarderOptions): Promise<Forwarder> {
  return startForwarder({
    listen: '127.0.0.1:0',
    healthListen: '127.0.0.1:0',
    maxConnections: 64,
    connectTimeoutMs: 5000,
    idleTimeoutMs: 60_000,
    defaultMetrics: false,
    logger: memoryLogger('forwarder-test'),
    ...opts,
  });
}

export interface HttpAnswer {
  status: number;
  body: string;
}

export function get(port: number, path: string): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      })
      .on('error', reject);
  });
}

/** A forwarder metric summed over the series that carry `labels`. */
export async function metric(f: Forwarder, name: string, labels: Record<string, string> = {}): Promise<number> {
  const { body } = await get(f.healthPort!, '/metrics');
  return sumSamples(body, name, labels);
}
