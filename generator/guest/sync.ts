/**
 * Guest sync: keeps the CA bundle ConfigMap and the PodMonitor (guest/objects.ts) in the guest
 * cluster in step with the management side. A pass runs after every change of the served paths or
 * of the CA bundle, and every `intervalMs` to repair drift (an object deleted or edited by hand).
 *
 * Failures of the guest API are retried with capped exponential backoff and never reach the
 * management-side work: they are logged once per change of state (not per retry), counted in the
 * metrics and shown by status(). Objects of our names that we do not own are left alone and reported.
 *
 * It also tells the certificate manager whether the guest trusts a CA (trustedSince): the CA bundle
 * as last read from or written to the guest, whoever owns the ConfigMap.
 *
 * Turned off (`mode: 'cleanup'`) it deletes the objects it owns, retrying until that is done.
 */
import type { V1DeleteOptions } from '@kubernetes/client-node';
import { errorMessage } from '../../common/errors.js';
import type { Logger } from '../../common/log.js';
import type { GeneratorMetrics, GuestSyncResult } from '../metrics.js';
import type { GuestApis } from './client.js';
import { bundleCertificates, containsAll, desiredCaConfigMap, desiredPodMonitor, GUEST_OBJECTS, isOwned, PODMONITOR_API, splitEndpointPaths, type GuestAuth, type GuestConfigMap, type GuestObjectOptions, type GuestPodMonitor } from './objects.js';

export interface GuestSyncOptions {
  /** The guest clients (re-read when the kubeconfig rotates). */
  client: { current(): GuestApis };
  objects: GuestObjectOptions;
  /** The CA bundle to publish (the management-side ConfigMap's); undefined while there is none. */
  readBundle: () => Promise<string | undefined>;
  /** sync (default): keep the objects; cleanup: delete the ones we own, then stop. */
  mode?: 'sync' | 'cleanup';
  logger: Logger;
  metrics?: GeneratorMetrics;
  /** Drift repair period. Default 60 s. */
  intervalMs?: number;
  /** Quiet time after a trigger before a pass (a burst of triggers is one pass). Default 200 ms. */
  debounceMs?: number;
  backoff?: { initialMs: number; maxMs: number };
  /** Called when the CA certificates the guest bundle holds change. */
  onGuestBundle?: () => void;
  now?: () => number;
}

export interface PassResult {
  written: string[];
  /** Objects of our names we do not own (left alone). */
  conflicts: string[];
  /** Why something could not be written yet (no CA bundle, no configuration generated yet). */
  pending: string[];
  /** Served paths left out of the PodMonitor because they cannot be endpoint paths (the others are written). */
  rejected: string[];
}

export interface GuestSyncStatus {
  ok: boolean;
  reason?: string;
  lastSuccessMs?: number;
  consecutiveFailures: number;
  /** While failing: the delay before the next attempt (capped exponential backoff). */
  retryInMs?: number;
  /** cleanup mode: the objects are gone. */
  done?: boolean;
}

type Kind = 'ConfigMap' | 'PodMonitor';

interface Existing {
  metadata?: { name?: string; resourceVersion?: string; uid?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  data?: Record<string, string>;
  spec?: unknown;
}

/** A desired object: ours to create or replace as a whole. */
type Desired = (GuestConfigMap | GuestPodMonitor) & { metadata: { resourceVersion?: string | undefined } };

/** Retries of one write after a 409 (someone wrote in between) within a pass. */
const CONFLICT_RETRIES = 3;

function statusCode(err: unknown): number | undefined {
  const c = (err as { code?: unknown }).code;
  return typeof c === 'number' ? c : undefined;
}

export class GuestSyncError extends Error {}

export class GuestSync {
  private paths: string[] | undefined;
  private timer: NodeJS.Timeout | undefined;
  private dueAt = Infinity;
  private running = false;
  private again = false;
  private stopped = true;
  private failures = 0;
  private lastSuccess: number | undefined;
  private lastError: string | undefined;
  private retryInMs: number | undefined;
  private last: PassResult | undefined;
  private stateKey = '';
  /** The rejected paths last logged, so each change is logged once. */
  private rejectedKey = '';
  private done = false;
  /** Normalized CA certificates in the guest bundle, with when each was first seen there. */
  private guestCAs = new Map<string, number>();
  private readonly now: () => number;
  private readonly mode: 'sync' | 'cleanup';
  private readonly backoff: { initialMs: number; maxMs: number };

