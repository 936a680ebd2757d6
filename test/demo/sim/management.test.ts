/**
 * The local stack's management side end to end: the proxy finds pods through the real endpoint
 * resolver, which watches Pod objects in the in-repo kube-apiserver; pod changes reach the proxy's
 * answer, and the proxy keeps serving from its last answer while the resolver is down.
 * Addresses: 127.0.111.x (pods); kube-apiserver, resolver and proxy on 127.0.0.1.
 */
import { expect } from 'chai';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import YAML from 'yaml';
import { memoryLogger } from '../../../common/log.js';
import { scrapeProxy } from '../../../demo/client.js';
import { DEMO_NAMESPACE, startLocalStack, type LocalStack } from '../../../demo/stack.js';
import { parseSamples } from '../../support/exposition.js';
import { eventually } from '../../support/prometheus.js';

describe('demo: simulated management cluster (real endpoint resolver)', function () {
  this.timeout(120_000);
  let stack: LocalStack;
  let caPem: string;

  before(async () => {
    stack = await startLocalStack({ ipPrefix: '127.0.111', logger: memoryLogger('stack'), resolverCacheTtlMs: 50, apiserver: { seriesCount: 500 } });
    caPem = stack.certs.ca.certPem;
  });
  after(async () => {
    await stack?.close();
  });

  /** `pod=up` for every `up` series of the component, sorted. */
  const ups = async (component: string): Promise<string> => {
    const a = await scrapeProxy(`${stack.proxyUrl}/metrics/${component}`, { caPem });
    expect(a.status, a.body.slice(0, 300)).to.equal(200);
    return parseSamples(a.body)
      .filter((s) => s.name === 'up')
      .map((s) => `${s.labels.pod}=${s.value}@${s.labels.instance}`)
      .sort()
      .join(',');
  };

  it('holds one Running, Ready Pod object per simulated pod and resolves through the real resolver', async () => {
    const etcd = stack.controlPlane.component('etcd');
    const listed = stack.management.kas.resources.list('pods', DEMO_NAMESPACE).filter((p) => p.metadata.labels?.app === 'etcd');
    expect(listed.map((p) => p.metadata.name)).to.deep.equal(etcd.pods.map((p) => p.name));
    expect(await ups('etcd')).to.equal(etcd.pods.map((p) => `${p.name}=1@${p.ip}:${etcd.port}`).sort().join(','));
    expect(stack.management.kas.callCount('pods'), 'the resolver listed and watched pods').to.be.at.least(2);
  });

  it('reflects a pod turning unready, changing IP and being deleted', async () => {
    const etcd = stack.controlPlane.component('etcd');
    const [p0, p1, p2] = etcd.pods;
    const res = stack.management.kas.resources;
    res.patch('pods', DEMO_NAMESPACE, p1!.name, { status: { conditions: [{ type: 'Ready', status: 'False' }] } });
    await eventually(async () => ((await ups('etcd')).split(',').length === 2 ? true : undefined), 10_000, 'the unready pod to leave the answer');
    expect(await ups('etcd')).not.to.include(p1!.name);

    // Moved to an address where nothing listens: the proxy scrapes the new IP, and says so with up 0.
    res.patch('pods', DEMO_NAMESPACE, p2!.name, { status: { podIP: '127.0.111.250' } });
    await eventually(async () => ((await ups('etcd')).includes(`${p2!.name}=0@127.0.111.250:`) ? true : undefined), 10_000, 'the new IP');

    res.remove('pods', DEMO_NAMESPACE, p2!.name);
    await eventually(async () => ((await ups('etcd')) === `${p0!.name}=1@${p0!.ip}:${etcd.port}` ? true : undefined), 10_000, 'the deleted pod to go');
  });

  it('keeps serving from its last answer while the resolver is down', async () => {
    const before = await ups('kube-controller-manager');
    await stack.management.setResolverRunning(false);
    try {
      await new Promise((r) => setTimeout(r, 100)); // past the 50 ms answer cache
      expect(await ups('kube-controller-manager')).to.equal(before);
    } finally {
      await stack.management.setResolverRunning(true);
    }
  });

  it('resolves a LabelSelector with matchExpressions (a PodMonitor that excludes a canary pod)', async () => {
    const kcm = stack.controlPlane.component('kube-controller-manager');
    const [canary, other] = kcm.pods;
    stack.management.kas.resources.patch('pods', DEMO_NAMESPACE, canary!.name, { metadata: { labels: { canary: 'true' } } });
    const original = readFileSync(stack.configFile, 'utf8');
    const doc = YAML.parse(original) as { components: Record<string, unknown>[] };
    const base = doc.components.find((c) => c.name === 'kube-controller-manager')!;
    const selector = { matchLabels: base.selector, matchExpressions: [{ key: 'canary', operator: 'DoesNotExist' }] };
    doc.components.push({ ...base, name: 'kcm-no-canary', selector });
    writeFileSync(`${stack.configFile}.tmp`, YAML.stringify(doc));
    renameSync(`${stack.configFile}.tmp`, stack.configFile);
    try {
      await eventually(async () => ((await scrapeProxy(`${stack.proxyUrl}/metrics/kcm-no-canary`, { caPem })).status === 200 ? true : undefined), 20_000, 'the new component');
      await eventually(async () => ((await ups('kcm-no-canary')) === `${other!.name}=1@${other!.ip}:${kcm.port}` ? true : undefined), 10_000, 'only the pod without the canary label');
      expect((await ups('kube-controller-manager')).split(',')).to.have.length(2);
    } finally {
      writeFileSync(`${stack.configFile}.tmp`, original);
      renameSync(`${stack.configFile}.tmp`, stack.configFile);
    }
  });
});
