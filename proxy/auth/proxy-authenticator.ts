/**
 * The proxy's Authenticator (proxy/server/auth.ts): client certificate first (never needs the hosted
 * kube-apiserver), then the bearer token, then the allowed subjects / SubjectAccessReview. As in the
 * kube-apiserver's union authenticator, a certificate that fails verification does not end the
 * request when a valid token is also presented. The caller's Authorization and Cookie headers are
 * removed from the request once read, so nothing downstream (scrapes, logs) can see them.
 */
import type { IncomingMessage } from 'node:http';
import type { Logger } from '../../common/log.js';
import type { AuthDecision, Authenticator } from '../server/auth.js';
import type { ProxyMetrics } from '../server/metrics.js';
import type { SubjectAuthorizer } from './authorizer.js';
import { authenticateClientCertificate } from './client-cert.js';
import type { KasHealth } from './kas-health.js';
import type { TokenAuthenticator } from './token-authenticator.js';
import type { AuthMethod, UserInfo } from './types.js';

export interface ProxyAuthenticatorOptions {
  /** Bearer tokens via TokenReview; absent without a kubeconfig. */
  tokens?: TokenAuthenticator;
  /** Accept verified client certificates (the server was given a client CA). */
  clientCertificates: boolean;
  authorizer: SubjectAuthorizer;
  /** Reachability of the hosted kube-apiserver, for readiness; absent without a kubeconfig. */
  health?: KasHealth;
  logger: Logger;
  metrics?: ProxyMetrics;
  now?: () => number;
}

const BEARER = /^Bearer +([^\s]+) *$/i;

/** The bearer token of an Authorization header, if it carries one. */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  return BEARER.exec(header)?.[1];
}

/** Drops the caller's credentials from the request (parsed and raw headers). */
export function scrubCredentials(req: IncomingMessage): void {
  delete req.headers.authorization;
  delete req.headers.cookie;
  const raw = req.rawHeaders;
  for (let i = raw.length - 2; i >= 0; i -= 2) {
    const name = raw[i]!.toLowerCase();
    if (name === 'authorization' || name === 'cookie') raw.splice(i, 2);
  }
}

export class ProxyAuthenticator implements Authenticator {
  constructor(private readonly opts: ProxyAuthenticatorOptions) {}

  async authorize(req: IncomingMessage, path: string): Promise<AuthDecision> {
    const header = req.headers.authorization;
    const token = bearerToken(header);
    scrubCredentials(req);
    const { decision, method } = await this.decide(req, path, token, header !== undefined);
    this.opts.metrics?.authDecisions.inc({ outcome: decision.kind, method });
    if (decision.kind !== 'allow') this.opts.logger.debug('request not served', { outcome: decision.kind, method, path, message: decision.message });
    return decision;
  }

  private async decide(req: IncomingMessage, path: string, token: string | undefined, hadAuthorization: boolean): Promise<{ decision: AuthDecision; method: AuthMethod }> {
    let user: UserInfo | undefined;
    let method: AuthMethod = 'none';
    let certProblem: string | undefined;
    if (this.opts.clientCertificates) {
      const c = authenticateClientCertificate(req.socket, this.opts.now);
      if (c.kind === 'authenticated') {
        user = c.user;
        method = 'x509';
      } else if (c.kind === 'rejected') {
        certProblem = `client certificate rejected (${c.reason})`;
      }
    }
    if (!user && token !== undefined) {
      method = 'token';
      if (!this.opts.tokens) return { decision: { kind: 'unauthenticated', message: 'bearer tokens are not accepted by this proxy (no kubeconfig); use a client certificate' }, method };
      const t = await this.opts.tokens.authenticate(token, req.socket.remoteAddress);
      if (t.kind === 'unavailable' || t.kind === 'throttled') return { decision: t, method };
      if (t.kind === 'rejected') return { decision: { kind: 'unauthenticated', message: t.local ? t.reason : 'invalid bearer token' }, method };
      user = t.user;
    }
    if (!user) {
      const why = certProblem ?? (hadAuthorization ? 'the Authorization header is not a bearer token' : 'no credentials: send a bearer token or a client certificate');
      return { decision: { kind: 'unauthenticated', message: why }, method };
    }
    const z = await this.opts.authorizer.authorize(user, path);
    switch (z.kind) {
      case 'allow':
        return { decision: { kind: 'allow', user: user.username }, method };
      case 'deny':
        return { decision: { kind: 'forbidden', user: user.username, message: z.message }, method };
      case 'unavailable':
        return { decision: z, method };
    }
  }

  ready(): { ok: boolean; reason?: string } {
    return this.opts.health ? this.opts.health.ready() : { ok: true };
  }
}
