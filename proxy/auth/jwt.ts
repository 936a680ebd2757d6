/**
 * The `exp` claim of a JWT, read without verifying anything: it only shortens how long we cache a
 * TokenReview answer (the kube-apiserver did the verification). Opaque tokens have no expiry here.
 */

/** Expiry instant in epoch milliseconds, or undefined when the token is not a JWT with a numeric exp. */
export function jwtExpiryMs(token: string): number | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || !parts[1]) return undefined;
  // A payload this large is not a service-account token; do not spend time decoding it.
  if (parts[1].length > 16 * 1024) return undefined;
  try {
    const payload: unknown = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    if (typeof payload !== 'object' || payload === null) return undefined;
    const exp = (payload as { exp?: unknown }).exp;
    return typeof exp === 'number' && Number.isFinite(exp) ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}
