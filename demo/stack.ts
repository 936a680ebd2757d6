/**
 * A complete local stack: a simulated control plane (pods), a simulated management cluster (a
 * kube-apiserver holding their Pod objects and the real endpoint resolver watching them), certificates
 * from our own PKI, a generated proxy config and the proxy itself over HTTPS, all on loopback.
 * Used by the demo, the end-to-end tests and the benchmarks.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { startHttpsServer, type RunningServer } from '../common/https-server.js';
import { createLogger, type Logger } from '../common/log.js';
import type { MetricsSetName } from '../proxy/metricsset/index.js';
import { ProxyRuntime } from '../proxy/runtime.js';
import { createScraper } from '../proxy/scrape/scraper.js';
import { createProxyApp } from '../proxy/server/app.js';
import { insecureNoAuth, type Authenticator } from '../proxy/server/auth.js';
import { ProxyMetrics } from '../proxy/server/metrics.js';
import { mintLocalCertificates, type LocalCertificates } from './certs.js';
import { startSimulatedControlPlane, type SimulatedControlPlane, type SimulatedControlPlaneOptions, type SimulatedComponent } from './sim/index.js';
import { managementDir, startSimulatedManagement, type SimulatedManagement } from './sim/management.js';

/** The namespace the simulated hosted control plane runs in. */
export const DEMO_NAMESPACE = 'clusters-demo';

export interface LocalStackOptions {
  /** `real` ports (demo) or ephemeral ones (tests, so suites can run side by side). */
  ports?: 'real' | 'ephemeral';
  /** Where the proxy listens; default 127.0.0.1:0. */
  proxyListen?: string;
  metricsSet?: MetricsSetName;
  apiserver?: SimulatedControlPlaneOptions['apiserver'];
  slowDelayMs?: number;
  /** Pods demand the proxy's client certificate, as HyperShift's components do. Default true. */
  podClientAuth?: boolean;
  /** Default: insecure (every caller served). A function receives the stack's metrics, e.g. for createProxyAuth. */
  authenticator?: Authenticator | ((metrics: ProxyMetrics) => Authenticator);
  /** CA bundle for client certificates: the proxy then requests (does not require) one and verifies it. */
  clientCaFile?: string;
  maxBodyBytes?: number;
  logger?: Logger;
  /** Scrape worker threads; 0 (default) scrapes in the main thread. */
  scrapeWorkers?: number;
  /** Per-pod scrape timeout written into the config (Prometheus duration). Default 10s. */
  scrapeTimeout?: string | ((component: string) => string);
  /** First host octet of pod addresses (127.0.1.x); lets concurrent stacks avoid each other. */
  ipPrefix?: string;
  /** SRE metrics set (the sre-metric-set ConfigMap's `config` text): written to `sreConfigFile` and watched. */
  sreConfig?: string;
  /** Milliseconds to reuse an endpoint-resolver answer; default the runtime's (5 s). */
  resolverCacheTtlMs?: number;
  /** The proxy's --sd-target (HOST:PORT for GET /sd), or a function read per request (e.g. a forwarder started later). Default: /sd off. */
  sdTarget?: string | (() => string | undefined);
  /** Extra DNS names of the proxy's serving certificate (e.g. a Route host for a guest-side test). */
  proxyDnsNames?: string[];
}

export interface LocalStack {
  proxyUrl: string;
  certs: LocalCertificates;
  configFile: string;
  /** Set when the stack was started with `sreConfig`. */
  sreConfigFile: string | undefined;
  dir: string;
  controlPlane: SimulatedControlPlane;
  /** The management cluster's kube-apiserver (pods) and the endpoint resolver watching it. */
  management: SimulatedManagement;
  runtime: ProxyRuntime;
  metrics: ProxyMetrics;
  server: RunningServer;
  close(): Promise<void>;
}

/** How standalone OpenShift labels each component (HyperShift's `hypershift.openshift.io/metrics-*` annotations). */
const LABELS: Record<string, { job?: string; namespace?: string; service?: string; endpoint?: string; targetLabels?: Record<string, string> }> = {
  'kube-apiserver': { job: 'apiserver', namespace: 'default', service: 'kubernetes', endpoint: 'https', targetLabels: { apiserver: 'kube-apiserver' } },
  etcd: { job: 'etcd', namespace: 'openshift-etcd', service: 'etcd', endpoint: 'etcd-metrics' },
  'kube-controller-manager': { job: 'kube-controller-manager', namespace: 'openshift-kube-controller-manager', service: 'kube-controller-manager', endpoint: 'https' },
  'openshift-apiserver': { job: 'api', namespace: 'openshift-apiserver', service: 'api', endpoint: 'https' },
  'openshift-controller-manager': { job: 'controller-manager', namespace: 'openshift-controller-manager', service: 'controller-manager', endpoint: 'https' },
  'cluster-version-operator': { job: 'cluster-version-operator', namespace: 'openshift-cluster-version', service: 'cluster-version-operator', endpoint: 'metrics' },
};

