/**
 * Ingress NetworkPolicies: the proxy accepts connections only on 9443 (from the router, by default from
 * anywhere); the endpoint resolver accepts connections only from proxy pods on 9444; the generator serves
 * nobody. NetworkPolicies add up, so other policies in the namespace can still widen this (HyperShift's own
 * policies, for instance); these never narrow what other components need.
 */
import { Chart } from 'cdk8s';
import * as k8s from 'cdk8s-plus-28/lib/imports/k8s.js';
import { Construct } from 'constructs';
import { InvalidPropsError } from './errors.js';
import { COMPONENT_NAMES, PART_OF, PORTS } from './names.js';
import { checkBoolean, checkDnsLabel, checkLabels } from './validate.js';
import { selectorLabels } from './workload.js';

export interface MetricsProxyNetworkPolicyProps {
  /** @default - the namespace of the enclosing Chart */
  readonly namespace?: string;
  /**
   * Who may connect to the proxy on 9443, e.g. only the router:
   * `[{ namespaceSelector: { matchLabels: { 'policy-group.network.openshift.io/ingress': '' } } }]`.
   * @default - any source (the Route's router pods may run on the host network)
   */
  readonly proxyIngressFrom?: k8s.NetworkPolicyPeer[];
  /** Also deny all ingress to the config generator pods. @default true */
  readonly isolateGenerator?: boolean;
  /** Extra labels of the NetworkPolicy objects. */
  readonly labels?: Record<string, string>;
}

const CONSTRUCT = 'MetricsProxyNetworkPolicy';

export class MetricsProxyNetworkPolicy extends Construct {
  readonly proxyPolicy: k8s.KubeNetworkPolicy;
  readonly resolverPolicy: k8s.KubeNetworkPolicy;
  readonly generatorPolicy?: k8s.KubeNetworkPolicy;

  constructor(scope: Construct, id: string, props: MetricsProxyNetworkPolicyProps = {}) {
    super(scope, id);
    const chartNs = Chart.of(this).namespace;
    if (props.namespace === undefined && chartNs === undefined) throw new InvalidPropsError(CONSTRUCT, 'namespace', 'no namespace given and the enclosing Chart has none');
    const namespace = checkDnsLabel(CONSTRUCT, 'namespace', props.namespace ?? chartNs);
    const extra = props.labels === undefined ? {} : checkLabels(CONSTRUCT, 'labels', props.labels);
    const isolateGenerator = props.isolateGenerator === undefined ? true : checkBoolean(CONSTRUCT, 'isolateGenerator', props.isolateGenerator);
    if (props.proxyIngressFrom !== undefined && (!Array.isArray(props.proxyIngressFrom) || props.proxyIngressFrom.length === 0)) {
      throw new InvalidPropsError(CONSTRUCT, 'proxyIngressFrom', 'must be a non-empty list of NetworkPolicy peers (leave it out to allow any source)');
    }
    props.proxyIngressFrom?.forEach((peer, i) => {
      const keys = typeof peer === 'object' && peer !== null && !Array.isArray(peer) ? Object.keys(peer) : undefined;
      if (!keys || keys.length === 0) throw new InvalidPropsError(CONSTRUCT, `proxyIngressFrom[${i}]`, 'must be a peer with podSelector, namespaceSelector and/or ipBlock');
      const unknown = keys.find((k) => !['podSelector', 'namespaceSelector', 'ipBlock'].includes(k));
      if (unknown) throw new InvalidPropsError(CONSTRUCT, `proxyIngressFrom[${i}].${unknown}`, 'unknown key; use podSelector, namespaceSelector or ipBlock');
      if (peer.ipBlock && (peer.podSelector || peer.namespaceSelector)) throw new InvalidPropsError(CONSTRUCT, `proxyIngressFrom[${i}]`, 'ipBlock cannot be combined with selectors');
      for (const sel of ['podSelector', 'namespaceSelector'] as const) {
        const s = peer[sel];
        if (s === undefined) continue;
        const sk = typeof s === 'object' && s !== null ? Object.keys(s) : ['?'];
        if (sk.some((k) => k !== 'matchLabels' && k !== 'matchExpressions')) throw new InvalidPropsError(CONSTRUCT, `proxyIngressFrom[${i}].${sel}`, 'must be a label selector (matchLabels and/or matchExpressions)');
        if (s.matchLabels !== undefined) checkLabels(CONSTRUCT, `proxyIngressFrom[${i}].${sel}.matchLabels`, s.matchLabels);
      }
      if (peer.ipBlock !== undefined && typeof peer.ipBlock.cidr !== 'string') throw new InvalidPropsError(CONSTRUCT, `proxyIngressFrom[${i}].ipBlock.cidr`, 'must be a CIDR string');
    });
    const labels = { ...extra, 'app.kubernetes.io/part-of': PART_OF, 'app.kubernetes.io/managed-by': 'cdk8s' };
    const tcp = (port: number): k8s.NetworkPolicyPort => ({ protocol: 'TCP', port: k8s.IntOrString.fromNumber(port) });

    this.proxyPolicy = new k8s.KubeNetworkPolicy(this, 'Proxy', {
      metadata: { name: COMPONENT_NAMES.proxy, namespace, labels },
      spec: {
        podSelector: { matchLabels: selectorLabels(COMPONENT_NAMES.proxy) },
        policyTypes: ['Ingress'],
        ingress: [{ ...(props.proxyIngressFrom ? { from: props.proxyIngressFrom } : {}), ports: [tcp(PORTS.proxy)] }],
      },
    });
    this.resolverPolicy = new k8s.KubeNetworkPolicy(this, 'Resolver', {
      metadata: { name: COMPONENT_NAMES.resolver, namespace, labels },
      spec: {
        podSelector: { matchLabels: selectorLabels(COMPONENT_NAMES.resolver) },
        policyTypes: ['Ingress'],
        ingress: [{ from: [{ podSelector: { matchLabels: selectorLabels(COMPONENT_NAMES.proxy) } }], ports: [tcp(PORTS.resolver)] }],
      },
    });
    if (isolateGenerator) {
      this.generatorPolicy = new k8s.KubeNetworkPolicy(this, 'Generator', {
        metadata: { name: COMPONENT_NAMES.generator, namespace, labels },
        spec: { podSelector: { matchLabels: selectorLabels(COMPONENT_NAMES.generator) }, policyTypes: ['Ingress'], ingress: [] },
      });
    }
  }
}
