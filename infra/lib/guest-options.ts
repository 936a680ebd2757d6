/**
 * The `guest` settings of a hosted cluster (clusters file / HostedClusterMetricsProps): validated once, here,
 * for both charts that use them: the management chart (guest sync flags of the generator) and the guest chart.
 */
import { InvalidPropsError } from './errors.js';
import { checkComponents, checkScrapeClass, type GuestScrapeAuth } from './guest-monitor.js';
import { DEFAULT_PROMETHEUS_SELECTOR } from './guest-network-policy.js';
import { AUTH_MODES, type AuthMode, type SecretKeySelector } from './metrics-proxy.js';
import { DEFAULT_ALLOWED_SUBJECT, GUEST, RUNTIME_OBJECTS } from './names.js';
import { checkBoolean, checkDnsLabel, checkDnsSubdomain, checkEnum, checkLabels, type ResourceProps } from './validate.js';
import type { PlacementProps } from './workload.js';

export interface GuestOptions {
  /**
   * Synthesize the guest chart (`<name>.guest.k8s.yaml`) and, with `sync`, give the generator the guest flags.
   * Opt-in: it adds a deployment target (the guest cluster) and hands the generator the hosted cluster's admin kubeconfig.
   * @default false
   */
  readonly enabled?: boolean;
  /** Namespace of the forwarder, PodMonitor and credentials in the guest cluster. @default 'openshift-monitoring' */
  readonly namespace?: string;
  /** Forwarder replicas; 2 or more adds a PodDisruptionBudget. @default 1 */
  readonly replicas?: number;
  /** Forwarder container resources. @default { requests: { cpu: '10m', memory: '48Mi' }, limits: { memory: '192Mi' } } */
  readonly resources?: ResourceProps;
  /** Node selector, tolerations, priority class of the forwarder pods (the top-level placement is the management cluster's). */
  readonly placement?: PlacementProps;
  /** Labels of the Prometheus pods the NetworkPolicy lets in. @default { 'app.kubernetes.io/name': 'prometheus' } */
  readonly prometheusSelector?: Record<string, string>;
  /** Namespace of those Prometheus pods. @default - the guest namespace */
  readonly prometheusNamespace?: string;
  /** Service account of the guest Prometheus, in the guest namespace (bearer-token mode only). @default 'prometheus-k8s' */
  readonly prometheusServiceAccount?: string;
  /** Which of the cluster's `authModes` the guest Prometheus uses. @default 'clientCertificate' if enabled, else 'bearerToken' */
  readonly authMode?: AuthMode;
  /** Scrape class that presents the Prometheus client certificate (clientCertificate mode, `sync: false` only). @default 'tls-client-certificate-auth' */
  readonly scrapeClass?: string;
  /** Let the generator keep the guest's PodMonitor and CA ConfigMap current (`--guest-kubeconfig`). @default true */
  readonly sync?: boolean;
  /** Components of the static PodMonitor; required with `sync: false`, not allowed otherwise. */
  readonly components?: string[];
  /** Kubeconfig Secret of the hosted cluster in the HCP namespace, for guest sync. @default { secret: 'service-network-admin-kubeconfig', key: 'kubeconfig' } */
  readonly kubeconfig?: SecretKeySelector;
  /** Create the forwarder's NetworkPolicy. @default true */
  readonly networkPolicy?: boolean;
}

export const GUEST_KEYS = [
  'enabled', 'namespace', 'replicas', 'resources', 'placement', 'prometheusSelector', 'prometheusNamespace', 'prometheusServiceAccount',
  'authMode', 'scrapeClass', 'sync', 'components', 'kubeconfig', 'networkPolicy',
];

