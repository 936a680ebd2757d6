/**
 * The guest side of the demo: the forwarder (in-process, as it runs in the guest's monitoring namespace)
 * in front of the proxy, the PodMonitor guest sync would write for this demo (the same function), and a
 * ready-to-paste Prometheus scrape config through the forwarder with the demo's CA.
 */
import YAML from 'yaml';
import type { Logger } from '../common/log.js';
import { startForwarder, type Forwarder } from '../forwarder/forwarder.js';
import { desiredPodMonitor } from '../generator/guest/objects.js';
import { LOCAL_ROUTE_HOST } from './certs.js';
import { DEMO_NAMESPACE } from './stack.js';

/** The forwarder on a free loopback port, carrying connections to the proxy as to the Route on 443. */
export function startDemoForwarder(proxyPort: number, logger: Logger): Promise<Forwarder> {
  return startForwarder({ listen: '127.0.0.1:0', upstream: { host: '127.0.0.1', port: proxyPort }, maxConnections: 512, connectTimeoutMs: 5000, idleTimeoutMs: 300_000, logger });
}

/** YAML with collections nested `flowDepth` or more levels deep on one line each: short enough to read in a terminal. */
export function compactYaml(value: unknown, flowDepth: number): string {
  const doc = new YAML.Document(value);
  YAML.visit(doc, {
    Collection(_key, node, path) {
      if (path.filter((n) => YAML.isCollection(n)).length >= flowDepth) node.flow = true;
    },
  });
  return doc.toString({ lineWidth: 0 });
}

/** The PodMonitor guest sync writes into the guest for these served paths, as YAML. */
export function demoPodMonitorYaml(paths: readonly string[]): string {
  const pm = desiredPodMonitor(paths, { namespace: 'openshift-monitoring', sourceNamespace: DEMO_NAMESPACE, routeHost: LOCAL_ROUTE_HOST, auth: { mode: 'client-certificate' } });
  return compactYaml(pm, 4);
}

/**
 * One Prometheus job scraping every served path through the forwarder: static targets, the path as
 * `__metrics_path__`, TLS verified against the demo CA with the Route-host-like name the proxy's serving
 * certificate carries (the forwarder passes TLS through untouched), and the proxy's labels kept.
 */
export function demoScrapeConfig(paths: readonly string[], forwarder: string, caFile: string): Record<string, unknown> {
  return {
    job_name: 'hcp-metrics-proxy',
    scheme: 'https',
    honor_labels: true,
    scrape_interval: '15s',
    scrape_timeout: '10s',
    tls_config: { ca_file: caFile, server_name: LOCAL_ROUTE_HOST },
    static_configs: paths.map((p) => ({ targets: [forwarder], labels: { __metrics_path__: p, component: p.split('/')[2]! } })),
  };
}
