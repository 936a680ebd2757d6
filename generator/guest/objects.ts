/**
 * What guest sync keeps in the guest cluster's monitoring namespace (DESIGN §11): the CA bundle
 * ConfigMap the guest Prometheus verifies the Route with, and one PodMonitor selecting the forwarder
 * pods with one endpoint per path the proxy serves. Pure functions: the desired objects, whether an
 * existing object is ours, and whether it already says what we want.
 */
import { RUNTIME_OBJECTS } from '../../infra/lib/names.js';
import { MANAGED_BY, MANAGED_BY_LABEL } from '../writer.js';

export const GUEST_OBJECTS = {
  /** Same name and key as the management-side bundle, so the guest chart and docs need one name. */
  caConfigMap: RUNTIME_OBJECTS.servingCaConfigMap,
  caKey: RUNTIME_OBJECTS.servingCaKey,
  podMonitor: 'hcp-metrics-proxy',
  /** Label of the forwarder pods (the guest chart's Deployment). */
  forwarderSelector: { 'app.kubernetes.io/name': 'metrics-forwarder' },
  /** Named container port of the forwarder. */
  forwarderPort: 'https',
  /** The scrape class OpenShift's platform Prometheus defines for its client certificate. */
  clientCertScrapeClass: 'tls-client-certificate-auth',
  /** Key of the bearer-token Secret (--guest-token-secret). */
  tokenKey: 'token',
  /**
   * The service-account token Secret the guest chart creates in bearer-token mode (infra GUEST.tokenSecret):
   * with `--guest-auth auto` its presence in the guest namespace selects bearer-token mode.
   */
  defaultTokenSecret: 'hcp-metrics-proxy-prometheus-token',
} as const;

/** Which HCP namespace a guest object was written from (one generator per hosted control plane). */
export const SOURCE_NAMESPACE_ANNOTATION = 'hcp-metrics-proxy.openshift.io/hcp-namespace';

export const PODMONITOR_API = { group: 'monitoring.coreos.com', version: 'v1', plural: 'podmonitors' } as const;

export type GuestAuth = { mode: 'client-certificate' } | { mode: 'bearer-token'; secret: string };

/** How guest sync is told the auth mode: given, or `auto` (from the token Secret the guest chart creates). */
export type GuestAuthSetting = GuestAuth | { mode: 'auto' };

export interface GuestObjectOptions {
  /** Guest namespace (default openshift-monitoring). */
  namespace: string;
  /** The HCP namespace the generator serves, recorded on every object. */
  sourceNamespace: string;
  /** The Route host: the TLS server name the guest Prometheus verifies. */
  routeHost: string;
  auth: GuestAuthSetting;
}

export interface ObjectMeta {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface GuestConfigMap {
  apiVersion: 'v1';
  kind: 'ConfigMap';
  metadata: ObjectMeta;
  data: Record<string, string>;
}

export interface PodMetricsEndpoint {
  port: string;
  path: string;
  scheme: 'https';
  honorLabels: true;
  tlsConfig: { serverName: string; ca: { configMap: { name: string; key: string } } };
  authorization?: { type: 'Bearer'; credentials: { name: string; key: string } };
}

export interface GuestPodMonitor {
  apiVersion: 'monitoring.coreos.com/v1';
  kind: 'PodMonitor';
  metadata: ObjectMeta;
  spec: {
    selector: { matchLabels: Record<string, string> };
    scrapeClass?: string;
    podMetricsEndpoints: PodMetricsEndpoint[];
  };
}

function meta(name: string, o: GuestObjectOptions): ObjectMeta {
  return { name, namespace: o.namespace, labels: { [MANAGED_BY_LABEL]: MANAGED_BY }, annotations: { [SOURCE_NAMESPACE_ANNOTATION]: o.sourceNamespace } };
}

export function desiredCaConfigMap(bundle: string, o: GuestObjectOptions): GuestConfigMap {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta(GUEST_OBJECTS.caConfigMap, o), data: { [GUEST_OBJECTS.caKey]: bundle } };
}

