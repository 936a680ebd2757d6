import { expect } from 'chai';
import { BoundedTtlCache } from '../../../proxy/auth/bounded-cache.js';
import { jwtExpiryMs } from '../../../proxy/auth/jwt.js';
import { TokenCache } from '../../../proxy/auth/token-cache.js';
import { fakeJwt } from '../../support/fake-kube-apiserver.js';
import { FakeClock } from './helpers.js';

describe('auth: bounded TTL cache', () => {
  let clock: FakeClock;
  const caches: BoundedTtlCache<string>[] = [];
  const make = (maxEntries: number, onEvict?: () => void) => {
    const c = new BoundedTtlCache<string>({ maxEntries, now: clock.now, onEvict });
    caches.push(c);
    return c;
  };
  beforeEach(() => (clock = new FakeClock()));
  afterEach(() => caches.splice(0).forEach((c) => c.close()));

  it('expires entries by the injected clock', () => {
    const c = make(10);
    c.set('a', 'A', 1000);
    clock.advance(999);
    expect(c.get('a')).to.equal('A');
    clock.advance(1);
    expect(c.get('a')).to.equal(undefined);
    expect(c.size).to.equal(0);
  });

  it('stores nothing for a TTL of zero or less', () => {
    const c = make(10);
    c.set('a', 'A', 0);
    c.set('b', 'B', -5);
    expect(c.size).to.equal(0);
  });

  it('evicts the oldest entry when full, and counts it', () => {
    let evicted = 0;
    const c = make(3, () => evicted++);
    for (const k of ['a', 'b', 'c', 'd']) c.set(k, k.toUpperCase(), 60_000);
    expect(c.size).to.equal(3);
    expect(c.get('a')).to.equal(undefined);
    expect([c.get('b'), c.get('c'), c.get('d')]).to.deep.equal(['B', 'C', 'D']);
    expect(evicted).to.equal(1);
  });

  it('treats a re-set key as the newest', () => {
    const c = make(2);
    c.set('a', '1', 60_000);
    c.set('b', '2', 60_000);
    c.set('a', '3', 60_000);
    c.set('c', '4', 60_000);
    expect(c.get('b')).to.equal(undefined);
    expect(c.get('a')).to.equal('3');
  });

  it('refuses a cap below one', () => {
    expect(() => new BoundedTtlCache({ maxEntries: 0 })).to.throw(RangeError);
  });
});

describe('auth: JWT expiry', () => {
  it('reads exp from a JWT payload', () => {
    expect(jwtExpiryMs(fakeJwt({ exp: 1_900_000_000, sub: 'x' }))).to.equal(1_900_000_000_000);
  });

  it('returns undefined for opaque tokens and malformed or exp-less JWTs', () => {
    for (const t of ['sha256~opaque', 'a.b', 'a.b.c.d', `x.${Buffer.from('not json').toString('base64url')}.y`, fakeJwt({ sub: 'x' }), fakeJwt({ exp: '1900000000' })]) {
      expect(jwtExpiryMs(t), t).to.equal(undefined);
    }
  });
});

describe('auth: token cache', () => {
  let clock: FakeClock;
  let cache: TokenCache;
  const user = { username: 'u', groups: [] };
  beforeEach(() => {
    clock = new FakeClock();
    cache = new TokenCache({ positiveTtlMs: 300_000, negativeTtlMs: 10_000, maxEntries: 100, now: clock.now });
  });
  afterEach(() => cache.close());

  it('keys by an HMAC with a per-instance key, never the token itself', () => {
    const token = 'my-secret-token';
    const k = cache.keyOf(token);
    expect(k).to.not.contain(token);
    expect(k).to.equal(cache.keyOf(token));
    expect(k).to.match(/^[A-Za-z0-9_-]{43}$/); // 32 bytes, base64url
    const other = new TokenCache({ positiveTtlMs: 1, negativeTtlMs: 1, maxEntries: 1 });
    expect(other.keyOf(token)).to.not.equal(k);
    other.close();
  });

  it('keeps a success for the TTL and a rejection for the negative TTL', () => {
    cache.remember('ok', { authenticated: true, user });
    cache.remember('no', { authenticated: false, reason: 'rejected' });
    clock.advance(9_999);
    expect(cache.recall('no')).to.deep.equal({ authenticated: false, reason: 'rejected' });
    clock.advance(1);
    expect(cache.recall('no')).to.equal(undefined);
    clock.advance(300_000 - 10_001);
    expect(cache.recall('ok')).to.deep.equal({ authenticated: true, user });
    clock.advance(1);
    expect(cache.recall('ok')).to.equal(undefined);
  });

  it('caps a success at the JWT exp, and does not cache one already expired', () => {
    expect(cache.remember('jwt', { authenticated: true, user }, clock.t + 60_000)).to.equal(60_000);
    clock.advance(60_000);
    expect(cache.recall('jwt')).to.equal(undefined);
    expect(cache.remember('old', { authenticated: true, user }, clock.t - 1)).to.equal(0);
    expect(cache.recall('old')).to.equal(undefined);
    // An exp beyond the TTL does not lengthen it.
    expect(cache.remember('long', { authenticated: true, user }, clock.t + 3_600_000)).to.equal(300_000);
  });

  it('bounds positive and negative entries separately: rejections never evict successes', () => {
    cache.remember('ok', { authenticated: true, user });
    for (let i = 0; i < 1000; i++) cache.remember(`bad-${i}`, { authenticated: false, reason: 'rejected' });
    expect(cache.sizes()).to.deep.equal({ positive: 1, negative: 100 });
    expect(cache.recall('ok')).to.not.equal(undefined);
  });
});
