/**
 * The guest-side forwarder (DESIGN §11): the TCP pass-through, its upstream (fixed or from a file), the
 * readiness that follows the upstream, and the plain-HTTP health and metrics port, started and stopped
 * together.
 */
import http from 'node:http';
import type { AddressInfo, LookupFunction } from 'node:net';
import type { HealthState } from '../common/health.js';
import { parseListen } from '../common/listen.js';
import type { Logger } from '../common/log.js';
import type { WatchFilesOptions } from '../common/file-watch.js';
import { DialError, dialUpstream, type CreateConnection, type DialOptions } from './dial.js';
import { forwarderHealthHandler } from './health.js';
import { ForwarderMetrics } from './metrics.js';
import { UpstreamReadiness } from './readiness.js';
import { startTcpForwarder, type TcpForwarder } from './tcp-forwarder.js';
import { formatUpstream, staticUpstream, watchUpstreamFile, type UpstreamAddress, type UpstreamSource } from './upstream.js';

export interface ForwarderOptions {
  listen: string;
  /** undefined: no health/metrics port. */
  healthListen?: string;
  /** The upstream, or the fallback while upstreamFile has no good address. */
  upstream?: UpstreamAddress;
  upstreamFile?: string;
  maxConnections: number;
  connectTimeoutMs: number;
  idleTimeoutMs: number;
  logger: Logger;
  /** Readiness probe period (default 10 s); a success counts for 3 periods; 3 failures in a row unready. */
  probeIntervalMs?: number;
  failuresToUnready?: number;
  /** Tests: name resolution and socket creation of every dial, the upstream file's watcher. */
  lookup?: LookupFunction;
  createConnection?: CreateConnection;
  upstreamFileWatch?: WatchFilesOptions;
  defaultMetrics?: boolean;
}

export interface Forwarder {
  readonly host: string;
  readonly port: number;
  readonly healthPort: number | undefined;
  readonly metrics: ForwarderMetrics;
  upstream(): UpstreamAddress;
  readiness(): HealthState;
  activeConnections(): number;
  /** Not ready at once, stop accepting, drain open connections for up to graceMs, then close everything. */
  close(graceMs?: number): Promise<void>;
}

export async function startForwarder(opts: ForwarderOptions): Promise<Forwarder> {
  const { logger } = opts;
  if (!opts.upstream && !opts.upstreamFile) throw new Error('no upstream: give --upstream HOST:PORT or --upstream-file FILE');
  if (!(Number.isInteger(opts.maxConnections) && opts.maxConnections > 0)) throw new Error(`--max-connections must be a positive integer, not ${opts.maxConnections}`);
  if (!(opts.connectTimeoutMs > 0)) throw new Error(`--connect-timeout must be positive, not ${opts.connectTimeoutMs / 1000} s`);
  if (!(opts.idleTimeoutMs > 0)) throw new Error(`--idle-timeout must be positive, not ${opts.idleTimeoutMs / 1000} s`);
  // Fail on a bad health address before anything is started.
  const healthAddress = opts.healthListen !== undefined ? parseListen(opts.healthListen) : undefined;

  const metrics = new ForwarderMetrics({ ready: () => readiness.state().ready }, { defaultMetrics: opts.defaultMetrics });
  const source: UpstreamSource = opts.upstreamFile
    ? watchUpstreamFile({
        path: opts.upstreamFile,
        ...(opts.upstream ? { fallback: opts.upstream } : {}),
        logger,
        ...(opts.upstreamFileWatch ? { watch: opts.upstreamFileWatch } : {}),
        onReload: (result) => metrics.upstreamReloads.inc({ result }),
      })
    : staticUpstream(opts.upstream!);
  const dial: DialOptions = {
    connectTimeoutMs: opts.connectTimeoutMs,
    ...(opts.lookup ? { lookup: opts.lookup } : {}),
    ...(opts.createConnection ? { createConnection: opts.createConnection } : {}),
  };
  const readiness = new UpstreamReadiness({
    dial: () => dialUpstream(source.current(), dial),
    logger,
    ...(opts.probeIntervalMs !== undefined ? { probeIntervalMs: opts.probeIntervalMs } : {}),
    ...(opts.failuresToUnready !== undefined ? { failuresToUnready: opts.failuresToUnready } : {}),
    onProbeFailure: (err) => {
      if (err instanceof DialError) metrics.countDialError(err.reason);
    },
  });

  let tcp: TcpForwarder | undefined;
  let health: http.Server | undefined;
  try {
    tcp = await startTcpForwarder({
      listen: opts.listen,
      upstream: source,
      maxConnections: opts.maxConnections,
      idleTimeoutMs: opts.idleTimeoutMs,
      dial,
      metrics,
      logger,
      onDial: (r) => (r.ok ? readiness.recordSuccess() : readiness.recordFailure(r.error)),
    });
    if (healthAddress) {
      health = http.createServer(forwarderHealthHandler(() => readiness.state(), metrics.registry));
      await new Promise<void>((resolve, reject) => {
        health!.once('error', reject);
        health!.listen(healthAddress.port, healthAddress.host, () => {
          health!.off('error', reject);
          resolve();
        });
      });
    }
  } catch (err) {
    source.close();
    await tcp?.close(0);
    health?.close();
    throw err;
  }
  readiness.start();
  logger.info('upstream', { upstream: formatUpstream(source.current()), ...(opts.upstreamFile ? { file: opts.upstreamFile } : {}) });

  let closing: Promise<void> | undefined;
  const tcpForwarder = tcp;
  return {
    host: tcp.host,
    port: tcp.port,
    healthPort: health ? (health.address() as AddressInfo).port : undefined,
    metrics,
    upstream: () => source.current(),
    readiness: () => readiness.state(),
    activeConnections: () => tcpForwarder.activeConnections(),
    close(graceMs = 0): Promise<void> {
      closing ??= (async () => {
        readiness.markShuttingDown();
        readiness.stop();
        await tcpForwarder.close(graceMs);
        source.close();
        if (health) {
          health.closeAllConnections();
          await new Promise<void>((resolve) => health!.close(() => resolve()));
        }
      })();
      return closing;
    },
  };
}
