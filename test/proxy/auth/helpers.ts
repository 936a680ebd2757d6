/** Shared pieces of the authentication tests: a fake clock, client certificates, HTTPS requests, and a full stack behind createProxyAuth. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memoryLogger, type Logger } from '../../../common/log.js';
import { startLocalStack, type LocalStack } from '../../../demo/stack.js';
import { createCA, issueCertificate, type CertificatePair } from '../../../generator/pki/index.js';
import { createProxyAuth, type AuthSettings, type ProxyAuth } from '../../../proxy/auth/index.js';
import { FakeKubeApiserver } from '../../support/fake-kube-apiserver.js';

export const PROMETHEUS_SA = 'system:serviceaccount:openshift-monitoring:prometheus-k8s';

/** A clock tests move by hand; starts at the real time so certificates minted now are valid. */
export class FakeClock {
  t = Date.now();
  readonly now = (): number => this.t;
  advance(ms: number): void {
    this.t += ms;
  }
}

export interface ClientCertificates {
  ca: CertificatePair;
  caFile: string;
  /** CN prometheus-k8s, clientAuth: allowed by default. */
  prometheus: CertificatePair;
  /** CN someone-else, O metrics-readers. */
  groupMember: CertificatePair;
  /** CN someone-else, no groups: authenticated but not allowed. */
  stranger: CertificatePair;
  /** prometheus-k8s, but notAfter in the past. */
  expired: CertificatePair;
  /** prometheus-k8s, signed by a CA the proxy does not trust. */
  wrongCa: CertificatePair;
  /** prometheus-k8s, serverAuth only. */
  serverAuthOnly: CertificatePair;
}

export function mintClientCertificates(dir: string): ClientCertificates {
  mkdirSync(dir, { recursive: true });
  const ca = createCA({ commonName: 'metrics-client-certs CA' });
  const other = createCA({ commonName: 'some other CA' });
  const caFile = join(dir, 'client-ca.crt');
  writeFileSync(caFile, ca.certPem);
  const DAY = 24 * 3600 * 1000;
  return {
    ca,
    caFile,
    prometheus: issueCertificate(ca, { commonName: PROMETHEUS_SA, organizations: ['system:serviceaccounts', 'system:serviceaccounts:openshift-monitoring'], usages: ['clientAuth'] }),
    groupMember: issueCertificate(ca, { commonName: 'someone-else', organizations: ['metrics-readers'], usages: ['clientAuth'] }),
    stranger: issueCertificate(ca, { commonName: 'someone-else', usages: ['clientAuth'] }),
    expired: issueCertificate(ca, { commonName: PROMETHEUS_SA, usages: ['clientAuth'], now: new Date(Date.now() - 10 * DAY), validityDays: 1 }),
    wrongCa: issueCertificate(other, { commonName: PROMETHEUS_SA, usages: ['clientAuth'] }),
    serverAuthOnly: issueCertificate(ca, { commonName: PROMETHEUS_SA, usages: ['serverAuth'] }),
  };
}

export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface RequestOptions {
  /** CA that signed the server certificate. */
  ca: string;
  token?: string;
  cert?: CertificatePair;
  headers?: Record<string, string>;
  method?: string;
}

/** One request on a fresh connection (no keep-alive, no TLS session reuse: each request shows its own certificate). */
export function request(url: string, opts: RequestOptions): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      url,
      {
        method: opts.method ?? 'GET',
        ca: opts.ca,
        agent: false,
        ...(opts.cert ? { cert: opts.cert.certPem, key: opts.cert.keyPem } : {}),
        headers: { ...(opts.token !== undefined ? { authorization: `Bearer ${opts.token}` } : {}), ...opts.headers },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** Polls until `check` is true; fails after a generous timeout (never asserts speed). */
export async function waitFor(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface AuthStack {
  kas: FakeKubeApiserver;
  stack: LocalStack;
  auth: ProxyAuth;
  clock: FakeClock;
  certs: ClientCertificates;
  logger: Logger & { lines: string[] };
  dir: string;
  kubeconfig: string;
  /** GET (or opts.method) a proxy path. */
  get(path: string, opts?: Omit<RequestOptions, 'ca'>): Promise<Answer>;
  close(): Promise<void>;
}

export interface AuthStackOptions {
  /** Pod addresses (three octets) of this suite's simulated control plane. */
  ipPrefix: string;
  settings?: Partial<AuthSettings>;
  /** Write the kubeconfig with a token file (rotation tests). */
  tokenFile?: boolean;
}

/**
 * The fake hosted kube-apiserver, a simulated control plane and the proxy with createProxyAuth
 * (tokens and client certificates), short health interval and KAS timeout, and a fake clock.
 */
export async function startAuthStack(opts: AuthStackOptions): Promise<AuthStack> {
  const dir = mkdtempSync(join(tmpdir(), 'hcp-auth-test-'));
  const logger = memoryLogger('auth-test');
  const clock = new FakeClock();
  const kas = await FakeKubeApiserver.start();
  const { kubeconfig } = kas.writeKubeconfig(join(dir, 'kas'), { tokenFile: opts.tokenFile });
  const certs = mintClientCertificates(join(dir, 'client'));
  let auth: ProxyAuth | undefined;
  let stack: LocalStack;
  try {
    stack = await startLocalStack({
      ipPrefix: opts.ipPrefix,
      apiserver: { seriesCount: 200 },
      logger,
      clientCaFile: certs.caFile,
      authenticator: (metrics) => {
        auth = createProxyAuth(
          { kubeconfigFile: kubeconfig, clientCaFile: certs.caFile, now: clock.now, healthIntervalMs: 100, kasTimeoutMs: 3000, watchPollMs: 100, ...opts.settings },
          { logger, metrics },
        );
        return auth;
      },
    });
  } catch (err) {
    auth?.close();
    await kas.close();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const a = auth!;
  const s = stack;
  return {
    kas,
    stack: s,
    auth: a,
    clock,
    certs,
    logger,
    dir,
    kubeconfig,
    get: (path, o = {}) => request(`${s.proxyUrl}${path}`, { ...o, ca: s.certs.ca.certPem }),
    async close() {
      a.close();
      await s.close();
      await kas.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
