import { expect } from 'chai';
import { InvalidPropsError } from '../../infra/lib/errors.js';
import { MetricsProxy, type MetricsProxyProps } from '../../infra/lib/metrics-proxy.js';
import { all, expectAllValid, expectInvalidProps, find, matchSnapshot, NS, podSpecs, selects, synth, testChart, type K8sObject, validateObject } from './helpers.js';

const IMAGE = 'quay.io/example/hcp-metrics-proxy:0.1.0';
const HOST = 'metrics-proxy.apps.mgmt.example.com';

function build(overrides: Partial<MetricsProxyProps> = {}): K8sObject[] {
  const chart = testChart();
  new MetricsProxy(chart, 'proxy', { image: IMAGE, routeHost: HOST, ...overrides });
  return synth(chart);
}

function container(objects: K8sObject[]): K8sObject {
  return find(objects, 'Deployment', 'metrics-proxy').spec.template.spec.containers[0];
}

describe('infra MetricsProxy', () => {
  it('matches the snapshot (defaults)', () => {
    matchSnapshot('metrics-proxy-defaults', build());
  });

  it('matches the snapshot (both auth modes, SAR, SRE, required anti-affinity)', () => {
    matchSnapshot(
      'metrics-proxy-full',
      build({
        replicas: 3,
        metricsSet: 'SRE',
        authModes: ['bearerToken', 'clientCertificate'],
        clientCA: { secret: 'metrics-client-ca', key: 'bundle.pem' },
        authorizeWithSar: true,
        tokenAudiences: ['https://kubernetes.default.svc', 'hcp'],
        allowedSubjects: ['system:serviceaccount:openshift-monitoring:prometheus-k8s', 'system:serviceaccount:openshift-user-workload-monitoring:prometheus-user-workload'],
        antiAffinity: 'required',
        routeLabels: { shard: 'hcp' },
        routeAnnotations: { 'haproxy.router.openshift.io/timeout-tunnel': '5m' },
        placement: { nodeSelector: { 'hypershift.openshift.io/control-plane': 'true' }, priorityClassName: 'hypershift-control-plane' },
      }),
    );
  });

  it('creates exactly a ServiceAccount, Deployment, Service, Route and PDB', () => {
    expect(build().map((o) => o.kind)).to.deep.equal(['ServiceAccount', 'Deployment', 'Service', 'Route', 'PodDisruptionBudget']);
  });

  it('exposes a passthrough Route for the host, refusing plain HTTP', () => {
    const route = find(build(), 'Route', 'metrics-proxy');
    expect(route.apiVersion).to.equal('route.openshift.io/v1');
    expect(route.spec.host).to.equal(HOST);
    expect(route.spec.tls).to.deep.equal({ termination: 'passthrough', insecureEdgeTerminationPolicy: 'None' });
    expect(route.spec.to).to.deep.equal({ kind: 'Service', name: 'metrics-proxy', weight: 100 });
    expect(route.spec.port).to.deep.equal({ targetPort: 'https' });
    expect(route.spec.wildcardPolicy).to.equal('None');
  });

  it('maps Service port 443 to container port 9443 of the proxy pods', () => {
    const objs = build();
    const svc = find(objs, 'Service', 'metrics-proxy');
    expect(svc.spec.ports).to.deep.equal([{ name: 'https', port: 443, targetPort: 9443, protocol: 'TCP', appProtocol: 'https' }]);
    const pod = podSpecs(objs)[0]!;
    expect(selects({ matchLabels: svc.spec.selector }, pod.labels)).to.equal(true);
    expect(container(objs).ports).to.deep.equal([{ name: 'https', containerPort: 9443, protocol: 'TCP' }]);
    // The Route's targetPort names the Service port.
    expect(svc.spec.ports[0].name).to.equal(find(objs, 'Route').spec.port.targetPort);
  });

  it('gives the proxy pod no ServiceAccount token and no RBAC', () => {
    const objs = build({ authModes: ['bearerToken', 'clientCertificate'], clientCA: { configMap: 'ca' }, authorizeWithSar: true });
    const pod = find(objs, 'Deployment').spec.template.spec;
    expect(pod.automountServiceAccountToken).to.equal(false);
    expect(pod.serviceAccountName).to.equal('metrics-proxy');
    expect(find(objs, 'ServiceAccount', 'metrics-proxy').automountServiceAccountToken).to.equal(false);
    for (const v of pod.volumes as K8sObject[]) {
      expect(v.projected, `volume ${v.name} projects nothing (no service account token)`).to.equal(undefined);
    }
    for (const kind of ['Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding']) expect(all(objs, kind), kind).to.deep.equal([]);
  });

  it('probes /healthz (liveness) and /readyz (readiness) over HTTPS on 9443', () => {
    const c = container(build());
    expect(c.livenessProbe.httpGet).to.deep.equal({ path: '/healthz', port: 9443, scheme: 'HTTPS' });
    expect(c.readinessProbe.httpGet).to.deep.equal({ path: '/readyz?exclude=kube-apiserver', port: 9443, scheme: 'HTTPS' });
    expect(c.ports.map((p: K8sObject) => p.containerPort)).to.include(c.livenessProbe.httpGet.port);
  });

  it('has a PDB that selects exactly the proxy pods', () => {
    const objs = build();
    const pdb = find(objs, 'PodDisruptionBudget', 'metrics-proxy');
    const deploy = find(objs, 'Deployment', 'metrics-proxy');
    expect(selects(pdb.spec.selector, deploy.spec.template.metadata.labels)).to.equal(true);
    expect(pdb.spec.selector).to.deep.equal(deploy.spec.selector);
    expect(pdb.spec.maxUnavailable).to.equal(1);
    expect(pdb.spec.unhealthyPodEvictionPolicy).to.equal('AlwaysAllow');
    expect(deploy.spec.replicas).to.equal(2);
  });

  it('omits the PDB on request, which allows one replica', () => {
    const objs = build({ replicas: 1, podDisruptionBudget: false });
    expect(all(objs, 'PodDisruptionBudget')).to.deep.equal([]);
    expect(find(objs, 'Deployment').spec.replicas).to.equal(1);
  });

  it('spreads replicas with pod anti-affinity on the proxy selector', () => {
    const objs = build();
    const deploy = find(objs, 'Deployment');
    const anti = deploy.spec.template.spec.affinity.podAntiAffinity;
    const hostTerm = anti.preferredDuringSchedulingIgnoredDuringExecution.find((t: K8sObject) => t.podAffinityTerm.topologyKey === 'kubernetes.io/hostname');
    expect(selects(hostTerm.podAffinityTerm.labelSelector, deploy.spec.template.metadata.labels)).to.equal(true);
    const req = find(build({ antiAffinity: 'required' }), 'Deployment').spec;
    expect(req.template.spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey).to.equal('kubernetes.io/hostname');
    expect(req.strategy.rollingUpdate).to.deep.equal({ maxSurge: 0, maxUnavailable: 1 });
  });

  it('runs non-root, without privilege escalation or capabilities, on a read-only root filesystem with /tmp as emptyDir, and no fixed UID', () => {
    const pod = find(build(), 'Deployment').spec.template.spec;
    const c = pod.containers[0];
    expect(c.securityContext).to.include({ runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
    expect(c.securityContext.capabilities).to.deep.equal({ drop: ['ALL'] });
    for (const sc of [pod.securityContext, c.securityContext]) {
      expect(sc).not.to.have.any.keys('runAsUser', 'runAsGroup', 'fsGroup');
    }
    const tmp = c.volumeMounts.find((m: K8sObject) => m.mountPath === '/tmp');
    expect(pod.volumes.find((v: K8sObject) => v.name === tmp.name).emptyDir).to.be.an('object');
  });

  it('mounts the runtime ConfigMap and Secrets where its flags point, and passes the auth flags', () => {
    const objs = build({ metricsSet: 'SRE', authModes: ['bearerToken', 'clientCertificate'], clientCA: { configMap: 'metrics-client-ca' }, authorizeWithSar: true, tokenAudiences: ['a', 'b'], allowedSubjects: ['u1', 'system:monitoring'] });
    const pod = find(objs, 'Deployment').spec.template.spec;
    const c = pod.containers[0];
    expect(c.command).to.deep.equal(['hcp-metrics-proxy']);
    expect(c.args[0]).to.equal('proxy');
    const flags = new Map<string, string>((c.args as string[]).slice(1).map((a) => { const i = a.indexOf('='); return i < 0 ? [a, ''] : [a.slice(0, i), a.slice(i + 1)]; }));
    const source = (file: string): K8sObject => {
      const m = (c.volumeMounts as K8sObject[]).find((vm) => file.startsWith(vm.mountPath + '/'));
      expect(m, `a volume is mounted for ${file}`).to.not.equal(undefined);
      return pod.volumes.find((v: K8sObject) => v.name === m!.name);
    };
    expect(source(flags.get('--config')!).configMap).to.deep.equal({ name: 'metrics-proxy-config', optional: true });
    expect(flags.get('--config')).to.match(/\/config\.yaml$/);
    expect(source(flags.get('--tls-cert-file')!).secret.secretName).to.equal('metrics-proxy-serving-cert');
    expect(source(flags.get('--tls-key-file')!).secret.secretName).to.equal('metrics-proxy-serving-cert');
    expect(source(flags.get('--sre-config')!).configMap).to.deep.equal({ name: 'sre-metric-set', optional: true });
    expect(flags.get('--sre-config')).to.match(/\/config$/);
    expect(source(flags.get('--kubeconfig')!).secret.secretName).to.equal('service-network-admin-kubeconfig');
    expect(source(flags.get('--client-ca-file')!).configMap.name).to.equal('metrics-client-ca');
    expect(flags.get('--listen')).to.equal('0.0.0.0:9443');
    expect(flags.get('--metrics-set')).to.equal('SRE');
    // GET /sd names the address a guest reaches: the Route's host, on 443.
    expect(flags.get('--sd-target')).to.equal(`${find(objs, 'Route').spec.host}:443`);
    expect(flags.get('--allowed-subjects')).to.equal('u1,system:monitoring');
    expect(flags.get('--token-audiences')).to.equal('a,b');
    expect(flags.has('--authorize-with-sar')).to.equal(true);
    const upstream = (c.volumeMounts as K8sObject[]).find((m) => m.mountPath === '/etc/metrics-proxy/upstream');
    expect(pod.volumes.find((v: K8sObject) => v.name === upstream!.name).secret.secretName).to.equal('metrics-proxy-upstream-tls');
    const resolverClient = (c.volumeMounts as K8sObject[]).find((m) => m.mountPath === '/etc/metrics-proxy/resolver-client');
    expect(pod.volumes.find((v: K8sObject) => v.name === resolverClient!.name).secret.secretName).to.equal('endpoint-resolver-client-cert');
    for (const m of c.volumeMounts as K8sObject[]) if (m.mountPath !== '/tmp') expect(m.readOnly, m.mountPath).to.equal(true);
    expect(c.env).to.deep.equal([{ name: 'MY_NAMESPACE', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } } }]);
  });

  it('mounts only what the enabled features need', () => {
    const c = container(build({ authModes: ['clientCertificate'], clientCA: { secret: 'ca-secret' } }));
    const args = (c.args as string[]).join(' ');
    expect(args).not.to.include('--kubeconfig');
    expect(args).not.to.include('--sre-config');
    expect(args).not.to.include('--authorize-with-sar');
    expect(args).not.to.include('--token-audiences');
    expect(args).to.include('--client-ca-file=/etc/metrics-proxy/client-ca/ca.crt');
    expect(args).to.include('--allowed-subjects=system:serviceaccount:openshift-monitoring:prometheus-k8s');
    expect(args).to.include('--metrics-set=Telemetry');
    const dflt = (container(build()).args as string[]).join(' ');
    expect(dflt).to.include('--kubeconfig=/etc/metrics-proxy/kubeconfig/kubeconfig');
    expect(dflt).not.to.include('--client-ca-file');
  });

  it('validates offline against the Kubernetes and Route schemas', () => {
    expectAllValid(build());
    expectAllValid(build({ metricsSet: 'All', authModes: ['bearerToken', 'clientCertificate'], clientCA: { configMap: 'x' }, replicas: 5, antiAffinity: 'required' }));
  });

  it('the Route validator rejects what the Route CRD rejects', () => {
    const route = find(build(), 'Route');
    const withTls = (tls: K8sObject) => ({ ...route, spec: { ...route.spec, tls: { ...route.spec.tls, ...tls } } });
    expect(validateObject(route)).to.deep.equal([]);
    expect(validateObject(withTls({ termination: 'tunnel' })).join()).to.include('allowed values');
    expect(validateObject(withTls({ insecureEdgeTerminationPolicy: 'Allow' })).join()).to.include('passthrough');
    expect(validateObject(withTls({ extra: true })).join()).to.include('additional properties');
    expect(validateObject({ ...route, spec: { ...route.spec, to: { kind: 'Service', name: 'x', weight: 300 } } })).to.have.length.greaterThan(0);
    expect(validateObject({ ...route, spec: { ...route.spec, httpHeaders: { actions: {} } } }).join()).to.include('header actions');
  });

  it('uses the chart namespace or an explicit one', () => {
    for (const o of build()) expect(o.metadata.namespace, o.kind).to.equal(NS);
    const chart = testChart(null);
    new MetricsProxy(chart, 'p', { image: IMAGE, routeHost: HOST, namespace: 'clusters-x' });
    for (const o of synth(chart)) expect(o.metadata.namespace).to.equal('clusters-x');
  });

  describe('rejects invalid props with InvalidPropsError', () => {
    const make = (p: Partial<MetricsProxyProps>, ns: string | null = NS) => () => new MetricsProxy(testChart(ns), 'p', { image: IMAGE, routeHost: HOST, ...p } as MetricsProxyProps);
    const cases: [string, Partial<MetricsProxyProps>, string, string | RegExp][] = [
      ['uppercase host', { routeHost: 'Metrics.Example.com' }, 'routeHost', 'invalid hostname'],
      ['underscore host', { routeHost: 'metrics_proxy.example.com' }, 'routeHost', 'invalid hostname'],
      ['wildcard host', { routeHost: '*.apps.example.com' }, 'routeHost', 'wildcard'],
      ['single-label host', { routeHost: 'localhost' }, 'routeHost', 'at least two labels'],
      ['host with scheme/port', { routeHost: 'https://metrics.example.com:443' }, 'routeHost', 'without scheme'],
      ['IP address host', { routeHost: '10.0.0.1' }, 'routeHost', 'IP address'],
      ['empty host', { routeHost: '' }, 'routeHost', 'non-empty'],
      ['trailing dot', { routeHost: 'metrics.example.com.' }, 'routeHost', 'trailing dot'],
      ['label too long', { routeHost: `${'a'.repeat(64)}.example.com` }, 'routeHost', 'longer than 63'],
      ['one replica with PDB', { replicas: 1 }, 'replicas', 'PodDisruptionBudget needs replicas >= 2'],
      ['zero replicas', { replicas: 0, podDisruptionBudget: false }, 'replicas', 'between 1 and 50'],
      ['fractional replicas', { replicas: 2.5 }, 'replicas', 'integer'],
      ['unknown MetricsSet', { metricsSet: 'Everything' as never }, 'metricsSet', 'unknown MetricsSet'],
      ['MetricsSet case', { metricsSet: 'telemetry' as never }, 'metricsSet', "did you mean 'Telemetry'"],
      ['no auth modes', { authModes: [] }, 'authModes', 'at least 1'],
      ['unknown auth mode', { authModes: ['basic' as never] }, 'authModes[0]', 'bearerToken, clientCertificate'],
      ['client certs without CA', { authModes: ['clientCertificate'] }, 'clientCA', 'required'],
      ['CA without client certs', { clientCA: { configMap: 'x' } }, 'clientCA', 'only used'],
      ['CA from both kinds', { authModes: ['clientCertificate'], clientCA: { configMap: 'x', secret: 'y' } }, 'clientCA', 'exactly one'],
      ['audiences without tokens', { authModes: ['clientCertificate'], clientCA: { configMap: 'x' }, tokenAudiences: ['a'] }, 'tokenAudiences', 'bearer'],
      ['kubeconfig unused', { authModes: ['clientCertificate'], clientCA: { configMap: 'x' }, hostedKubeconfig: { secret: 'k' } }, 'hostedKubeconfig', 'only used'],
      ['subject with comma', { allowedSubjects: ['a,b'] }, 'allowedSubjects[0]', 'comma'],
      ['duplicate subject', { allowedSubjects: ['a', 'a'] }, 'allowedSubjects[1]', 'twice'],
      ['no subjects', { allowedSubjects: [] }, 'allowedSubjects', 'at least 1'],
      ['untagged image', { image: 'quay.io/example/hcp-metrics-proxy' }, 'image', 'neither a tag nor a digest'],
      ['malformed image', { image: 'Quay.io/Example/HCP:1' }, 'image', 'not a valid image reference'],
      ['bad pull policy', { imagePullPolicy: 'Sometimes' as never }, 'imagePullPolicy', 'IfNotPresent'],
      ['bad quantity', { resources: { requests: { memory: '1 GB' } } }, 'resources.requests.memory', 'quantity'],
      ['request above limit', { resources: { requests: { memory: '2Gi' }, limits: { memory: '1Gi' } } }, 'resources.requests.memory', 'exceeds the limit'],
      ['unknown resource', { resources: { requests: { gpu: '1' } as never } }, 'resources.requests.gpu', 'unknown resource'],
      ['bad anti-affinity', { antiAffinity: 'strict' as never }, 'antiAffinity', 'preferred, required'],
      ['reserved label', { labels: { 'app.kubernetes.io/name': 'x' } }, 'labels.app.kubernetes.io/name', 'reserved'],
      ['bad label value', { labels: { team: 'a b' } }, 'labels.team', 'label value'],
      ['bad toleration', { placement: { tolerations: [{ key: 'k', operator: 'Maybe' }] } }, 'placement.tolerations[0].operator', 'Exists, Equal'],
      ['bad secret name', { servingCertSecret: 'Serving_Cert' }, 'servingCertSecret', 'not a valid object name'],
      ['bad namespace', { namespace: 'Clusters' }, 'namespace', 'RFC 1123 label'],
      ['empty command', { command: [] }, 'command', 'non-empty list'],
    ];
    for (const [what, props, prop, fragment] of cases) {
      it(what, () => expectInvalidProps(make(props), prop, fragment));
    }
    it('no namespace anywhere', () => expectInvalidProps(make({}, null), 'namespace', 'no namespace'));
    it('is a named error class', () => {
      try {
        make({ replicas: 1 })();
        expect.fail('should throw');
      } catch (err) {
        expect(err).to.be.instanceOf(InvalidPropsError);
        expect((err as InvalidPropsError).construct).to.equal('MetricsProxy');
        expect((err as Error).message).to.match(/^MetricsProxy: invalid prop 'replicas': /);
      }
    });
  });
});
