/**
 * The second chart of a hosted cluster, applied to the *guest* cluster (`<name>.guest.k8s.yaml`): the TCP
 * forwarder, its NetworkPolicy, the scrape credentials of the chosen auth mode and, only when guest sync is
 * off, the PodMonitor. With guest sync on (the default) the generator owns the PodMonitor and the CA
 * ConfigMap `metrics-proxy-serving-ca`, because both follow runtime state (the served components, CA rotation).
 */
import { Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import { InvalidPropsError } from './errors.js';
import { GuestPodMonitor, PrometheusTokenSecret } from './guest-monitor.js';
import { GuestNetworkPolicy } from './guest-network-policy.js';
import { type ResolvedGuest, resolveGuestOptions } from './guest-options.js';
import { checkKeys, type HostedClusterMetricsProps, TOP_KEYS } from './hosted-cluster-metrics.js';
import { AUTH_MODES } from './metrics-proxy.js';
import { MetricsForwarder } from './metrics-forwarder.js';
import { checkDnsLabel, checkEnum, checkHostname, checkLabels, checkListItems } from './validate.js';

const CONSTRUCT = 'HostedClusterGuest';

/** Whether these props enable the guest side (validates the `guest` section). */
export function guestEnabled(props: HostedClusterMetricsProps): boolean {
  return resolveGuestOptions(CONSTRUCT, props.guest, { authModes: props.authModes, allowedSubjects: props.allowedSubjects }) !== undefined;
}

/** Re-throws a construct's InvalidPropsError with the prop path as spelled in HostedClusterMetricsProps (`guest.<key>`). */
function inGuest<T>(rename: Record<string, string>, build: () => T): T {
  try {
    return build();
  } catch (err) {
    if (!(err instanceof InvalidPropsError)) throw err;
    const top = /^[^.[]+/.exec(err.prop)?.[0] ?? err.prop;
    const prop = rename[top] !== undefined ? rename[top] + err.prop.slice(top.length) : `guest.${err.prop}`;
    throw new InvalidPropsError(CONSTRUCT, prop, `${err.detail} (from ${err.construct})`);
  }
}

export class HostedClusterGuest extends Chart {
  readonly clusterName: string;
  readonly settings: ResolvedGuest;
  readonly forwarder: MetricsForwarder;
  readonly networkPolicy?: GuestNetworkPolicy;
  readonly tokenSecret?: PrometheusTokenSecret;
  /** Only when guest sync is off. */
  readonly podMonitor?: GuestPodMonitor;

  /** `scope` should be an App of its own whose files end in `.guest.k8s.yaml`: the chart id is the cluster name. */
  constructor(scope: Construct, props: HostedClusterMetricsProps) {
    const p = checkKeys('', props, TOP_KEYS) as unknown as HostedClusterMetricsProps;
    const name = checkDnsLabel(CONSTRUCT, 'name', p.name);
    const routeHost = checkHostname(CONSTRUCT, 'routeHost', p.routeHost);
    const labels = p.labels === undefined ? {} : checkLabels(CONSTRUCT, 'labels', p.labels);
    if (p.authModes !== undefined) checkListItems(CONSTRUCT, 'authModes', p.authModes, { minItems: 1 }).forEach((m, i) => checkEnum(CONSTRUCT, `authModes[${i}]`, m, AUTH_MODES));
    const settings = resolveGuestOptions(CONSTRUCT, p.guest, { authModes: p.authModes, allowedSubjects: p.allowedSubjects });
    if (settings === undefined) throw new InvalidPropsError(CONSTRUCT, 'guest.enabled', 'the guest side is disabled for this cluster; set guest.enabled: true');
    super(scope, name, { namespace: settings.namespace, labels: { ...labels, 'app.kubernetes.io/instance': name } });
    this.clusterName = name;
    this.settings = settings;
    const namespace = settings.namespace;

    this.forwarder = inGuest({ instance: 'name', image: 'image', imagePullPolicy: 'imagePullPolicy', command: 'command', labels: 'labels', routeHost: 'routeHost' }, () =>
      new MetricsForwarder(this, 'MetricsForwarder', {
        namespace,
        image: p.image,
        imagePullPolicy: p.imagePullPolicy,
        command: p.command,
        instance: name,
        labels,
        routeHost,
        replicas: settings.replicas,
        resources: settings.resources,
        placement: settings.placement,
      }),
    );

    if (settings.networkPolicy) {
      this.networkPolicy = inGuest({}, () => new GuestNetworkPolicy(this, 'NetworkPolicy', {
        namespace,
        prometheusSelector: settings.prometheusSelector,
        prometheusNamespace: settings.prometheusNamespace,
      }));
    }

    if (settings.auth.mode === 'bearerToken') {
      this.tokenSecret = inGuest({ serviceAccount: 'guest.prometheusServiceAccount' }, () => new PrometheusTokenSecret(this, 'PrometheusToken', {
        namespace,
        serviceAccount: settings.prometheusServiceAccount!,
      }));
    }

    if (!settings.sync) {
      this.podMonitor = inGuest({ routeHost: 'routeHost' }, () => new GuestPodMonitor(this, 'PodMonitor', {
        namespace,
        routeHost,
        components: settings.components!,
        auth: settings.auth,
      }));
    }
  }
}
