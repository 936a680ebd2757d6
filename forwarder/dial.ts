/**
 * One TCP connection to the upstream, with a connect timeout and a failure reason an operator can act on
 * (dns, refused, timeout, other). The host name goes to the lookup on every dial: nothing is cached here.
 */
import net, { type LookupFunction, type Socket } from 'node:net';
import { errorMessage } from '../common/errors.js';
import { formatUpstream, type UpstreamAddress } from './upstream.js';

export type DialFailureReason = 'dns' | 'refused' | 'timeout' | 'other';
export const DIAL_FAILURE_REASONS: readonly DialFailureReason[] = ['dns', 'refused', 'timeout', 'other'];

export class DialError extends Error {
  override name = 'DialError';
  constructor(
    readonly reason: DialFailureReason,
    readonly upstream: string,
    detail: string,
  ) {
    super(`dial ${upstream}: ${detail}`);
  }
}

/** Opens the socket; injectable so tests can stand in a socket that never connects. */
export type CreateConnection = (opts: net.NetConnectOpts) => Socket;

export interface DialOptions {
  connectTimeoutMs: number;
  /** Name resolution; default dns.lookup (through net.connect). Called once per dial. */
  lookup?: LookupFunction;
  createConnection?: CreateConnection;
}

const DNS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NODATA', 'EAI_NONAME']);

export function classifyDialError(err: unknown): DialFailureReason {
  const e = err as NodeJS.ErrnoException;
  if (e.syscall === 'getaddrinfo' || (e.code !== undefined && DNS_CODES.has(e.code))) return 'dns';
  if (e.code === 'ECONNREFUSED') return 'refused';
  if (e.code === 'ETIMEDOUT') return 'timeout';
  // Happy eyeballs (autoSelectFamily) reports every address it tried in one AggregateError.
  if (err instanceof AggregateError && err.errors.length > 0) {
    const reasons = new Set(err.errors.map(classifyDialError));
    if (reasons.size === 1) return [...reasons][0]!;
  }
  return 'other';
}

/**
 * Resolves with the connected socket (allowHalfOpen, so the pass-through decides when to end each side),
 * or rejects with a DialError. `signal` aborts a dial whose client went away.
 */
export function dialUpstream(target: UpstreamAddress, opts: DialOptions, signal?: AbortSignal): Promise<Socket> {
  const upstream = formatUpstream(target);
  const create = opts.createConnection ?? net.createConnection;
  return new Promise((resolve, reject) => {
    const socket = create({ host: target.host, port: target.port, allowHalfOpen: true, ...(opts.lookup ? { lookup: opts.lookup } : {}) });
    let settled = false;
    const finish = (err?: DialError): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.off('connect', onConnect);
      socket.off('error', onError);
      signal?.removeEventListener('abort', onAbort);
      if (err) {
        socket.destroy();
        reject(err);
      } else resolve(socket);
    };
    const onConnect = (): void => finish();
    const onError = (err: Error): void => finish(new DialError(classifyDialError(err), upstream, errorMessage(err)));
    const onAbort = (): void => finish(new DialError('other', upstream, 'aborted: the client went away'));
    const timer = setTimeout(() => finish(new DialError('timeout', upstream, `no connection within ${opts.connectTimeoutMs} ms`)), opts.connectTimeoutMs);
    socket.once('connect', onConnect);
    socket.once('error', onError);
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
  });
}
