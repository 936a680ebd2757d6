/**
 * Namespaced resources for the fake kube-apiserver: the real REST paths, list and watch with
 * resourceVersions, label selectors, bookmarks, dropped watches and 410 Gone, and
 * create/get/update/patch/delete with the status codes and Status objects of the real server.
 * Tests and the demo change objects directly through the same store (create/update/patch/remove),
 * and every change reaches open watches exactly as an etcd-backed server would send it.
 *
 * One resourceVersion counter spans every type (as etcd's revision does). History of changes is
 * kept so a watch can resume from an older resourceVersion; compact() forgets it, after which such
 * a watch gets the ERROR event with a 410 Expired Status, as a real server does after compaction.
 */
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { applyJsonPatch, applyMergePatch, PatchError } from './patch.js';
import { matchesLabelSelector, parseLabelSelector, type LabelRequirement } from './label-selector.js';
import { sendJson, sendStatus } from './respond.js';
import type { FakeKasRequest, FakeKubeApiserver } from './server.js';

export interface ResourceType {
  /** '' for the core group. */
  group: string;
  version: string;
  /** Lower-case plural as in the URL, e.g. 'pods', 'servicemonitors'. */
  plural: string;
  kind: string;
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    resourceVersion?: string;
    uid?: string;
    generation?: number;
    creationTimestamp?: string;
    [k: string]: unknown;
  };
  [k: string]: unknown;
}

/** metav1.Preconditions of a DeleteOptions body. */
export interface DeletePreconditions {
  uid?: string | null;
  resourceVersion?: string | null;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export const CORE_TYPES: ResourceType[] = [
  { group: '', version: 'v1', plural: 'pods', kind: 'Pod' },
  { group: '', version: 'v1', plural: 'services', kind: 'Service' },
  { group: '', version: 'v1', plural: 'endpoints', kind: 'Endpoints' },
  { group: '', version: 'v1', plural: 'secrets', kind: 'Secret' },
  { group: '', version: 'v1', plural: 'configmaps', kind: 'ConfigMap' },
  { group: '', version: 'v1', plural: 'events', kind: 'Event' },
];

/** prometheus-operator's monitors in `group` (monitoring.coreos.com, or monitoring.rhobs for the Red Hat fork). */
export function monitorTypes(group = 'monitoring.coreos.com'): ResourceType[] {
  return [
    { group, version: 'v1', plural: 'servicemonitors', kind: 'ServiceMonitor' },
    { group, version: 'v1', plural: 'podmonitors', kind: 'PodMonitor' },
  ];
}

interface Change {
  rv: number;
  key: string;
  type: WatchEventType;
  /** The object after the change (before, for DELETED with its final resourceVersion). */
  obj: KubeObject;
  /** The object before the change (MODIFIED only), to turn selector transitions into ADDED/DELETED. */
  prev?: KubeObject;
}

interface Watcher {
  key: string;
  namespace: string | undefined;
  selector: LabelRequirement[];
  res: ServerResponse;
  bookmarks: boolean;
  timer?: NodeJS.Timeout;
}

/** A client-visible error: becomes a Status object with this code. */
export class ApiError extends Error {
  constructor(readonly code: number, message: string, readonly reason?: string) {
    super(message);
  }
}

const MAX_HISTORY = 10_000;

function keyOf(t: ResourceType): string {
  return t.group === '' ? t.plural : `${t.plural}.${t.group}`;
}

function apiVersionOf(t: ResourceType): string {
  return t.group === '' ? t.version : `${t.group}/${t.version}`;
}

function basePath(t: ResourceType): string {
  return t.group === '' ? `/api/${t.version}` : `/apis/${t.group}/${t.version}`;
}

function clone<T>(o: T): T {
  return structuredClone(o);
}

export class ResourceStore {
  private readonly types = new Map<string, ResourceType>();
  private readonly objects = new Map<string, Map<string, KubeObject>>();
  private readonly history: Change[] = [];
  private readonly watchers = new Set<Watcher>();
  private rv = 1;
  /** Changes at or below this resourceVersion have been forgotten. */
  private compactedThrough = 1;

