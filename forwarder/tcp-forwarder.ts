/**
 * The TCP pass-through: accepts clients (up to a cap), dials the upstream that is current at accept time,
 * and splices the two. TLS is never terminated: the client's ClientHello (SNI included), the proxy's
 * certificate and the client's certificate all travel inside the bytes this module does not read.
 */
import net, { type AddressInfo, type Server, type Socket } from 'node:net';
import { errorMessage } from '../common/errors.js';
import { parseListen } from '../common/listen.js';
import type { Logger } from '../common/log.js';
import { DialError, dialUpstream, type DialOptions } from './dial.js';
import type { ForwarderMetrics } from './metrics.js';
import { splice, type Splice } from './splice.js';
import { formatUpstream, type UpstreamSource } from './upstream.js';

export interface TcpForwarderOptions {
  /** host:port, e.g. 0.0.0.0:8443 or 127.0.0.1:0. */
  listen: string;
  upstream: UpstreamSource;
  maxConnections: number;
  idleTimeoutMs: number;
  dial: DialOptions;
  metrics: ForwarderMetrics;
  logger: Logger;
  /** Told of every dial of a client connection, for readiness. */
  onDial?: (result: { ok: true } | { ok: false; error: DialError }) => void;
}

interface Connection {
  client: Socket;
  /** Set once the upstream is connected. */
  pair?: Splice;
  /** Aborts the dial when the client goes away or at shutdown. */
  dialAbort: AbortController;
}

export interface TcpForwarder {
  readonly host: string;
  readonly port: number;
  activeConnections(): number;
  /** Stops accepting, lets open connections finish for up to graceMs, then closes the rest. */
  close(graceMs: number): Promise<void>;
}

export async function startTcpForwarder(opts: TcpForwarderOptions): Promise<TcpForwarder> {
  const { metrics, logger } = opts;
  const { host, port } = parseListen(opts.listen);
  const open = new Set<Connection>();
  let drained: (() => void) | undefined;

  const forget = (c: Connection): void => {
    if (!open.delete(c)) return;
    metrics.active.dec();
    if (open.size === 0) drained?.();
  };

  const handle = async (client: Socket): Promise<void> => {
    if (open.size >= opts.maxConnections) {
      metrics.refused.inc();
      logger.debug('connection refused: at --max-connections', { remote: client.remoteAddress, max: opts.maxConnections });
      client.on('error', () => {});
      client.destroy();
      return;
    }
    const started = process.hrtime.bigint();
    const conn: Connection = { client, dialAbort: new AbortController() };
    open.add(conn);
    metrics.accepted.inc();
    metrics.active.inc();
    const remote = `${client.remoteAddress}:${client.remotePort}`;
    const closed = (reason: string, err?: Error): void => {
      metrics.closed.inc({ reason });
      metrics.duration.observe(Number(process.hrtime.bigint() - started) / 1e9);
      logger.debug('connection closed', { remote, reason, ...(err ? { error: errorMessage(err) } : {}), bytesIn: client.bytesRead, bytesOut: client.bytesWritten });
      forget(conn);
    };

    // Until the upstream answers, the client's first bytes (its ClientHello) wait unread in its socket.
    const onEarlyClose = (): void => conn.dialAbort.abort('client gone');
    client.on('error', onEarlyClose);
    client.once('close', onEarlyClose);
    const target = opts.upstream.current();
    let upstream: Socket;
    try {
      upstream = await dialUpstream(target, opts.dial, conn.dialAbort.signal);
    } catch (err) {
      const aborted = conn.dialAbort.signal.aborted;
      if (!aborted && err instanceof DialError) {
        metrics.countDialError(err.reason);
        opts.onDial?.({ ok: false, error: err });
        logger.warn('cannot reach the upstream', { remote, upstream: formatUpstream(target), reason: err.reason, error: err.message });
      }
      client.destroy();
      closed(!aborted ? 'dial_error' : conn.dialAbort.signal.reason === 'shutdown' ? 'shutdown' : 'done', err as Error);
      return;
    } finally {
      client.off('error', onEarlyClose);
      client.off('close', onEarlyClose);
    }
    opts.onDial?.({ ok: true });
    if (client.destroyed) {
      // The client left while the dial finished; an abort came too late to stop it.
      upstream.destroy();
      closed('done');
      return;
    }
    logger.debug('connection forwarded', { remote, upstream: formatUpstream(target) });
    conn.pair = splice(client, upstream, {
      idleTimeoutMs: opts.idleTimeoutMs,
      onBytes: (direction, n) => metrics.countBytes(direction, n),
      onEnd: (how, err) => closed(how, err),
    });
  };

  const server: Server = net.createServer({ allowHalfOpen: true }, (client) => {
    handle(client).catch((err: unknown) => {
      logger.error('connection handling failed', { error: errorMessage(err) });
      client.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (err) => logger.error('listener error', { error: errorMessage(err) }));
  const addr = server.address() as AddressInfo;

  let closing: Promise<void> | undefined;
  return {
    host: addr.address,
    port: addr.port,
    activeConnections: () => open.size,
    close(graceMs: number): Promise<void> {
      closing ??= (async () => {
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        const allClosed = open.size === 0 ? Promise.resolve() : new Promise<void>((resolve) => (drained = resolve));
        let timer: NodeJS.Timeout | undefined;
        const graceOver = new Promise<'grace over'>((resolve) => (timer = setTimeout(() => resolve('grace over'), graceMs)));
        if ((await Promise.race([allClosed, graceOver])) === 'grace over') {
          logger.info('grace period over; closing the remaining connections', { open: open.size });
          for (const c of [...open]) {
            if (c.pair) c.pair.abort();
            else {
              c.dialAbort.abort('shutdown');
              c.client.destroy();
            }
          }
        }
        clearTimeout(timer);
        await allClosed;
        await stopped;
      })();
      return closing;
    },
  };
}
