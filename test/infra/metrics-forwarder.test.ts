import { expect } from 'chai';
import { MetricsForwarder, type MetricsForwarderProps } from '../../infra/lib/metrics-forwarder.js';
import { all, expectAllValid, expectInvalidProps, find, matchSnapshot, selects, synth, testChart, type K8sObject } from './helpers.js';

const IMAGE = 'quay.io/example/hcp-metrics-proxy:0.1.0';
const HOST = 'metrics-proxy-demo.apps.mgmt.example.com';
const NS = 'openshift-monitoring';

function build(overrides: Partial<MetricsForwarderProps> = {}): K8sObject[] {
  const chart = testChart(NS);
  new MetricsForwarder(chart, 'forwarder', { image: IMAGE, routeHost: HOST, ...overrides });
  return synth(chart);
}

describe('infra MetricsForwarder', () => {
  it('matches the snapshot', () => {
    matchSnapshot('metrics-forwarder-defaults', build());
  });

  it('runs one replica relaying 8443 to the Route host on 443, probed on its health port', () => {
    const objs = build();
    expect(objs.map((o) => `${o.kind}/${o.metadata.name}`)).to.deep.equal(['ServiceAccount/metrics-forwarder', 'Deployment/metrics-forwarder']);
    const d = find(objs, 'Deployment', 'metrics-forwarder');
    expect(d.spec.replicas).to.equal(1);
    expect(d.spec.template.metadata.labels).to.include({ 'app.kubernetes.io/name': 'metrics-forwarder', 'app.kubernetes.io/part-of': 'hcp-metrics-proxy' });
    const c = d.spec.template.spec.containers[0];
    expect(c.args).to.deep.equal(['forwarder', '--listen', '0.0.0.0:8443', '--upstream', `${HOST}:443`, '--health-listen', '0.0.0.0:8080']);
    expect(c.ports).to.deep.equal([{ name: 'https', containerPort: 8443, protocol: 'TCP' }, { name: 'health', containerPort: 8080, protocol: 'TCP' }]);
    expect(c.livenessProbe.httpGet).to.deep.equal({ path: '/healthz', port: 'health', scheme: 'HTTP' });
    expect(c.readinessProbe.httpGet).to.deep.equal({ path: '/readyz', port: 'health', scheme: 'HTTP' });
    expect(c.resources).to.deep.equal({ requests: { cpu: '10m', memory: '48Mi' }, limits: { memory: '192Mi' } });
  });

  it('carries no ServiceAccount token and runs non-root with a read-only root filesystem', () => {
    const objs = build();
    expect(find(objs, 'ServiceAccount').automountServiceAccountToken).to.equal(false);
    const pod = find(objs, 'Deployment').spec.template.spec;
    expect(pod.serviceAccountName).to.equal('metrics-forwarder');
    expect(pod.automountServiceAccountToken).to.equal(false);
    expect(pod.securityContext).to.deep.equal({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    const sc = pod.containers[0].securityContext;
    expect(sc).to.deep.equal({ allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, readOnlyRootFilesystem: true, runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(pod.volumes).to.deep.equal([{ name: 'tmp', emptyDir: { sizeLimit: '64Mi' } }]);
  });

  it('adds a PodDisruptionBudget only with 2 or more replicas', () => {
    expect(all(build({ replicas: 1 }), 'PodDisruptionBudget')).to.deep.equal([]);
    for (const replicas of [2, 3]) {
      const objs = build({ replicas });
      const pdb = find(objs, 'PodDisruptionBudget', 'metrics-forwarder');
      expect(pdb.spec.maxUnavailable).to.equal(1);
      expect(pdb.spec.unhealthyPodEvictionPolicy).to.equal('AlwaysAllow');
      const d = find(objs, 'Deployment');
      expect(d.spec.replicas).to.equal(replicas);
      expect(selects(pdb.spec.selector, d.spec.template.metadata.labels)).to.equal(true);
    }
  });

  it('takes resources, placement and labels', () => {
    const pod = find(build({ resources: { requests: { cpu: '50m' } }, placement: { nodeSelector: { 'node-role.kubernetes.io/infra': '' } }, labels: { team: 'obs' } }), 'Deployment').spec.template;
    expect(pod.spec.containers[0].resources).to.deep.equal({ requests: { cpu: '50m' } });
    expect(pod.spec.nodeSelector).to.deep.equal({ 'node-role.kubernetes.io/infra': '' });
    expect(pod.metadata.labels.team).to.equal('obs');
  });

  it('validates offline', () => {
    expectAllValid(build());
    expectAllValid(build({ replicas: 3 }));
  });

  describe('rejects invalid props with InvalidPropsError', () => {
    const make = (p: Partial<MetricsForwarderProps>) => () => new MetricsForwarder(testChart(NS), 'f', { image: IMAGE, routeHost: HOST, ...p } as MetricsForwarderProps);
    it('no replicas', () => expectInvalidProps(make({ replicas: 0 }), 'replicas', 'between 1 and 50'));
    it('route host with a port', () => expectInvalidProps(make({ routeHost: `${HOST}:443` }), 'routeHost', 'without scheme, port or path'));
    it('image without tag', () => expectInvalidProps(make({ image: 'quay.io/example/hcp-metrics-proxy' }), 'image', 'neither a tag nor a digest'));
    it('bad resources', () => expectInvalidProps(make({ resources: { limits: { memory: 'lots' } } }), 'resources.limits.memory', 'quantity'));
  });
});
