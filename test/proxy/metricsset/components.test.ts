import { expect } from 'chai';
import { componentKeyFor, KNOWN_MONITOR_NAMES } from '../../../proxy/metricsset/components.js';

describe('metricsset/componentKeyFor', () => {
  const expected: Record<string, string> = {
    'kube-apiserver': 'kubeAPIServer',
    etcd: 'etcd',
    'kube-controller-manager': 'kubeControllerManager',
    'openshift-apiserver': 'openshiftAPIServer',
    'openshift-controller-manager': 'openshiftControllerManager',
    'openshift-route-controller-manager': 'openshiftRouteControllerManager',
    'cluster-version-operator': 'cvo',
    'olm-operator': 'olm',
    'catalog-operator': 'catalogOperator',
    'cluster-image-registry-operator': 'registryOperator',
    'kube-scheduler': 'kubeScheduler',
    'node-tuning-operator': 'nodeTuningOperator',
    'controlplane-operator': 'controlPlaneOperator',
    'control-plane-operator': 'controlPlaneOperator',
    'hosted-cluster-config-operator': 'hostedClusterConfigOperator',
    'hosted-cluster-config': 'hostedClusterConfigOperator',
  };

  for (const [monitor, key] of Object.entries(expected)) {
    it(`maps ${monitor} → ${key}`, () => {
      expect(componentKeyFor(monitor)).to.equal(key);
      expect(componentKeyFor(monitor, 0)).to.equal(key);
    });
  }

  it('lists exactly the monitor names above', () => {
    expect([...KNOWN_MONITOR_NAMES].sort()).to.deep.equal(Object.keys(expected).sort());
  });

  it('maps kube-scheduler endpoint 1 (/metrics/resources) to kubeSchedulerResourceMetrics', () => {
    expect(componentKeyFor('kube-scheduler', 1)).to.equal('kubeSchedulerResourceMetrics');
  });

  it('gives extra endpoints of other monitors their component key (no keep-list bypass)', () => {
    expect(componentKeyFor('kube-apiserver', 1)).to.equal('kubeAPIServer');
    expect(componentKeyFor('etcd', 3)).to.equal('etcd');
    expect(componentKeyFor('kube-scheduler', 2)).to.equal('kubeScheduler');
  });

  it('returns undefined for monitors outside the MetricsSet and for bad indexes', () => {
    for (const name of ['cluster-autoscaler', 'ignition-server', 'karpenter', 'ingress-operator', 'KUBE-APISERVER', 'kube-apiserver ', '']) {
      expect(componentKeyFor(name), name).to.equal(undefined);
    }
    expect(componentKeyFor('etcd', -1)).to.equal(undefined);
    expect(componentKeyFor('etcd', 0.5)).to.equal(undefined);
    expect(componentKeyFor('etcd', Number.NaN)).to.equal(undefined);
  });
});