  constructor(private readonly kas: FakeKubeApiserver, types: ResourceType[] = CORE_TYPES) {
    for (const t of types) this.serve(t);
    kas.route('GET', '/apis', (_req, res) => sendJson(res, 200, this.groupList()), { kind: 'discovery' });
  }

  /** Makes the API serve another type (e.g. a CRD once "installed"); idempotent. */
  serve(t: ResourceType): void {
    const key = keyOf(t);
    if (this.types.has(key)) return;
    this.types.set(key, t);
    this.objects.set(key, new Map());
    const base = basePath(t);
    const kind = key;
    const r = (method: string, path: string, h: (req: FakeKasRequest, res: ServerResponse) => void) =>
      this.kas.route(method, path, (req, res) => this.guard(res, () => h(req, res)), { kind });
    r('GET', `${base}/${t.plural}`, (req, res) => this.listOrWatch(t, undefined, req, res));
    r('GET', `${base}/namespaces/:namespace/${t.plural}`, (req, res) => this.listOrWatch(t, req.params.namespace, req, res));
    r('POST', `${base}/namespaces/:namespace/${t.plural}`, (req, res) => sendJson(res, 201, this.create(key, this.bodyObject(t, req, req.params.namespace!))));
    r('GET', `${base}/namespaces/:namespace/${t.plural}/:name`, (req, res) => sendJson(res, 200, this.mustGet(key, req.params.namespace!, req.params.name!)));
    r('PUT', `${base}/namespaces/:namespace/${t.plural}/:name`, (req, res) => {
      const obj = this.bodyObject(t, req, req.params.namespace!);
      if (obj.metadata.name !== req.params.name) throw new ApiError(400, `the name of the object (${obj.metadata.name}) does not match the name on the URL (${req.params.name})`);
      sendJson(res, 200, this.update(key, obj));
    });
    r('PATCH', `${base}/namespaces/:namespace/${t.plural}/:name`, (req, res) => {
      const ct = String(req.headers['content-type'] ?? '').split(';')[0]!.trim();
      sendJson(res, 200, this.patch(key, req.params.namespace!, req.params.name!, req.body, ct));
    });
    r('DELETE', `${base}/namespaces/:namespace/${t.plural}/:name`, (req, res) => {
      const options = req.body as { preconditions?: DeletePreconditions } | undefined;
      sendJson(res, 200, this.remove(key, req.params.namespace!, req.params.name!, options?.preconditions ?? {}));
    });
    this.kas.route('GET', base, (_req, res) => sendJson(res, 200, this.resourceList(t.group, t.version)), { kind: 'discovery' });
  }

  get resourceVersion(): string {
    return String(this.rv);
  }

  // ---- direct access (tests, demo) ----------------------------------------------------------

  get(type: string, namespace: string, name: string): KubeObject | undefined {
    const o = this.bucket(type).get(`${namespace}/${name}`);
    return o ? clone(o) : undefined;
  }

  list(type: string, namespace?: string): KubeObject[] {
    return [...this.bucket(type).values()].filter((o) => namespace === undefined || o.metadata.namespace === namespace).map(clone);
  }

  /** Creates an object (409 AlreadyExists when it exists); returns the stored copy. */
  create(type: string, input: KubeObject): KubeObject {
    const t = this.typeOf(type);
    const obj = this.normalize(t, clone(input));
    const id = `${obj.metadata.namespace}/${obj.metadata.name}`;
    const bucket = this.bucket(type);
    if (bucket.has(id)) throw new ApiError(409, `${t.plural}${t.group ? '.' + t.group : ''} "${obj.metadata.name}" already exists`, 'AlreadyExists');
    obj.metadata.uid = randomUUID();
    obj.metadata.creationTimestamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    obj.metadata.generation = 1;
    delete obj.metadata.deletionTimestamp;
    this.commit(keyOf(t), 'ADDED', obj);
    bucket.set(id, obj);
    return clone(obj);
  }

