import { expect } from 'chai';
import { ConfigError } from '../../../common/errors.js';
import { metricsSetRules, parseSREConfig } from '../../../proxy/metricsset/index.js';
import { survives } from './helpers.js';

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(ConfigError);
    return err as ConfigError;
  }
  expect.fail('expected a ConfigError');
}

// Shaped like HyperShift's support/metrics/testdata/sreconfig.yaml (shortened).
const SAMPLE = `
kubeAPIServer:
  - action:       "drop"
    regex:        "etcd_(debugging|disk|server).*"
    sourceLabels: ["__name__"]
  - action:       "drop"
    regex:        "apiserver_request_duration_seconds_bucket;(0.15|0.25|3)(\\\\.0)?"
    sourceLabels: ["__name__", "le"]
etcd:
  - action: keep
    regex: etcd_server_has_leader|etcd_mvcc_db_total_size_in_bytes
    sourceLabels: [__name__]
kubeSchedulerResourceMetrics:
  - action: keep
    regex: kube_pod_resource_(request|limit)
    sourceLabels: [__name__]
cvo:
`;

describe('metricsset/SRE', () => {
  it('parses a HyperShift-style config', () => {
    const sre = parseSREConfig(SAMPLE, 'sre-metric-set');
    expect(Object.keys(sre).sort()).to.deep.equal(['etcd', 'kubeAPIServer', 'kubeSchedulerResourceMetrics']);
    expect(sre.kubeAPIServer).to.have.length(2);
    expect(sre.kubeAPIServer![1]).to.deep.equal({
      sourceLabels: ['__name__', 'le'],
      regex: 'apiserver_request_duration_seconds_bucket;(0.15|0.25|3)(\\.0)?',
      action: 'drop',
    });
  });

  it('applies the parsed rules per component', () => {
    const sre = parseSREConfig(SAMPLE);
    const kas = metricsSetRules('SRE', 'kube-apiserver', 0, sre);
    expect(survives(kas, 'etcd_disk_x')).to.equal(false);
    expect(survives(kas, 'apiserver_request_duration_seconds_bucket', { le: '3.0' })).to.equal(false);
    expect(survives(kas, 'apiserver_request_duration_seconds_bucket', { le: '1' })).to.equal(true);

    const etcd = metricsSetRules('SRE', 'etcd', 0, sre);
    expect(survives(etcd, 'etcd_server_has_leader')).to.equal(true);
    expect(survives(etcd, 'etcd_disk_wal_fsync_duration_seconds_bucket')).to.equal(false);

    const res = metricsSetRules('SRE', 'kube-scheduler', 1, sre);
    expect(survives(res, 'kube_pod_resource_request')).to.equal(true);
    expect(survives(res, 'scheduler_pending_pods')).to.equal(false);
    // Endpoint 0 of kube-scheduler has no SRE rules here: unfiltered.
    expect(metricsSetRules('SRE', 'kube-scheduler', 0, sre)).to.deep.equal([]);
    // `cvo:` with no list means no rules.
    expect(metricsSetRules('SRE', 'cluster-version-operator', 0, sre)).to.deep.equal([]);
  });

  it('treats an empty document as no rules', () => {
    expect(parseSREConfig('')).to.deep.equal({});
    expect(parseSREConfig('# nothing\n')).to.deep.equal({});
  });

  it('normalises snake_case Prometheus keys to camelCase', () => {
    const sre = parseSREConfig('olm:\n  - source_labels: [__name__]\n    regex: csv_.*\n    action: keep\n');
    expect(sre.olm).to.deep.equal([{ sourceLabels: ['__name__'], regex: 'csv_.*', action: 'keep' }]);
  });

  it('rejects an unknown component key, naming it and the valid keys', () => {
    const err = configError(() => parseSREConfig('cco:\n  - action: drop\n    regex: x\n    sourceLabels: [__name__]\n', 'cm/sre-metric-set'));
    expect(err.keyPath).to.equal('cco');
    expect(err.message).to.match(/^cm\/sre-metric-set: cco: unknown component key/);
    expect(err.message).to.contain('kubeAPIServer');
  });

  it('suggests the right spelling of a mis-cased key', () => {
    const err = configError(() => parseSREConfig('kubeApiServer: []\n'));
    expect(err.keyPath).to.equal('kubeApiServer');
    expect(err.message).to.contain("did you mean 'kubeAPIServer'");
  });

  it('rejects a bad regex with the rule path', () => {
    const text = 'etcd:\n  - action: keep\n    regex: etcd_.*\n    sourceLabels: [__name__]\n  - action: drop\n    regex: "etcd_(disk"\n    sourceLabels: [__name__]\n';
    const err = configError(() => parseSREConfig(text, 'sre'));
    expect(err.keyPath).to.match(/^etcd\[1\]\.regex/);
    expect(err.message).to.match(/^sre: etcd\[1\]\.regex/);
  });

  it('rejects a bad action with the rule path', () => {
    const err = configError(() => parseSREConfig('olm:\n  - action: explode\n    regex: x\n    sourceLabels: [__name__]\n'));
    expect(err.keyPath).to.match(/^olm\[0\]\.action/);
  });

  it('rejects a component value that is not a list', () => {
    const err = configError(() => parseSREConfig('etcd:\n  action: keep\n'));
    expect(err.keyPath).to.equal('etcd');
    expect(err.message).to.contain('expected a list');
  });

  it('rejects a document that is not a mapping', () => {
    expect(configError(() => parseSREConfig('- etcd\n')).message).to.contain('expected a mapping');
    expect(configError(() => parseSREConfig('just a string')).message).to.contain('expected a mapping');
  });

  it('rejects invalid YAML', () => {
    const err = configError(() => parseSREConfig('etcd: [\n', 'sre'));
    expect(err.message).to.match(/^sre: invalid YAML/);
  });

  it('rejects duplicate component keys', () => {
    expect(() => parseSREConfig('etcd: []\netcd: []\n')).to.throw(ConfigError);
  });
});
