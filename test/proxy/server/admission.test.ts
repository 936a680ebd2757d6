import { expect } from 'chai';
import { Admission, cgroupMemoryLimit, defaultBudgetBytes, DEFAULT_BUDGET_BYTES, INITIAL_ESTIMATE_PER_POD, type Ticket } from '../../../proxy/server/admission.js';

const far = () => Date.now() + 60_000;

describe('proxy/server/admission: the memory budget of in-flight scrapes', () => {
  it('admits while the reservations fit, and queues the rest in arrival order', async () => {
    const a = new Admission({ budgetBytes: 100 });
    const t1 = (await a.admit('a', 60, far())) as Ticket;
    expect(a.inFlight).to.deep.equal({ scrapes: 1, reservedBytes: 60, queued: 0 });
    const order: string[] = [];
    const p2 = a.admit('b', 50, far()).then((t) => (order.push('b'), t as Ticket));
    const p3 = a.admit('c', 10, far()).then((t) => (order.push('c'), t as Ticket));
    // c would fit, but b came first: FIFO, no overtaking.
    expect(a.inFlight.queued).to.equal(2);
    t1.release();
    const [t2, t3] = await Promise.all([p2, p3]);
    expect(order).to.deep.equal(['b', 'c']);
    expect(a.inFlight).to.deep.equal({ scrapes: 2, reservedBytes: 60, queued: 0 });
    t2.release();
    t3.release();
    t3.release(); // twice is harmless
    expect(a.inFlight).to.deep.equal({ scrapes: 0, reservedBytes: 0, queued: 0 });
  });

  it('refuses a waiting scrape at its deadline, and refuses at once when the queue is full', async () => {
    const a = new Admission({ budgetBytes: 10, maxQueue: 1 });
    const t = (await a.admit('a', 10, far())) as Ticket;
    const waiting = a.admit('b', 5, Date.now() + 20);
    expect(await a.admit('c', 5, far())).to.equal('queue_full');
    expect(await waiting).to.equal('deadline');
    expect(a.inFlight.queued).to.equal(0);
    t.release();
  });

  it('runs a scrape larger than the whole budget alone rather than never', async () => {
    const a = new Admission({ budgetBytes: 10 });
    const big = (await a.admit('big', 1000, far())) as Ticket;
    expect(big.reserved).to.equal(1000);
    const next = a.admit('small', 1, far());
    big.release();
    expect(typeof (await next)).to.equal('object');
  });

  it('learns what a path holds: the next reservation is the observed peak with a margin', async () => {
    const a = new Admission({ budgetBytes: 1 << 30 });
    expect(a.estimate('/metrics/etcd', 3)).to.equal(3 * INITIAL_ESTIMATE_PER_POD);
    const t = (await a.admit('/metrics/etcd', a.estimate('/metrics/etcd', 3), far())) as Ticket;
    t.observe(1000);
    t.observe(4000);
    t.observe(2000);
    t.release();
    expect(a.estimate('/metrics/etcd', 3)).to.equal(5000);
  });

  it('budgets CPU time: a scrape runs beside others only if their work and its own fit in its remaining deadline', async () => {
    const a = new Admission({ budgetBytes: 1 << 30, cores: 1 });
    // Nothing learnt yet: no time is reserved.
    const first = (await a.admit('/metrics/kas', 1, far())) as Ticket;
    first.took(1); // one second of parsing: 2.5 s of work on one core
    first.release();
    expect(a.expectedSeconds('/metrics/kas')).to.equal(2.5);
    const t1 = (await a.admit('/metrics/kas', 1, Date.now() + 10_000)) as Ticket;
    // 2.5 + 2.5 s of work fit in 70 % of 10 s, not of 3 s.
    const t2 = (await a.admit('/metrics/kas', 1, Date.now() + 10_000)) as Ticket;
    expect(await a.admit('/metrics/kas', 1, Date.now() + 3000 - 2900)).to.equal('deadline');
    // Cheap paths are not held up by an expensive one.
    const cheap = (await a.admit('/metrics/etcd', 1, Date.now() + 500)) as Ticket;
    cheap.took(0.001);
    for (const t of [t1, t2, cheap]) t.release();
  });

  it('reports how long admitted scrapes waited', async () => {
    const a = new Admission({ budgetBytes: 10 });
    const waits: number[] = [];
    a.onAdmit = (s) => waits.push(s);
    const t = (await a.admit('a', 10, far())) as Ticket;
    const p = a.admit('b', 10, far());
    await new Promise((r) => setTimeout(r, 30));
    t.release();
    ((await p) as Ticket).release();
    expect(waits[0]).to.equal(0);
    expect(waits[1]).to.be.greaterThan(0);
  });

  it('defaults from the container memory limit (cgroup v2, then v1), else a documented constant', () => {
    const files = (m: Record<string, string>) => (p: string) => {
      if (!(p in m)) throw new Error('ENOENT');
      return m[p]!;
    };
    expect(cgroupMemoryLimit(files({ '/sys/fs/cgroup/memory.max': '1073741824\n' }))).to.equal(1073741824);
    expect(cgroupMemoryLimit(files({ '/sys/fs/cgroup/memory.max': 'max\n' }))).to.equal(undefined);
    expect(cgroupMemoryLimit(files({ '/sys/fs/cgroup/memory/memory.limit_in_bytes': '536870912' }))).to.equal(536870912);
    expect(cgroupMemoryLimit(files({ '/sys/fs/cgroup/memory/memory.limit_in_bytes': '9223372036854771712' }))).to.equal(undefined);
    expect(cgroupMemoryLimit(files({}))).to.equal(undefined);
    expect(defaultBudgetBytes(1000)).to.equal(400);
    expect(defaultBudgetBytes(undefined)).to.equal(DEFAULT_BUDGET_BYTES);
  });
});
