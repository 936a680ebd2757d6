/** How the server asks whether a request may be served. Implementations: insecure (below); TokenReview, client certificates and authorization in proxy/auth/ (createProxyAuth). */
import type { IncomingMessage } from 'node:http';

export type AuthDecision =
  | { kind: 'allow'; user: string }
  | { kind: 'unauthenticated'; message: string }
  | { kind: 'forbidden'; user: string; message: string }
  | { kind: 'unavailable'; retryAfterSeconds: number; message: string }
  /** Too many requests from this caller or in all (pre-authentication limits): 429 with Retry-After. */
  | { kind: 'throttled'; retryAfterSeconds: number; message: string };

export interface Authenticator {
  authorize(req: IncomingMessage, path: string): Promise<AuthDecision>;
  /** Whether what the authenticator depends on is reachable (for /readyz). */
  ready(): { ok: boolean; reason?: string };
}

/** Serves everyone. Only with the explicit --insecure-no-auth flag, which logs a warning at start. */
export const insecureNoAuth: Authenticator = {
  authorize: async () => ({ kind: 'allow', user: 'system:anonymous' }),
  ready: () => ({ ok: true }),
};
