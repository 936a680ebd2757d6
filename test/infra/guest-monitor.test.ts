import { expect } from 'chai';
import { GuestPodMonitor, type GuestPodMonitorProps, guestPodMonitorSpec, PrometheusTokenSecret } from '../../infra/lib/guest-monitor.js';
import { expectAllValid, expectInvalidProps, find, matchSnapshot, synth, testChart, validateObject, type K8sObject } from './helpers.js';

const HOST = 'metrics-proxy-demo.apps.mgmt.example.com';
const NS = 'openshift-monitoring';
const CERT = { mode: 'clientCertificate', scrapeClass: 'tls-client-certificate-auth' } as const;
const TOKEN = { mode: 'bearerToken', tokenSecret: 'hcp-metrics-proxy-prometheus-token' } as const;

function build(overrides: Partial<GuestPodMonitorProps> = {}): K8sObject[] {
  const chart = testChart(NS);
  new GuestPodMonitor(chart, 'pm', { routeHost: HOST, components: ['kube-apiserver', 'etcd'], auth: CERT, ...overrides });
  return synth(chart);
}

describe('infra guest PodMonitor and credentials', () => {
  it('matches the snapshots (client certificate, bearer token)', () => {
    matchSnapshot('guest-podmonitor-client-certificate', build());
    matchSnapshot('guest-podmonitor-bearer-token', build({ auth: TOKEN }));
  });

  it('selects the forwarder pods with one HTTPS endpoint per component, honouring the proxy labels and verifying the Route host', () => {
    const pm = find(build(), 'PodMonitor', 'hcp-metrics-proxy');
    expect(pm.metadata.namespace).to.equal(NS);
    expect(pm.spec.selector).to.deep.equal({ matchLabels: { 'app.kubernetes.io/name': 'metrics-forwarder' } });
    expect(pm.spec.podMetricsEndpoints.map((e: K8sObject) => e.path)).to.deep.equal(['/metrics/kube-apiserver', '/metrics/etcd']);
    for (const e of pm.spec.podMetricsEndpoints as K8sObject[]) {
      expect(e).to.include({ port: 'https', scheme: 'https', honorLabels: true });
      expect(e.tlsConfig).to.deep.equal({ serverName: HOST, ca: { configMap: { name: 'metrics-proxy-serving-ca', key: 'ca.crt' } } });
    }
  });

  it('client-certificate mode: the scrape class and no authorization', () => {
    const pm = find(build(), 'PodMonitor');
    expect(pm.spec.scrapeClass).to.equal('tls-client-certificate-auth');
    for (const e of pm.spec.podMetricsEndpoints as K8sObject[]) expect(e).not.to.have.property('authorization');
  });

  it('bearer-token mode: every endpoint sends the token Secret, no scrape class', () => {
    const pm = find(build({ auth: TOKEN }), 'PodMonitor');
    expect(pm.spec).not.to.have.property('scrapeClass');
    for (const e of pm.spec.podMetricsEndpoints as K8sObject[]) {
      expect(e.authorization).to.deep.equal({ type: 'Bearer', credentials: { name: 'hcp-metrics-proxy-prometheus-token', key: 'token' } });
    }
  });

  it('guestPodMonitorSpec is what the construct synthesizes (one definition for the chart and guest sync)', () => {
    const pm = find(build({ auth: TOKEN, components: ['etcd'] }), 'PodMonitor');
    expect(pm.spec).to.deep.equal(JSON.parse(JSON.stringify(guestPodMonitorSpec(HOST, ['etcd'], TOKEN))));
  });

  it('validates offline against the PodMonitor CRD, whose field is scrapeClass (a scrapeClassName field would be rejected)', () => {
    expectAllValid(build());
    expectAllValid(build({ auth: TOKEN }));
    const pm = find(build(), 'PodMonitor');
    const renamed = { ...pm, spec: { ...pm.spec, scrapeClassName: pm.spec.scrapeClass } };
    delete renamed.spec.scrapeClass;
    expect(validateObject(renamed).join('\n')).to.match(/additionalProperty.*scrapeClassName/);
  });

  it('the token Secret is an empty service-account-token Secret for the Prometheus service account', () => {
    const chart = testChart(NS);
    new PrometheusTokenSecret(chart, 't', { serviceAccount: 'prometheus-k8s' });
    const objs = synth(chart);
    const s = find(objs, 'Secret', 'hcp-metrics-proxy-prometheus-token');
    expect(s.type).to.equal('kubernetes.io/service-account-token');
    expect(s.metadata.annotations).to.deep.equal({ 'kubernetes.io/service-account.name': 'prometheus-k8s' });
    expect(s.metadata.namespace).to.equal(NS);
    expect(s).not.to.have.any.keys('data', 'stringData');
    expectAllValid(objs);
  });

  describe('rejects invalid props with InvalidPropsError', () => {
    const make = (p: Partial<GuestPodMonitorProps>) => () => build(p);
    it('no components', () => expectInvalidProps(make({ components: [] }), 'components', 'non-empty list'));
    it('component with a slash', () => expectInvalidProps(make({ components: ['etcd', 'kube-apiserver/1'] }), 'components[1]', 'not a component name'));
    it('component starting with a dot', () => expectInvalidProps(make({ components: ['.etcd'] }), 'components[0]', 'not a component name'));
    it('duplicate component', () => expectInvalidProps(make({ components: ['etcd', 'etcd'] }), 'components[1]', 'listed twice'));
    it('bad route host', () => expectInvalidProps(make({ routeHost: 'https://x.example.com' }), 'routeHost', 'invalid hostname'));
    it('scrape class with whitespace', () => expectInvalidProps(make({ auth: { mode: 'clientCertificate', scrapeClass: 'tls client' } }), 'auth.scrapeClass', 'whitespace'));
    it('unknown auth mode', () => expectInvalidProps(make({ auth: { mode: 'oidc' } as never }), 'auth.mode', 'clientCertificate, bearerToken'));
    it('bad token Secret service account', () => expectInvalidProps(() => new PrometheusTokenSecret(testChart(NS), 't', { serviceAccount: 'Prometheus K8s' }), 'serviceAccount', 'not a valid object name'));
  });
});
