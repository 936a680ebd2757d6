import { expect } from 'chai';
import { Testing } from 'cdk8s';
import { HostedClusterGuest } from '../../infra/lib/hosted-cluster-guest.js';
import { HostedClusterMetrics, type HostedClusterMetricsProps } from '../../infra/lib/hosted-cluster-metrics.js';
import { all, expectAllValid, expectInvalidProps, find, matchSnapshot, podSpecs, selects, synth, toYaml, type K8sObject } from './helpers.js';

const BASE: HostedClusterMetricsProps = {
  name: 'demo',
  namespace: 'clusters-demo',
  routeHost: 'metrics-proxy-demo.apps.mgmt.example.com',
  image: 'quay.io/example/hcp-metrics-proxy:0.1.0',
  guest: { enabled: true },
};
const CERT_AUTH: Partial<HostedClusterMetricsProps> = { authModes: ['bearerToken', 'clientCertificate'], clientCA: { configMap: 'metrics-client-ca' } };

function build(overrides: Partial<HostedClusterMetricsProps> = {}): K8sObject[] {
  return synth(new HostedClusterGuest(Testing.app(), { ...BASE, ...overrides }));
}

const kinds = (objs: K8sObject[]) => objs.map((o) => `${o.kind}/${o.metadata.name}`);

/** A spread of guest configurations, for properties that must hold for all of them. */
function variants(): [string, K8sObject[]][] {
  return [
    ['defaults (bearer token, guest sync)', build()],
    ['client certificate, guest sync', build(CERT_AUTH)],
    ['static PodMonitor, bearer token, 2 replicas', build({ guest: { enabled: true, sync: false, components: ['kube-apiserver', 'etcd'], replicas: 2 } })],
    ['static PodMonitor, client certificate, other namespace', build({
      ...CERT_AUTH,
      guest: { enabled: true, sync: false, components: ['etcd'], namespace: 'monitoring', prometheusNamespace: 'prometheus', scrapeClass: 'client-cert', replicas: 3 },
    })],
    ['no NetworkPolicy', build({ guest: { enabled: true, networkPolicy: false } })],
  ];
}

