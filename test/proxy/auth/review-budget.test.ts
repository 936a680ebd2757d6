/** The TokenReview budget (proxy/auth/review-budget.ts) on a fake clock: bursts, refill, per-source separation. */
import { expect } from 'chai';
import { ReviewBudget, TokenBucket } from '../../../proxy/auth/review-budget.js';
import { FakeClock } from './helpers.js';

describe('auth: review budget', () => {
  let clock: FakeClock;
  beforeEach(() => {
    clock = new FakeClock();
  });

  it('a bucket gives its burst at once, then one token per 1/rate seconds', () => {
    const b = new TokenBucket({ perSecond: 2, burst: 3 }, clock.now);
    for (let i = 0; i < 3; i++) {
      expect(b.available()).to.equal(true);
      b.spend();
    }
    expect(b.available()).to.equal(false);
    expect(b.waitSeconds()).to.be.closeTo(0.5, 1e-9);
    clock.advance(500);
    expect(b.available()).to.equal(true);
    clock.advance(60_000);
    expect(b.full()).to.equal(true);
  });

  it('refuses past the global budget with scope global and a Retry-After of at least a second', () => {
    const budget = new ReviewBudget({ global: { perSecond: 1, burst: 2 }, perSource: { perSecond: 0, burst: 0 }, now: clock.now });
    expect(budget.take('a')).to.deep.equal({ ok: true });
    expect(budget.take('b')).to.deep.equal({ ok: true });
    expect(budget.take('c')).to.deep.equal({ ok: false, scope: 'global', retryAfterSeconds: 1 });
    clock.advance(1000);
    expect(budget.take('c')).to.deep.equal({ ok: true });
  });

  it('keeps one source from spending what others need, and a refused source spends nothing globally', () => {
    const budget = new ReviewBudget({ global: { perSecond: 1, burst: 4 }, perSource: { perSecond: 0.25, burst: 2 }, now: clock.now });
    expect(budget.take('flood').ok).to.equal(true);
    expect(budget.take('flood').ok).to.equal(true);
    for (let i = 0; i < 10; i++) expect(budget.take('flood')).to.deep.equal({ ok: false, scope: 'source', retryAfterSeconds: 4 });
    // Ten refusals of the flooding source left the global budget at 2 of 4.
    expect(budget.take('prometheus-0').ok).to.equal(true);
    expect(budget.take('prometheus-1').ok).to.equal(true);
    expect(budget.take('prometheus-2')).to.include({ ok: false, scope: 'global' });
  });

  it('rate 0 is unlimited', () => {
    const budget = new ReviewBudget({ global: { perSecond: 0, burst: 0 }, perSource: { perSecond: 0, burst: 0 }, now: clock.now });
    for (let i = 0; i < 1000; i++) expect(budget.take('x').ok).to.equal(true);
    expect(budget.sourceCount).to.equal(0);
  });

  it('holds a bounded number of per-source buckets under a flood of sources', () => {
    const budget = new ReviewBudget({ global: { perSecond: 0, burst: 0 }, perSource: { perSecond: 1, burst: 1 }, now: clock.now, maxSources: 100 });
    for (let i = 0; i < 10_000; i++) budget.take(`10.0.${i >> 8}.${i & 255}`);
    expect(budget.sourceCount).to.be.at.most(100);
  });

  it('refuses settings that cannot work', () => {
    expect(() => new ReviewBudget({ global: { perSecond: -1, burst: 1 }, perSource: { perSecond: 0, burst: 0 } })).to.throw(/token review rate must be a number of reviews per second ≥ 0/);
    expect(() => new ReviewBudget({ global: { perSecond: 1, burst: 1 }, perSource: { perSecond: 1, burst: 0 } })).to.throw(/per-source token review burst must be at least 1/);
  });
});
