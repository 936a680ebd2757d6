/**
 * An HTTPS server whose certificate, key and client CA are re-read when their files change: new
 * connections get the new material, established ones (and their in-flight requests) are untouched.
 */
import { readFileSync } from 'node:fs';
import type { RequestListener } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { errorMessage } from './errors.js';
import { watchFiles, type FileWatcher } from './file-watch.js';
import { capConnections, DEFAULT_LISTENER_LIMITS, listenerServerOptions, validateListenerLimits, type ConnectionCounts, type ListenerLimitEvents, type ListenerLimits } from './listener-limits.js';
import { parseListen } from './listen.js';
import type { Logger } from './log.js';

export interface ServingTLSFiles {
  certFile: string;
  keyFile: string;
  /** CA bundle for client certificates. */
  clientCaFile?: string;
  /** Refuse clients without a valid certificate at the TLS layer (resolver); otherwise only request one (proxy). */
  requireClientCert?: boolean;
}

export interface RunningServer {
  server: https.Server;
  host: string;
  port: number;
  /** Open connections, in all and per source address. */
  connections: ConnectionCounts;
  /** Stop accepting, let in-flight requests finish (up to graceMs), then drop the rest. */
  close(graceMs?: number): Promise<void>;
}

function readTls(files: ServingTLSFiles): https.ServerOptions {
  return {
    cert: readFileSync(files.certFile),
    key: readFileSync(files.keyFile),
    ca: files.clientCaFile ? readFileSync(files.clientCaFile) : undefined,
  };
}

export async function startHttpsServer(
  handler: RequestListener,
  opts: {
    listen: string;
    tls: ServingTLSFiles;
    logger: Logger;
    watchPollMs?: number;
    /** Timeouts and connection caps before authentication; default DEFAULT_LISTENER_LIMITS. */
    limits?: ListenerLimits;
    /** Refused connections and timeouts, for metrics. */
    limitEvents?: ListenerLimitEvents;
  },
): Promise<RunningServer> {
  const { host, port } = parseListen(opts.listen);
  const limits = validateListenerLimits(opts.limits ?? DEFAULT_LISTENER_LIMITS);
  const requestCert = opts.tls.clientCaFile !== undefined;
  const server = https.createServer(
    {
      ...readTls(opts.tls),
      requestCert,
      rejectUnauthorized: requestCert && opts.tls.requireClientCert === true,
      minVersion: 'TLSv1.2',
      // The request timeout covers receiving the request only: a long scrape answer is never cut.
      ...listenerServerOptions(limits),
    },
    handler,
  );
  const connections = capConnections(server, limits, opts.limitEvents);
  const paths = [opts.tls.certFile, opts.tls.keyFile, ...(opts.tls.clientCaFile ? [opts.tls.clientCaFile] : [])];
  const watcher: FileWatcher = watchFiles(
    paths,
    () => {
      try {
        server.setSecureContext({ ...readTls(opts.tls), minVersion: 'TLSv1.2' } as https.ServerOptions);
        opts.logger.info('serving certificate reloaded', { certFile: opts.tls.certFile });
      } catch (err) {
        // Mid-rotation the key and cert may not match yet; the next change event retries.
        opts.logger.error('cannot reload serving certificate; keeping the current one', { error: errorMessage(err) });
      }
    },
    { pollIntervalMs: opts.watchPollMs },
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  return {
    server,
    host: addr.address,
    port: addr.port,
    connections,
    close: (graceMs = 10_000) =>
      new Promise<void>((resolve) => {
        watcher.close();
        const timer = setTimeout(() => server.closeAllConnections(), graceMs);
        timer.unref();
        server.close(() => {
          clearTimeout(timer);
          resolve();
        });
        server.closeIdleConnections();
      }),
  };
}