/**
 * A served path usable as a PodMonitor endpoint path: `/metrics/<component>` or `/metrics/<component>/<n>`
 * (n ≥ 1), the component a URL-path-safe name as the proxy's config parser accepts it (letters, digits,
 * '.', '_', '~', '-', starting with a letter or digit, at most 253 characters). Anything else would put a
 * path in the guest's Prometheus configuration that the proxy cannot serve (or that means another URL).
 */
const ENDPOINT_PATH = /^\/metrics\/([A-Za-z0-9][A-Za-z0-9._~-]*)(?:\/[1-9][0-9]*)?$/;

/** Why `path` cannot be a PodMonitor endpoint path; undefined when it can. */
export function endpointPathProblem(path: string): string | undefined {
  const m = ENDPOINT_PATH.exec(path);
  if (m && m[1]!.length <= 253) return undefined;
  return `served path ${JSON.stringify(path)} cannot be a PodMonitor endpoint path (want /metrics/<component>[/<n>], the component of letters, digits, '.', '_', '~' and '-', starting with a letter or digit, at most 253 characters); left out of the PodMonitor`;
}

/** The paths that can be PodMonitor endpoint paths, and a message for each one that cannot. */
export function splitEndpointPaths(paths: readonly string[]): { valid: string[]; rejected: string[] } {
  const valid: string[] = [];
  const rejected: string[] = [];
  for (const p of paths) {
    const problem = endpointPathProblem(p);
    if (problem) rejected.push(problem);
    else valid.push(p);
  }
  return { valid, rejected };
}

/** `paths` as the proxy serves them (`/metrics/<component>`, `/metrics/<component>/<n>`), in the proxy's order. */
export function desiredPodMonitor(paths: readonly string[], o: GuestObjectOptions & { auth: GuestAuth }): GuestPodMonitor {
  const endpoint = (path: string): PodMetricsEndpoint => ({
    port: GUEST_OBJECTS.forwarderPort,
    path,
    scheme: 'https',
    honorLabels: true,
    tlsConfig: { serverName: o.routeHost, ca: { configMap: { name: GUEST_OBJECTS.caConfigMap, key: GUEST_OBJECTS.caKey } } },
    ...(o.auth.mode === 'bearer-token' ? { authorization: { type: 'Bearer' as const, credentials: { name: o.auth.secret, key: GUEST_OBJECTS.tokenKey } } } : {}),
  });
  return {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PodMonitor',
    metadata: meta(GUEST_OBJECTS.podMonitor, o),
    spec: {
      selector: { matchLabels: { ...GUEST_OBJECTS.forwarderSelector } },
      ...(o.auth.mode === 'client-certificate' ? { scrapeClass: GUEST_OBJECTS.clientCertScrapeClass } : {}),
      podMetricsEndpoints: paths.map(endpoint),
    },
  };
}

/**
 * Ours: carries the managed-by label and was written for this HCP namespace. An object of the same
 * name written by someone else, or by the generator of another hosted control plane, is not.
 */
export function isOwned(metadata: { labels?: Record<string, string>; annotations?: Record<string, string> } | undefined, sourceNamespace: string): boolean {
  return metadata?.labels?.[MANAGED_BY_LABEL] === MANAGED_BY && metadata?.annotations?.[SOURCE_NAMESPACE_ANNOTATION] === sourceNamespace;
}

/**
 * Whether `actual` already says everything `wanted` says. Objects compare key by key (extra keys in
 * `actual`, such as fields an API server defaults, do not count); arrays must match element for element.
 */
export function containsAll(actual: unknown, wanted: unknown): boolean {
  if (Array.isArray(wanted)) return Array.isArray(actual) && actual.length === wanted.length && wanted.every((w, i) => containsAll(actual[i], w));
  if (wanted !== null && typeof wanted === 'object') {
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) return false;
    return Object.entries(wanted).every(([k, v]) => containsAll((actual as Record<string, unknown>)[k], v));
  }
  return actual === wanted;
}

/** The PEM certificates of a bundle, whitespace-normalized, to compare bundles by content. */
export function bundleCertificates(bundle: string): string[] {
  return (bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? []).map((c) => c.replace(/\s+/g, ''));
}
