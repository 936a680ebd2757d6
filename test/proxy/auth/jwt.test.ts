/** Reading JWTs without verifying them (proxy/auth/jwt.ts): claims, and tokens that cannot be valid. */
import { expect } from 'chai';
import { jwtClaims, tokenShapeProblem } from '../../../proxy/auth/jwt.js';
import { fakeJwt } from '../../support/fake-kube-apiserver.js';

const NOW = 1_900_000_000_000;
const rules = (audiencesRequired: boolean) => ({ audiencesRequired, nowMs: NOW, skewMs: 60_000 });

describe('auth: JWT shape', () => {
  it('reads the claims of a JWS compact token with a JSON header naming alg', () => {
    expect(jwtClaims(fakeJwt({ sub: 'x', exp: 5 }))).to.deep.equal({ sub: 'x', exp: 5 });
    const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    for (const t of ['opaque', 'a.b', `${b64({ typ: 'JWT' })}.${b64({ sub: 'x' })}.sig`, `${b64({ alg: 'RS256' })}.${b64([1])}.sig`, `${b64({ alg: 'RS256' })}.${b64({ sub: 'x' })}.`, `${b64({ alg: 'RS256' })}.${b64({ sub: 'x' })}.s+g`]) {
      expect(jwtClaims(t), t).to.equal(undefined);
    }
  });

  it('without audiences, leaves opaque tokens (OpenShift OAuth sha256~...) to the TokenReview', () => {
    expect(tokenShapeProblem('sha256~abcdef', rules(false))).to.equal(undefined);
    expect(tokenShapeProblem('sha256~abcdef', rules(true))).to.deep.include({ reason: 'not_jwt' });
  });

  it('refuses a JWT expired longer ago than the skew, whatever the audiences', () => {
    const exp = (s: number) => fakeJwt({ sub: 'x', exp: NOW / 1000 + s });
    expect(tokenShapeProblem(exp(-61), rules(false))).to.deep.include({ reason: 'expired' });
    expect(tokenShapeProblem(exp(-59), rules(true))).to.equal(undefined);
    expect(tokenShapeProblem(exp(3600), rules(true))).to.equal(undefined);
    expect(tokenShapeProblem(fakeJwt({ sub: 'no exp' }), rules(true))).to.equal(undefined);
  });
});
