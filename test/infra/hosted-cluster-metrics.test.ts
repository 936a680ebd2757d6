import { expect } from 'chai';
import { Testing } from 'cdk8s';
import { buildApp } from '../../infra/app.js';
import { HostedClusterMetrics, type HostedClusterMetricsProps } from '../../infra/lib/hosted-cluster-metrics.js';
import { METRICS_SETS } from '../../infra/lib/validate.js';
import { all, EXAMPLE_CLUSTERS, expectAllValid, expectInvalidProps, find, matchSnapshot, podSpecs, selects, synth, synthApp, toYaml, type K8sObject } from './helpers.js';

const BASE: HostedClusterMetricsProps = {
  name: 'demo',
  namespace: 'clusters-demo',
  routeHost: 'metrics-proxy-demo.apps.mgmt.example.com',
  image: 'quay.io/example/hcp-metrics-proxy:0.1.0',
};

function build(overrides: Partial<HostedClusterMetricsProps> = {}): K8sObject[] {
  return synth(new HostedClusterMetrics(Testing.app(), { ...BASE, ...overrides }));
}

/** A spread of configurations, for properties that must hold for all of them. */
function variants(): [string, K8sObject[]][] {
  return [
    ['defaults', build()],
    ['example clusters file', synthApp(buildApp(EXAMPLE_CLUSTERS, { outdir: '/nonexistent' }))],
    ['everything on', build({
      replicas: 4, metricsSet: 'All', authModes: ['clientCertificate', 'bearerToken'], clientCA: { secret: 'ca' }, authorizeWithSar: true,
      tokenAudiences: ['x'], proxy: { antiAffinity: 'required' }, resolver: { replicas: 3, staleAfter: '90s' },
      generator: { mode: 'job' }, selfMonitor: { kind: 'PodMonitor' }, networkPolicy: { isolateGenerator: false },
    })],
    ['minimal', build({ replicas: 1, proxy: { podDisruptionBudget: false }, resolver: { replicas: 1, podDisruptionBudget: false }, generator: { manageCerts: false }, networkPolicy: { enabled: false } })],
  ];
}

