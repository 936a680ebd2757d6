/**
 * How the guest cluster's Prometheus scrapes the proxy through the forwarder: one PodMonitor with one endpoint
 * per component (`/metrics/<component>`, HTTPS with the Route host as TLS server name, the proxy's labels kept
 * with honorLabels), and the credentials of the chosen auth mode: OpenShift's client-certificate scrape class,
 * or a bearer token from a service-account-token Secret of the Prometheus service account.
 *
 * {@link guestPodMonitorSpec} is the single definition of that PodMonitor: the chart uses it when guest sync
 * is off, and the generator's guest sync can use it to write the same object.
 */
import { Chart } from 'cdk8s';
import * as k8s from 'cdk8s-plus-28/lib/imports/k8s.js';
import { Construct } from 'constructs';
import { PodMonitor, type PodMonitorSpec, PodMonitorSpecPodMetricsEndpointsScheme } from '../../imports/podmonitor-monitoring.coreos.com.js';
import { InvalidPropsError } from './errors.js';
import { GUEST, PART_OF } from './names.js';
import { checkDnsLabel, checkDnsSubdomain, checkHostname, checkLabels, checkNonEmpty } from './validate.js';

/** How the guest Prometheus authenticates to the proxy. */
export type GuestScrapeAuth =
  /** A scrape class that presents the Prometheus client certificate (OpenShift: `tls-client-certificate-auth`). */
  | { readonly mode: 'clientCertificate'; readonly scrapeClass: string }
  /** `authorization: Bearer` with the `token` key of this Secret (in the PodMonitor's namespace). */
  | { readonly mode: 'bearerToken'; readonly tokenSecret: string };

/** A component path segment as the proxy accepts it in `/metrics/<component>`. */
export const COMPONENT_SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Checks a list of component names (the monitor names the proxy serves): non-empty, valid path segments, no duplicates. */
export function checkComponents(construct: string, prop: string, value: unknown): string[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new InvalidPropsError(construct, prop, `must be a non-empty list of component names (e.g. [kube-apiserver, etcd]), got ${JSON.stringify(value)}`);
  }
  const seen = new Set<string>();
  value.forEach((c, i) => {
    if (typeof c !== 'string' || !COMPONENT_SEGMENT.test(c) || c.length > 253) {
      throw new InvalidPropsError(construct, `${prop}[${i}]`, `${JSON.stringify(c)} is not a component name: use letters, digits, '.', '_' and '-', starting with a letter or digit (the ServiceMonitor/PodMonitor name the proxy serves at /metrics/<component>)`);
    }
    if (seen.has(c)) throw new InvalidPropsError(construct, `${prop}[${i}]`, `'${c}' is listed twice`);
    seen.add(c);
  });
  return value as string[];
}

/** The PodMonitor spec for these components: selects the forwarder pods, one HTTPS endpoint per component. */
export function guestPodMonitorSpec(routeHost: string, components: readonly string[], auth: GuestScrapeAuth): PodMonitorSpec {
  return {
    selector: { matchLabels: { 'app.kubernetes.io/name': GUEST.forwarder } },
    ...(auth.mode === 'clientCertificate' ? { scrapeClass: auth.scrapeClass } : {}),
    podMetricsEndpoints: components.map((c) => ({
      port: GUEST.forwarderPortName,
      path: `/metrics/${c}`,
      scheme: PodMonitorSpecPodMetricsEndpointsScheme.HTTPS,
      // The proxy sets job, namespace, pod, instance, ... as standalone OpenShift would: keep them.
      honorLabels: true,
      tlsConfig: {
        serverName: routeHost,
        ca: { configMap: { name: GUEST.servingCaConfigMap, key: GUEST.servingCaKey } },
      },
      ...(auth.mode === 'bearerToken' ? { authorization: { type: 'Bearer', credentials: { name: auth.tokenSecret, key: GUEST.tokenKey } } } : {}),
    })),
  };
}

export interface GuestPodMonitorProps {
  /** @default - the namespace of the enclosing Chart */
  readonly namespace?: string;
  /** The proxy's Route host: TLS server name of every endpoint. */
  readonly routeHost: string;
  /** Components to scrape (`/metrics/<component>`), in this order. */
  readonly components: string[];
  readonly auth: GuestScrapeAuth;
  /** Extra labels of the PodMonitor. */
  readonly labels?: Record<string, string>;
}

const MONITOR_CONSTRUCT = 'GuestPodMonitor';

