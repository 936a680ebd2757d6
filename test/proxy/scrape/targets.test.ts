/** Target labels per pod and the endpoint's `relabelings` (prometheus-operator target relabeling). */
import { expect } from 'chai';
import { parseProxyConfig } from '../../../proxy/config/parse.js';
import type { EndpointConfig } from '../../../proxy/config/types.js';
import { endpointTargets, podTargetLabels } from '../../../proxy/scrape/targets.js';

function endpoint(extra: Record<string, unknown> = {}): EndpointConfig {
  const doc = { endpointResolver: { url: 'https://er' }, components: [{ name: 'kube-apiserver', selector: { app: 'kube-apiserver' }, metricsPort: 6443, metricsJob: 'apiserver', metricsService: 'kubernetes', metricsEndpoint: 'https', metricsNamespace: 'default', targetLabels: { apiserver: 'kube-apiserver' }, ...extra }] };
  return parseProxyConfig(JSON.stringify(doc), { source: 'cfg', defaultNamespace: 'clusters-x' }).components[0]!;
}

const POD = { name: 'kube-apiserver-0', ip: '10.0.0.5' };
const BASE: [string, string][] = [
  ['job', 'apiserver'],
  ['namespace', 'default'],
  ['service', 'kubernetes'],
  ['endpoint', 'https'],
  ['pod', 'kube-apiserver-0'],
  ['instance', '10.0.0.5:6443'],
  ['apiserver', 'kube-apiserver'],
];

describe('proxy/scrape/targets', () => {
  it('without relabelings: the labels standalone Prometheus gives, in a fixed order', () => {
    expect(podTargetLabels(endpoint(), POD)).to.deep.equal(BASE);
  });

  it("HyperShift's `_id` rule (set to empty) changes nothing", () => {
    expect(podTargetLabels(endpoint({ relabelings: [{ action: 'replace', replacement: '', targetLabel: '_id' }] }), POD)).to.deep.equal(BASE);
  });

  it('rewrites, adds and removes target labels; discovery labels are visible but never kept', () => {
    const e = endpoint({
      relabelings: [
        { targetLabel: 'job', replacement: 'kube-apiserver' },
        { sourceLabels: ['__meta_kubernetes_pod_name'], regex: '.*-(\\d+)', targetLabel: 'replica', replacement: 'r$1' },
        { sourceLabels: ['__scheme__', '__metrics_path__'], separator: '://x', targetLabel: 'url' },
        { action: 'labeldrop', regex: 'apiserver' },
        { sourceLabels: ['__meta_kubernetes_pod_ip'], targetLabel: '__tmp_ip' },
      ],
    });
    expect(podTargetLabels(e, POD)).to.deep.equal([
      ['job', 'kube-apiserver'],
      ['namespace', 'default'],
      ['service', 'kubernetes'],
      ['endpoint', 'https'],
      ['pod', 'kube-apiserver-0'],
      ['instance', '10.0.0.5:6443'],
      ['replica', 'r0'],
      ['url', 'https://x/metrics'],
    ]);
  });

  it('a removed instance comes back from __address__, as in Prometheus', () => {
    const e = endpoint({ relabelings: [{ action: 'labeldrop', regex: 'instance' }, { targetLabel: '__address__', replacement: 'kas.example:443' }] });
    expect(podTargetLabels(e, POD)).to.deep.include(['instance', 'kas.example:443']);
  });

  it('keep and drop select pods: a dropped pod is not a target', () => {
    const e = endpoint({ relabelings: [{ action: 'drop', sourceLabels: ['__meta_kubernetes_pod_name'], regex: '.*-1' }] });
    const pods = [POD, { name: 'kube-apiserver-1', ip: '10.0.0.6' }, { name: 'kube-apiserver-2', ip: '10.0.0.7' }];
    expect(endpointTargets(e, pods).map((t) => t.pod.name)).to.deep.equal(['kube-apiserver-0', 'kube-apiserver-2']);
    const keepOne = endpoint({ relabelings: [{ action: 'keep', sourceLabels: ['instance'], regex: '10\\.0\\.0\\.7:6443' }] });
    expect(endpointTargets(keepOne, pods).map((t) => t.pod.name)).to.deep.equal(['kube-apiserver-2']);
  });
});
