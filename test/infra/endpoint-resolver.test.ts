import { expect } from 'chai';
import { EndpointResolver, type EndpointResolverProps } from '../../infra/lib/endpoint-resolver.js';
import { expectAllValid, expectInvalidProps, find, matchSnapshot, NS, podSpecs, selects, synth, testChart, type K8sObject } from './helpers.js';

const IMAGE = 'quay.io/example/hcp-metrics-proxy@sha256:' + 'a'.repeat(64);

function build(overrides: Partial<EndpointResolverProps> = {}): K8sObject[] {
  const chart = testChart();
  new EndpointResolver(chart, 'resolver', { image: IMAGE, ...overrides });
  return synth(chart);
}

describe('infra EndpointResolver', () => {
  it('matches the snapshot (defaults)', () => {
    matchSnapshot('endpoint-resolver-defaults', build());
  });

  it('matches the snapshot (separate client CA, stale-after, one replica)', () => {
    matchSnapshot('endpoint-resolver-custom', build({ replicas: 1, podDisruptionBudget: false, clientCA: { configMap: 'endpoint-resolver-client-ca' }, staleAfter: '2m', command: ['node', '/app/build/cli.js'] }));
  });

  it('creates a ServiceAccount, Role, RoleBinding, Deployment, Service and PDB', () => {
    expect(build().map((o) => o.kind)).to.deep.equal(['ServiceAccount', 'Role', 'RoleBinding', 'Deployment', 'Service', 'PodDisruptionBudget']);
  });

  it('has a Role that is exactly get/list/watch on pods, bound to its own ServiceAccount', () => {
    const objs = build();
    const role = find(objs, 'Role', 'endpoint-resolver');
    expect(role.rules).to.deep.equal([{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] }]);
    const rb = find(objs, 'RoleBinding', 'endpoint-resolver');
    expect(rb.roleRef).to.deep.equal({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'endpoint-resolver' });
    expect(rb.subjects).to.deep.equal([{ kind: 'ServiceAccount', name: 'endpoint-resolver', namespace: NS }]);
    const pod = find(objs, 'Deployment').spec.template.spec;
    expect(pod.serviceAccountName).to.equal('endpoint-resolver');
    expect(pod.automountServiceAccountToken).to.equal(true);
    expect(find(objs, 'Deployment').spec.template.metadata.labels['hypershift.openshift.io/need-management-kas-access']).to.equal('true');
  });

  it('serves HTTPS on 9444 behind Service port 443, requires client certificates, and probes /healthz and /readyz on the plain-HTTP health port', () => {
    const objs = build();
    const svc = find(objs, 'Service', 'endpoint-resolver');
    expect(svc.spec.ports).to.deep.equal([{ name: 'https', port: 443, targetPort: 9444, protocol: 'TCP', appProtocol: 'https' }]);
    const pod = podSpecs(objs)[0]!;
    expect(selects({ matchLabels: svc.spec.selector }, pod.labels)).to.equal(true);
    const c = pod.spec.containers[0];
    expect(c.args).to.deep.equal([
      'resolver',
      '--namespace=$(MY_NAMESPACE)',
      '--listen=0.0.0.0:9444',
      '--health-listen=0.0.0.0:9445',
      '--tls-cert-file=/etc/endpoint-resolver/serving-cert/tls.crt',
      '--tls-key-file=/etc/endpoint-resolver/serving-cert/tls.key',
      '--client-ca-file=/etc/endpoint-resolver/serving-cert/ca.crt',
    ]);
    expect(c.livenessProbe.httpGet).to.deep.equal({ path: '/healthz', port: 9445, scheme: 'HTTP' });
    expect(c.readinessProbe.httpGet).to.deep.equal({ path: '/readyz', port: 9445, scheme: 'HTTP' });
    expect(pod.spec.volumes[0]).to.deep.equal({ name: 'serving-cert', secret: { secretName: 'endpoint-resolver-serving-cert', optional: false } });
  });

  it('mounts a separate client CA when given', () => {
    const c = podSpecs(build({ clientCA: { secret: 'proxy-client-ca', key: 'ca.pem' } }))[0]!.spec;
    expect(c.containers[0].args).to.include('--client-ca-file=/etc/endpoint-resolver/client-ca/ca.pem');
    expect(c.volumes.map((v: K8sObject) => v.secret?.secretName)).to.include('proxy-client-ca');
  });

  it('runs non-root with a read-only root filesystem', () => {
    for (const { spec } of podSpecs(build())) {
      for (const c of spec.containers) expect(c.securityContext).to.include({ runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
    }
  });

  it('validates offline', () => {
    expectAllValid(build());
    expectAllValid(build({ replicas: 1, podDisruptionBudget: false, clientCA: { configMap: 'ca' } }));
  });

  describe('rejects invalid props with InvalidPropsError', () => {
    const make = (p: Partial<EndpointResolverProps>) => () => new EndpointResolver(testChart(), 'r', { image: IMAGE, ...p } as EndpointResolverProps);
    it('one replica with a PDB', () => expectInvalidProps(make({ replicas: 1 }), 'replicas', 'PodDisruptionBudget'));
    it('bad stale-after', () => expectInvalidProps(make({ staleAfter: '2 minutes' }), 'staleAfter', 'duration'));
    it('bad client CA key', () => expectInvalidProps(make({ clientCA: { secret: 's', key: 'a/b' } }), 'clientCA.key', 'not a valid'));
    it('bad serving cert name', () => expectInvalidProps(make({ servingCertSecret: '-x' }), 'servingCertSecret', 'not a valid object name'));
    it('bad image', () => expectInvalidProps(make({ image: 'nope nope' }), 'image', 'not a valid image reference'));
  });
});