  constructor(private readonly opts: GuestSyncOptions) {
    this.now = opts.now ?? Date.now;
    this.mode = opts.mode ?? 'sync';
    this.backoff = opts.backoff ?? { initialMs: 1000, maxMs: 30_000 };
    opts.metrics?.watchGuestSync({
      lastSuccessMs: () => this.lastSuccess,
      consecutiveFailures: () => this.failures,
      conflicts: () => this.last?.conflicts.length ?? 0,
    });
  }

  /** Starts the loop: a pass now, then on triggers and every intervalMs. */
  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** The paths the proxy now serves (after every generation); a change triggers a pass. */
  setPaths(paths: readonly string[]): void {
    if (this.paths && this.paths.join('\n') === paths.join('\n')) return;
    this.paths = [...paths];
    this.nudge();
  }

  /**
   * Something the guest objects depend on changed. While failing, the backoff is kept (a burst of
   * management changes must not hammer a broken guest) unless `resetBackoff` (new credentials).
   */
  nudge(resetBackoff = false): void {
    if (resetBackoff) this.failures = 0;
    if (this.failures > 0 && this.timer) return;
    this.schedule(this.opts.debounceMs ?? 200);
  }

  /** Since when (by `now`) the guest bundle has held `caPem`; undefined when it does not (or nobody looked yet). */
  trustedSince(caPem: string): number | undefined {
    const cert = bundleCertificates(caPem)[0];
    return cert === undefined ? undefined : this.guestCAs.get(cert);
  }

  status(): GuestSyncStatus {
    const base = { consecutiveFailures: this.failures, ...(this.lastSuccess !== undefined ? { lastSuccessMs: this.lastSuccess } : {}) };
    if (this.mode === 'cleanup' && this.done) return { ok: true, done: true, ...base };
    if (this.lastError !== undefined) return { ok: false, reason: this.lastError, ...base, ...(this.retryInMs !== undefined ? { retryInMs: this.retryInMs } : {}) };
    if (!this.last) return { ok: false, reason: 'no pass completed yet', ...base };
    const problems = [...this.last.conflicts, ...this.last.pending, ...this.last.rejected];
    return problems.length > 0 ? { ok: false, reason: problems.join('; '), ...base } : { ok: true, ...base };
  }

  // ---- one pass ------------------------------------------------------------------------------

  /** One sync pass; throws on API errors (the loop retries them). */
  async reconcile(): Promise<PassResult> {
    // Read outside named(): a management-side failure must not be reported as the guest's.
    const bundle = await this.opts.readBundle();
    return (this.last = await this.named(() => this.syncPass(bundle)));
  }

  /** Deletes the objects we own (only those: by name, label and source namespace); reports the others. */
  async cleanup(): Promise<PassResult> {
    return (this.last = await this.named(() => this.cleanupPass()));
  }

  /** Errors name the guest API server, so a log line or probe answer says which cluster failed. */
  private async named<T>(pass: () => Promise<T>): Promise<T> {
    try {
      return await pass();
    } catch (err) {
      throw new GuestSyncError(`guest API ${this.serverName()}: ${errorMessage(err)}`);
    }
  }

