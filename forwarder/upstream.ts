/**
 * Where the forwarder sends its connections: `HOST:PORT` from `--upstream`, or from `--upstream-file`
 * (a ConfigMap key, reloaded when it changes). A bad file keeps the last good address; the host name is
 * not resolved here: the dialer resolves it again for every connection, so a Route whose address
 * changes is followed without a restart.
 */
import { readFileSync } from 'node:fs';
import { isIP, isIPv6 } from 'node:net';
import { errorMessage } from '../common/errors.js';
import { watchFiles, type WatchFilesOptions } from '../common/file-watch.js';
import type { Logger } from '../common/log.js';

export interface UpstreamAddress {
  /** A DNS name, an IPv4 literal, or an IPv6 literal without brackets. */
  host: string;
  port: number;
}

/** `host:port`, with brackets around an IPv6 host: what logs and metrics show. */
export function formatUpstream(a: UpstreamAddress): string {
  return isIPv6(a.host) ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

const DNS_LABEL = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/;

function validHostName(host: string): boolean {
  const name = host.endsWith('.') ? host.slice(0, -1) : host; // a rooted name is fine
  return name.length > 0 && name.length <= 253 && name.split('.').every((l) => DNS_LABEL.test(l));
}

/** Parses `HOST:PORT` or `[IPV6]:PORT`; the error says what is wrong with the value. */
export function parseUpstream(value: string): UpstreamAddress {
  const text = value.trim();
  const bad = (why: string) => new Error(`invalid upstream "${value}": ${why}`);
  let host: string;
  let portText: string;
  const bracketed = /^\[([^\]]*)\]:(.*)$/.exec(text);
  if (bracketed) {
    host = bracketed[1]!;
    portText = bracketed[2]!;
    if (!isIPv6(host)) throw bad(`"${host}" in brackets is not an IPv6 address`);
  } else {
    const colon = text.lastIndexOf(':');
    if (colon < 0) throw bad('expected HOST:PORT, e.g. metrics-proxy.apps.example.com:443');
    host = text.slice(0, colon);
    portText = text.slice(colon + 1);
    if (host.includes(':')) throw bad('an IPv6 address needs brackets, e.g. [2001:db8::1]:443');
    if (host === '') throw bad('the host is empty');
    if (isIP(host) === 0 && !validHostName(host)) throw bad(`"${host}" is neither an IP address nor a DNS name`);
  }
  if (!/^\d{1,5}$/.test(portText)) throw bad(`the port "${portText}" is not a number`);
  const port = Number(portText);
  if (port < 1 || port > 65535) throw bad(`the port ${port} is outside 1-65535`);
  return { host, port };
}

/** The upstream file: one `HOST:PORT` line; blank lines and `#` comments are ignored. */
export function parseUpstreamFile(content: string): UpstreamAddress {
  const lines = content
    .split(/\r?\n/)
    .map((l) => l.replace(/#.*$/, '').trim())
    .filter((l) => l !== '');
  if (lines.length === 0) throw new Error('no HOST:PORT line (the file is empty or only comments)');
  if (lines.length > 1) throw new Error(`expected one HOST:PORT line, found ${lines.length}`);
  return parseUpstream(lines[0]!);
}

export interface UpstreamSource {
  /** The address new connections go to. */
  current(): UpstreamAddress;
  close(): void;
}

export function staticUpstream(address: UpstreamAddress): UpstreamSource {
  return { current: () => address, close: () => {} };
}

export interface UpstreamFileOptions {
  path: string;
  /** Used while the file has never held a good address (e.g. `--upstream` given beside `--upstream-file`). */
  fallback?: UpstreamAddress;
  logger: Logger;
  watch?: WatchFilesOptions;
  /** Told of every reload, for metrics. */
  onReload?: (result: 'success' | 'error', address: UpstreamAddress) => void;
}

function readUpstreamFile(path: string): UpstreamAddress {
  let content: string;
  try {
    content = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`cannot read ${path}: ${errorMessage(err)}`);
  }
  try {
    return parseUpstreamFile(content);
  } catch (err) {
    throw new Error(`${path}: ${errorMessage(err)}`);
  }
}

/**
 * The address in `path`, followed as it changes. Throws at start when the file holds no good address
 * and there is no fallback: without an upstream the forwarder could only refuse every connection.
 */
export function watchUpstreamFile(opts: UpstreamFileOptions): UpstreamSource {
  const { path, logger } = opts;
  let current: UpstreamAddress;
  try {
    current = readUpstreamFile(path);
  } catch (err) {
    if (!opts.fallback) throw err;
    current = opts.fallback;
    logger.warn('upstream file unusable; using --upstream until it is', { file: path, error: errorMessage(err), upstream: formatUpstream(current) });
  }
  const watcher = watchFiles(
    [path],
    () => {
      try {
        const next = readUpstreamFile(path);
        const changed = formatUpstream(next) !== formatUpstream(current);
        current = next;
        if (changed) logger.info('upstream changed', { file: path, upstream: formatUpstream(next) });
        opts.onReload?.('success', current);
      } catch (err) {
        logger.warn('upstream file rejected; keeping the last good upstream', { file: path, error: errorMessage(err), upstream: formatUpstream(current) });
        opts.onReload?.('error', current);
      }
    },
    { ...opts.watch, onError: (err) => logger.error('upstream file watch failed', { file: path, error: errorMessage(err) }) },
  );
  return { current: () => current, close: () => watcher.close() };
}
