/** Reads the proxy configuration file from disk; every error names the file. */
import { readFile } from 'node:fs/promises';
import { ConfigError, errorMessage } from '../../common/errors.js';
import { parseProxyConfig, type ParseOptions } from './parse.js';
import type { ProxyConfig } from './types.js';

export type LoadOptions = Omit<ParseOptions, 'source'>;

/** A config file far larger than any real control plane's is a mistake, not something to parse. */
const MAX_CONFIG_BYTES = 16 * 1024 * 1024;

/** The file's text, or a ConfigError naming the file (missing, unreadable, a directory, too large). */
export async function readConfigText(path: string): Promise<string> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ConfigError('', 'file not found', path);
    if (code === 'EISDIR') throw new ConfigError('', 'is a directory, expected a file', path);
    if (code === 'EACCES' || code === 'EPERM') throw new ConfigError('', 'permission denied', path);
    throw new ConfigError('', `cannot read file: ${errorMessage(err)}`, path);
  }
  if (buf.length > MAX_CONFIG_BYTES) throw new ConfigError('', `file is larger than ${MAX_CONFIG_BYTES} bytes`, path);
  return buf.toString('utf8');
}

export async function loadProxyConfigFile(path: string, opts: LoadOptions): Promise<ProxyConfig> {
  return parseProxyConfig(await readConfigText(path), { ...opts, source: path });
}
