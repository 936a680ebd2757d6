/**
 * Authentication overhead and TokenReview load, in-process on loopback:
 *
 * 1. Requests per second of scrapes of a small component (cluster-version-operator, one ~5 KB pod)
 *    with a cached bearer token, against the same proxy with no authentication at all
 *    (--insecure-no-auth), rounds interleaved so drift hits both alike. Target ≥ 0.9×.
 * 2. TokenReviews sent for 1 000 scrapes by 10 Prometheus replicas (one token each) spread over 5
 *    minutes of a fake clock, against the fake hosted kube-apiserver. Target 10 (one per token); the
 *    baseline is the same run with kube-rbac-proxy's 2-minute cache.
 *
 * `runAuthBench({ ...AUTH_DEFAULTS, log })` returns a report Section.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../common/log.js';
import { startLocalStack, type LocalStack } from '../demo/stack.js';
import { createCA, issueCertificate } from '../generator/pki/index.js';
import { createProxyAuth, type ProxyAuth } from '../proxy/auth/index.js';
import { insecureNoAuth, type Authenticator } from '../proxy/server/auth.js';
import { FakeKubeApiserver, fakeJwt } from '../demo/sim/kube-apiserver/index.js';
import { met, type Row, type Section } from './report.js';
import { median, msSince, settle } from './stats.js';

export interface AuthBenchOptions {
  /** Interleaved rounds per mode. */
  rounds: number;
  /** Scrapes per round. */
  requestsPerRound: number;
  /** Scrapes in flight at once (keep-alive connections). */
  concurrency: number;
  log: (line: string) => void;
}

export const AUTH_DEFAULTS: Omit<AuthBenchOptions, 'log'> = { rounds: 7, requestsPerRound: 800, concurrency: 8 };

const PROMETHEUS_SA = 'system:serviceaccount:openshift-monitoring:prometheus-k8s';
const COMPONENT_PATH = '/metrics/cluster-version-operator';
const TARGET_RATIO = 0.9;
const REPLICAS = 10;
const SCRAPES = 1000;
const WINDOW_MS = 5 * 60 * 1000;
const TARGET_REVIEWS = REPLICAS;

/** `total` GETs of `path`, `concurrency` at a time over keep-alive connections; returns requests per second. */
async function hammer(url: string, agent: https.Agent, headers: Record<string, string>, total: number, concurrency: number): Promise<number> {
  let next = 0;
  const one = (): Promise<void> =>
    new Promise((resolve, reject) => {
      https
        .get(url, { agent, headers }, (res) => {
          if (res.statusCode !== 200) reject(new Error(`${url}: HTTP ${res.statusCode}`));
          res.resume();
          res.on('end', resolve);
          res.on('error', reject);
        })
        .on('error', reject);
    });
  const worker = async () => {
    while (next < total) {
      next++;
      await one();
    }
  };
  const t0 = process.hrtime.bigint();
  await Promise.all(Array.from({ length: concurrency }, worker));
  return total / (msSince(t0) / 1000);
}

/** One scrape as a Prometheus replica makes it: its own keep-alive connection, its bearer token. */
function get(url: string, agent: https.Agent, token: string): Promise<number> {
  return new Promise((resolve, reject) => {
    https
      .get(url, { agent, headers: { authorization: `Bearer ${token}` } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      })
      .on('error', reject);
  });
}

