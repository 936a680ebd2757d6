/** Which pods the resolver hands out: Running, Ready, with an IP, not terminating; sorted; memo invalidated on change. */
import { expect } from 'chai';
import type { V1Pod } from '@kubernetes/client-node';
import { PodIndex, podRecord } from '../../resolver/pod-index.js';
import { parseSelector } from '../../common/label-selector.js';

function pod(name: string, o: { labels?: Record<string, string>; ip?: string; phase?: string; ready?: boolean; terminating?: boolean } = {}): V1Pod {
  return {
    metadata: { name, namespace: 'ns', labels: o.labels ?? { app: 'etcd' }, ...(o.terminating ? { deletionTimestamp: new Date() } : {}) },
    status: { phase: o.phase ?? 'Running', ...(o.ip === '' ? {} : { podIP: o.ip ?? '10.0.0.1' }), conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True' }] },
  };
}

const nameIp = (pods: readonly { name: string; ip: string }[]) => pods.map(({ name, ip }) => ({ name, ip }));

describe('resolver: pod index', () => {
  const etcd = parseSelector({ app: 'etcd' });

  it('counts only Running, Ready pods with an IP that are not terminating', () => {
    expect(podRecord(pod('a'))!.ready).to.equal(true);
    expect(podRecord(pod('a', { phase: 'Pending' }))!.ready).to.equal(false);
    expect(podRecord(pod('a', { ready: false }))!.ready).to.equal(false);
    expect(podRecord(pod('a', { ip: '' }))!.ready).to.equal(false);
    expect(podRecord(pod('a', { terminating: true }))!.ready).to.equal(false);
    expect(podRecord({ status: { phase: 'Running' } })).to.equal(undefined);
  });

  it("answers each pod's labels with it (the proxy's podTargetLabels and pod-label discovery read them)", () => {
    const idx = new PodIndex();
    idx.upsert(pod('etcd-0', { labels: { app: 'etcd', 'app.kubernetes.io/version': '3.5' } }));
    expect(idx.resolve(etcd)).to.deep.equal([{ name: 'etcd-0', ip: '10.0.0.1', labels: { app: 'etcd', 'app.kubernetes.io/version': '3.5' } }]);
    idx.upsert(pod('etcd-0', { labels: { app: 'etcd', 'app.kubernetes.io/version': '3.6' } }));
    expect(idx.resolve(etcd)[0]!.labels['app.kubernetes.io/version'], 'a label change is seen').to.equal('3.6');
  });

  it('answers ready matches sorted by name and follows updates and deletions', () => {
    const idx = new PodIndex();
    idx.upsert(pod('etcd-2', { ip: '10.0.0.3' }));
    idx.upsert(pod('etcd-0', { ip: '10.0.0.1' }));
    idx.upsert(pod('etcd-1', { ip: '10.0.0.2', ready: false }));
    idx.upsert(pod('kas-0', { labels: { app: 'kas' } }));
    expect(nameIp(idx.resolve(etcd))).to.deep.equal([{ name: 'etcd-0', ip: '10.0.0.1' }, { name: 'etcd-2', ip: '10.0.0.3' }]);
    idx.upsert(pod('etcd-1', { ip: '10.0.0.2' }));
    idx.upsert(pod('etcd-0', { ip: '10.0.0.9' }));
    expect(nameIp(idx.resolve(etcd))).to.deep.equal([{ name: 'etcd-0', ip: '10.0.0.9' }, { name: 'etcd-1', ip: '10.0.0.2' }, { name: 'etcd-2', ip: '10.0.0.3' }]);
    idx.remove(pod('etcd-2'));
    idx.upsert(pod('etcd-1', { labels: { app: 'other' } }));
    expect(nameIp(idx.resolve(etcd))).to.deep.equal([{ name: 'etcd-0', ip: '10.0.0.9' }]);
    expect(idx.size).to.equal(3);
    expect(idx.readyCount).to.equal(3);
  });

  it('sorts by name in code-point order, not locale order', () => {
    const idx = new PodIndex();
    for (const n of ['b', 'B', 'a-10', 'a-9']) idx.upsert(pod(n));
    expect(idx.resolve(etcd).map((p) => p.name)).to.deep.equal(['B', 'a-10', 'a-9', 'b']);
  });
});
