/**
 * Optional self-monitoring: a ServiceMonitor (or PodMonitor) through which a management-cluster
 * Prometheus scrapes the proxy's own `/metrics` over HTTPS.
 *
 * The proxy authenticates this scrape like any other, so give it a client certificate that chains to the
 * proxy's client CA and whose subject is allowed ({@link MetricsProxyMonitorProps.clientCertSecret}), or an
 * allowed bearer token via your Prometheus' defaults. Note that the config generator reads every monitor in the
 * namespace, so this one also shows up as the component `metrics-proxy` behind the proxy itself.
 */
import { Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { PodMonitor, PodMonitorSpecPodMetricsEndpointsScheme } from '../../imports/podmonitor-monitoring.coreos.com.js';
import { ServiceMonitor, ServiceMonitorSpecEndpointsScheme } from '../../imports/servicemonitor-monitoring.coreos.com.js';
import { InvalidPropsError } from './errors.js';
import type { SecretKeySelector } from './metrics-proxy.js';
import { COMPONENT_NAMES, PART_OF, RUNTIME_OBJECTS } from './names.js';
import { checkDnsLabel, checkDnsSubdomain, checkDuration, checkEnum, checkHostname, checkLabels } from './validate.js';
import { selectorLabels } from './workload.js';

export const MONITOR_KINDS = ['ServiceMonitor', 'PodMonitor'] as const;
export type MonitorKind = (typeof MONITOR_KINDS)[number];

export interface MetricsProxyMonitorProps {
  /** @default - the namespace of the enclosing Chart */
  readonly namespace?: string;
  /** @default 'ServiceMonitor' */
  readonly kind?: MonitorKind;
  /** TLS server name to verify: the Route host, for which the serving certificate is issued. */
  readonly serverName: string;
  /** Scrape interval (Prometheus duration). @default '30s' */
  readonly interval?: string;
  /** CA that verifies the proxy's serving certificate. @default { secret: 'metrics-proxy-serving-cert', key: 'ca.crt' } */
  readonly ca?: SecretKeySelector;
  /** Secret (kubernetes.io/tls) with a client certificate the proxy accepts. @default - none (no client certificate) */
  readonly clientCertSecret?: string;
  /** Extra labels, e.g. what your Prometheus' serviceMonitorSelector/podMonitorSelector matches. */
  readonly labels?: Record<string, string>;
}

const CONSTRUCT = 'MetricsProxyMonitor';

export class MetricsProxyMonitor extends Construct {
  readonly kind: MonitorKind;
  readonly monitor: ServiceMonitor | PodMonitor;

  constructor(scope: Construct, id: string, props: MetricsProxyMonitorProps) {
    super(scope, id);
    const chartNs = Chart.of(this).namespace;
    if (props.namespace === undefined && chartNs === undefined) throw new InvalidPropsError(CONSTRUCT, 'namespace', 'no namespace given and the enclosing Chart has none');
    const namespace = checkDnsLabel(CONSTRUCT, 'namespace', props.namespace ?? chartNs);
    this.kind = props.kind === undefined ? 'ServiceMonitor' : checkEnum(CONSTRUCT, 'kind', props.kind, MONITOR_KINDS);
    const serverName = checkHostname(CONSTRUCT, 'serverName', props.serverName);
    const interval = checkDuration(CONSTRUCT, 'interval', props.interval ?? '30s');
    const ca = props.ca ?? { secret: RUNTIME_OBJECTS.proxyServingCertSecret, key: 'ca.crt' };
    checkDnsSubdomain(CONSTRUCT, 'ca.secret', ca.secret);
    const caKey = ca.key ?? 'ca.crt';
    const clientCert = props.clientCertSecret === undefined ? undefined : checkDnsSubdomain(CONSTRUCT, 'clientCertSecret', props.clientCertSecret);
    const extra = props.labels === undefined ? {} : checkLabels(CONSTRUCT, 'labels', props.labels);
    const name = COMPONENT_NAMES.proxy;
    const metadata = { name, namespace, labels: { ...extra, 'app.kubernetes.io/part-of': PART_OF, 'app.kubernetes.io/managed-by': 'cdk8s' } };
    const selector = { matchLabels: selectorLabels(name) };
    const tlsConfig = {
      serverName,
      ca: { secret: { name: ca.secret, key: caKey } },
      ...(clientCert ? { cert: { secret: { name: clientCert, key: 'tls.crt' } }, keySecret: { name: clientCert, key: 'tls.key' } } : {}),
    };

    this.monitor =
      this.kind === 'ServiceMonitor'
        ? new ServiceMonitor(this, 'Monitor', {
            metadata,
            spec: { selector, endpoints: [{ port: 'https', path: '/metrics', scheme: ServiceMonitorSpecEndpointsScheme.HTTPS, interval, tlsConfig }] },
          })
        : new PodMonitor(this, 'Monitor', {
            metadata,
            spec: { selector, podMetricsEndpoints: [{ port: 'https', path: '/metrics', scheme: PodMonitorSpecPodMetricsEndpointsScheme.HTTPS, interval, tlsConfig }] },
          });
  }
}
