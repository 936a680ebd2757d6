/** Target labels per pod and the endpoint's `relabelings` (prometheus-operator target relabeling). */
import { expect } from 'chai';
import { parseProxyConfig } from '../../../proxy/config/parse.js';
import type { EndpointConfig } from '../../../proxy/config/types.js';
import { endpointTargets, parseAddress, podTargetLabels, resolveTarget } from '../../../proxy/scrape/targets.js';

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
    const keepOne = endpoint({ relabelings: [{ action: 'keep', sourceLabels: ['__address__'], regex: '10\\.0\\.0\\.7:6443' }] });
    expect(endpointTargets(keepOne, pods).map((t) => t.pod.name)).to.deep.equal(['kube-apiserver-2']);
  });

  it('`instance` does not exist yet while the rules run (as in Prometheus): it comes from the final __address__', () => {
    // A keep on `instance` sees an empty value and drops every pod, as real Prometheus would.
    const keepInstance = endpoint({ relabelings: [{ action: 'keep', sourceLabels: ['instance'], regex: '10\\.0\\.0\\.5:6443' }] });
    expect(resolveTarget(keepInstance, POD)).to.equal(undefined);
    const copied = endpoint({ relabelings: [{ sourceLabels: ['instance'], regex: '(.+)', targetLabel: 'seen' }] });
    expect(podTargetLabels(copied, POD)).to.deep.equal(BASE);
    // A rule may set `instance` itself; the address stays where it was.
    const named = resolveTarget(endpoint({ relabelings: [{ sourceLabels: ['__meta_kubernetes_pod_name'], targetLabel: 'instance' }] }), POD)!;
    expect(named.pairs).to.deep.include(['instance', 'kube-apiserver-0']);
    expect(named.scrape).to.deep.equal({ scheme: 'https', host: '10.0.0.5', port: 6443, path: '/metrics' });
  });

  it('the scrape follows a rewritten __address__, __scheme__ and __metrics_path__, and instance follows the address', () => {
    const e = endpoint({
      relabelings: [
        { sourceLabels: ['__address__'], regex: '(.+):\\d+', targetLabel: '__address__', replacement: '$1:9443' },
        { targetLabel: '__scheme__', replacement: 'http' },
        { targetLabel: '__metrics_path__', replacement: 'debug/metrics' },
      ],
    });
    const t = resolveTarget(e, POD)!;
    expect(t.invalid).to.equal(undefined);
    expect(t.scrape).to.deep.equal({ scheme: 'http', host: '10.0.0.5', port: 9443, path: '/debug/metrics' });
    expect(t.pairs).to.deep.equal(BASE.map(([n, v]) => (n === 'instance' ? [n, '10.0.0.5:9443'] : [n, v])));
    // Without any rule the configured address is used as is.
    expect(resolveTarget(endpoint(), POD)!.scrape).to.deep.equal({ scheme: 'https', host: '10.0.0.5', port: 6443, path: '/metrics' });
  });

  it('a relabeled address that cannot be scraped is reported, not dropped', () => {
    const bad = (relabelings: unknown[]) => resolveTarget(endpoint({ relabelings }), POD)!.invalid;
    expect(bad([{ targetLabel: '__address__', replacement: 'kas:notaport' }])).to.match(/address "kas:notaport" has no valid port/);
    expect(bad([{ targetLabel: '__scheme__', replacement: 'ftp' }])).to.match(/__scheme__ to "ftp"/);
    expect(bad([{ action: 'labeldrop', regex: '__address__' }])).to.match(/removed __address__/);
  });

  it('podTargetLabels copy each pod its own label values (sanitized names); a pod without the label gets none', () => {
    const e = endpoint({ podTargetLabels: ['app.kubernetes.io/version', 'tier'] });
    const labelled = { ...POD, labels: { app: 'kube-apiserver', 'app.kubernetes.io/version': '1.31', tier: 'control-plane' } };
    expect(podTargetLabels(e, labelled)).to.deep.equal([...BASE, ['app_kubernetes_io_version', '1.31'], ['tier', 'control-plane']]);
    const other = { name: 'kube-apiserver-1', ip: '10.0.0.6', labels: { 'app.kubernetes.io/version': '1.32' } };
    expect(podTargetLabels(e, other)).to.deep.include(['app_kubernetes_io_version', '1.32']);
    expect(podTargetLabels(e, other)!.map(([n]) => n)).to.not.include('tier');
    // A resolver that answers no labels (HyperShift's): nothing copied, nothing fails.
    expect(podTargetLabels(e, POD)).to.deep.equal(BASE);
  });

  it("relabelings see the pod's labels as __meta_kubernetes_pod_label_<name> and ..._labelpresent_<name>", () => {
    const e = endpoint({
      relabelings: [
        { action: 'keep', sourceLabels: ['__meta_kubernetes_pod_labelpresent_app_kubernetes_io_version'], regex: 'true' },
        { sourceLabels: ['__meta_kubernetes_pod_label_app_kubernetes_io_version'], targetLabel: 'version' },
      ],
    });
    const labelled = { ...POD, labels: { 'app.kubernetes.io/version': '1.31' } };
    expect(podTargetLabels(e, labelled)).to.deep.equal([...BASE, ['version', '1.31']]);
    expect(resolveTarget(e, POD), 'a pod without the label is dropped by the keep').to.equal(undefined);
  });

  it('parses addresses as Prometheus accepts them', () => {
    expect(parseAddress('10.0.0.5:6443', 'https')).to.deep.equal({ host: '10.0.0.5', port: 6443 });
    expect(parseAddress('[fd00::5]:6443', 'https')).to.deep.equal({ host: 'fd00::5', port: 6443 });
    expect(parseAddress('[fd00::5]', 'http')).to.deep.equal({ host: 'fd00::5', port: 80 });
    expect(parseAddress('kas.example', 'https')).to.deep.equal({ host: 'kas.example', port: 443 });
    expect(parseAddress('fd00::5', 'https')).to.match(/needs brackets/);
    expect(parseAddress(':6443', 'https')).to.match(/no valid host/);
    expect(parseAddress('kas:70000', 'https')).to.match(/no valid port/);
    expect(parseAddress('kas/x:1', 'https')).to.match(/no valid host/);
  });
});
