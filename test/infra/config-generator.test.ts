import { expect } from 'chai';
import { ConfigGenerator, type ConfigGeneratorProps } from '../../infra/lib/config-generator.js';
import { all, expectAllValid, expectInvalidProps, find, matchSnapshot, podSpecs, synth, testChart, type K8sObject } from './helpers.js';

const IMAGE = 'quay.io/example/hcp-metrics-proxy:0.1.0';
const HOST = 'metrics-proxy.apps.mgmt.example.com';

function build(overrides: Partial<ConfigGeneratorProps> = {}): K8sObject[] {
  const chart = testChart();
  new ConfigGenerator(chart, 'generator', { image: IMAGE, routeHost: HOST, ...overrides });
  return synth(chart);
}

describe('infra ConfigGenerator', () => {
  it('matches the snapshot (watch mode)', () => {
    matchSnapshot('config-generator-watch', build());
  });

  it('matches the snapshot (job mode, no certificate management)', () => {
    matchSnapshot('config-generator-job', build({ mode: 'job', manageCerts: false, routeHost: undefined }));
  });

  it('runs a single-replica Recreate Deployment with the watch-mode flags', () => {
    const objs = build();
    expect(all(objs, 'Job')).to.deep.equal([]);
    const d = find(objs, 'Deployment', 'metrics-proxy-config-generator');
    expect(d.spec.replicas).to.equal(1);
    expect(d.spec.strategy).to.deep.equal({ type: 'Recreate' });
    expect(d.spec.template.spec.containers[0].args).to.deep.equal([
      'generator',
      '--namespace=$(MY_NAMESPACE)',
      '--output-configmap=metrics-proxy-config',
      '--output-secret=metrics-proxy-upstream-tls',
      '--manage-certs',
      `--route-host=${HOST}`,
      '--health-listen=0.0.0.0:9446',
    ]);
  });

  it('probes the plain-HTTP health port it tells the generator to serve', () => {
    const c = find(build(), 'Deployment').spec.template.spec.containers[0];
    expect(c.ports).to.deep.equal([{ name: 'health', containerPort: 9446, protocol: 'TCP' }]);
    expect(c.livenessProbe.httpGet).to.deep.equal({ path: '/healthz', port: 9446, scheme: 'HTTP' });
    expect(c.readinessProbe.httpGet).to.deep.equal({ path: '/readyz', port: 9446, scheme: 'HTTP' });
    const moved = find(build({ healthPort: 9500 }), 'Deployment').spec.template.spec.containers[0];
    expect(moved.args).to.include('--health-listen=0.0.0.0:9500');
    expect(moved.readinessProbe.httpGet.port).to.equal(9500);
    const job = find(build({ mode: 'job' }), 'Job').spec.template.spec.containers[0];
    expect(job.livenessProbe, 'a Job has nothing to probe').to.equal(undefined);
    expect(job.args.some((a: string) => a.startsWith('--health-listen'))).to.equal(false);
  });

  it('runs a one-shot Job whose name follows its pod template', () => {
    const objs = build({ mode: 'job' });
    expect(all(objs, 'Deployment')).to.deep.equal([]);
    const job = find(objs, 'Job');
    expect(job.metadata.name).to.match(/^metrics-proxy-config-generator-[0-9a-f]{8}$/);
    expect(job.spec.template.spec.restartPolicy).to.equal('OnFailure');
    expect(job.spec.template.spec.containers[0].args).to.include('--once');
    expect(find(build({ mode: 'job' }), 'Job').metadata.name, 'stable').to.equal(job.metadata.name);
    expect(find(build({ mode: 'job', image: 'quay.io/example/hcp-metrics-proxy:0.2.0' }), 'Job').metadata.name, 'changes with the template').not.to.equal(job.metadata.name);
  });

  it('has a least-privilege Role: reads its inputs, writes only its own objects, no wildcards, no delete', () => {
    const objs = build();
    const rules = find(objs, 'Role', 'metrics-proxy-config-generator').rules as K8sObject[];
    expect(rules).to.deep.equal([
      { apiGroups: ['monitoring.coreos.com', 'monitoring.rhobs'], resources: ['podmonitors', 'servicemonitors'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: [''], resources: ['configmaps', 'pods', 'secrets', 'services'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: [''], resources: ['configmaps', 'secrets'], verbs: ['create'] },
      { apiGroups: [''], resources: ['configmaps'], resourceNames: ['metrics-proxy-config', 'metrics-proxy-serving-ca'], verbs: ['patch', 'update'] },
      {
        apiGroups: [''],
        resources: ['secrets'],
        resourceNames: ['endpoint-resolver-client-cert', 'endpoint-resolver-serving-cert', 'metrics-proxy-ca-cert', 'metrics-proxy-serving-cert', 'metrics-proxy-upstream-tls'],
        verbs: ['patch', 'update'],
      },
      { apiGroups: ['', 'events.k8s.io'], resources: ['events'], verbs: ['create', 'patch'] },
    ]);
    for (const r of rules) {
      for (const field of ['apiGroups', 'resources', 'verbs']) expect(r[field], JSON.stringify(r)).not.to.include('*');
      expect(r.verbs).not.to.include.members(['delete', 'deletecollection', 'escalate', 'bind', 'impersonate']);
      if (r.verbs.includes('update') || r.verbs.includes('patch')) {
        if (!r.resources.includes('events')) expect(r.resourceNames, 'writes are pinned to names').to.be.an('array').that.is.not.empty;
      }
    }
    const rb = find(objs, 'RoleBinding');
    expect(rb.subjects).to.deep.equal([{ kind: 'ServiceAccount', name: 'metrics-proxy-config-generator', namespace: rb.metadata.namespace }]);
    expect(rb.roleRef.name).to.equal('metrics-proxy-config-generator');
  });

  it('without certificate management may only update the upstream Secret and the config ConfigMap', () => {
    const rules = find(build({ manageCerts: false, routeHost: undefined }), 'Role').rules as K8sObject[];
    expect(rules.find((r) => r.resources.includes('secrets') && r.resourceNames)!.resourceNames).to.deep.equal(['metrics-proxy-upstream-tls']);
    expect(rules.find((r) => r.resources.includes('configmaps') && r.resourceNames)!.resourceNames).to.deep.equal(['metrics-proxy-config']);
  });

  it('runs non-root with a read-only root filesystem', () => {
    for (const mode of ['watch', 'job'] as const) {
      for (const { spec } of podSpecs(build({ mode }))) {
        expect(spec.securityContext).to.include({ runAsNonRoot: true });
        for (const c of spec.containers) expect(c.securityContext).to.include({ runAsNonRoot: true, readOnlyRootFilesystem: true });
      }
    }
  });

  it('validates offline', () => {
    expectAllValid(build());
    expectAllValid(build({ mode: 'job' }));
    expectAllValid(build({ healthPort: 9445, manageCerts: false }));
  });

  it('with guest sync: the guest flags and the hosted kubeconfig mounted at the fixed path, whatever its key', () => {
    for (const mode of ['watch', 'job'] as const) {
      const objs = build({ mode, guestSync: { namespace: 'openshift-monitoring', kubeconfigSecret: 'service-network-admin-kubeconfig', kubeconfigKey: 'value' } });
      const pod = podSpecs(objs)[0]!.spec;
      const c = pod.containers[0];
      expect(c.args.slice(-2), mode).to.deep.equal(['--guest-kubeconfig=/etc/guest-kubeconfig/kubeconfig', '--guest-namespace=openshift-monitoring']);
      expect(c.volumeMounts).to.deep.include({ name: 'guest-kubeconfig', mountPath: '/etc/guest-kubeconfig', readOnly: true });
      expect(pod.volumes).to.deep.include({ name: 'guest-kubeconfig', secret: { secretName: 'service-network-admin-kubeconfig', items: [{ key: 'value', path: 'kubeconfig' }] } });
      expectAllValid(objs);
    }
    const plain = podSpecs(build())[0]!.spec;
    expect(plain.containers[0].args.some((a: string) => a.startsWith('--guest-')), 'no guest flags without guest sync').to.equal(false);
    expect(plain.volumes.map((v: K8sObject) => v.name)).to.deep.equal(['tmp']);
  });

  describe('rejects invalid props with InvalidPropsError', () => {
    const make = (p: Partial<ConfigGeneratorProps>) => () => new ConfigGenerator(testChart(), 'g', { image: IMAGE, routeHost: HOST, ...p } as ConfigGeneratorProps);
    it('unknown mode', () => expectInvalidProps(make({ mode: 'cron' as never }), 'mode', 'watch, job'));
    it('certificates without a route host', () => expectInvalidProps(make({ routeHost: undefined }), 'routeHost', 'required when manageCerts'));
    it('invalid route host', () => expectInvalidProps(make({ routeHost: 'bad host' }), 'routeHost', 'invalid hostname'));
    it('probes in job mode', () => expectInvalidProps(make({ mode: 'job', healthPort: 9445 }), 'healthPort', 'watch mode'));
    it('bad port', () => expectInvalidProps(make({ healthPort: 70000 }), 'healthPort', '1..65535'));
    it('cert secrets without cert management', () => expectInvalidProps(make({ manageCerts: false, certSecrets: ['x'] }), 'certSecrets', 'manageCerts'));
    it('guest sync namespace', () => expectInvalidProps(make({ guestSync: { namespace: 'Openshift', kubeconfigSecret: 'k' } }), 'guestSync.namespace', 'RFC 1123'));
    it('guest sync unknown key', () => expectInvalidProps(make({ guestSync: { namespace: 'm', kubeconfigSecret: 'k', path: '/x' } as never }), 'guestSync.path', 'unknown key'));
    it('bad output ConfigMap', () => expectInvalidProps(make({ outputConfigMap: 'UPPER' }), 'outputConfigMap', 'not a valid object name'));
  });
});
