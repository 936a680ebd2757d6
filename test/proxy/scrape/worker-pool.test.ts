import { expect } from 'chai';
import { memoryLogger } from '../../../common/log.js';
import { startSimulatedPod, type SimulatedPod } from '../../../demo/sim/index.js';
import { chunkBlocks, outputBlocks } from '../../../proxy/exposition/block-pool.js';
import { mergePods } from '../../../proxy/exposition/merge.js';
import { renderToString } from '../../../proxy/exposition/serialize.js';
import { UpstreamAgents } from '../../../proxy/scrape/agents.js';
import { InProcessScraper, type PodScrapeTask } from '../../../proxy/scrape/task.js';
import { WorkerPoolScraper } from '../../../proxy/scrape/workers.js';

const BODY = '# HELP a_total A.\n# TYPE a_total counter\na_total{x="1"} 1\na_total{x="2"} 2\n# HELP g G.\n# TYPE g gauge\ng 3\n';

function task(pod: SimulatedPod, over: Partial<PodScrapeTask> = {}): PodScrapeTask {
  return {
    pod: { name: pod.name, ip: pod.ip },
    poolId: 'c/0',
    upstream: { metricsScheme: 'http', insecureSkipVerify: false },
    port: pod.port,
    path: '/metrics',
    timeoutMs: 5000,
    timeoutHeaderSeconds: 5,
    maxBodyBytes: 1 << 20,
    accept: 'text/plain;version=0.0.4',
    target: [
      ['job', 'c'],
      ['pod', pod.name],
    ],
    rules: { key: '[]', configs: [] },
    ...over,
  };
}

describe('scrape worker pool', function () {
  this.timeout(30_000);
  let pods: SimulatedPod[] = [];
  let pool: WorkerPoolScraper;

  before(async () => {
    pods = await Promise.all([1, 2, 3].map((i) => startSimulatedPod({ name: `p${i}`, ip: `127.0.96.${i}`, port: 0, body: BODY })));
    pool = new WorkerPoolScraper(2, memoryLogger());
  });
  after(async () => {
    await pool.close();
    await Promise.all(pods.map((p) => p.close()));
  });

  it('renders exactly what an in-process scrape renders', async () => {
    const local = new InProcessScraper(new UpstreamAgents());
    try {
      for (const pod of pods) {
        const [a, b] = await Promise.all([pool.scrape(task(pod)), local.scrape(task(pod))]);
        expect(a.ok, a.failure?.message).to.equal(true);
        expect(renderToString(mergePods([a.exposition!]), 'text')).to.equal(renderToString(mergePods([b.exposition!]), 'text'));
      }
    } finally {
      await local.close();
    }
  });

  it('spreads concurrent pods over the workers and reports each failure on its own pod', async () => {
    const results = await Promise.all([
      ...pods.map((p) => pool.scrape(task(p))),
      pool.scrape({ ...task(pods[0]!), pod: { name: 'gone', ip: '127.0.96.250' } }),
      pool.scrape({ ...task(pods[1]!), rules: { key: 'bad', configs: [{ regex: '(', action: 'drop', sourceLabels: ['x'] }] } }),
    ]);
    expect(results.slice(0, 3).every((r) => r.ok)).to.equal(true);
    expect(results[3]!.failure?.reason).to.equal('connect');
    expect(results[4]!.failure?.reason).to.equal('config');
    expect(results[4]!.failure?.message).to.match(/relabel rules/);
  });

  it('takes back the output blocks of a sent answer (moving them to the worker) and ignores buffers it did not hand out', async () => {
    const first = await pool.scrape(task(pods[0]!));
    const rendered = renderToString(mergePods([first.exposition!]), 'text');
    const blocks = chunkBlocks([first].flatMap((p) => p.exposition?.families ?? []));
    expect(blocks.length).to.be.greaterThan(0);
    const foreign = new ArrayBuffer(64 * 1024);
    pool.recycle([...blocks, foreign]);
    // Moved: the main thread can no longer read or write them. The foreign buffer stayed.
    expect(blocks.every((b) => b.byteLength === 0)).to.equal(true);
    expect(foreign.byteLength).to.equal(64 * 1024);
    // Refilled by later scrapes without mixing answers.
    for (let i = 0; i < 5; i++) {
      const again = await Promise.all(pods.map((p) => pool.scrape(task(p))));
      expect(renderToString(mergePods([again[0]!.exposition!]), 'text')).to.equal(rendered);
      pool.recycle(chunkBlocks(again.flatMap((p) => p.exposition?.families ?? [])));
    }
  });

  it('in process, pools its own blocks and leaves other buffers alone', async () => {
    const local = new InProcessScraper(new UpstreamAgents());
    try {
      const r = await local.scrape(task(pods[1]!));
      const blocks = chunkBlocks([r].flatMap((p) => p.exposition?.families ?? []));
      expect(blocks.length).to.equal(1); // a small body fits the first block
      const before = outputBlocks.size.blocks;
      local.recycle([...blocks, Buffer.from('not ours').buffer as ArrayBuffer]);
      expect(outputBlocks.size.blocks).to.equal(before + blocks.length);
      await local.scrape(task(pods[1]!));
      expect(outputBlocks.size.blocks).to.equal(before);
    } finally {
      await local.close();
    }
  });

  it('compiles relabel rules in the worker from their source', async () => {
    const r = await pool.scrape(task(pods[0]!, { rules: { key: 'keep-g', configs: [{ sourceLabels: ['__name__'], regex: 'g', action: 'keep' }] } }));
    expect(renderToString(mergePods([r.exposition!]), 'text')).to.equal('# HELP g G.\n# TYPE g gauge\ng{job="c",pod="p1"} 3\n');
  });

  it('starts its workers with the first scrape and stops them when idle; the next scrape starts them again', async () => {
    const idle = new WorkerPoolScraper(2, memoryLogger(), { idleTrimMs: 50 });
    try {
      expect(idle.running).to.equal(0);
      expect((await idle.scrape(task(pods[0]!))).ok).to.equal(true);
      expect(idle.running).to.equal(2);
      for (let i = 0; i < 200 && idle.running > 0; i++) await new Promise((r) => setTimeout(r, 10));
      expect(idle.running).to.equal(0);
      const again = await idle.scrape(task(pods[1]!));
      expect(again.ok, again.failure?.message).to.equal(true);
      expect(idle.running).to.equal(2);
    } finally {
      await idle.close();
    }
  });

  it('runs at most maxActivePerWorker pods per worker; a pod that cannot start by its startBy fails as queued', async () => {
    const one = new WorkerPoolScraper(1, memoryLogger(), { maxActivePerWorker: 1 });
    const hung = await startSimulatedPod({ name: 'hung', ip: '127.0.96.9', port: 0, body: BODY, behaviour: 'hang' });
    try {
      // The hung pod holds the only slot; the next pod waits in the proxy's queue, not in its own timeout.
      const first = one.scrape(task(hung, { timeoutMs: 2000 }));
      const queued = await one.scrape(task(pods[0]!, { startBy: Date.now() + 100 }));
      expect(queued.ok).to.equal(false);
      expect(queued.failure?.reason).to.equal('queued');
      expect(one.queued).to.equal(0);
      expect((await first).failure?.reason).to.equal('timeout');
      // Once the slot is free, a queued pod runs and is not charged for its wait.
      const waiting = one.scrape(task(pods[1]!, { timeoutMs: 5000 }));
      expect((await waiting).ok).to.equal(true);
    } finally {
      await one.close();
      await hung.close();
    }
  });
});