describe('infra HostedClusterMetrics', () => {
  it('matches the snapshot', () => {
    matchSnapshot('hosted-cluster-metrics', build());
  });

  it('composes the proxy, resolver, generator and NetworkPolicies in the HCP namespace', () => {
    const objs = build();
    expect(objs.map((o) => `${o.kind}/${o.metadata.name}`)).to.deep.equal([
      'ServiceAccount/metrics-proxy', 'Deployment/metrics-proxy', 'Service/metrics-proxy', 'Route/metrics-proxy', 'PodDisruptionBudget/metrics-proxy',
      'ServiceAccount/endpoint-resolver', 'Role/endpoint-resolver', 'RoleBinding/endpoint-resolver', 'Deployment/endpoint-resolver', 'Service/endpoint-resolver', 'PodDisruptionBudget/endpoint-resolver',
      'ServiceAccount/metrics-proxy-config-generator', 'Role/metrics-proxy-config-generator', 'RoleBinding/metrics-proxy-config-generator', 'Deployment/metrics-proxy-config-generator',
      'NetworkPolicy/metrics-proxy', 'NetworkPolicy/endpoint-resolver', 'NetworkPolicy/metrics-proxy-config-generator',
    ]);
    for (const o of objs) {
      expect(o.metadata.namespace, `${o.kind}/${o.metadata.name}`).to.equal('clusters-demo');
      expect(o.metadata.labels['app.kubernetes.io/instance'], `${o.kind}/${o.metadata.name}`).to.equal('demo');
      expect(o.metadata.labels['app.kubernetes.io/part-of']).to.equal('hcp-metrics-proxy');
    }
    for (const p of podSpecs(objs)) expect(p.labels['app.kubernetes.io/instance'], p.owner).to.equal('demo');
  });

  it('wires the generator outputs to what the proxy mounts, and the certificate host to the Route', () => {
    const objs = build();
    const gen = find(objs, 'Deployment', 'metrics-proxy-config-generator').spec.template.spec.containers[0].args as string[];
    const proxyPod = find(objs, 'Deployment', 'metrics-proxy').spec.template.spec;
    const mounted = (proxyPod.volumes as K8sObject[]).map((v) => v.configMap?.name ?? v.secret?.secretName);
    const flag = (f: string) => gen.find((a) => a.startsWith(`--${f}=`))!.split('=')[1];
    expect(mounted).to.include(flag('output-configmap'));
    expect(mounted).to.include(flag('output-secret'));
    expect(flag('route-host')).to.equal(find(objs, 'Route').spec.host);
    const writable = (find(objs, 'Role', 'metrics-proxy-config-generator').rules as K8sObject[]).flatMap((r) => (r.resources.includes('secrets') && r.resourceNames) || []);
    const resolverPod = find(objs, 'Deployment', 'endpoint-resolver').spec.template.spec;
    const secretsMountedFromGenerator = [...proxyPod.volumes, ...resolverPod.volumes].map((v: K8sObject) => v.secret?.secretName).filter((s: string | undefined) => s && s !== 'service-network-admin-kubeconfig');
    for (const s of secretsMountedFromGenerator) expect(writable, `the generator may write Secret ${s}`).to.include(s);
  });

  for (const [what, objs] of variants()) {
    describe(`(${what})`, () => {
      it('every synthesized object validates offline (kubernetes-models; Routes, ServiceMonitors, PodMonitors with ajv against the CRDs)', () => {
        expectAllValid(objs);
      });

      it('every container runs non-root with a read-only root filesystem and no privilege escalation, and no pod fixes a UID', () => {
        const pods = podSpecs(objs);
        expect(pods.length).to.be.greaterThan(0);
        for (const { owner, spec } of pods) {
          expect(spec.securityContext, owner).to.deep.equal({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
          expect(spec.hostNetwork ?? false, owner).to.equal(false);
          for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
            const sc = c.securityContext;
            expect(sc, `${owner} ${c.name}`).to.include({ runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
            expect(sc.privileged ?? false).to.equal(false);
            expect(sc.capabilities).to.deep.equal({ drop: ['ALL'] });
            expect(sc).not.to.have.any.keys('runAsUser', 'runAsGroup');
            const tmp = (c.volumeMounts as K8sObject[]).find((m) => m.mountPath === '/tmp');
            expect((spec.volumes as K8sObject[]).find((v) => v.name === tmp?.name)?.emptyDir, `${owner} has an emptyDir /tmp`).to.be.an('object');
          }
        }
      });

      it('never synthesizes a Secret, ConfigMap or private key', () => {
        expect(all(objs, 'Secret')).to.deep.equal([]);
        expect(all(objs, 'ConfigMap')).to.deep.equal([]);
        expect(toYaml(objs)).not.to.match(/PRIVATE KEY|BEGIN CERTIFICATE/);
      });

      it('only the proxy pods carry no ServiceAccount token, and no RBAC binds the proxy', () => {
        const proxy = podSpecs(objs).filter((p) => p.labels['app.kubernetes.io/name'] === 'metrics-proxy');
        for (const p of proxy) expect(p.spec.automountServiceAccountToken).to.equal(false);
        for (const rb of all(objs, 'RoleBinding')) {
          for (const s of rb.subjects) expect(s.name).not.to.equal('metrics-proxy');
        }
      });

      it('every PDB selects pods of exactly one workload with at least 2 replicas', () => {
        const workloads = objs.filter((o) => o.kind === 'Deployment');
        for (const pdb of all(objs, 'PodDisruptionBudget')) {
          const hits = workloads.filter((d) => d.metadata.namespace === pdb.metadata.namespace && selects(pdb.spec.selector, d.spec.template.metadata.labels));
          expect(hits, pdb.metadata.name).to.have.length(1);
          expect(hits[0]!.spec.replicas).to.be.at.least(2);
        }
      });
    });
  }

  it('can leave out the NetworkPolicies and add a self-monitor', () => {
    expect(all(build({ networkPolicy: { enabled: false } }), 'NetworkPolicy')).to.deep.equal([]);
    expect(find(build({ selfMonitor: {} }), 'ServiceMonitor').spec.endpoints[0].tlsConfig.serverName).to.equal(BASE.routeHost);
  });

  it('gives the generator the guest sync flags only when the guest side is enabled with guest sync', () => {
    const genArgs = (o: Partial<HostedClusterMetricsProps>) => find(build(o), 'Deployment', 'metrics-proxy-config-generator').spec.template.spec.containers[0].args as string[];
    expect(genArgs({ guest: { enabled: true } })).to.include.members(['--guest-kubeconfig=/etc/guest-kubeconfig/kubeconfig', '--guest-namespace=openshift-monitoring']);
    expect(genArgs({ allowedSubjects: ['system:serviceaccounts:monitoring'], guest: { enabled: true, namespace: 'monitoring' } })).to.include('--guest-namespace=monitoring');
    const custom = find(build({ guest: { enabled: true, kubeconfig: { secret: 'guest-admin', key: 'config' } } }), 'Deployment', 'metrics-proxy-config-generator').spec.template.spec;
    expect(custom.volumes).to.deep.include({ name: 'guest-kubeconfig', secret: { secretName: 'guest-admin', items: [{ key: 'config', path: 'kubeconfig' }] } });
    for (const off of [{}, { guest: { enabled: false } }, { guest: { enabled: true, sync: false, components: ['etcd'] } }] as Partial<HostedClusterMetricsProps>[]) {
      expect(genArgs(off).filter((a) => a.startsWith('--guest-')), JSON.stringify(off)).to.deep.equal([]);
    }
  });

  it('uses the same MetricsSet names as the proxy', async function () {
    let proxyNames: readonly string[];
    try {
      const modPath = '../../proxy/metricsset/types.js';
      ({ METRICS_SET_NAMES: proxyNames } = (await import(modPath)) as { METRICS_SET_NAMES: readonly string[] });
    } catch {
      this.skip();
    }
    expect([...METRICS_SETS]).to.deep.equal([...proxyNames!]);
  });

  describe('rejects invalid props with InvalidPropsError, naming the key as spelled in the props', () => {
    const make = (p: Record<string, unknown>) => () => new HostedClusterMetrics(Testing.app(), { ...BASE, ...p } as unknown as HostedClusterMetricsProps);
    const cases: [string, Record<string, unknown>, string, string][] = [
      ['bad name', { name: 'Demo_1' }, 'name', 'RFC 1123'],
      ['bad namespace', { namespace: 'x'.repeat(64) }, 'namespace', 'RFC 1123'],
      ['missing image', { image: undefined }, 'image', 'required'],
      ['invalid hostname', { routeHost: 'metrics..example.com' }, 'routeHost', 'invalid hostname'],
      ['proxy replicas < 2 with PDB', { replicas: 1 }, 'replicas', 'PodDisruptionBudget'],
      ['resolver replicas < 2 with PDB', { resolver: { replicas: 1 } }, 'resolver.replicas', 'PodDisruptionBudget'],
      ['unknown MetricsSet', { metricsSet: 'Most' }, 'metricsSet', 'unknown MetricsSet'],
      ['unknown top-level key', { replica: 2 }, 'replica', 'unknown key'],
      ['unknown key, case typo', { routehost: 'x' }, 'routehost', "did you mean 'routeHost'"],
      ['unknown section key', { resolver: { stale: '1m' } }, 'resolver.stale', 'unknown key'],
      ['section not a mapping', { proxy: 'big' }, 'proxy', 'must be a mapping'],
      ['proxy resources', { proxy: { resources: { limits: { memory: 'lots' } } } }, 'proxy.resources.limits.memory', 'quantity'],
      ['generator mode', { generator: { mode: 'daily' } }, 'generator.mode', 'watch, job'],
      ['auth mode', { authModes: ['bearerToken', 'oidc'] }, 'authModes[1]', 'bearerToken, clientCertificate'],
      ['self-monitor interval', { selfMonitor: { interval: 'hourly' } }, 'selfMonitor.interval', 'duration'],
      ['network policy flag', { networkPolicy: { enabled: 'yes' } }, 'networkPolicy.enabled', 'true or false'],
      ['tolerations', { placement: { tolerations: [{ effect: 'Never' }] } }, 'placement.tolerations[0].effect', 'NoSchedule'],
    ];
    for (const [what, p, prop, fragment] of cases) it(what, () => expectInvalidProps(make(p), prop, fragment));
  });
});
