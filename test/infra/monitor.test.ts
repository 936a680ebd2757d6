import { expect } from 'chai';
import { MetricsProxy } from '../../infra/lib/metrics-proxy.js';
import { MetricsProxyMonitor, type MetricsProxyMonitorProps } from '../../infra/lib/monitor.js';
import { expectAllValid, expectInvalidProps, find, matchSnapshot, selects, synth, testChart, type K8sObject, validateObject } from './helpers.js';

const HOST = 'metrics-proxy.apps.mgmt.example.com';

function build(props: Partial<MetricsProxyMonitorProps> = {}): K8sObject[] {
  const chart = testChart();
  new MetricsProxy(chart, 'proxy', { image: 'quay.io/example/hcp-metrics-proxy:0.1.0', routeHost: HOST });
  new MetricsProxyMonitor(chart, 'monitor', { serverName: HOST, ...props });
  return synth(chart);
}

describe('infra MetricsProxyMonitor', () => {
  it('matches the snapshot (ServiceMonitor)', () => {
    matchSnapshot('monitor-servicemonitor', build().filter((o) => o.kind === 'ServiceMonitor'));
  });

  it('matches the snapshot (PodMonitor with a client certificate)', () => {
    matchSnapshot('monitor-podmonitor', build({ kind: 'PodMonitor', clientCertSecret: 'self-scrape', interval: '1m', labels: { prometheus: 'hcp' } }).filter((o) => o.kind === 'PodMonitor'));
  });

  it('scrapes /metrics over HTTPS on the proxy Service port, verifying the Route host', () => {
    const objs = build();
    const sm = find(objs, 'ServiceMonitor');
    const svc = find(objs, 'Service');
    expect(selects(sm.spec.selector, svc.metadata.labels)).to.equal(true);
    const ep = sm.spec.endpoints[0];
    expect(ep).to.include({ port: 'https', path: '/metrics', scheme: 'https' });
    expect(svc.spec.ports.map((p: K8sObject) => p.name)).to.include(ep.port);
    expect(ep.tlsConfig.serverName).to.equal(HOST);
  });

  it('selects the proxy pods and their named port (PodMonitor)', () => {
    const objs = build({ kind: 'PodMonitor' });
    const pm = find(objs, 'PodMonitor');
    const d = find(objs, 'Deployment');
    expect(selects(pm.spec.selector, d.spec.template.metadata.labels)).to.equal(true);
    expect(d.spec.template.spec.containers[0].ports.map((p: K8sObject) => p.name)).to.include(pm.spec.podMetricsEndpoints[0].port);
  });

  it('validates offline against the prometheus-operator CRD schemas', () => {
    expectAllValid(build());
    expectAllValid(build({ kind: 'PodMonitor', clientCertSecret: 'c' }));
  });

  it('the CRD validator rejects what the CRD rejects', () => {
    const sm = find(build(), 'ServiceMonitor');
    expect(validateObject({ ...sm, spec: { ...sm.spec, endpoints: [{ ...sm.spec.endpoints[0], scheme: 'ftp' }] } })).to.have.length.greaterThan(0);
    expect(validateObject({ ...sm, spec: { ...sm.spec, bogusField: true } })).to.have.length.greaterThan(0);
    expect(validateObject({ ...sm, spec: { endpoints: [] } })).to.have.length.greaterThan(0);
  });

  describe('rejects invalid props with InvalidPropsError', () => {
    it('unknown kind', () => expectInvalidProps(() => build({ kind: 'Probe' as never }), 'kind', 'ServiceMonitor, PodMonitor'));
    it('bad interval', () => expectInvalidProps(() => build({ interval: 'often' }), 'interval', 'duration'));
    it('bad server name', () => expectInvalidProps(() => build({ serverName: 'not a host' }), 'serverName', 'invalid hostname'));
  });
});