describe('infra HostedClusterGuest (the guest cluster chart)', () => {
  it('matches the snapshots', () => {
    matchSnapshot('hosted-cluster-guest-defaults', build());
    matchSnapshot('hosted-cluster-guest-static', build({ ...CERT_AUTH, guest: { enabled: true, sync: false, components: ['kube-apiserver', 'etcd'], replicas: 2 } }));
  });

  it('with guest sync (default): forwarder, NetworkPolicy and token Secret in openshift-monitoring, but no PodMonitor or CA ConfigMap', () => {
    const objs = build();
    expect(kinds(objs)).to.deep.equal([
      'ServiceAccount/metrics-forwarder', 'Deployment/metrics-forwarder', 'NetworkPolicy/metrics-forwarder', 'Secret/hcp-metrics-proxy-prometheus-token',
    ]);
    for (const o of objs) {
      expect(o.metadata.namespace, `${o.kind}/${o.metadata.name}`).to.equal('openshift-monitoring');
      expect(o.metadata.labels).to.include({ 'app.kubernetes.io/instance': 'demo', 'app.kubernetes.io/part-of': 'hcp-metrics-proxy' });
    }
    expect(all(objs, 'PodMonitor')).to.deep.equal([]);
    expect(all(objs, 'ConfigMap')).to.deep.equal([]);
  });

  it('without guest sync: a PodMonitor over the listed components, through the forwarder pods', () => {
    const objs = build({ guest: { enabled: true, sync: false, components: ['kube-apiserver', 'etcd', 'openshift-apiserver'] } });
    const pm = find(objs, 'PodMonitor', 'hcp-metrics-proxy');
    expect(pm.spec.podMetricsEndpoints.map((e: K8sObject) => e.path)).to.deep.equal(['/metrics/kube-apiserver', '/metrics/etcd', '/metrics/openshift-apiserver']);
    expect(selects(pm.spec.selector, find(objs, 'Deployment').spec.template.metadata.labels)).to.equal(true);
    for (const e of pm.spec.podMetricsEndpoints as K8sObject[]) {
      expect(e).to.include({ port: 'https', scheme: 'https', honorLabels: true });
      expect(e.tlsConfig.serverName).to.equal(BASE.routeHost);
      expect(e.tlsConfig.ca).to.deep.equal({ configMap: { name: 'metrics-proxy-serving-ca', key: 'ca.crt' } });
    }
    // The CA is runtime state: never synthesized.
    expect(all(objs, 'ConfigMap')).to.deep.equal([]);
  });

  describe('credentials follow the auth modes', () => {
    const staticGuest = { enabled: true, sync: false, components: ['etcd'] };

    it('bearerToken only: a token Secret of prometheus-k8s, and authorization on every endpoint', () => {
      const objs = build({ guest: staticGuest });
      const secret = find(objs, 'Secret');
      expect(secret.type).to.equal('kubernetes.io/service-account-token');
      expect(secret.metadata.annotations['kubernetes.io/service-account.name']).to.equal('prometheus-k8s');
      const pm = find(objs, 'PodMonitor');
      expect(pm.spec).not.to.have.property('scrapeClass');
      expect(pm.spec.podMetricsEndpoints[0].authorization).to.deep.equal({ type: 'Bearer', credentials: { name: secret.metadata.name, key: 'token' } });
    });

    it('both modes: the client certificate is preferred (OpenShift platform Prometheus), no token Secret', () => {
      const objs = build({ ...CERT_AUTH, guest: staticGuest });
      expect(all(objs, 'Secret')).to.deep.equal([]);
      const pm = find(objs, 'PodMonitor');
      expect(pm.spec.scrapeClass).to.equal('tls-client-certificate-auth');
      expect(pm.spec.podMetricsEndpoints[0]).not.to.have.property('authorization');
    });

    it('both modes with guest.authMode: bearerToken: the token, for a configurable service account', () => {
      const objs = build({ ...CERT_AUTH, allowedSubjects: ['system:serviceaccounts:openshift-monitoring'], guest: { ...staticGuest, authMode: 'bearerToken', prometheusServiceAccount: 'prometheus-user' } });
      expect(find(objs, 'Secret').metadata.annotations['kubernetes.io/service-account.name']).to.equal('prometheus-user');
      expect(find(objs, 'PodMonitor').spec.podMetricsEndpoints[0].authorization.credentials.name).to.equal('hcp-metrics-proxy-prometheus-token');
    });

    it('clientCertificate only, with a custom scrape class (plain prometheus-operator)', () => {
      const objs = build({ authModes: ['clientCertificate'], clientCA: { secret: 'ca' }, guest: { ...staticGuest, scrapeClass: 'hcp-client-cert' } });
      expect(find(objs, 'PodMonitor').spec.scrapeClass).to.equal('hcp-client-cert');
    });
  });

  it('a configurable namespace and Prometheus selector for a plain prometheus-operator install', () => {
    const objs = build({
      allowedSubjects: ['system:serviceaccount:monitoring:prometheus-main'],
      guest: { enabled: true, namespace: 'monitoring', prometheusServiceAccount: 'prometheus-main', prometheusSelector: { 'app.kubernetes.io/name': 'prometheus', prometheus: 'main' } },
    });
    for (const o of objs) expect(o.metadata.namespace).to.equal('monitoring');
    expect(find(objs, 'NetworkPolicy').spec.ingress[0].from[0].podSelector.matchLabels).to.deep.equal({ 'app.kubernetes.io/name': 'prometheus', prometheus: 'main' });
  });

  it('does not inherit the management-side placement (tolerations of HyperShift control-plane nodes)', () => {
    const pod = find(build({ placement: { tolerations: [{ key: 'hypershift.openshift.io/control-plane', operator: 'Exists', effect: 'NoSchedule' }] } }), 'Deployment').spec.template.spec;
    expect(pod).not.to.have.property('tolerations');
  });

  for (const [what, objs] of variants()) {
    describe(`(${what})`, () => {
      it('every object validates offline (kubernetes-models; the PodMonitor with ajv against the CRD)', () => {
        expectAllValid(objs);
      });

      it('the forwarder runs non-root, read-only, without a ServiceAccount token, with probes and resources', () => {
        const pods = podSpecs(objs);
        expect(pods).to.have.length(1);
        const { spec } = pods[0]!;
        expect(spec.automountServiceAccountToken).to.equal(false);
        expect(spec.securityContext).to.deep.equal({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
        for (const c of spec.containers as K8sObject[]) {
          expect(c.securityContext).to.include({ runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
          expect(c.securityContext.capabilities).to.deep.equal({ drop: ['ALL'] });
          expect(c.livenessProbe.httpGet.path).to.equal('/healthz');
          expect(c.readinessProbe.httpGet.path).to.equal('/readyz');
          expect(c.resources.requests).to.be.an('object');
          expect(c.resources.limits.memory).to.be.a('string');
        }
        expect(find(objs, 'ServiceAccount', 'metrics-forwarder').automountServiceAccountToken).to.equal(false);
      });

      it('a PDB exactly when the forwarder has 2+ replicas, selecting it', () => {
        const d = find(objs, 'Deployment');
        const pdbs = all(objs, 'PodDisruptionBudget');
        expect(pdbs.length, `replicas ${d.spec.replicas}`).to.equal(d.spec.replicas >= 2 ? 1 : 0);
        for (const pdb of pdbs) expect(selects(pdb.spec.selector, d.spec.template.metadata.labels)).to.equal(true);
      });

      it('no secret material: no ConfigMap, no Secret data, no key or certificate', () => {
        expect(all(objs, 'ConfigMap')).to.deep.equal([]);
        for (const s of all(objs, 'Secret')) expect(s).not.to.have.any.keys('data', 'stringData');
        expect(toYaml(objs)).not.to.match(/PRIVATE KEY|BEGIN CERTIFICATE/);
      });
    });
  }

  describe('rejects invalid guest settings with InvalidPropsError, naming the key as spelled in the props', () => {
    const make = (p: Record<string, unknown>) => () => new HostedClusterGuest(Testing.app(), { ...BASE, ...p } as unknown as HostedClusterMetricsProps);
    const cases: [string, Record<string, unknown>, string, string][] = [
      ['disabled', { guest: { enabled: false } }, 'guest.enabled', 'disabled'],
      ['guest not a mapping', { guest: 'yes' }, 'guest', 'must be a mapping'],
      ['unknown key', { guest: { enabled: true, replica: 2 } }, 'guest.replica', 'unknown key'],
      ['unknown key, case typo', { guest: { enabled: true, Namespace: 'x' } }, 'guest.Namespace', "did you mean 'namespace'"],
      ['enabled not a boolean', { guest: { enabled: 'yes' } }, 'guest.enabled', 'true or false'],
      ['bad namespace', { guest: { enabled: true, namespace: 'Open_Shift' } }, 'guest.namespace', 'RFC 1123'],
      ['zero replicas', { guest: { enabled: true, replicas: 0 } }, 'guest.replicas', 'between 1 and 50'],
      ['bad resources', { guest: { enabled: true, resources: { requests: { cpu: 'fast' } } } }, 'guest.resources.requests.cpu', 'quantity'],
      ['bad placement', { guest: { enabled: true, placement: { affinity: {} } } }, 'guest.placement.affinity', 'unknown key'],
      ['empty Prometheus selector', { guest: { enabled: true, prometheusSelector: {} } }, 'guest.prometheusSelector', 'every pod'],
      ['bad Prometheus selector', { guest: { enabled: true, prometheusSelector: { 'app.kubernetes.io/name': 'pro metheus' } } }, 'guest.prometheusSelector.app.kubernetes.io/name', 'label value'],
      ['auth mode not accepted by the proxy', { guest: { enabled: true, authMode: 'clientCertificate' } }, 'guest.authMode', "not among the cluster's authModes"],
      ['unknown auth mode', { guest: { enabled: true, authMode: 'oidc' } }, 'guest.authMode', 'bearerToken, clientCertificate'],
      ['scrape class with guest sync', { ...CERT_AUTH, guest: { enabled: true, scrapeClass: 'x' } }, 'guest.scrapeClass', 'only used with guest.sync: false'],
      ['scrape class with bearer token', { guest: { enabled: true, sync: false, components: ['etcd'], scrapeClass: 'x' } }, 'guest.scrapeClass', 'only used with the clientCertificate'],
      ['service account with client certificate', { ...CERT_AUTH, guest: { enabled: true, prometheusServiceAccount: 'p' } }, 'guest.prometheusServiceAccount', 'only used with the bearerToken'],
      ['Prometheus not allowed by the proxy', { guest: { enabled: true, prometheusServiceAccount: 'prometheus-user' } }, 'guest.prometheusServiceAccount', 'does not allow'],
      ['namespace whose Prometheus the proxy does not allow', { guest: { enabled: true, namespace: 'monitoring' } }, 'allowedSubjects', 'system:serviceaccount:monitoring:prometheus-k8s'],
      ['components with guest sync', { guest: { enabled: true, components: ['etcd'] } }, 'guest.components', 'only used with guest.sync: false'],
      ['no components without guest sync', { guest: { enabled: true, sync: false } }, 'guest.components', 'required'],
      ['bad component', { guest: { enabled: true, sync: false, components: ['etcd', 'kube apiserver'] } }, 'guest.components[1]', 'not a component name'],
      ['kubeconfig without guest sync', { guest: { enabled: true, sync: false, components: ['etcd'], kubeconfig: { secret: 'k' } } }, 'guest.kubeconfig', 'only used with guest sync'],
      ['kubeconfig unknown key', { guest: { enabled: true, kubeconfig: { name: 'k' } } }, 'guest.kubeconfig.name', 'use secret and key'],
      ['kubeconfig bad key', { guest: { enabled: true, kubeconfig: { key: 'a/b' } } }, 'guest.kubeconfig.key', 'not a valid Secret key'],
      ['sync not a boolean', { guest: { enabled: true, sync: 'off' } }, 'guest.sync', 'true or false'],
    ];
    for (const [what, p, prop, fragment] of cases) it(what, () => expectInvalidProps(make(p), prop, fragment));

    it('the management chart reports the same guest errors (the clusters file is validated through it)', () => {
      expectInvalidProps(() => new HostedClusterMetrics(Testing.app(), { ...BASE, guest: { enabled: true, sync: false } }), 'guest.components', 'required');
      expectInvalidProps(() => new HostedClusterMetrics(Testing.app(), { ...BASE, guest: { enabled: true, bogus: 1 } as never }), 'guest.bogus', 'unknown key');
    });

    it('a disabled guest section is only checked for unknown keys', () => {
      expect(() => new HostedClusterMetrics(Testing.app(), { ...BASE, guest: { enabled: false, sync: false } })).not.to.throw();
      expectInvalidProps(() => new HostedClusterMetrics(Testing.app(), { ...BASE, guest: { enabld: true } as never }), 'guest.enabld', 'unknown key');
    });
  });
});