/** The validated, defaulted guest settings of an enabled guest side. */
export interface ResolvedGuest {
  readonly namespace: string;
  readonly replicas?: number;
  readonly resources?: ResourceProps;
  readonly placement?: PlacementProps;
  readonly prometheusSelector: Record<string, string>;
  readonly prometheusNamespace?: string;
  readonly auth: GuestScrapeAuth;
  /** Set in bearer-token mode: the service account the token Secret is for. */
  readonly prometheusServiceAccount?: string;
  readonly sync: boolean;
  /** Set when sync is off. */
  readonly components?: string[];
  /** Set when sync is on. */
  readonly kubeconfig?: { readonly secret: string; readonly key: string };
  readonly networkPolicy: boolean;
}

/** What the guest settings depend on outside the `guest` key. */
export interface GuestContext {
  readonly authModes?: AuthMode[];
  readonly allowedSubjects?: string[];
}

/** Groups that include every service account of a namespace, or everyone authenticated. */
function allows(allowed: string[], namespace: string, serviceAccount: string): boolean {
  return [`system:serviceaccount:${namespace}:${serviceAccount}`, `system:serviceaccounts:${namespace}`, 'system:serviceaccounts', 'system:authenticated'].some((s) => allowed.includes(s));
}

/**
 * Validates `guest` (prop paths `guest.<key>`) against the cluster's auth settings; undefined when the guest
 * side is disabled. A disabled section is only checked for unknown keys, so defaults can carry settings that
 * only some clusters enable.
 */
