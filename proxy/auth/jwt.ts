/**
 * Reading a JWT without verifying anything: its `exp` only shortens how long a TokenReview answer is
 * cached (the kube-apiserver did the verification), and its shape lets us refuse, without a review,
 * tokens that cannot be valid. Opaque tokens have no expiry here.
 */

/** A payload this large is not a service-account token; do not spend time decoding it. */
const MAX_PART_CHARS = 16 * 1024;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

function jsonObject(part: string): Record<string, unknown> | undefined {
  if (part.length > MAX_PART_CHARS || !BASE64URL.test(part)) return undefined;
  try {
    const v: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The claims of a JWS compact token (three base64url parts, JSON header with `alg`, JSON payload), or undefined. */
export function jwtClaims(token: string): Record<string, unknown> | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || !parts[2] || !BASE64URL.test(parts[2])) return undefined;
  const header = jsonObject(parts[0]!);
  if (!header || typeof header.alg !== 'string') return undefined;
  return jsonObject(parts[1]!);
}

/** Expiry instant in epoch milliseconds, or undefined when the token is not a JWT with a numeric exp. */
export function jwtExpiryMs(token: string): number | undefined {
  const exp = jwtClaims(token)?.exp;
  return typeof exp === 'number' && Number.isFinite(exp) ? exp * 1000 : undefined;
}

export type TokenShapeProblem = { reason: 'not_jwt' | 'expired'; message: string };

export interface TokenShapeRules {
  /**
   * Audiences are configured. The kube-apiserver then accepts only audience-aware tokens for them:
   * service-account and OIDC tokens, all JWTs. Audience-agnostic authenticators (OpenShift OAuth
   * `sha256~` tokens, static and bootstrap tokens) succeed only when the requested audiences include
   * the API server's own, which binding tokens to this proxy is meant to exclude.
   */
  audiencesRequired: boolean;
  nowMs: number;
  /** Clock skew tolerated past `exp`; the kube-apiserver allows a minute. */
  skewMs: number;
}

/** Why the token cannot be valid, decided locally; undefined: only a TokenReview can tell. */
export function tokenShapeProblem(token: string, rules: TokenShapeRules): TokenShapeProblem | undefined {
  const claims = jwtClaims(token);
  if (!claims) {
    return rules.audiencesRequired ? { reason: 'not_jwt', message: 'the bearer token is not a JWT, and this proxy accepts only audience-bound (service-account) tokens' } : undefined;
  }
  const exp = claims.exp;
  if (typeof exp === 'number' && Number.isFinite(exp) && exp * 1000 + rules.skewMs < rules.nowMs) {
    return { reason: 'expired', message: `the bearer token expired at ${new Date(exp * 1000).toISOString()}` };
  }
  return undefined;
}