export class GuestPodMonitor extends Construct {
  readonly monitor: PodMonitor;

  constructor(scope: Construct, id: string, props: GuestPodMonitorProps) {
    super(scope, id);
    const namespace = namespaceOf(this, MONITOR_CONSTRUCT, props.namespace);
    const routeHost = checkHostname(MONITOR_CONSTRUCT, 'routeHost', props.routeHost);
    const components = checkComponents(MONITOR_CONSTRUCT, 'components', props.components);
    const auth = checkAuth(MONITOR_CONSTRUCT, props.auth);
    const extra = props.labels === undefined ? {} : checkLabels(MONITOR_CONSTRUCT, 'labels', props.labels);
    this.monitor = new PodMonitor(this, 'PodMonitor', {
      metadata: { name: GUEST.podMonitor, namespace, labels: { ...extra, 'app.kubernetes.io/part-of': PART_OF, 'app.kubernetes.io/managed-by': 'cdk8s' } },
      spec: guestPodMonitorSpec(routeHost, components, auth),
    });
  }
}

export interface PrometheusTokenSecretProps {
  /** @default - the namespace of the enclosing Chart */
  readonly namespace?: string;
  /** The Prometheus service account, in the same namespace. */
  readonly serviceAccount: string;
  /** @default 'hcp-metrics-proxy-prometheus-token' */
  readonly name?: string;
  readonly labels?: Record<string, string>;
}

const SECRET_CONSTRUCT = 'PrometheusTokenSecret';

/**
 * An empty Secret of type kubernetes.io/service-account-token: the token controller fills in `token` (a
 * non-expiring token of the service account), which the proxy verifies by TokenReview. Nothing secret is
 * synthesized.
 */
export class PrometheusTokenSecret extends Construct {
  readonly name: string;
  readonly secret: k8s.KubeSecret;

  constructor(scope: Construct, id: string, props: PrometheusTokenSecretProps) {
    super(scope, id);
    const namespace = namespaceOf(this, SECRET_CONSTRUCT, props.namespace);
    const serviceAccount = checkDnsSubdomain(SECRET_CONSTRUCT, 'serviceAccount', props.serviceAccount);
    this.name = checkDnsSubdomain(SECRET_CONSTRUCT, 'name', props.name ?? GUEST.tokenSecret);
    const extra = props.labels === undefined ? {} : checkLabels(SECRET_CONSTRUCT, 'labels', props.labels);
    this.secret = new k8s.KubeSecret(this, 'Secret', {
      metadata: {
        name: this.name,
        namespace,
        labels: { ...extra, 'app.kubernetes.io/part-of': PART_OF, 'app.kubernetes.io/managed-by': 'cdk8s' },
        annotations: { 'kubernetes.io/service-account.name': serviceAccount },
      },
      type: 'kubernetes.io/service-account-token',
    });
  }
}

/** A scrape class name as prometheus-operator takes it (any non-empty string; we also refuse whitespace). */
export function checkScrapeClass(construct: string, prop: string, value: unknown): string {
  const v = checkNonEmpty(construct, prop, value);
  if (/\s/.test(v)) throw new InvalidPropsError(construct, prop, `'${v}' contains whitespace; give the name of a scrapeClasses entry of the guest Prometheus`);
  return v;
}

function namespaceOf(scope: Construct, construct: string, namespace: string | undefined): string {
  const chartNs = Chart.of(scope).namespace;
  if (namespace === undefined && chartNs === undefined) throw new InvalidPropsError(construct, 'namespace', 'no namespace given and the enclosing Chart has none');
  return checkDnsLabel(construct, 'namespace', namespace ?? chartNs);
}

function checkAuth(construct: string, auth: GuestScrapeAuth): GuestScrapeAuth {
  if (typeof auth !== 'object' || auth === null) throw new InvalidPropsError(construct, 'auth', 'must be { mode: clientCertificate, scrapeClass } or { mode: bearerToken, tokenSecret }');
  if (auth.mode === 'clientCertificate') {
    checkScrapeClass(construct, 'auth.scrapeClass', auth.scrapeClass);
    return auth;
  }
  if (auth.mode === 'bearerToken') {
    checkDnsSubdomain(construct, 'auth.tokenSecret', auth.tokenSecret);
    return auth;
  }
  throw new InvalidPropsError(construct, 'auth.mode', `${JSON.stringify((auth as { mode?: unknown }).mode)} is not one of clientCertificate, bearerToken`);
}