  /** `auto`: bearer-token when the guest chart's token Secret is there, else the client-certificate scrape class. */
  private async resolveAuth(apis: GuestApis): Promise<GuestAuth> {
    const auth = this.opts.objects.auth;
    if (auth.mode !== 'auto') return auth;
    const name = GUEST_OBJECTS.defaultTokenSecret;
    try {
      await apis.core.readNamespacedSecret({ name, namespace: this.opts.objects.namespace });
      return { mode: 'bearer-token', secret: name };
    } catch (err) {
      if ((err as { code?: number }).code === 404) return { mode: 'client-certificate' };
      throw err;
    }
  }

  private async syncPass(bundle: string | undefined): Promise<PassResult> {
    const apis = this.opts.client.current();
    const o = this.opts.objects;
    const out: PassResult = { written: [], conflicts: [], pending: [], rejected: [] };
    const cmName = GUEST_OBJECTS.caConfigMap;
    // Without a bundle the guest's stays as it is: removing trust would break scrapes.
    const cm = bundle === undefined ? undefined : desiredCaConfigMap(bundle, o);
    await this.apply(out, 'ConfigMap', cmName, {
      read: () => apis.core.readNamespacedConfigMap({ name: cmName, namespace: o.namespace }),
      observe: (cur) => this.observeBundle(cur?.data?.[GUEST_OBJECTS.caKey]),
      desired: cm,
      pendingReason: `no CA bundle to publish yet (management ConfigMap ${o.sourceNamespace}/${cmName} key ${GUEST_OBJECTS.caKey})`,
      same: (cur) => JSON.stringify(cur.data ?? {}) === JSON.stringify(cm!.data),
      create: (body) => apis.core.createNamespacedConfigMap({ namespace: o.namespace, body }),
      replace: (body) => apis.core.replaceNamespacedConfigMap({ name: cmName, namespace: o.namespace, body }),
    });
    const pmName = GUEST_OBJECTS.podMonitor;
    const custom = { ...PODMONITOR_API, namespace: o.namespace };
    // Until the first generation the paths are unknown: an empty endpoint list would stop every scrape.
    // A path that cannot be an endpoint path is left out (and reported); the others are still written.
    const split = this.paths === undefined ? undefined : splitEndpointPaths(this.paths);
    if (split) this.reportRejected((out.rejected = split.rejected));
    const pm = split === undefined ? undefined : desiredPodMonitor(split.valid, { ...o, auth: await this.resolveAuth(apis) });
    await this.apply(out, 'PodMonitor', pmName, {
      read: () => apis.custom.getNamespacedCustomObject({ ...custom, name: pmName }) as Promise<Existing>,
      desired: pm,
      pendingReason: 'no configuration generated yet',
      same: (cur) => containsAll(cur.spec, pm!.spec),
      create: async (body) => {
        try {
          return (await apis.custom.createNamespacedCustomObject({ ...custom, body })) as Existing;
        } catch (err) {
          if (statusCode(err) === 404) throw new GuestSyncError(`the guest cluster does not serve ${PODMONITOR_API.plural}.${PODMONITOR_API.group}/${PODMONITOR_API.version} (prometheus-operator CRDs not installed?)`);
          throw err;
        }
      },
      replace: (body) => apis.custom.replaceNamespacedCustomObject({ ...custom, name: pmName, body }) as Promise<Existing>,
    });
    return out;
  }