  /** Replaces an object; a stale metadata.resourceVersion gives 409 Conflict, as optimistic concurrency does. */
  update(type: string, input: KubeObject): KubeObject {
    const t = this.typeOf(type);
    const obj = this.normalize(t, clone(input));
    const id = `${obj.metadata.namespace}/${obj.metadata.name}`;
    const prev = this.bucket(type).get(id);
    if (!prev) throw new ApiError(404, `${t.plural}${t.group ? '.' + t.group : ''} "${obj.metadata.name}" not found`);
    const given = obj.metadata.resourceVersion;
    if (given !== undefined && given !== '' && given !== prev.metadata.resourceVersion) {
      throw new ApiError(409, `Operation cannot be fulfilled on ${t.plural}${t.group ? '.' + t.group : ''} "${obj.metadata.name}": the object has been modified; please apply your changes to the latest version and try again`);
    }
    obj.metadata.uid = prev.metadata.uid;
    obj.metadata.creationTimestamp = prev.metadata.creationTimestamp;
    const specChanged = JSON.stringify(this.withoutMeta(obj)) !== JSON.stringify(this.withoutMeta(prev));
    obj.metadata.generation = (prev.metadata.generation ?? 1) + (specChanged ? 1 : 0);
    // The real server does not bump resourceVersion for a no-op update.
    if (JSON.stringify({ ...obj, metadata: { ...obj.metadata, resourceVersion: '' } }) === JSON.stringify({ ...prev, metadata: { ...prev.metadata, resourceVersion: '' } })) return clone(prev);
    this.commit(keyOf(t), 'MODIFIED', obj, prev);
    this.bucket(type).set(id, obj);
    return clone(obj);
  }

  /** Applies a merge patch (also used for strategic-merge content) or a JSON patch (RFC 6902). */
  patch(type: string, namespace: string, name: string, patch: unknown, contentType = 'application/merge-patch+json'): KubeObject {
    const current = this.mustGet(type, namespace, name);
    let next: unknown;
    try {
      if (contentType === 'application/json-patch+json') next = applyJsonPatch(current, patch);
      else if (contentType === 'application/merge-patch+json' || contentType === 'application/strategic-merge-patch+json') next = applyMergePatch(current, patch);
      else throw new ApiError(415, `the server does not support patch content type "${contentType}"`);
    } catch (e) {
      if (e instanceof PatchError) throw new ApiError(422, e.message);
      throw e;
    }
    const obj = next as KubeObject;
    if (!obj || typeof obj !== 'object' || !obj.metadata || obj.metadata.name !== name || (obj.metadata.namespace ?? namespace) !== namespace) {
      throw new ApiError(422, 'a patch may not change metadata.name or metadata.namespace');
    }
    obj.metadata.resourceVersion = current.metadata.resourceVersion;
    return this.update(type, obj);
  }

  /**
   * Deletes an object (404 when absent); returns it with the resourceVersion of its deletion. The
   * DeleteOptions preconditions (uid, resourceVersion) give 409 Conflict when they do not hold.
   */
  remove(type: string, namespace: string, name: string, preconditions: DeletePreconditions = {}): KubeObject {
    const t = this.typeOf(type);
    const bucket = this.bucket(type);
    const id = `${namespace}/${name}`;
    const prev = bucket.get(id);
    if (!prev) throw new ApiError(404, `${t.plural}${t.group ? '.' + t.group : ''} "${name}" not found`);
    for (const [field, label] of [['uid', 'UID'], ['resourceVersion', 'ResourceVersion']] as const) {
      const wanted = preconditions[field];
      if (wanted !== undefined && wanted !== null && wanted !== prev.metadata[field]) {
        throw new ApiError(409, `Operation cannot be fulfilled on ${t.plural}${t.group ? '.' + t.group : ''} "${name}": Precondition failed: ${label} in precondition: ${wanted}, ${label} in object meta: ${prev.metadata[field] ?? ''}`);
      }
    }
    bucket.delete(id);
    const gone = clone(prev);
    this.commit(keyOf(t), 'DELETED', gone);
    return clone(gone);
  }

  /** Creates or replaces (ignoring resourceVersion); convenient for fixtures. */
  apply(type: string, obj: KubeObject): KubeObject {
    const ns = obj.metadata.namespace ?? 'default';
    const cur = this.get(type, ns, obj.metadata.name);
    if (!cur) return this.create(type, obj);
    return this.update(type, { ...clone(obj), metadata: { ...clone(obj.metadata), resourceVersion: cur.metadata.resourceVersion } });
  }

