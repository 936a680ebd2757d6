/**
 * The forwarder's NetworkPolicy in the guest cluster: only Prometheus pods may connect (TCP 8443), and the
 * forwarder may only resolve names and open TCP connections to port 443 (the Route host), so a namespace with
 * a default-deny policy still lets it work and nothing else can use it as a relay. Kubelet probes of the
 * health port come from the node, which network plugins (OVN-Kubernetes, Calico, Cilium) let through anyway.
 */
import { Chart } from 'cdk8s';
import * as k8s from 'cdk8s-plus-28/lib/imports/k8s.js';
import { Construct } from 'constructs';
import { InvalidPropsError } from './errors.js';
import { GUEST, PART_OF } from './names.js';
import { checkDnsLabel, checkLabels } from './validate.js';
import { selectorLabels } from './workload.js';

export interface GuestNetworkPolicyProps {
  /** Namespace of the forwarder. @default - the namespace of the enclosing Chart */
  readonly namespace?: string;
  /** Labels of the Prometheus pods allowed in. @default { 'app.kubernetes.io/name': 'prometheus' } */
  readonly prometheusSelector?: Record<string, string>;
  /** Namespace of those Prometheus pods. @default - the forwarder's namespace */
  readonly prometheusNamespace?: string;
  readonly labels?: Record<string, string>;
}

const CONSTRUCT = 'GuestNetworkPolicy';

/** Pod labels every prometheus-operator Prometheus carries (OpenShift's prometheus-k8s also has `prometheus: k8s`). */
export const DEFAULT_PROMETHEUS_SELECTOR: Readonly<Record<string, string>> = { 'app.kubernetes.io/name': 'prometheus' };

/** DNS as pods see it: the Service port 53 and, after DNAT, OpenShift's dns-default pods on 5353. */
const DNS_PORTS = [53, 5353];

export class GuestNetworkPolicy extends Construct {
  readonly policy: k8s.KubeNetworkPolicy;

  constructor(scope: Construct, id: string, props: GuestNetworkPolicyProps = {}) {
    super(scope, id);
    const chartNs = Chart.of(this).namespace;
    if (props.namespace === undefined && chartNs === undefined) throw new InvalidPropsError(CONSTRUCT, 'namespace', 'no namespace given and the enclosing Chart has none');
    const namespace = checkDnsLabel(CONSTRUCT, 'namespace', props.namespace ?? chartNs);
    const prometheus = props.prometheusSelector === undefined ? { ...DEFAULT_PROMETHEUS_SELECTOR } : checkLabels(CONSTRUCT, 'prometheusSelector', props.prometheusSelector);
    if (Object.keys(prometheus).length === 0) {
      throw new InvalidPropsError(CONSTRUCT, 'prometheusSelector', 'must name at least one label: an empty selector would let every pod in');
    }
    const promNs = props.prometheusNamespace === undefined ? undefined : checkDnsLabel(CONSTRUCT, 'prometheusNamespace', props.prometheusNamespace);
    const extra = props.labels === undefined ? {} : checkLabels(CONSTRUCT, 'labels', props.labels);
    const port = (p: number, protocol: 'TCP' | 'UDP' = 'TCP'): k8s.NetworkPolicyPort => ({ protocol, port: k8s.IntOrString.fromNumber(p) });

    const from: k8s.NetworkPolicyPeer = {
      podSelector: { matchLabels: prometheus },
      // Without a namespaceSelector a podSelector matches only the policy's own namespace.
      ...(promNs !== undefined && promNs !== namespace ? { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': promNs } } } : {}),
    };
    this.policy = new k8s.KubeNetworkPolicy(this, 'Forwarder', {
      metadata: { name: GUEST.forwarder, namespace, labels: { ...extra, 'app.kubernetes.io/part-of': PART_OF, 'app.kubernetes.io/managed-by': 'cdk8s' } },
      spec: {
        podSelector: { matchLabels: selectorLabels(GUEST.forwarder) },
        policyTypes: ['Ingress', 'Egress'],
        ingress: [{ from: [from], ports: [port(GUEST.forwarderPort)] }],
        egress: [
          { ports: [port(GUEST.routePort)] },
          { ports: DNS_PORTS.flatMap((p) => [port(p, 'UDP'), port(p, 'TCP')]) },
        ],
      },
    });
  }
}