  private async cleanupPass(): Promise<PassResult> {
    const apis = this.opts.client.current();
    const ns = this.opts.objects.namespace;
    const out: PassResult = { written: [], conflicts: [], pending: [], rejected: [] };
    const targets: { kind: Kind; name: string; read: () => Promise<Existing>; del: (body: V1DeleteOptions) => Promise<unknown> }[] = [
      {
        kind: 'PodMonitor',
        name: GUEST_OBJECTS.podMonitor,
        read: () => apis.custom.getNamespacedCustomObject({ ...PODMONITOR_API, namespace: ns, name: GUEST_OBJECTS.podMonitor }) as Promise<Existing>,
        del: (body) => apis.custom.deleteNamespacedCustomObject({ ...PODMONITOR_API, namespace: ns, name: GUEST_OBJECTS.podMonitor, body }),
      },
      {
        kind: 'ConfigMap',
        name: GUEST_OBJECTS.caConfigMap,
        read: () => apis.core.readNamespacedConfigMap({ name: GUEST_OBJECTS.caConfigMap, namespace: ns }),
        del: (body) => apis.core.deleteNamespacedConfigMap({ name: GUEST_OBJECTS.caConfigMap, namespace: ns, body }),
      },
    ];
    for (const t of targets) {
      const cur = await this.readIfPresent(t.read);
      if (!cur) continue;
      if (!isOwned(cur.metadata, this.opts.objects.sourceNamespace)) {
        out.conflicts.push(this.conflictMessage(t.kind, t.name));
        continue;
      }
      try {
        // Preconditions: never delete an object that changed hands since we read it.
        await t.del({ preconditions: { uid: cur.metadata?.uid, resourceVersion: cur.metadata?.resourceVersion } });
      } catch (err) {
        if (statusCode(err) === 404) continue;
        throw err;
      }
      this.written(out, t.kind, t.name, 'deleted');
    }
    return out;
  }

  // ---- the loop ------------------------------------------------------------------------------

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    const at = this.now() + delayMs;
    if (this.timer && this.dueAt <= at) return;
    if (this.timer) clearTimeout(this.timer);
    this.dueAt = at;
    this.timer = setTimeout(() => void this.run(), delayMs);
    this.timer.unref?.();
  }

  private async run(): Promise<void> {
    this.timer = undefined;
    this.dueAt = Infinity;
    this.running = true;
    this.again = false;
    let next: number;
    try {
      const r = this.mode === 'cleanup' ? await this.cleanup() : await this.reconcile();
      this.last = r;
      this.lastError = undefined;
      this.retryInMs = undefined;
      this.failures = 0;
      this.lastSuccess = this.now();
      const result: GuestSyncResult = r.conflicts.length > 0 ? 'conflict' : 'success';
      this.opts.metrics?.guestSyncAttempts.inc({ result });
      this.transition(r.conflicts.length > 0 ? `conflict:${r.conflicts.join()}` : `pending:${r.pending.join()}`, () => {
        if (r.conflicts.length > 0) this.opts.logger.warn('guest objects held by someone else are left alone', { conflicts: r.conflicts });
        else if (this.mode === 'cleanup') this.opts.logger.info('guest sync is off: the objects it created are removed from the guest', { namespace: this.opts.objects.namespace });
        else this.opts.logger.info('guest in sync', { namespace: this.opts.objects.namespace, ...(r.pending.length > 0 ? { pending: r.pending } : {}) });
      });
      if (this.mode === 'cleanup' && r.conflicts.length === 0) this.done = true;
      next = this.again ? (this.opts.debounceMs ?? 200) : (this.opts.intervalMs ?? 60_000);
    } catch (err) {
      this.failures++;
      this.lastError = errorMessage(err);
      this.opts.metrics?.guestSyncAttempts.inc({ result: 'error' });
      next = Math.min(this.backoff.initialMs * 2 ** (this.failures - 1), this.backoff.maxMs);
      this.retryInMs = next;
      this.transition(`error:${failureState(this.lastError)}`, () =>
        this.opts.logger.error('guest sync failed; retrying with backoff (the management side is not affected)', { error: this.lastError, retryInMs: next }),
      );
      this.opts.logger.debug('guest sync retry scheduled', { failures: this.failures, retryInMs: next });
    }
    this.running = false;
    if (this.mode === 'cleanup' && this.done) return;
    this.schedule(next);
  }

  /** Logs only when the state changes, so a long outage is one line, not one per retry. */
  private transition(key: string, log: () => void): void {
    if (key === this.stateKey) return;
    const wasFailing = this.stateKey.startsWith('error:');
    this.stateKey = key;
    if (wasFailing && !key.startsWith('error:')) this.opts.logger.info('guest sync recovered');
    log();
  }