  // ---- watch control ------------------------------------------------------------------------

  /** Open watch streams, optionally of one type. */
  watchCount(type?: string): number {
    const key = type === undefined ? undefined : keyOf(this.typeOf(type));
    return [...this.watchers].filter((w) => key === undefined || w.key === key).length;
  }

  /** Ends every watch cleanly, as the server does at a watch timeout: clients resume from their last resourceVersion. */
  endWatches(): void {
    for (const w of [...this.watchers]) this.closeWatch(w, 'end');
  }

  /** Cuts every watch connection abruptly (a network drop or a restarting server). */
  dropWatches(): void {
    for (const w of [...this.watchers]) this.closeWatch(w, 'destroy');
  }

  /** Sends a BOOKMARK with the current resourceVersion to every watch that asked for bookmarks. */
  sendBookmarks(): void {
    for (const w of this.watchers) {
      if (!w.bookmarks) continue;
      const t = this.types.get(w.key)!;
      this.write(w, { type: 'BOOKMARK', object: { kind: t.kind, apiVersion: apiVersionOf(t), metadata: { resourceVersion: String(this.rv) } } });
    }
  }

  /** Forgets the change history: watches resuming from any older resourceVersion get 410 Gone. */
  compact(): void {
    this.history.length = 0;
    this.compactedThrough = this.rv;
  }

  // ---- HTTP ---------------------------------------------------------------------------------

  private guard(res: ServerResponse, fn: () => void): void {
    try {
      fn();
    } catch (e) {
      if (e instanceof ApiError) sendStatus(res, e.code, e.message, {}, e.reason);
      else throw e;
    }
  }

  private bodyObject(t: ResourceType, req: FakeKasRequest, namespace: string): KubeObject {
    const b = req.body as KubeObject | undefined;
    if (!b || typeof b !== 'object' || Array.isArray(b)) throw new ApiError(400, 'the body of the request was in an unknown format');
    if (b.kind !== undefined && b.kind !== t.kind) throw new ApiError(400, `the API version in the data (${String(b.apiVersion)}) does not match the expected API version (${apiVersionOf(t)}) or kind ${String(b.kind)} is not ${t.kind}`);
    if (!b.metadata || typeof b.metadata !== 'object') throw new ApiError(422, `${t.kind} "" is invalid: metadata.name: Required value: name or generateName is required`);
    const ns = b.metadata.namespace;
    if (ns !== undefined && ns !== namespace) throw new ApiError(400, 'the namespace of the provided object does not match the namespace sent on the request');
    return { ...b, metadata: { ...b.metadata, namespace } };
  }

  private listOrWatch(t: ResourceType, namespace: string | undefined, req: FakeKasRequest, res: ServerResponse): void {
    let selector: LabelRequirement[];
    try {
      selector = parseLabelSelector(req.query.get('labelSelector') ?? '');
    } catch (e) {
      throw new ApiError(400, `unable to parse requirement: ${(e as Error).message}`);
    }
    const fieldSelector = req.query.get('fieldSelector');
    const field = fieldSelector ? this.parseFieldSelector(fieldSelector) : undefined;
    const key = keyOf(t);
    const matches = (o: KubeObject) =>
      (namespace === undefined || o.metadata.namespace === namespace) && matchesLabelSelector(o.metadata.labels ?? {}, selector) && (!field || field(o));
    const watch = req.query.get('watch');
    if (watch === 'true' || watch === '1') return this.startWatch(t, namespace, selector, matches, req, res);
    const items = [...this.bucket(key).values()].filter(matches).sort((a, b) => `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace}/${b.metadata.name}`));
    sendJson(res, 200, {
      kind: `${t.kind}List`,
      apiVersion: apiVersionOf(t),
      metadata: { resourceVersion: String(this.rv) },
      // Built-in list items carry no kind/apiVersion on the wire; custom resources do.
      items: items.map((o) => (t.group === '' ? this.stripTypeMeta(o) : clone(o))),
    });
  }

