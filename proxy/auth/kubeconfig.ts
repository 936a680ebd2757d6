/**
 * Reads the kubeconfig of the hosted cluster into what one HTTPS request needs (server, TLS material,
 * Authorization header), with every file it names (CA, client certificate and key, token file) read
 * *now*, so that one reload swaps all of them at once and the caller knows which files to watch. Only
 * the current context is used. No Kubernetes client library: the proxy's three calls (TokenReview,
 * SubjectAccessReview, /readyz) do not justify the ~60 MB @kubernetes/client-node costs every proxy.
 * Exec and auth-provider plugins are refused with a clear message (the proxy has no plugins to run).
 *
 * Error messages never quote file content: a YAML error is reported by position only, because the
 * offending line could be a token.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import YAML from 'yaml';
import { errorMessage } from '../../common/errors.js';

/** TLS settings for node:https, from the cluster and user entries. */
export interface KubeTls {
  /** Trusted CAs; undefined: the system's. */
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  /** tls-server-name: the name to verify instead of the server URL's host. */
  servername?: string;
  /** false only with insecure-skip-tls-verify. */
  rejectUnauthorized: boolean;
}

export interface LoadedKubeconfig {
  tls: KubeTls;
  /** The Authorization header of every request (bearer token or basic), if the user has one. */
  authorization?: string;
  /** The API server URL, without a trailing slash. */
  server: string;
  /** Names for logs: context, cluster and user entries (never credentials). */
  context: string;
  user: string;
  /** The kubeconfig and every file it names, to watch for rotation. */
  files: string[];
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function named(list: unknown, name: string, what: string, file: string): Obj {
  if (!Array.isArray(list)) throw new Error(`${file}: no ${what}s`);
  const entry = list.find((e) => isObj(e) && e.name === name) as Obj | undefined;
  if (!entry) throw new Error(`${file}: ${what} "${name}" not found`);
  return entry;
}

export function loadKubeconfig(file: string): LoadedKubeconfig {
  const path = resolve(file);
  const base = dirname(path);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`cannot read kubeconfig ${path}: ${errorMessage(err)}`);
  }
  let doc: unknown;
  try {
    doc = YAML.parse(text);
  } catch (err) {
    const pos = (err as { linePos?: { line: number; col: number }[] }).linePos?.[0];
    throw new Error(`${path}: invalid YAML${pos ? ` at line ${pos.line}, column ${pos.col}` : ''}`);
  }
  if (!isObj(doc)) throw new Error(`${path}: not a kubeconfig (expected a mapping)`);
  const contexts = Array.isArray(doc.contexts) ? doc.contexts : [];
  let contextName = typeof doc['current-context'] === 'string' && doc['current-context'] !== '' ? doc['current-context'] : undefined;
  if (contextName === undefined && contexts.length === 1 && isObj(contexts[0]) && typeof contexts[0].name === 'string') contextName = contexts[0].name;
  if (contextName === undefined) throw new Error(`${path}: no current-context`);
  const ctx = named(doc.contexts, contextName, 'context', path).context;
  if (!isObj(ctx) || typeof ctx.cluster !== 'string' || typeof ctx.user !== 'string') throw new Error(`${path}: context "${contextName}" needs cluster and user`);
  const clusterEntry = named(doc.clusters, ctx.cluster, 'cluster', path);
  const userEntry = named(doc.users, ctx.user, 'user', path);
  const cluster: Obj = isObj(clusterEntry.cluster) ? { ...clusterEntry.cluster } : {};
  const user: Obj = isObj(userEntry.user) ? { ...userEntry.user } : {};
  if (typeof cluster.server !== 'string' || cluster.server === '') throw new Error(`${path}: cluster "${ctx.cluster}" has no server`);

  const files = [path];
  const read = (key: string, value: unknown): Buffer => {
    if (typeof value !== 'string' || value === '') throw new Error(`${path}: ${key} must be a file name`);
    const f = isAbsolute(value) ? value : resolve(base, value);
    files.push(f);
    try {
      return readFileSync(f);
    } catch (err) {
      throw new Error(`${path}: cannot read ${key} ${f}: ${errorMessage(err)}`);
    }
  };
  const data = (key: string): Buffer | undefined => {
    const v = (key.startsWith('client-') ? user : cluster)[key];
    if (v === undefined || v === '') return undefined;
    if (typeof v !== 'string' || !/^[A-Za-z0-9+/=\s]+$/.test(v)) throw new Error(`${path}: ${key} must be base64`);
    return Buffer.from(v, 'base64');
  };
  // *-data wins when both are given, as in client-go.
  const material = (key: 'certificate-authority' | 'client-certificate' | 'client-key'): Buffer | undefined => {
    const inline = data(`${key}-data`);
    const entry = key === 'certificate-authority' ? cluster : user;
    const fromFile = entry[key] !== undefined ? read(key, entry[key]) : undefined;
    return inline ?? fromFile;
  };
  for (const plugin of ['exec', 'auth-provider'] as const) {
    if (user[plugin] !== undefined) throw new Error(`${path}: user "${ctx.user}" uses ${plugin}, which this proxy does not run: give a token, tokenFile or client certificate`);
  }
  if (cluster['proxy-url'] !== undefined) throw new Error(`${path}: cluster "${ctx.cluster}" sets proxy-url, which this proxy does not support`);
  let server: URL;
  try {
    server = new URL(cluster.server);
  } catch {
    throw new Error(`${path}: cluster "${ctx.cluster}" server is not a URL`);
  }
  if (server.protocol !== 'https:') throw new Error(`${path}: cluster "${ctx.cluster}" server must be https://, not ${server.protocol}`);
  const tls: KubeTls = {
    ca: material('certificate-authority'),
    cert: material('client-certificate'),
    key: material('client-key'),
    rejectUnauthorized: cluster['insecure-skip-tls-verify'] !== true,
    ...(typeof cluster['tls-server-name'] === 'string' && cluster['tls-server-name'] !== '' ? { servername: cluster['tls-server-name'] } : {}),
  };
  if ((tls.cert === undefined) !== (tls.key === undefined)) throw new Error(`${path}: user "${ctx.user}" needs both a client certificate and its key`);

  let authorization: string | undefined;
  // client-go spells it tokenFile; client-node reads token-file. Accept both, read it here.
  const tokenFileKey = user.tokenFile !== undefined ? 'tokenFile' : user['token-file'] !== undefined ? 'token-file' : undefined;
  if (typeof user.token === 'string' && user.token !== '') {
    if (tokenFileKey) read(tokenFileKey, user[tokenFileKey]); // still watched: a later edit may drop the inline token
    authorization = `Bearer ${user.token}`;
  } else if (tokenFileKey) {
    const token = read(tokenFileKey, user[tokenFileKey]).toString('utf8').trim();
    if (token === '') throw new Error(`${path}: ${tokenFileKey} is empty`);
    authorization = `Bearer ${token}`;
  } else if (typeof user.username === 'string' && user.username !== '') {
    authorization = `Basic ${Buffer.from(`${user.username}:${typeof user.password === 'string' ? user.password : ''}`).toString('base64')}`;
  }
  return { tls, ...(authorization ? { authorization } : {}), server: cluster.server.replace(/\/+$/, ''), context: contextName, user: ctx.user, files };
}
