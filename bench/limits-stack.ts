/**
 * The set-up of the pre-authentication benchmarks (flood, slowloris): the proxy CLI in its own
 * process, authenticating bearer tokens against the fake *hosted* kube-apiserver (which counts the
 * TokenReviews it receives), in front of one small simulated pod behind a static resolver.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { mintLocalCertificates } from '../demo/certs.js';
import { FakeKubeApiserver } from '../demo/sim/kube-apiserver/index.js';
import { renderKubeApiserverMetrics, startSimulatedPod, startStaticResolver } from '../demo/sim/index.js';
import { startProxyProcess, type ProxyProcess } from './proxy-process.js';

export const PROMETHEUS_SA = 'system:serviceaccount:openshift-monitoring:prometheus-k8s';
export const COMPONENT = 'small-component';

export interface LimitsStack {
  proxy: ProxyProcess;
  kas: FakeKubeApiserver;
  /** CA of the proxy's serving certificate. */
  ca: Buffer;
  /** A token the fake accepts for the prometheus-k8s service account. */
  validToken: string;
  /** https://host:port/metrics/<component> */
  scrapeUrl: string;
  close(): Promise<void>;
}

export async function startLimitsStack(opts: { podIp: string; proxyFlags?: string[] }): Promise<LimitsStack> {
  const dir = mkdtempSync(join(tmpdir(), 'hcp-bench-limits-'));
  const cleanups: (() => Promise<void> | void)[] = [() => rmSync(dir, { recursive: true, force: true })];
  const close = async () => {
    for (const c of cleanups.reverse()) await c();
  };
  try {
    const certs = mintLocalCertificates(join(dir, 'certs'), [opts.podIp], ['localhost']);
    // ~5 KB: the scrape is cheap, so authentication and connection handling are what shows.
    const body = renderKubeApiserverMetrics({ seed: 1, targetBytes: 5 * 1024 }).body;
    const pod = await startSimulatedPod({ name: `${COMPONENT}-0`, ip: opts.podIp, port: 0, body, gzip: false });
    cleanups.push(() => pod.close());
    const resolver = await startStaticResolver({
      tls: { certPem: certs.resolverServing.certPem, keyPem: certs.resolverServing.keyPem, clientCaPem: certs.ca.certPem },
      pods: () => [{ name: pod.name, ip: pod.ip }],
    });
    cleanups.push(() => resolver.close());
    const kas = await FakeKubeApiserver.start();
    cleanups.push(() => kas.close());
    const { kubeconfig } = kas.writeKubeconfig(join(dir, 'kas'));
    const validToken = 'bench-valid-prometheus-token';
    kas.addToken(validToken, { username: PROMETHEUS_SA });
    const configFile = join(dir, 'config.yaml');
    writeFileSync(
      configFile,
      YAML.stringify({
        endpointResolver: { url: resolver.url, caFile: certs.caFile, certFile: certs.resolverClient.certFile, keyFile: certs.resolverClient.keyFile },
        components: [{ name: COMPONENT, selector: { app: COMPONENT }, metricsPort: pod.port, metricsScheme: 'http', scrapeTimeout: '10s' }],
      }),
    );
    const ca = readFileSync(certs.caFile);
    const proxy = await startProxyProcess({
      listenHost: '127.0.0.1',
      ca,
      flags: [
        '--kubeconfig', kubeconfig,
        '--config', configFile,
        '--tls-cert-file', certs.proxyServing.certFile,
        '--tls-key-file', certs.proxyServing.keyFile,
        '--metrics-set', 'All',
        '--log-level', 'error',
        ...(opts.proxyFlags ?? []),
      ],
    });
    cleanups.push(() => proxy.stop());
    return { proxy, kas, ca, validToken, scrapeUrl: `${proxy.url}/metrics/${COMPONENT}`, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** One GET with a bearer token; resolves to the status once the answer has been read. */
export function getStatus(url: string, agent: https.Agent, token: string): Promise<number> {
  return new Promise((resolve, reject) => {
    https
      .get(url, { agent, headers: { authorization: `Bearer ${token}` } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

/** Scrapes with a cached token, `concurrency` at a time, until stopped: what Prometheus keeps doing during an attack. */
export class ScrapeLoop {
  private running = true;
  private readonly done: Promise<void>;
  /** Answer times in ms, with the hrtime (ms) each one finished at. */
  readonly answers: { at: number; ms: number }[] = [];
  failures = 0;

  constructor(url: string, agent: https.Agent, token: string, concurrency: number) {
    const worker = async () => {
      while (this.running) {
        const t0 = process.hrtime.bigint();
        const status = await getStatus(url, agent, token).catch(() => 0);
        const end = process.hrtime.bigint();
        if (status !== 200) this.failures++;
        else this.answers.push({ at: Number(end) / 1e6, ms: Number(end - t0) / 1e6 });
      }
    };
    this.done = Promise.all(Array.from({ length: concurrency }, worker)).then(() => undefined);
  }

  /** Scrapes that finished in [fromMs, toMs) (hrtime milliseconds). */
  between(fromMs: number, toMs: number): { at: number; ms: number }[] {
    return this.answers.filter((a) => a.at >= fromMs && a.at < toMs);
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.done;
  }
}

export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}
