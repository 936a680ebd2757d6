/**
 * The Prometheus scrape configuration prometheus-operator renders from the PodMonitor guest sync writes
 * (generator/guest/objects.ts), for a Prometheus outside Kubernetes: the forwarder pod the selector would
 * find is given as a static target, and the ConfigMap/Secret references and the scrape class are given
 * as the files the operator would mount. One job per endpoint, named and labelled as the operator does
 * (`podMonitor/<namespace>/<name>/<i>`; job `<namespace>/<name>`, namespace, pod, container, endpoint).
 * Fields it does not know fail loudly, so a PodMonitor that grows one cannot be half-translated.
 */
import type { GuestPodMonitor, PodMetricsEndpoint } from '../../generator/guest/objects.js';

export interface ScrapeClassFiles {
  /** The client certificate the scrape class presents (OpenShift: metrics-client-certs). */
  certFile: string;
  keyFile: string;
}

export interface PodMonitorRenderOptions {
  /** HOST:PORT of the forwarder pod the selector selects. */
  forwarderAddress: string;
  forwarderPod: string;
  /** The file the operator mounts for a ConfigMap or Secret key, by `configmap/<name>/<key>` or `secret/<name>/<key>`. */
  files: Record<string, string>;
  /** The guest Prometheus' scrape classes (name → the TLS client certificate it adds). */
  scrapeClasses?: Record<string, ScrapeClassFiles>;
  scrapeInterval?: string;
  scrapeTimeout?: string;
}

const ENDPOINT_KEYS = new Set(['port', 'path', 'scheme', 'honorLabels', 'tlsConfig', 'authorization']);
const SPEC_KEYS = new Set(['selector', 'scrapeClass', 'podMetricsEndpoints']);

function file(o: PodMonitorRenderOptions, ref: string): string {
  const f = o.files[ref];
  if (f === undefined) throw new Error(`no file given for ${ref} (the operator would mount it)`);
  return f;
}

export function podMonitorScrapeConfigs(pm: GuestPodMonitor, o: PodMonitorRenderOptions): Record<string, unknown>[] {
  const unknownSpec = Object.keys(pm.spec).filter((k) => !SPEC_KEYS.has(k));
  if (unknownSpec.length > 0) throw new Error(`PodMonitor spec fields this translation does not know: ${unknownSpec.join(', ')}`);
  const scrapeClass = pm.spec.scrapeClass === undefined ? undefined : o.scrapeClasses?.[pm.spec.scrapeClass];
  if (pm.spec.scrapeClass !== undefined && !scrapeClass) throw new Error(`the guest Prometheus has no scrape class ${pm.spec.scrapeClass}`);
  const { namespace, name } = pm.metadata;
  return pm.spec.podMetricsEndpoints.map((ep: PodMetricsEndpoint, i) => {
    const unknown = Object.keys(ep).filter((k) => !ENDPOINT_KEYS.has(k));
    if (unknown.length > 0) throw new Error(`podMetricsEndpoints[${i}] fields this translation does not know: ${unknown.join(', ')}`);
    const ca = ep.tlsConfig.ca.configMap;
    return {
      job_name: `podMonitor/${namespace}/${name}/${i}`,
      honor_labels: ep.honorLabels,
      metrics_path: ep.path,
      scheme: ep.scheme,
      ...(o.scrapeInterval ? { scrape_interval: o.scrapeInterval } : {}),
      ...(o.scrapeTimeout ? { scrape_timeout: o.scrapeTimeout } : {}),
      tls_config: {
        ca_file: file(o, `configmap/${ca.name}/${ca.key}`),
        server_name: ep.tlsConfig.serverName,
        ...(scrapeClass ? { cert_file: scrapeClass.certFile, key_file: scrapeClass.keyFile } : {}),
      },
      ...(ep.authorization
        ? { authorization: { type: ep.authorization.type, credentials_file: file(o, `secret/${ep.authorization.credentials.name}/${ep.authorization.credentials.key}`) } }
        : {}),
      static_configs: [{ targets: [o.forwarderAddress] }],
      // What the operator's relabelings derive from the discovered pod.
      relabel_configs: [
        { target_label: 'job', replacement: `${namespace}/${name}` },
        { target_label: 'namespace', replacement: namespace },
        { target_label: 'pod', replacement: o.forwarderPod },
        { target_label: 'container', replacement: 'forwarder' },
        { target_label: 'endpoint', replacement: ep.port },
      ],
    };
  });
}