export function resolveGuestOptions(construct: string, guest: GuestOptions | undefined, ctx: GuestContext): ResolvedGuest | undefined {
  if (guest === undefined) return undefined;
  if (typeof guest !== 'object' || guest === null || Array.isArray(guest)) throw new InvalidPropsError(construct, 'guest', `must be a mapping, got ${JSON.stringify(guest)}`);
  for (const k of Object.keys(guest)) {
    if (!GUEST_KEYS.includes(k)) {
      const near = GUEST_KEYS.find((a) => a.toLowerCase() === k.toLowerCase());
      throw new InvalidPropsError(construct, `guest.${k}`, `unknown key${near ? ` (did you mean '${near}'?)` : ''}; known keys: ${GUEST_KEYS.join(', ')}`);
    }
  }
  const enabled = guest.enabled === undefined ? false : checkBoolean(construct, 'guest.enabled', guest.enabled);
  if (!enabled) return undefined;

  const namespace = checkDnsLabel(construct, 'guest.namespace', guest.namespace ?? GUEST.namespace);
  const sync = guest.sync === undefined ? true : checkBoolean(construct, 'guest.sync', guest.sync);
  const networkPolicy = guest.networkPolicy === undefined ? true : checkBoolean(construct, 'guest.networkPolicy', guest.networkPolicy);
  const prometheusSelector = guest.prometheusSelector === undefined ? { ...DEFAULT_PROMETHEUS_SELECTOR } : checkLabels(construct, 'guest.prometheusSelector', guest.prometheusSelector);
  if (Object.keys(prometheusSelector).length === 0) throw new InvalidPropsError(construct, 'guest.prometheusSelector', 'must name at least one label: an empty selector would let every pod in');
  const prometheusNamespace = guest.prometheusNamespace === undefined ? undefined : checkDnsLabel(construct, 'guest.prometheusNamespace', guest.prometheusNamespace);

  // The auth mode must be one the proxy accepts.
  const clusterModes = ctx.authModes ?? ['bearerToken'];
  let authMode: AuthMode;
  if (guest.authMode !== undefined) {
    authMode = checkEnum(construct, 'guest.authMode', guest.authMode, AUTH_MODES);
    if (Array.isArray(clusterModes) && !clusterModes.includes(authMode)) {
      throw new InvalidPropsError(construct, 'guest.authMode', `'${authMode}' is not among the cluster's authModes (${clusterModes.join(', ')}), so the proxy would reject the guest Prometheus; add it to authModes or pick one of those`);
    }
  } else {
    // OpenShift's platform Prometheus already holds a client certificate: prefer it when the proxy accepts it.
    authMode = Array.isArray(clusterModes) && clusterModes.includes('clientCertificate') ? 'clientCertificate' : 'bearerToken';
  }

  let auth: GuestScrapeAuth;
  let prometheusServiceAccount: string | undefined;
  if (authMode === 'clientCertificate') {
    if (guest.prometheusServiceAccount !== undefined) throw new InvalidPropsError(construct, 'guest.prometheusServiceAccount', "is only used with the bearerToken auth mode (it names the service account whose token Secret is created); drop it or set guest.authMode: bearerToken");
    // Guest sync learns the auth mode from whether the token Secret exists, and uses the default scrape class.
    if (guest.scrapeClass !== undefined && sync) throw new InvalidPropsError(construct, 'guest.scrapeClass', `is only used with guest.sync: false (guest sync writes the PodMonitor with scrapeClass ${GUEST.clientCertificateScrapeClass})`);
    auth = { mode: 'clientCertificate', scrapeClass: checkScrapeClass(construct, 'guest.scrapeClass', guest.scrapeClass ?? GUEST.clientCertificateScrapeClass) };
  } else {
    if (guest.scrapeClass !== undefined) throw new InvalidPropsError(construct, 'guest.scrapeClass', 'is only used with the clientCertificate auth mode; drop it or set guest.authMode: clientCertificate');
    prometheusServiceAccount = checkDnsSubdomain(construct, 'guest.prometheusServiceAccount', guest.prometheusServiceAccount ?? GUEST.prometheusServiceAccount);
    const allowed = ctx.allowedSubjects ?? [DEFAULT_ALLOWED_SUBJECT];
    if (Array.isArray(allowed) && !allows(allowed, namespace, prometheusServiceAccount)) {
      throw new InvalidPropsError(
        construct,
        guest.prometheusServiceAccount !== undefined ? 'guest.prometheusServiceAccount' : 'allowedSubjects',
        `the guest Prometheus would scrape as system:serviceaccount:${namespace}:${prometheusServiceAccount}, which allowedSubjects (${allowed.join(', ')}) does not allow; add it (or system:serviceaccounts:${namespace}) to allowedSubjects`,
      );
    }
    auth = { mode: 'bearerToken', tokenSecret: GUEST.tokenSecret };
  }

  let components: string[] | undefined;
  let kubeconfig: { secret: string; key: string } | undefined;
  if (sync) {
    if (guest.components !== undefined) throw new InvalidPropsError(construct, 'guest.components', 'is only used with guest.sync: false; with guest sync the generator lists the components the proxy serves');
    const kc: Partial<SecretKeySelector> = guest.kubeconfig ?? {};
    if (typeof kc !== 'object' || kc === null || Array.isArray(kc)) throw new InvalidPropsError(construct, 'guest.kubeconfig', 'must be a mapping with secret and key');
    for (const k of Object.keys(kc)) if (k !== 'secret' && k !== 'key') throw new InvalidPropsError(construct, `guest.kubeconfig.${k}`, 'unknown key; use secret and key');
    const key = kc.key ?? RUNTIME_OBJECTS.hostedKubeconfigKey;
    if (typeof key !== 'string' || !/^[-._a-zA-Z0-9]+$/.test(key)) throw new InvalidPropsError(construct, 'guest.kubeconfig.key', `'${String(key)}' is not a valid Secret key`);
    kubeconfig = { secret: checkDnsSubdomain(construct, 'guest.kubeconfig.secret', kc.secret ?? RUNTIME_OBJECTS.hostedKubeconfigSecret), key };
  } else {
    if (guest.kubeconfig !== undefined) throw new InvalidPropsError(construct, 'guest.kubeconfig', 'is only used with guest sync (guest.sync: true)');
    if (guest.components === undefined) throw new InvalidPropsError(construct, 'guest.components', 'is required with guest.sync: false: list the components to scrape (e.g. [kube-apiserver, etcd])');
    components = checkComponents(construct, 'guest.components', guest.components);
  }

  return {
    namespace,
    replicas: guest.replicas,
    resources: guest.resources,
    placement: guest.placement,
    prometheusSelector,
    prometheusNamespace,
    auth,
    prometheusServiceAccount,
    sync,
    components,
    kubeconfig,
    networkPolicy,
  };
}
