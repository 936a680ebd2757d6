/**
 * Reads the kubeconfig of the hosted cluster into a client-node KubeConfig, with every file it names
 * (CA, client certificate and key, token file) read *now* and inlined, so that one reload swaps all of
 * them at once and the caller knows which files to watch. Only the current context is kept.
 *
 * Error messages never quote file content: a YAML error is reported by position only, because the
 * offending line could be a token.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import YAML from 'yaml';
import { errorMessage } from '../../common/errors.js';

export interface LoadedKubeconfig {
  kc: k8s.KubeConfig;
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
  // Inline every referenced file; *-data wins when both are given, as in client-go.
  if (cluster['certificate-authority'] !== undefined) {
    const data = read('certificate-authority', cluster['certificate-authority']);
    if (cluster['certificate-authority-data'] === undefined) cluster['certificate-authority-data'] = data.toString('base64');
    delete cluster['certificate-authority'];
  }
  for (const key of ['client-certificate', 'client-key'] as const) {
    if (user[key] === undefined) continue;
    const data = read(key, user[key]);
    if (user[`${key}-data`] === undefined) user[`${key}-data`] = data.toString('base64');
    delete user[key];
  }
  // client-go spells it tokenFile; client-node reads token-file. Accept both, read it here.
  const tokenFileKey = user.tokenFile !== undefined ? 'tokenFile' : user['token-file'] !== undefined ? 'token-file' : undefined;
  if (tokenFileKey) {
    const token = read(tokenFileKey, user[tokenFileKey]).toString('utf8').trim();
    if (user.token === undefined || user.token === '') {
      if (token === '') throw new Error(`${path}: ${tokenFileKey} is empty`);
      user.token = token;
    }
    delete user.tokenFile;
    delete user['token-file'];
  }

  const kc = new k8s.KubeConfig();
  kc.loadFromString(
    JSON.stringify({
      clusters: [{ name: ctx.cluster, cluster }],
      users: [{ name: ctx.user, user }],
      contexts: [{ name: contextName, context: { cluster: ctx.cluster, user: ctx.user } }],
      'current-context': contextName,
    }),
  );
  return { kc, server: cluster.server.replace(/\/+$/, ''), context: contextName, user: ctx.user, files };
}
