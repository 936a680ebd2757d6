/**
 * What the fan-out and concurrency benchmarks scrape: 3 simulated kube-apiserver pods (~30 MB bodies,
 * served uncompressed over plain http, one port as behind one Service), a static endpoint resolver over
 * mutual TLS, certificates from our own PKI code, and the proxy configuration pointing at them.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';
import { mintLocalCertificates, type LocalCertificates } from '../demo/certs.js';
import { renderKubeApiserverMetrics, startSimulatedPod, startStaticResolver, type SimulatedPod } from '../demo/sim/index.js';

export const COMPONENT = 'kube-apiserver';

export interface KubeApiserverStack {
  certs: LocalCertificates;
  pods: SimulatedPod[];
  /** Bytes of all pod bodies. */
  totalBytes: number;
  configFile: string;
}

/** Everything it starts is stopped by the functions it pushes onto `cleanups`. */
export async function startKubeApiserverStack(dir: string, podIps: readonly string[], scrapeTimeout: string, cleanups: (() => Promise<void> | void)[]): Promise<KubeApiserverStack> {
  const certs = mintLocalCertificates(join(dir, 'certs'), [...podIps], ['localhost']);
  const bodies = podIps.map((_, i) => Buffer.from(renderKubeApiserverMetrics({ seed: i + 1, targetBytes: 30 * 1024 * 1024 }).body, 'utf8'));
  const pods: SimulatedPod[] = [];
  for (const [i, ip] of podIps.entries()) {
    const pod = await startSimulatedPod({ name: `kube-apiserver-${i}`, ip, port: pods[0]?.port ?? 0, body: bodies[i]!, gzip: false });
    cleanups.push(() => pod.close());
    pods.push(pod);
  }
  const resolver = await startStaticResolver({
    tls: { certPem: certs.resolverServing.certPem, keyPem: certs.resolverServing.keyPem, clientCaPem: certs.ca.certPem },
    pods: () => pods.map((p) => ({ name: p.name, ip: p.ip })),
  });
  cleanups.push(() => resolver.close());
  const configFile = join(dir, 'config.yaml');
  writeFileSync(
    configFile,
    YAML.stringify({
      endpointResolver: { url: resolver.url, caFile: certs.caFile, certFile: certs.resolverClient.certFile, keyFile: certs.resolverClient.keyFile },
      components: [
        {
          name: COMPONENT,
          selector: { app: COMPONENT },
          metricsPort: pods[0]!.port,
          metricsScheme: 'http',
          metricsJob: 'apiserver',
          metricsNamespace: 'default',
          metricsService: 'kubernetes',
          metricsEndpoint: 'https',
          targetLabels: { apiserver: 'kube-apiserver' },
          scrapeTimeout,
        },
      ],
    }),
  );
  return { certs, pods, totalBytes: bodies.reduce((n, b) => n + b.length, 0), configFile };
}
