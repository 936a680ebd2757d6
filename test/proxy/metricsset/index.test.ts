import { expect } from 'chai';
import { ALL_RULES, metricsSetRules, TELEMETRY_RULES, type SREConfig } from '../../../proxy/metricsset/index.js';

describe('metricsset/metricsSetRules', () => {
  it('returns [] for components outside the MetricsSet, under every set', () => {
    const sre: SREConfig = { etcd: [{ action: 'drop', regex: '.*', sourceLabels: ['__name__'] }] };
    for (const set of ['All', 'Telemetry', 'SRE'] as const) {
      expect(metricsSetRules(set, 'cluster-autoscaler', 0, sre), set).to.deep.equal([]);
      expect(metricsSetRules(set, 'ignition-server', 0, sre), set).to.deep.equal([]);
    }
  });

  it('selects the table by set', () => {
    expect(metricsSetRules('Telemetry', 'kube-apiserver', 0)).to.deep.equal(TELEMETRY_RULES.kubeAPIServer);
    expect(metricsSetRules('All', 'kube-apiserver', 0)).to.deep.equal(ALL_RULES.kubeAPIServer);
    expect(metricsSetRules('Telemetry', 'kube-apiserver', 0)).to.not.deep.equal(metricsSetRules('All', 'kube-apiserver', 0));
  });

  it('SRE without a config filters nothing; with one, only listed components', () => {
    expect(metricsSetRules('SRE', 'kube-apiserver', 0)).to.deep.equal([]);
    const sre: SREConfig = { controlPlaneOperator: [{ action: 'keep', regex: 'hypershift_.*', sourceLabels: ['__name__'] }] };
    expect(metricsSetRules('SRE', 'controlplane-operator', 0, sre)).to.deep.equal(sre.controlPlaneOperator);
    expect(metricsSetRules('SRE', 'etcd', 0, sre)).to.deep.equal([]);
  });

  it('hands out copies: mutating the result never changes the tables or the SRE config', () => {
    const r = metricsSetRules('Telemetry', 'etcd', 0);
    r[0]!.regex = '.*';
    r[0]!.sourceLabels!.push('job');
    r.push({ action: 'drop' });
    expect(metricsSetRules('Telemetry', 'etcd', 0)).to.have.length(1);
    expect(metricsSetRules('Telemetry', 'etcd', 0)[0]!.regex).to.match(/^\(etcd_disk_wal/);
    expect(metricsSetRules('Telemetry', 'etcd', 0)[0]!.sourceLabels).to.deep.equal(['__name__']);

    const sre: SREConfig = { etcd: [{ action: 'keep', regex: 'a', sourceLabels: ['__name__'] }] };
    metricsSetRules('SRE', 'etcd', 0, sre)[0]!.regex = 'b';
    expect(sre.etcd![0]!.regex).to.equal('a');
  });

  it('the static tables are frozen', () => {
    expect(Object.isFrozen(TELEMETRY_RULES)).to.equal(true);
    expect(Object.isFrozen(TELEMETRY_RULES.etcd)).to.equal(true);
    expect(Object.isFrozen(ALL_RULES.kubeAPIServer![0])).to.equal(true);
  });
});
