import { expect } from 'chai';
import { memoryLogger } from '../../../common/log.js';
import { startSimulatedPod, type SimulatedPod } from '../../../demo/sim/index.js';
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

  it('compiles relabel rules in the worker from their source', async () => {
    const r = await pool.scrape(task(pods[0]!, { rules: { key: 'keep-g', configs: [{ sourceLabels: ['__name__'], regex: 'g', action: 'keep' }] } }));
    expect(renderToString(mergePods([r.exposition!]), 'text')).to.equal('# HELP g G.\n# TYPE g gauge\ng{job="c",pod="p1"} 3\n');
  });
});
