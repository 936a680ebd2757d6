/**
 * One TokenReview, interpreted: authenticated with a user, or rejected (including a token that is not
 * valid for the configured audiences). Throws KasUnavailableError/KasRequestError when the hosted
 * kube-apiserver gives no verdict, so the caller can answer 503 instead of 401 and cache nothing.
 */
import type { HostedKubeApi } from './kube-client.js';
import type { CachedReview } from './token-cache.js';

export interface TokenReviewer {
  review(token: string): Promise<CachedReview>;
}

export class KubeTokenReviewer implements TokenReviewer {
  constructor(
    private readonly api: Pick<HostedKubeApi, 'tokenReview'>,
    /** When set, sent as spec.audiences and status.audiences must name at least one of them. */
    private readonly audiences: readonly string[] = [],
  ) {}

  async review(token: string): Promise<CachedReview> {
    const status = await this.api.tokenReview({ token, ...(this.audiences.length > 0 ? { audiences: [...this.audiences] } : {}) });
    const user = status.user;
    if (status.authenticated !== true || !user?.username) {
      // status.error is the KAS's own text (e.g. "invalid bearer token"); it never contains the token.
      return { authenticated: false, reason: status.error ? `rejected: ${status.error.slice(0, 200)}` : 'rejected' };
    }
    if (this.audiences.length > 0 && !(status.audiences ?? []).some((a) => this.audiences.includes(a))) {
      return { authenticated: false, reason: `not valid for audiences ${this.audiences.join(',')}` };
    }
    return {
      authenticated: true,
      user: {
        username: user.username,
        ...(user.uid ? { uid: user.uid } : {}),
        groups: user.groups ?? [],
        ...(user.extra && Object.keys(user.extra).length > 0 ? { extra: user.extra } : {}),
      },
    };
  }
}
