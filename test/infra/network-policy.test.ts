import { expect } from 'chai';
import { EndpointResolver } from '../../infra/lib/endpoint-resolver.js';
import { ConfigGenerator } from '../../infra/lib/config-generator.js';
import { MetricsProxy } from '../../infra/lib/metrics-proxy.js';
import { MetricsProxyNetworkPolicy, type MetricsProxyNetworkPolicyProps } from '../../infra/lib/network-policy.js';
import { all, expectAllValid, expectInvalidProps, find, matchSnapshot, podSpecs, selects, synth, testChart, type K8sObject } from './helpers.js';

const IMAGE = 'quay.io/example/hcp-metrics-proxy:0.1.0';
const HOST = 'metrics-proxy.apps.mgmt.example.com';

function build(props: MetricsProxyNetworkPolicyProps = {}): K8sObject[] {
  const chart = testChart();
  new MetricsProxyNetworkPolicy(chart, 'np', props);
  return synth(chart);
}

/** The policies together with the workloads they select. */
function buildWithWorkloads(props: MetricsProxyNetworkPolicyProps = {}): K8sObject[] {
  const chart = testChart();
  new MetricsProxy(chart, 'proxy', { image: IMAGE, routeHost: HOST });
  new EndpointResolver(chart, 'resolver', { image: IMAGE });
  new ConfigGenerator(chart, 'generator', { image: IMAGE, routeHost: HOST });
  new MetricsProxyNetworkPolicy(chart, 'np', props);
  return synth(chart);
}

function podLabels(objs: K8sObject[], deployment: string): Record<string, string> {
  return podSpecs(objs).find((p) => p.owner === `Deployment/${deployment}`)!.labels;
}

describe('infra MetricsProxyNetworkPolicy', () => {
  it('matches the snapshot (defaults)', () => {
    matchSnapshot('network-policy-defaults', build());
  });

  it('matches the snapshot (router-only proxy ingress, generator not isolated)', () => {
    matchSnapshot('network-policy-router-only', build({ proxyIngressFrom: [{ namespaceSelector: { matchLabels: { 'policy-group.network.openshift.io/ingress': '' } } }], isolateGenerator: false }));
  });

  it('lets traffic reach the proxy pods only on TCP 9443', () => {
    const objs = buildWithWorkloads();
    const np = find(objs, 'NetworkPolicy', 'metrics-proxy');
    expect(np.spec.policyTypes).to.deep.equal(['Ingress']);
    expect(selects(np.spec.podSelector, podLabels(objs, 'metrics-proxy'))).to.equal(true);
    expect(selects(np.spec.podSelector, podLabels(objs, 'endpoint-resolver'))).to.equal(false);
    expect(np.spec.ingress).to.deep.equal([{ ports: [{ protocol: 'TCP', port: 9443 }] }]);
  });

  it('lets only proxy pods reach the resolver, only on TCP 9444', () => {
    const objs = buildWithWorkloads();
    const np = find(objs, 'NetworkPolicy', 'endpoint-resolver');
    expect(np.spec.policyTypes).to.deep.equal(['Ingress']);
    expect(selects(np.spec.podSelector, podLabels(objs, 'endpoint-resolver'))).to.equal(true);
    expect(np.spec.ingress).to.have.length(1);
    const rule = np.spec.ingress[0];
    expect(rule.ports).to.deep.equal([{ protocol: 'TCP', port: 9444 }]);
    expect(rule.from).to.have.length(1);
    expect(rule.from[0].namespaceSelector, 'same namespace only').to.equal(undefined);
    expect(selects(rule.from[0].podSelector, podLabels(objs, 'metrics-proxy')), 'proxy pods are allowed').to.equal(true);
    for (const other of ['endpoint-resolver', 'metrics-proxy-config-generator']) {
      expect(selects(rule.from[0].podSelector, podLabels(objs, other)), `${other} is not allowed`).to.equal(false);
    }
  });

  it('denies all ingress to the generator', () => {
    const objs = buildWithWorkloads();
    const np = find(objs, 'NetworkPolicy', 'metrics-proxy-config-generator');
    expect(selects(np.spec.podSelector, podLabels(objs, 'metrics-proxy-config-generator'))).to.equal(true);
    expect(np.spec.policyTypes).to.deep.equal(['Ingress']);
    expect(np.spec.ingress ?? []).to.deep.equal([]);
    expect(all(build({ isolateGenerator: false }), 'NetworkPolicy')).to.have.length(2);
  });

  it('restricts proxy sources when asked', () => {
    const from = [{ namespaceSelector: { matchLabels: { 'policy-group.network.openshift.io/ingress': '' } } }];
    expect(find(build({ proxyIngressFrom: from }), 'NetworkPolicy', 'metrics-proxy').spec.ingress).to.deep.equal([{ from, ports: [{ protocol: 'TCP', port: 9443 }] }]);
  });

  it('validates offline', () => {
    expectAllValid(buildWithWorkloads());
    expectAllValid(build({ proxyIngressFrom: [{ ipBlock: { cidr: '10.0.0.0/8' } }] }));
  });

  describe('rejects invalid props with InvalidPropsError', () => {
    it('empty peer list', () => expectInvalidProps(() => build({ proxyIngressFrom: [] }), 'proxyIngressFrom', 'non-empty'));
    it('unknown peer key', () => expectInvalidProps(() => build({ proxyIngressFrom: [{ pods: {} } as never] }), 'proxyIngressFrom[0].pods', 'unknown key'));
    it('ipBlock with selector', () => expectInvalidProps(() => build({ proxyIngressFrom: [{ ipBlock: { cidr: '10.0.0.0/8' }, podSelector: {} }] }), 'proxyIngressFrom[0]', 'ipBlock'));
    it('bad namespace', () => expectInvalidProps(() => build({ namespace: 'A' }), 'namespace', 'RFC 1123'));
  });
});
