/**
 * Values of the generated charts: the guest section's defaults (shared by both charts) and the conversion of a
 * clusters-file entry into a values file for `helm install <name> ... -f <name>.yaml`.
 */
import { FORWARDER_DEFAULT_RESOURCES } from '../lib/metrics-forwarder.js';
import { DEFAULT_PROMETHEUS_SELECTOR } from '../lib/guest-network-policy.js';
import type { HostedClusterMetricsProps } from '../lib/hosted-cluster-metrics.js';
import { GUEST, RUNTIME_OBJECTS } from '../lib/names.js';
import type { Json } from './template-tree.js';

/** `guest:` of values.yaml: the defaults of resolveGuestOptions and the guest constructs. */
export function guestValueDefaults(): Record<string, Json> {
  return {
    enabled: false,
    namespace: GUEST.namespace,
    replicas: 1,
    resources: FORWARDER_DEFAULT_RESOURCES as Json,
    placement: { nodeSelector: {}, tolerations: [], priorityClassName: '' },
    prometheusSelector: { ...DEFAULT_PROMETHEUS_SELECTOR },
    prometheusNamespace: '',
    prometheusServiceAccount: GUEST.prometheusServiceAccount,
    authMode: '',
    scrapeClass: GUEST.clientCertificateScrapeClass,
    sync: true,
    components: [],
    kubeconfig: { secret: RUNTIME_OBJECTS.hostedKubeconfigSecret, key: RUNTIME_OBJECTS.hostedKubeconfigKey },
    networkPolicy: true,
  };
}

/** Keys whose defaults Helm would deep-merge into a given value; the constructs replace them whole. */
const REPLACED_WHOLE = ['proxy.resources', 'resolver.resources', 'generator.resources', 'guest.resources'];

/**
 * The values file of one clusters-file entry (defaults already merged in): the entry's keys as they are, minus
 * `namespace` (the release's), with `name` kept so the objects are labelled with the cluster name whatever the
 * release is called. Resources get explicit nulls for the defaults they leave out, because Helm merges maps
 * with values.yaml while the constructs replace the defaults as a whole (a null deletes a default key).
 */
export function clusterValues(props: HostedClusterMetricsProps, defaults: Record<string, Json>): Record<string, Json> {
  const { namespace: _namespace, ...rest } = JSON.parse(JSON.stringify(props)) as Record<string, Json>;
  for (const path of REPLACED_WHOLE) {
    const [section, key] = path.split('.') as [string, string];
    const given = (rest[section] as Record<string, Json> | undefined)?.[key] as Record<string, Record<string, Json> | null> | undefined;
    const dflt = (defaults[section] as Record<string, Json> | undefined)?.[key] as Record<string, Record<string, Json>> | undefined;
    if (!given || !dflt) continue;
    for (const [part, keys] of Object.entries(dflt)) {
      if (given[part] === undefined) given[part] = null;
      else for (const res of Object.keys(keys)) if (given[part]![res] === undefined) given[part]![res] = null;
    }
  }
  return rest;
}
