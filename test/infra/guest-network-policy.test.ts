import { expect } from 'chai';
import { GuestNetworkPolicy, type GuestNetworkPolicyProps } from '../../infra/lib/guest-network-policy.js';
import { MetricsForwarder } from '../../infra/lib/metrics-forwarder.js';
import { expectAllValid, expectInvalidProps, find, matchSnapshot, selects, synth, testChart, type K8sObject } from './helpers.js';

const NS = 'openshift-monitoring';

function build(props: GuestNetworkPolicyProps = {}): K8sObject[] {
  const chart = testChart(NS);
  new MetricsForwarder(chart, 'f', { image: 'quay.io/example/hcp-metrics-proxy:0.1.0', routeHost: 'metrics.apps.example.com' });
  new GuestNetworkPolicy(chart, 'np', props);
  return synth(chart);
}

describe('infra GuestNetworkPolicy', () => {
  it('matches the snapshot', () => {
    matchSnapshot('guest-network-policy-defaults', build().filter((o) => o.kind === 'NetworkPolicy'));
  });

  it('lets only Prometheus pods of the same namespace reach the forwarder, on 8443 only', () => {
    const objs = build();
    const np = find(objs, 'NetworkPolicy', 'metrics-forwarder');
    expect(selects(np.spec.podSelector, find(objs, 'Deployment').spec.template.metadata.labels)).to.equal(true);
    expect(np.spec.policyTypes).to.deep.equal(['Ingress', 'Egress']);
    expect(np.spec.ingress).to.deep.equal([{ from: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } } }], ports: [{ protocol: 'TCP', port: 8443 }] }]);
    // OpenShift's prometheus-k8s pods carry these labels; a random pod of the namespace does not.
    const from = np.spec.ingress[0].from[0];
    expect(selects(from.podSelector, { 'app.kubernetes.io/name': 'prometheus', 'app.kubernetes.io/instance': 'k8s', prometheus: 'k8s' })).to.equal(true);
    expect(selects(from.podSelector, { 'app.kubernetes.io/name': 'alertmanager' })).to.equal(false);
  });

  it('lets the forwarder out only to TCP 443 and DNS', () => {
    const np = find(build(), 'NetworkPolicy');
    const ports = (np.spec.egress as K8sObject[]).flatMap((r) => r.ports.map((p: K8sObject) => `${p.protocol}/${p.port}`));
    expect(ports.sort()).to.deep.equal(['TCP/443', 'TCP/53', 'TCP/5353', 'UDP/53', 'UDP/5353']);
    for (const r of np.spec.egress as K8sObject[]) expect(r).not.to.have.property('to');
  });

  it('takes a custom Prometheus selector and namespace', () => {
    const np = find(build({ prometheusSelector: { 'app.kubernetes.io/name': 'prometheus', prometheus: 'main' }, prometheusNamespace: 'monitoring' }), 'NetworkPolicy');
    expect(np.spec.ingress[0].from).to.deep.equal([{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus', prometheus: 'main' } }, namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }]);
    const same = find(build({ prometheusNamespace: NS }), 'NetworkPolicy');
    expect(same.spec.ingress[0].from[0]).not.to.have.property('namespaceSelector');
  });

  it('validates offline', () => {
    expectAllValid(build());
    expectAllValid(build({ prometheusNamespace: 'monitoring' }));
  });

  describe('rejects invalid props with InvalidPropsError', () => {
    it('empty selector', () => expectInvalidProps(() => build({ prometheusSelector: {} }), 'prometheusSelector', 'every pod'));
    it('bad selector value', () => expectInvalidProps(() => build({ prometheusSelector: { app: 'a b' } }), 'prometheusSelector.app', 'label value'));
    it('bad namespace', () => expectInvalidProps(() => build({ prometheusNamespace: 'Monitoring' }), 'prometheusNamespace', 'RFC 1123'));
  });
});