export async function runAuthBench(opts: AuthBenchOptions): Promise<Section> {
  const dir = mkdtempSync(join(tmpdir(), 'hcp-bench-auth-'));
  const quiet = createLogger('bench-auth', { write: () => {} });
  const kas = await FakeKubeApiserver.start();
  const { kubeconfig } = kas.writeKubeconfig(join(dir, 'kas'));
  // The proxy under test switches authenticator between measurements; everything else stays put.
  let current: Authenticator = insecureNoAuth;
  const switchable: Authenticator = { authorize: (req, path) => current.authorize(req, path), ready: () => current.ready() };
  const clientCa = createCA({ commonName: 'bench client CA' });
  const caFile = join(dir, 'client-ca.crt');
  writeFileSync(caFile, clientCa.certPem);
  const clientCert = issueCertificate(clientCa, { commonName: PROMETHEUS_SA, usages: ['clientAuth'] });
  const auths: ProxyAuth[] = [];
  let stack: LocalStack | undefined;
  try {
    stack = await startLocalStack({ ipPrefix: '127.0.97', apiserver: { seriesCount: 200 }, logger: quiet, authenticator: switchable, clientCaFile: caFile });
    const url = `${stack.proxyUrl}${COMPONENT_PATH}`;
    const ca = stack.certs.ca.certPem;

    // 1. Throughput: cached token vs no authentication vs client certificate.
    const token = 'bench-cached-token';
    kas.addToken(token, { username: PROMETHEUS_SA });
    const tokenAuth = createProxyAuth({ kubeconfigFile: kubeconfig, clientCaFile: caFile }, { logger: quiet });
    auths.push(tokenAuth);
    const modes: { name: 'insecure' | 'token' | 'cert'; auth: Authenticator; agent: https.Agent; headers: Record<string, string> }[] = [
      { name: 'insecure', auth: insecureNoAuth, agent: new https.Agent({ keepAlive: true, ca, maxSockets: opts.concurrency }), headers: { authorization: `Bearer ${token}` } },
      { name: 'token', auth: tokenAuth, agent: new https.Agent({ keepAlive: true, ca, maxSockets: opts.concurrency }), headers: { authorization: `Bearer ${token}` } },
      { name: 'cert', auth: tokenAuth, agent: new https.Agent({ keepAlive: true, ca, cert: clientCert.certPem, key: clientCert.keyPem, maxSockets: opts.concurrency }), headers: {} },
    ];
    const rps: Record<string, number[]> = { insecure: [], token: [], cert: [] };
    for (const m of modes) {
      current = m.auth;
      await hammer(url, m.agent, m.headers, 200, opts.concurrency); // warm-up: connections, caches, JIT
    }
    opts.log(`auth: ${opts.rounds} rounds × ${opts.requestsPerRound} scrapes of ${COMPONENT_PATH}, ${opts.concurrency} at a time`);
    for (let r = 0; r < opts.rounds; r++) {
      const order = r % 2 === 0 ? modes : [...modes].reverse();
      for (const m of order) {
        current = m.auth;
        await settle();
        rps[m.name]!.push(await hammer(url, m.agent, m.headers, opts.requestsPerRound, opts.concurrency));
      }
      opts.log(`auth: round ${r + 1}: insecure ${rps.insecure!.at(-1)!.toFixed(0)}/s, token ${rps.token!.at(-1)!.toFixed(0)}/s, cert ${rps.cert!.at(-1)!.toFixed(0)}/s`);
    }
    modes.forEach((m) => m.agent.destroy());
    const reviewsDuringThroughput = kas.tokenReviews;
    const insecureRps = median(rps.insecure!);
    const tokenRps = median(rps.token!);
    const certRps = median(rps.cert!);
    // Rounds drift together (a busy machine slows all modes of a round): compare within each round.
    const tokenRatio = median(rps.token!.map((v, i) => v / rps.insecure![i]!));
    const certRatio = median(rps.cert!.map((v, i) => v / rps.insecure![i]!));

    // 2. TokenReviews: 10 replicas × 100 scrapes over 5 minutes of fake time, with our cache and with a 2-minute one.
    const reviewsFor = async (ttlSeconds: number): Promise<number> => {
      let now = Date.now();
      const auth = createProxyAuth({ kubeconfigFile: kubeconfig, tokenCacheTtlSeconds: ttlSeconds, now: () => now }, { logger: quiet });
      auths.push(auth);
      current = auth;
      // Projected service-account tokens: JWTs valid for an hour, one per Prometheus pod.
      const tokens = Array.from({ length: REPLICAS }, (_v, i) => fakeJwt({ sub: PROMETHEUS_SA, iat: Math.floor(now / 1000), exp: Math.floor(now / 1000) + 3600, jti: `replica-${i}-${ttlSeconds}` }));
      tokens.forEach((t) => kas.addToken(t, { username: PROMETHEUS_SA }));
      const agents = tokens.map(() => new https.Agent({ keepAlive: true, ca, maxSockets: 1 }));
      const before = kas.tokenReviews;
      try {
        for (let i = 0; i < SCRAPES; i++) {
          const status = await get(url, agents[i % REPLICAS]!, tokens[i % REPLICAS]!);
          if (status !== 200) throw new Error(`scrape ${i}: HTTP ${status}`);
          now += WINDOW_MS / SCRAPES;
        }
      } finally {
        agents.forEach((a) => a.destroy());
      }
      return kas.tokenReviews - before;
    };
    opts.log(`auth: ${SCRAPES} scrapes by ${REPLICAS} replicas over 5 min of fake time`);
    const reviews = await reviewsFor(300);
    const reviewsRbacProxy = await reviewsFor(120);

    const rows: Row[] = [
      {
        figure: 'scrapes/s, cached bearer token (small component)',
        value: `${tokenRps.toFixed(0)}/s`,
        baseline: `${insecureRps.toFixed(0)}/s (--insecure-no-auth)`,
        ratio: `${tokenRatio.toFixed(2)}×`,
        target: `≥ ${TARGET_RATIO}×`,
        met: met(tokenRatio >= TARGET_RATIO),
      },
      {
        figure: 'scrapes/s, client certificate (small component)',
        value: `${certRps.toFixed(0)}/s`,
        baseline: `${insecureRps.toFixed(0)}/s (--insecure-no-auth)`,
        ratio: `${certRatio.toFixed(2)}×`,
        target: '—',
        met: '—',
      },
      {
        figure: `TokenReviews for ${SCRAPES} scrapes by ${REPLICAS} replicas in 5 min`,
        value: String(reviews),
        baseline: `${reviewsRbacProxy} (2-min cache, as kube-rbac-proxy)`,
        ratio: `${(reviews / reviewsRbacProxy).toFixed(2)}×`,
        target: String(TARGET_REVIEWS),
        met: met(reviews <= TARGET_REVIEWS),
      },
    ];
    return {
      title: 'Authentication',
      intro: [
        `In-process proxy on loopback, scraping \`${COMPONENT_PATH}\` (one pod, ~5 KB) so that authentication is a visible part of each request. ` +
          `Throughput: ${opts.rounds} interleaved rounds of ${opts.requestsPerRound} scrapes per mode, ${opts.concurrency} in flight over keep-alive connections; scrapes/s are medians of the rounds, the ratio is the median of the per-round ratios (the modes of a round run back to back, in alternating order); ` +
          'the token was reviewed once before the rounds, so every measured request is a cache hit.',
        `TokenReviews: ${SCRAPES} sequential scrapes, round-robin over ${REPLICAS} JWT tokens (one per Prometheus replica, each on its own keep-alive connection), the fake clock advancing ${WINDOW_MS / SCRAPES} ms per scrape; ` +
          'counted by the fake hosted kube-apiserver.',
      ],
      rows,
      notes: [
        `rounds (scrapes/s): insecure ${rps.insecure!.map((x) => x.toFixed(0)).join(', ')}; token ${rps.token!.map((x) => x.toFixed(0)).join(', ')}; cert ${rps.cert!.map((x) => x.toFixed(0)).join(', ')}`,
        `TokenReviews during the throughput rounds: ${reviewsDuringThroughput}`,
      ],
    };
  } finally {
    auths.forEach((a) => a.close());
    await stack?.close();
    await kas.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