  private serverName(): string {
    try {
      return this.opts.client.current().server;
    } catch {
      return '(no kubeconfig)';
    }
  }

  // ---- helpers -------------------------------------------------------------------------------

  /** Creates, replaces (optimistically, by resourceVersion) or leaves one object; re-decides after a 409. */
  private async apply(
    out: PassResult,
    kind: Kind,
    name: string,
    h: {
      read: () => Promise<Existing>;
      /** Sees the object as read and as written (the bundle the guest holds). */
      observe?: (cur: Existing | undefined) => void;
      desired: Desired | undefined;
      pendingReason: string;
      /** Whether the current object already has the desired content. */
      same: (cur: Existing) => boolean;
      create: (body: Desired) => Promise<Existing>;
      replace: (body: Desired) => Promise<Existing>;
    },
  ): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const cur = await this.readIfPresent(h.read);
      h.observe?.(cur);
      if (!h.desired) {
        out.pending.push(h.pendingReason);
        return;
      }
      if (cur && !isOwned(cur.metadata, this.opts.objects.sourceNamespace)) {
        out.conflicts.push(this.conflictMessage(kind, name));
        return;
      }
      try {
        if (!cur) {
          // Not `h.observe?.(await ...)`: optional chaining would skip the write itself when there is no observer.
          const created = await h.create(h.desired);
          h.observe?.(created);
          this.written(out, kind, name, 'created');
        } else if (!h.same(cur) || !containsAll(cur.metadata, h.desired.metadata)) {
          const body = { ...h.desired, metadata: { ...h.desired.metadata, resourceVersion: cur.metadata?.resourceVersion } };
          const replaced = await h.replace(body);
          h.observe?.(replaced);
          this.written(out, kind, name, 'updated');
        }
        return;
      } catch (err) {
        // 409: created or changed by someone in between; read again and decide again.
        if (statusCode(err) === 409 && attempt < CONFLICT_RETRIES) continue;
        throw err;
      }
    }
  }

  private reportRejected(rejected: string[]): void {
    const key = rejected.join('\n');
    if (key === this.rejectedKey) return;
    this.rejectedKey = key;
    if (rejected.length > 0) this.opts.logger.error('served paths left out of the guest PodMonitor', { rejected });
  }

  private async readIfPresent<T>(read: () => Promise<T>): Promise<T | undefined> {
    try {
      return await read();
    } catch (err) {
      if (statusCode(err) === 404) return undefined;
      throw err;
    }
  }

  private written(out: PassResult, kind: Kind, name: string, action: 'created' | 'updated' | 'deleted'): void {
    out.written.push(`${kind}/${name}`);
    this.opts.metrics?.guestObjectsWritten.inc({ kind, action });
    this.opts.logger.info(`guest ${kind} ${action}`, { namespace: this.opts.objects.namespace, name });
  }

  private conflictMessage(kind: Kind, name: string): string {
    return `${kind} ${this.opts.objects.namespace}/${name} exists in the guest but was not created by this generator for ${this.opts.objects.sourceNamespace}; left alone`;
  }

  private observeBundle(bundle: string | undefined): void {
    const certs = bundleCertificates(bundle ?? '');
    const next = new Map(certs.map((c) => [c, this.guestCAs.get(c) ?? this.now()] as const));
    const changed = next.size !== this.guestCAs.size || [...next.keys()].some((c) => !this.guestCAs.has(c));
    this.guestCAs = next;
    if (changed) this.opts.onGuestBundle?.();
  }
}

/** Connection-level failures vary by the moment they hit (reset while closing, then refused): one state for the log. */
const UNREACHABLE = /ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN|socket hang up/;

function failureState(message: string): string {
  return UNREACHABLE.test(message) ? 'unreachable' : message;
}
