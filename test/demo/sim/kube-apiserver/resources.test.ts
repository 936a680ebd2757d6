/** The fake kube-apiserver's resources, driven by @kubernetes/client-node as the resolver and generator drive them. */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { FakeKubeApiserver, type KubeObject } from '../../../../demo/sim/kube-apiserver/index.js';

const NS = 'clusters-demo';

function pod(name: string, labels: Record<string, string>, ip = '10.0.0.1'): KubeObject {
  return {
    metadata: { name, namespace: NS, labels },
    spec: { containers: [{ name: 'c', image: 'x', ports: [{ name: 'metrics', containerPort: 9090 }] }] },
    status: { phase: 'Running', podIP: ip, conditions: [{ type: 'Ready', status: 'True' }] },
  };
}

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('test support: fake kube-apiserver resources', function () {
  this.timeout(30_000);
  let kas: FakeKubeApiserver;
  let dir: string;
  let kc: k8s.KubeConfig;
  let core: k8s.CoreV1Api;

  beforeEach(async () => {
    kas = await FakeKubeApiserver.start();
    dir = mkdtempSync(join(tmpdir(), 'kas-res-'));
    kc = new k8s.KubeConfig();
    kc.loadFromFile(kas.writeKubeconfig(dir).kubeconfig);
    core = kc.makeApiClient(k8s.CoreV1Api);
  });
  afterEach(async () => {
    await kas.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates, gets, lists with a label selector, replaces and deletes with real status codes', async () => {
    await core.createNamespacedPod({ namespace: NS, body: pod('a', { app: 'etcd' }) as k8s.V1Pod });
    kas.resources.create('pods', pod('b', { app: 'kas' }));
    const got = await core.readNamespacedPod({ namespace: NS, name: 'a' });
    expect(got.metadata?.uid).to.be.a('string');
    expect(got.status?.podIP).to.equal('10.0.0.1');
    const list = await core.listNamespacedPod({ namespace: NS, labelSelector: 'app in (etcd,x)' });
    expect(list.items.map((p) => p.metadata?.name)).to.deep.equal(['a']);
    expect(Number(list.metadata?.resourceVersion)).to.be.greaterThan(0);

    const err = await core.createNamespacedPod({ namespace: NS, body: pod('a', {}) as k8s.V1Pod }).catch((e: unknown) => e);
    expect((err as { code?: number }).code).to.equal(409);

    const stale = { ...got, metadata: { ...got.metadata, resourceVersion: '1' } };
    const conflict = await core.replaceNamespacedPod({ namespace: NS, name: 'a', body: stale }).catch((e: unknown) => e);
    expect((conflict as { code?: number }).code).to.equal(409);
    const replaced = await core.replaceNamespacedPod({ namespace: NS, name: 'a', body: { ...got, metadata: { ...got.metadata, labels: { app: 'etcd', v: '2' } } } });
    expect(Number(replaced.metadata?.resourceVersion)).to.be.greaterThan(Number(got.metadata?.resourceVersion));

    await core.deleteNamespacedPod({ namespace: NS, name: 'a' });
    const missing = await core.readNamespacedPod({ namespace: NS, name: 'a' }).catch((e: unknown) => e);
    expect((missing as { code?: number }).code).to.equal(404);
  });

  it('honours DeleteOptions preconditions (uid, resourceVersion) with 409 Conflict, as the real server does', async () => {
    const cm = kas.resources.create('configmaps', { metadata: { name: 'guarded', namespace: NS }, data: { a: '1' } });
    const custom = kc.makeApiClient(k8s.CustomObjectsApi);
    const conflict = (p: Promise<unknown>) => p.then(() => expect.fail('expected 409'), (e: { code?: number; body?: unknown }) => e);
    const e1 = await conflict(core.deleteNamespacedConfigMap({ name: 'guarded', namespace: NS, body: { preconditions: { uid: 'someone-else' } } }));
    expect(e1.code).to.equal(409);
    expect(JSON.stringify(e1.body)).to.match(/Precondition failed: UID in precondition: someone-else, UID in object meta: /);
    kas.resources.patch('configmaps', NS, 'guarded', { data: { a: '2' } });
    const e2 = await conflict(core.deleteNamespacedConfigMap({ name: 'guarded', namespace: NS, body: { preconditions: { uid: cm.metadata.uid!, resourceVersion: cm.metadata.resourceVersion! } } }));
    expect(e2.code).to.equal(409);
    expect(JSON.stringify(e2.body)).to.match(/Precondition failed: ResourceVersion in precondition/);
    expect(kas.resources.get('configmaps', NS, 'guarded'), 'still there').to.not.equal(undefined);
    const fresh = kas.resources.get('configmaps', NS, 'guarded')!;
    await core.deleteNamespacedConfigMap({ name: 'guarded', namespace: NS, body: { preconditions: { uid: fresh.metadata.uid!, resourceVersion: fresh.metadata.resourceVersion! } } });
    expect(kas.resources.get('configmaps', NS, 'guarded')).to.equal(undefined);
    // Custom resources too (the guest PodMonitor).
    const pm = kas.resources.create('podmonitors.monitoring.coreos.com', { apiVersion: 'monitoring.coreos.com/v1', kind: 'PodMonitor', metadata: { name: 'pm', namespace: NS }, spec: {} });
    const e3 = await conflict(custom.deleteNamespacedCustomObject({ group: 'monitoring.coreos.com', version: 'v1', namespace: NS, plural: 'podmonitors', name: 'pm', body: { preconditions: { resourceVersion: '1' } } }));
    expect(e3.code).to.equal(409);
    await custom.deleteNamespacedCustomObject({ group: 'monitoring.coreos.com', version: 'v1', namespace: NS, plural: 'podmonitors', name: 'pm', body: { preconditions: { uid: pm.metadata.uid! } } });
    expect(kas.resources.get('podmonitors.monitoring.coreos.com', NS, 'pm')).to.equal(undefined);
  });

  it('folds Secret stringData into base64 data and rejects bad base64', async () => {
    await core.createNamespacedSecret({ namespace: NS, body: { metadata: { name: 's' }, stringData: { 'ca.crt': 'PEM' } } });
    const s = await core.readNamespacedSecret({ namespace: NS, name: 's' });
    expect(s.data).to.deep.equal({ 'ca.crt': Buffer.from('PEM').toString('base64') });
    expect(() => kas.resources.create('secrets', { metadata: { name: 'bad', namespace: NS }, data: { k: '***' } })).to.throw(/illegal base64/);
  });

  it('applies merge and JSON patches', async () => {
    kas.resources.create('configmaps', { metadata: { name: 'cm', namespace: NS }, data: { a: '1', b: '2' } });
    const merged = kas.resources.patch('configmaps', NS, 'cm', { data: { a: null, c: '3' } });
    expect(merged.data).to.deep.equal({ b: '2', c: '3' });
    const jp = kas.resources.patch('configmaps', NS, 'cm', [{ op: 'replace', path: '/data/b', value: 'x' }, { op: 'add', path: '/metadata/labels', value: { l: 'v' } }], 'application/json-patch+json');
    expect(jp.data).to.deep.equal({ b: 'x', c: '3' });
    expect(jp.metadata.labels).to.deep.equal({ l: 'v' });
    expect(() => kas.resources.patch('configmaps', NS, 'cm', [{ op: 'test', path: '/data/b', value: 'y' }], 'application/json-patch+json')).to.throw(/testing value/);
  });

  it('serves custom resources (ServiceMonitors) through the CustomObjectsApi with discovery', async () => {
    const co = kc.makeApiClient(k8s.CustomObjectsApi);
    await co.createNamespacedCustomObject({ group: 'monitoring.coreos.com', version: 'v1', namespace: NS, plural: 'servicemonitors', body: { apiVersion: 'monitoring.coreos.com/v1', kind: 'ServiceMonitor', metadata: { name: 'etcd' }, spec: { endpoints: [{ port: 'metrics' }] } } });
    const list = (await co.listNamespacedCustomObject({ group: 'monitoring.coreos.com', version: 'v1', namespace: NS, plural: 'servicemonitors' })) as { items: KubeObject[] };
    expect(list.items.map((o) => [o.kind, o.metadata.name])).to.deep.equal([['ServiceMonitor', 'etcd']]);
    const apis = await kc.makeApiClient(k8s.ApisApi).getAPIVersions();
    expect(apis.groups.map((g) => g.name)).to.include('monitoring.coreos.com');
    const rhobs = await co.listNamespacedCustomObject({ group: 'monitoring.rhobs', version: 'v1', namespace: NS, plural: 'servicemonitors' }).catch((e: unknown) => e);
    expect((rhobs as { code?: number }).code).to.equal(404);
  });

  it('feeds an informer: adds, updates, deletes, resumes after a clean end, relists after 410', async () => {
    const path = `/api/v1/namespaces/${NS}/pods`;
    const informer = k8s.makeInformer(kc, path, () => core.listNamespacedPod({ namespace: NS }));
    const seen: string[] = [];
    informer.on('add', (p) => seen.push(`add ${p.metadata?.name}`));
    informer.on('update', (p) => seen.push(`update ${p.metadata?.name} ${p.status?.podIP}`));
    informer.on('delete', (p) => seen.push(`delete ${p.metadata?.name}`));
    kas.resources.create('pods', pod('p1', {}));
    await informer.start();
    try {
      await until(() => seen.includes('add p1') && kas.resources.watchCount('pods') === 1, 'initial list and watch');
      kas.resources.create('pods', pod('p2', {}));
      kas.resources.patch('pods', NS, 'p1', { status: { podIP: '10.0.0.9' } });
      await until(() => seen.includes('update p1 10.0.0.9') && seen.includes('add p2'), 'watch events');

      const listsBefore = kas.callCount('pods');
      kas.resources.endWatches();
      kas.resources.remove('pods', NS, 'p2');
      await until(() => seen.includes('delete p2'), 'resumed watch to replay the deletion');
      // Resumed from its resourceVersion: one new watch call, no relist.
      expect(kas.callCount('pods') - listsBefore).to.equal(1);

      kas.resources.sendBookmarks();
      // A change the pod watch never sees moves the revision on; compaction then makes the informer's resourceVersion too old.
      kas.resources.create('configmaps', { metadata: { name: 'other', namespace: NS }, data: {} });
      kas.resources.compact();
      const callsBefore = kas.callCount('pods');
      kas.resources.endWatches();
      await until(() => kas.callCount('pods') - callsBefore === 3 && kas.resources.watchCount('pods') === 1, 'watch (410), relist, watch');
      kas.resources.create('pods', pod('p3', {}));
      await until(() => seen.includes('add p3'), 'events after the relist');
      expect(kas.log.filter((l) => l.path === path).slice(-3).map((l) => l.status)).to.deep.equal([200, 200, 200]);
    } finally {
      await informer.stop();
    }
  });

  it('answers a watch from a compacted resourceVersion with an ERROR event carrying 410 Expired', async () => {
    kas.resources.create('pods', pod('p1', {}));
    kas.resources.create('pods', pod('p2', {}));
    kas.resources.compact();
    const events: { type: string; object: { code?: number; reason?: string } }[] = [];
    const done = new Promise<void>((resolve, reject) => {
      void new k8s.Watch(kc).watch(`/api/v1/namespaces/${NS}/pods`, { resourceVersion: '2' }, (type, object) => events.push({ type, object }), (err) => (err ? reject(err) : resolve()));
    });
    await done;
    expect(events).to.have.length(1);
    expect(events[0]!.type).to.equal('ERROR');
    expect(events[0]!.object).to.include({ code: 410, reason: 'Expired' });
  });

  it('turns label transitions into ADDED and DELETED for a selective watch', async () => {
    kas.resources.create('pods', pod('p1', { app: 'a' }));
    const rv = kas.resources.resourceVersion;
    const events: string[] = [];
    const req = await new k8s.Watch(kc).watch(`/api/v1/namespaces/${NS}/pods`, { resourceVersion: rv, labelSelector: 'app=b' }, (type, o: KubeObject) => events.push(`${type} ${o.metadata.name}`), () => {});
    await until(() => kas.resources.watchCount('pods') === 1, 'watch open');
    kas.resources.patch('pods', NS, 'p1', { metadata: { labels: { app: 'b' } } });
    kas.resources.patch('pods', NS, 'p1', { metadata: { annotations: { x: 'y' } } });
    kas.resources.patch('pods', NS, 'p1', { metadata: { labels: { app: 'c' } } });
    await until(() => events.length === 3, 'three events');
    req.abort();
    expect(events).to.deep.equal(['ADDED p1', 'MODIFIED p1', 'DELETED p1']);
  });
});