export function proxyConfigFor(
  components: SimulatedComponent[],
  certs: LocalCertificates,
  resolverUrl: string,
  podClientAuth: boolean,
  scrapeTimeout: string | ((component: string) => string) = '10s',
): Record<string, unknown> {
  return {
    endpointResolver: { url: resolverUrl, caFile: certs.caFile, certFile: certs.resolverClient.certFile, keyFile: certs.resolverClient.keyFile },
    components: components.map((c) => {
      const l = LABELS[c.name] ?? {};
      return {
        name: c.name,
        selector: c.selector,
        metricsPort: c.port,
        metricsPath: c.path,
        metricsScheme: c.scheme,
        ...(c.scheme === 'https'
          ? { tlsServerName: c.tlsServerName, caFile: certs.podCaFile, ...(podClientAuth ? { certFile: certs.podClient.certFile, keyFile: certs.podClient.keyFile } : {}) }
          : {}),
        ...(l.job ? { metricsJob: l.job } : {}),
        ...(l.namespace ? { metricsNamespace: l.namespace } : {}),
        ...(l.service ? { metricsService: l.service } : {}),
        ...(l.endpoint ? { metricsEndpoint: l.endpoint } : {}),
        ...(l.targetLabels ? { targetLabels: l.targetLabels } : {}),
        scrapeTimeout: typeof scrapeTimeout === 'string' ? scrapeTimeout : scrapeTimeout(c.name),
      };
    }),
  };
}

export async function startLocalStack(opts: LocalStackOptions = {}): Promise<LocalStack> {
  const logger = opts.logger ?? createLogger('stack');
  const dir = mkdtempSync(join(tmpdir(), 'hcp-metrics-proxy-'));
  const ipPrefix = opts.ipPrefix ?? '127.0.1';
  const podIps = Array.from({ length: 30 }, (_v, i) => `${ipPrefix}.${i + 1}`);
  const serverNames = ['kube-apiserver', 'etcd-client', 'kube-controller-manager', 'openshift-apiserver', 'openshift-controller-manager', 'cluster-version-operator', 'localhost'];
  const certs = mintLocalCertificates(join(dir, 'certs'), podIps, serverNames, opts.proxyDnsNames);
  const podClientAuth = opts.podClientAuth ?? true;
  const controlPlane = await startSimulatedControlPlane({
    tls: { certPem: certs.podServing.certPem, keyPem: certs.podServing.keyPem, clientCaPem: podClientAuth ? certs.podCa.certPem : undefined },
    ports: opts.ports ?? 'ephemeral',
    ipPrefix,
    apiserver: opts.apiserver,
    slowDelayMs: opts.slowDelayMs,
  });
  let management: SimulatedManagement;
  try {
    management = await startSimulatedManagement({
      namespace: DEMO_NAMESPACE,
      components: controlPlane.components,
      dir: managementDir(dir),
      tls: { certFile: certs.resolverServing.certFile, keyFile: certs.resolverServing.keyFile, clientCaFile: certs.caFile },
      logger,
    });
  } catch (err) {
    await controlPlane.close();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const configFile = join(dir, 'config.yaml');
  writeFileSync(configFile, YAML.stringify(proxyConfigFor(controlPlane.components, certs, management.resolverUrl, podClientAuth, opts.scrapeTimeout)));
  let sreConfigFile: string | undefined;
  if (opts.sreConfig !== undefined) {
    sreConfigFile = join(dir, 'sre-config.yaml');
    writeFileSync(sreConfigFile, opts.sreConfig);
  }
  const metrics = new ProxyMetrics({ defaultMetrics: false });
  const scraper = createScraper(opts.scrapeWorkers ?? 0, logger);
  let runtime: ProxyRuntime | undefined;
  try {
    runtime = await ProxyRuntime.start({
      configFile,
      namespace: DEMO_NAMESPACE,
      metricsSet: opts.metricsSet ?? 'All',
      sreConfigFile,
      resolverCacheTtlMs: opts.resolverCacheTtlMs,
      scraper,
      metrics,
      logger,
      watchPollMs: 500,
    });
    const authenticator = typeof opts.authenticator === 'function' ? opts.authenticator(metrics) : (opts.authenticator ?? insecureNoAuth);
    const app = createProxyApp({ state: runtime, authenticator, scraper, metrics, logger, maxBodyBytes: opts.maxBodyBytes ?? 64 * 1024 * 1024, sdTarget: opts.sdTarget });
    const server = await startHttpsServer(app, {
      listen: opts.proxyListen ?? '127.0.0.1:0',
      tls: { certFile: certs.proxyServing.certFile, keyFile: certs.proxyServing.keyFile, ...(opts.clientCaFile ? { clientCaFile: opts.clientCaFile } : {}) },
      logger,
      watchPollMs: 500,
    });
    const rt = runtime;
    return {
      proxyUrl: `https://127.0.0.1:${server.port}`,
      certs,
      configFile,
      sreConfigFile,
      dir,
      controlPlane,
      management,
      runtime: rt,
      metrics,
      server,
      async close() {
        await server.close(1000);
        rt.close();
        await scraper.close();
        await management.close();
        await controlPlane.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    runtime?.close();
    await scraper.close();
    await management.close();
    await controlPlane.close();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