  /** Only `metadata.name=` and `metadata.namespace=` are supported, which is all our clients use. */
  private parseFieldSelector(s: string): (o: KubeObject) => boolean {
    const parts = s.split(',').map((p) => {
      const m = /^(metadata\.name|metadata\.namespace)(==?|!=)(.*)$/.exec(p.trim());
      if (!m) throw new ApiError(400, `"${p}" is not a known field selector: only "metadata.name", "metadata.namespace"`);
      return { field: m[1] === 'metadata.name' ? 'name' : 'namespace', neg: m[2] === '!=', value: m[3] };
    });
    return (o) => parts.every((p) => (o.metadata[p.field] === p.value) !== p.neg);
  }

  private startWatch(t: ResourceType, namespace: string | undefined, selector: LabelRequirement[], matches: (o: KubeObject) => boolean, req: FakeKasRequest, res: ServerResponse): void {
    const key = keyOf(t);
    const rvParam = req.query.get('resourceVersion') ?? '';
    let from: number | undefined;
    if (rvParam !== '' && rvParam !== '0') {
      from = Number(rvParam);
      if (!Number.isInteger(from) || from < 0) throw new ApiError(400, `invalid resource version: "${rvParam}"`);
    }
    res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
    // Clients wait for the headers before they consider the watch open, even when no event follows.
    res.flushHeaders();
    const w: Watcher = { key, namespace, selector, res, bookmarks: req.query.get('allowWatchBookmarks') === 'true' };
    if (from !== undefined && from < this.compactedThrough) {
      // What a real server sends once etcd has compacted past the requested revision.
      this.write(w, { type: 'ERROR', object: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `too old resource version: ${from} (${this.compactedThrough})`, reason: 'Expired', code: 410 } });
      res.end();
      return;
    }
    if (from === undefined) {
      for (const o of this.bucket(key).values()) if (matches(o)) this.write(w, { type: 'ADDED', object: this.typed(t, o) });
    } else {
      for (const c of this.history) if (c.rv > from && c.key === key) this.deliver(w, t, c);
    }
    this.watchers.add(w);
    const timeout = Number(req.query.get('timeoutSeconds') ?? '0');
    if (timeout > 0) w.timer = setTimeout(() => this.closeWatch(w, 'end'), timeout * 1000);
    res.on('close', () => this.forget(w));
  }

  private closeWatch(w: Watcher, how: 'end' | 'destroy'): void {
    this.forget(w);
    if (how === 'end') w.res.end();
    else w.res.destroy();
  }

  private forget(w: Watcher): void {
    if (w.timer) clearTimeout(w.timer);
    this.watchers.delete(w);
  }

  private write(w: Watcher, event: unknown): void {
    if (!w.res.destroyed && !w.res.writableEnded) w.res.write(JSON.stringify(event) + '\n');
  }

  /** Sends a change to one watcher, turning selector transitions into ADDED/DELETED as the real server does. */
  private deliver(w: Watcher, t: ResourceType, c: Change): void {
    const visible = (o: KubeObject | undefined) =>
      o !== undefined && (w.namespace === undefined || o.metadata.namespace === w.namespace) && matchesLabelSelector(o.metadata.labels ?? {}, w.selector);
    const now = visible(c.obj);
    let type: WatchEventType | undefined;
    if (c.type === 'MODIFIED') {
      const before = visible(c.prev);
      type = before && now ? 'MODIFIED' : now ? 'ADDED' : before ? 'DELETED' : undefined;
    } else if (now) type = c.type;
    if (type) this.write(w, { type, object: this.typed(t, c.obj) });
  }

  private commit(key: string, type: WatchEventType, obj: KubeObject, prev?: KubeObject): void {
    this.rv += 1;
    obj.metadata.resourceVersion = String(this.rv);
    const c: Change = { rv: this.rv, key, type, obj: clone(obj), ...(prev ? { prev: clone(prev) } : {}) };
    this.history.push(c);
    if (this.history.length > MAX_HISTORY) {
      const dropped = this.history.splice(0, this.history.length - MAX_HISTORY);
      this.compactedThrough = dropped[dropped.length - 1]!.rv;
    }
    const t = this.types.get(key)!;
    for (const w of this.watchers) if (w.key === key) this.deliver(w, t, c);
  }

  // ---- helpers ------------------------------------------------------------------------------

  private typeOf(type: string): ResourceType {
    const exact = this.types.get(type);
    if (exact) return exact;
    const byPlural = [...this.types.values()].filter((t) => t.plural === type);
    if (byPlural.length === 1) return byPlural[0]!;
    if (byPlural.length > 1) throw new Error(`resource type "${type}" is ambiguous: use one of ${byPlural.map(keyOf).join(', ')}`);
    throw new Error(`resource type "${type}" is not served by this fake kube-apiserver (serve() it first)`);
  }

  private bucket(type: string): Map<string, KubeObject> {
    return this.objects.get(keyOf(this.typeOf(type)))!;
  }

  private mustGet(type: string, namespace: string, name: string): KubeObject {
    const t = this.typeOf(type);
    const o = this.bucket(type).get(`${namespace}/${name}`);
    if (!o) throw new ApiError(404, `${t.plural}${t.group ? '.' + t.group : ''} "${name}" not found`);
    return this.typed(t, o);
  }

  private normalize(t: ResourceType, obj: KubeObject): KubeObject {
    if (!obj.metadata || typeof obj.metadata.name !== 'string' || obj.metadata.name === '') {
      throw new ApiError(422, `${t.kind} "" is invalid: metadata.name: Required value: name or generateName is required`);
    }
    if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(obj.metadata.name) || obj.metadata.name.length > 253) {
      throw new ApiError(422, `${t.kind} "${obj.metadata.name}" is invalid: metadata.name: Invalid value: "${obj.metadata.name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.'`);
    }
    obj.metadata.namespace = obj.metadata.namespace ?? 'default';
    obj.apiVersion = apiVersionOf(t);
    obj.kind = t.kind;
    if (t.kind === 'Secret') this.normalizeSecret(obj);
    return obj;
  }

  /** Secrets: stringData is folded into base64 data on write, and data values must be base64. */
  private normalizeSecret(obj: KubeObject): void {
    const data = { ...((obj.data as Record<string, string> | undefined) ?? {}) };
    for (const [k, v] of Object.entries(data)) {
      if (typeof v !== 'string' || Buffer.from(v, 'base64').toString('base64') !== v) {
        throw new ApiError(400, `Secret in version "v1" cannot be handled as a Secret: illegal base64 data at key "${k}"`);
      }
    }
    const stringData = obj.stringData as Record<string, string> | undefined;
    for (const [k, v] of Object.entries(stringData ?? {})) data[k] = Buffer.from(String(v)).toString('base64');
    delete obj.stringData;
    obj.data = data;
    if (obj.type === undefined) obj.type = 'Opaque';
  }

  private withoutMeta(o: KubeObject): unknown {
    const { metadata: _m, status: _s, ...rest } = o;
    return rest;
  }

  private typed(t: ResourceType, o: KubeObject): KubeObject {
    return { ...clone(o), apiVersion: apiVersionOf(t), kind: t.kind };
  }

  private stripTypeMeta(o: KubeObject): KubeObject {
    const { apiVersion: _a, kind: _k, ...rest } = clone(o);
    return rest as KubeObject;
  }

  private resourceList(group: string, version: string): unknown {
    const resources = [...this.types.values()]
      .filter((t) => t.group === group && t.version === version)
      .map((t) => ({ name: t.plural, singularName: t.kind.toLowerCase(), namespaced: true, kind: t.kind, verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'] }));
    return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: group === '' ? version : `${group}/${version}`, resources };
  }

  private groupList(): unknown {
    const groups = new Map<string, Set<string>>();
    for (const t of this.types.values()) if (t.group !== '') (groups.get(t.group) ?? groups.set(t.group, new Set()).get(t.group)!).add(t.version);
    return {
      kind: 'APIGroupList',
      apiVersion: 'v1',
      groups: [...groups].map(([name, versions]) => {
        const vs = [...versions].map((v) => ({ groupVersion: `${name}/${v}`, version: v }));
        return { name, versions: vs, preferredVersion: vs[0] };
      }),
    };
  }
}
