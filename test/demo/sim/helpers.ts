/**
 * Test helpers for the simulated control plane: throwaway certificates minted with the openssl CLI,
 * and a raw HTTP(S) client that reports exactly what arrived (no automatic decompression).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const OPENSSL = '/usr/bin/openssl';

export interface Pem {
  certPem: string;
  keyPem: string;
}

export interface TestPki {
  ca: Pem;
  /** serverAuth, SANs: every simulated component's tlsServerName, sim-pod, endpoint-resolver, localhost, 127.0.0.1. */
  server: Pem;
  /** clientAuth, CN system:serviceaccount:openshift-monitoring:prometheus-k8s, signed by `ca`. */
  client: Pem;
  /** A client certificate from an unrelated CA. */
  rogueClient: Pem;
  dir: string;
  cleanup(): void;
}

export const SERVER_NAMES = [
  'sim-pod',
  'endpoint-resolver',
  'kube-apiserver',
  'etcd-client',
  'kube-controller-manager',
  'openshift-apiserver',
  'openshift-controller-manager',
  'cluster-version-operator',
  'localhost',
];

function openssl(dir: string, args: string[]): void {
  execFileSync(OPENSSL, args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

function mintCA(dir: string, name: string): Pem {
  openssl(dir, [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '2', '-subj', `/CN=${name}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  return { certPem: readFileSync(join(dir, `${name}.crt`), 'utf8'), keyPem: readFileSync(join(dir, `${name}.key`), 'utf8') };
}

function mintLeaf(dir: string, ca: string, name: string, cn: string, ext: string[]): Pem {
  writeFileSync(join(dir, `${name}.ext`), `${ext.join('\n')}\n`);
  openssl(dir, [
    'req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`,
  ]);
  openssl(dir, [
    'x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-set_serial', `0x${Date.now().toString(16)}${name.length}`,
    '-days', '2', '-out', `${name}.crt`, '-extfile', `${name}.ext`,
  ]);
  return { certPem: readFileSync(join(dir, `${name}.crt`), 'utf8'), keyPem: readFileSync(join(dir, `${name}.key`), 'utf8') };
}

export function mintTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'hcp-sim-pki-'));
  const ca = mintCA(dir, 'sim-ca');
  const server = mintLeaf(dir, 'sim-ca', 'server', 'sim-pod', [
    'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature,keyEncipherment',
    'extendedKeyUsage=serverAuth',
    `subjectAltName=${SERVER_NAMES.map((n) => `DNS:${n}`).join(',')},IP:127.0.0.1`,
  ]);
  const clientExt = ['basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature', 'extendedKeyUsage=clientAuth'];
  const client = mintLeaf(dir, 'sim-ca', 'client', 'system:serviceaccount:openshift-monitoring:prometheus-k8s', clientExt);
  mintCA(dir, 'rogue-ca');
  const rogueClient = mintLeaf(dir, 'rogue-ca', 'rogue-client', 'intruder', clientExt);
  return { ca, server, client, rogueClient, dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface FetchOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** The client's own deadline: the request is destroyed with a ClientTimeoutError. */
  timeoutMs?: number;
  ca?: string;
  cert?: string;
  key?: string;
  servername?: string;
}

export interface FetchResult {
  status: number;
  headers: IncomingHttpHeaders;
  /** Raw bytes as received (still gzip-compressed if the server compressed them). */
  body: Buffer;
}

export class ClientTimeoutError extends Error {
  override name = 'ClientTimeoutError';
}

/** One request on a fresh connection; rejects on network errors, aborted responses and the client timeout. */
export function fetchRaw(url: string, opts: FetchOptions = {}): Promise<FetchResult> {
  const u = new URL(url);
  const req = (u.protocol === 'https:' ? httpsRequest : httpRequest)(u, {
    method: opts.method ?? 'GET',
    headers: opts.headers,
    agent: false,
    ca: opts.ca,
    cert: opts.cert,
    key: opts.key,
    servername: opts.servername,
  });
  return new Promise<FetchResult>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    if (opts.timeoutMs !== undefined) {
      timer = setTimeout(() => req.destroy(new ClientTimeoutError(`no response within ${opts.timeoutMs} ms`)), opts.timeoutMs);
    }
    const fail = (err: Error): void => {
      clearTimeout(timer);
      reject(err);
    };
    req.once('error', fail);
    req.once('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.once('error', fail);
      res.once('aborted', () => fail(Object.assign(new Error('response aborted'), { code: 'ECONNRESET', partial: Buffer.concat(chunks) })));
      res.once('end', () => {
        clearTimeout(timer);
        if (!res.complete) return fail(Object.assign(new Error('response incomplete'), { code: 'ECONNRESET', partial: Buffer.concat(chunks) }));
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) });
      });
    });
    req.end(opts.body);
  });
}
