/**
 * Who may read metrics: the allowed users and groups (`--allowed-subjects`), and optionally whoever a
 * SubjectAccessReview against the hosted cluster allows to `get` the non-resource path. The list is
 * checked first (no kube-apiserver needed); SAR answers are cached (allow 5 min, deny 30 s) and
 * concurrent identical reviews are shared.
 */
import { createHash } from 'node:crypto';
import { errorMessage } from '../../common/errors.js';
import type { Logger } from '../../common/log.js';
import type { ProxyMetrics } from '../server/metrics.js';
import { BoundedTtlCache } from './bounded-cache.js';
import { SingleFlight } from './concurrency.js';
import type { KasHealth } from './kas-health.js';
import type { HostedKubeApi } from './kube-client.js';
import { KasUnavailableError, retryAfterOf, type UserInfo } from './types.js';

export const DEFAULT_ALLOWED_SUBJECTS: readonly string[] = ['system:serviceaccount:openshift-monitoring:prometheus-k8s'];

export interface AllowedSubjects {
  users: ReadonlySet<string>;
  groups: ReadonlySet<string>;
}

/** `name` is a user, `group:name` a group. */
export function parseAllowedSubjects(entries: readonly string[]): AllowedSubjects {
  const users = new Set<string>();
  const groups = new Set<string>();
  for (const raw of entries) {
    const e = raw.trim();
    if (e === '') continue;
    if (e.startsWith('group:')) {
      const g = e.slice('group:'.length).trim();
      if (g === '') throw new Error(`allowed subject "${raw}": empty group name`);
      groups.add(g);
    } else {
      users.add(e);
    }
  }
  return { users, groups };
}

export type AuthzOutcome = { kind: 'allow'; via: 'list' | 'sar' } | { kind: 'deny'; message: string } | { kind: 'unavailable'; retryAfterSeconds: number; message: string };

export interface SarOptions {
  api: Pick<HostedKubeApi, 'subjectAccessReview'>;
  allowTtlMs?: number;
  denyTtlMs?: number;
  maxEntries?: number;
}

export interface SubjectAuthorizerOptions {
  allowed: AllowedSubjects;
  sar?: SarOptions;
  logger: Logger;
  metrics?: ProxyMetrics;
  health?: KasHealth;
  now?: () => number;
}

type SarVerdict = { allowed: boolean; reason?: string };

export class SubjectAuthorizer {
  private readonly cache: BoundedTtlCache<SarVerdict> | undefined;
  private readonly flight = new SingleFlight<AuthzOutcome>();

  constructor(private readonly opts: SubjectAuthorizerOptions) {
    if (opts.sar) this.cache = new BoundedTtlCache({ maxEntries: opts.sar.maxEntries ?? 10_000, now: opts.now });
  }

  async authorize(user: UserInfo, path: string): Promise<AuthzOutcome> {
    const { allowed } = this.opts;
    if (allowed.users.has(user.username) || user.groups.some((g) => allowed.groups.has(g))) return { kind: 'allow', via: 'list' };
    const denied: AuthzOutcome = { kind: 'deny', message: `user "${user.username}" is not allowed to get ${path}` };
    if (!this.opts.sar || !this.cache) return denied;
    const key = sarKey(user, path);
    const cached = this.cache.get(key);
    if (cached) {
      this.opts.metrics?.sarCacheLookups.inc({ result: 'hit' });
      return cached.allowed ? { kind: 'allow', via: 'sar' } : denied;
    }
    this.opts.metrics?.sarCacheLookups.inc({ result: 'miss' });
    return this.flight.run(key, () => this.review(key, user, path, denied)).promise;
  }

  private async review(key: string, user: UserInfo, path: string, denied: AuthzOutcome): Promise<AuthzOutcome> {
    const sar = this.opts.sar!;
    const { metrics, health, logger } = this.opts;
    if (health?.unreachable) return { kind: 'unavailable', retryAfterSeconds: retryAfterOf(undefined), message: 'the hosted kube-apiserver is unreachable and this decision is not cached' };
    let verdict: SarVerdict;
    try {
      const status = await sar.api.subjectAccessReview({
        user: user.username,
        ...(user.uid ? { uid: user.uid } : {}),
        groups: user.groups,
        ...(user.extra ? { extra: user.extra } : {}),
        nonResourceAttributes: { path, verb: 'get' },
      });
      verdict = { allowed: status.allowed === true && status.denied !== true, reason: status.reason };
    } catch (err) {
      metrics?.subjectAccessReviews.inc({ result: 'error' });
      if (err instanceof KasUnavailableError && err.status === undefined) health?.markDown(err.message);
      logger.warn('SubjectAccessReview failed; answering 503', { user: user.username, error: errorMessage(err) });
      return { kind: 'unavailable', retryAfterSeconds: retryAfterOf(err), message: 'the hosted kube-apiserver cannot authorize the request now' };
    }
    health?.markUp();
    metrics?.subjectAccessReviews.inc({ result: verdict.allowed ? 'allowed' : 'denied' });
    this.cache!.set(key, verdict, verdict.allowed ? (sar.allowTtlMs ?? 300_000) : (sar.denyTtlMs ?? 30_000));
    return verdict.allowed ? { kind: 'allow', via: 'sar' } : denied;
  }

  close(): void {
    this.cache?.close();
  }
}

/** Everything the SAR depends on, hashed so a long path or many groups cost a fixed-size key. */
function sarKey(user: UserInfo, path: string): string {
  const extra = Object.entries(user.extra ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return createHash('sha256')
    .update(JSON.stringify([user.username, user.uid ?? '', [...user.groups].sort(), extra, path]))
    .digest('base64url');
}
