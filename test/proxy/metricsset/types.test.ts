import { expect } from 'chai';
import { COMPONENT_KEYS, isComponentKey, MetricsSetNameError, parseMetricsSetName } from '../../../proxy/metricsset/types.js';

describe('metricsset/types', () => {
  describe('parseMetricsSetName', () => {
    for (const name of ['All', 'Telemetry', 'SRE'] as const) {
      it(`accepts '${name}'`, () => {
        expect(parseMetricsSetName(name)).to.equal(name);
      });
    }

    it('is case-sensitive and suggests the right spelling', () => {
      expect(() => parseMetricsSetName('telemetry')).to.throw(MetricsSetNameError, /did you mean 'Telemetry'/);
      expect(() => parseMetricsSetName('sre')).to.throw(MetricsSetNameError, /did you mean 'SRE'/);
    });

    it('rejects unknown and empty values, listing the valid ones', () => {
      expect(() => parseMetricsSetName('Everything')).to.throw(MetricsSetNameError, /invalid metrics set 'Everything'.*valid values: All, Telemetry, SRE/);
      expect(() => parseMetricsSetName('')).to.throw(MetricsSetNameError, /valid values: All, Telemetry, SRE/);
      expect(() => parseMetricsSetName(' All')).to.throw(MetricsSetNameError);
    });
  });

  it('knows exactly the 15 component keys of DESIGN §5', () => {
    expect([...COMPONENT_KEYS].sort()).to.deep.equal(
      [
        'kubeAPIServer',
        'etcd',
        'kubeControllerManager',
        'openshiftAPIServer',
        'openshiftControllerManager',
        'openshiftRouteControllerManager',
        'cvo',
        'olm',
        'catalogOperator',
        'registryOperator',
        'kubeScheduler',
        'kubeSchedulerResourceMetrics',
        'nodeTuningOperator',
        'controlPlaneOperator',
        'hostedClusterConfigOperator',
      ].sort(),
    );
    expect(isComponentKey('etcd')).to.equal(true);
    expect(isComponentKey('Etcd')).to.equal(false);
    expect(isComponentKey('cco')).to.equal(false);
  });
});
