/**
 * Joins a client socket and an upstream socket, bytes untouched in both directions.
 *
 * - Backpressure: pipe() pauses the reading side while the writing side's buffer is full.
 * - Half-close: a FIN from one side ends the other side's write (pipe's `end`), and the other direction
 *   keeps flowing; both sockets are created with allowHalfOpen so Node does not end them on its own.
 * - An error or reset on either side destroys both: a half-dead pair would only hold the slot.
 * - Idle: when no byte has moved in either direction for idleTimeoutMs, both are destroyed. Bytes in
 *   either direction touch both sockets (read on one, write on the other), so each socket's idle timer
 *   sees all traffic.
 * Payload bytes are counted, never inspected or logged.
 */
import type { Socket } from 'node:net';

export type SpliceEnd = 'done' | 'idle_timeout' | 'error' | 'shutdown';

export interface SpliceOptions {
  idleTimeoutMs: number;
  onBytes?: (direction: 'to_upstream' | 'to_client', n: number) => void;
  /** Called once, when both sockets are closed. */
  onEnd: (how: SpliceEnd, err?: Error) => void;
}

export interface Splice {
  /** Destroys both sockets now (shutdown after the grace period). */
  abort(): void;
}

export function splice(client: Socket, upstream: Socket, opts: SpliceOptions): Splice {
  let how: SpliceEnd | undefined;
  let firstError: Error | undefined;
  let open = 2;

  const destroyBoth = (reason: SpliceEnd, err?: Error): void => {
    how ??= reason;
    firstError ??= err;
    client.destroy();
    upstream.destroy();
  };
  const onClose = (): void => {
    if (--open === 0) opts.onEnd(how ?? 'done', firstError);
  };

  for (const s of [client, upstream]) {
    s.on('error', (err) => destroyBoth('error', err));
    s.once('close', onClose);
  }
  if (opts.onBytes) {
    const onBytes = opts.onBytes;
    client.on('data', (b: Buffer) => onBytes('to_upstream', b.length));
    upstream.on('data', (b: Buffer) => onBytes('to_client', b.length));
  }
  for (const s of [client, upstream]) {
    // Chunks go on as they arrive (TLS records already are whole messages); Nagle would only add delay.
    s.setNoDelay(true);
    // Both timers see the same traffic; the upstream's also ends a pair whose client is gone while the
    // last bytes to the upstream never drain.
    s.setTimeout(opts.idleTimeoutMs, () => destroyBoth('idle_timeout'));
  }
  client.pipe(upstream);
  upstream.pipe(client);

  return { abort: () => destroyBoth('shutdown') };
}
