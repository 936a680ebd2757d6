/** Shared vocabulary of the authentication modules: who the caller is, and why the hosted KAS could not answer. */

/** An authenticated caller, as Kubernetes describes one (TokenReview status.user, or a client certificate). */
export interface UserInfo {
  username: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

/** How the caller proved who it is. */
export type AuthMethod = 'x509' | 'token' | 'none';

/** Default seconds a caller should wait when the hosted kube-apiserver cannot decide. */
export const DEFAULT_RETRY_AFTER_SECONDS = 5;

/**
 * The hosted kube-apiserver could not be reached, timed out, or answered 5xx/429: a decision cannot
 * be made now (503 + Retry-After), must not be cached, and counts against its reachability.
 */
export class KasUnavailableError extends Error {
  override name = 'KasUnavailableError';
  constructor(
    message: string,
    readonly retryAfterSeconds: number = DEFAULT_RETRY_AFTER_SECONDS,
    readonly status?: number,
  ) {
    super(message);
  }
}

/**
 * The hosted kube-apiserver answered, but refused our own request (400/401/403/404...): usually the
 * proxy's credentials or RBAC. Still no decision about the caller (503), never cached.
 */
export class KasRequestError extends Error {
  override name = 'KasRequestError';
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/** Retry-After for a failed call to the hosted KAS. */
export function retryAfterOf(err: unknown): number {
  return err instanceof KasUnavailableError ? err.retryAfterSeconds : DEFAULT_RETRY_AFTER_SECONDS;
}
