/**
 * Writes the generator's outputs: the config ConfigMap and the upstream-TLS Secret. Each carries a
 * hash of its content and is written only when that changes, so an unchanged regeneration costs
 * no write (and no proxy reload). An existing object without our managed-by label is not ours:
 * it is left alone and reported.
 */
import { createHash } from 'node:crypto';
import { CoreV1Api, type KubeConfig, type V1ConfigMap, type V1ObjectMeta, type V1Secret } from '@kubernetes/client-node';

export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY = 'hcp-metrics-proxy-generator';
export const CONTENT_HASH_ANNOTATION = 'hcp-metrics-proxy.openshift.io/content-hash';

export type WriteResult = 'created' | 'updated' | 'unchanged';

export class NotOwnedError extends Error {}

/** Stable over key order. */
export function contentHash(data: Record<string, string>): string {
  const h = createHash('sha256');
  for (const k of Object.keys(data).sort()) h.update(k).update('\0').update(data[k]!).update('\0');
  return h.digest('hex');
}

function statusCode(err: unknown): number | undefined {
  const c = (err as { code?: unknown }).code;
  return typeof c === 'number' ? c : undefined;
}

/** The object, or undefined when the API server answers 404. */
async function readIfPresent<T>(read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (err) {
    if (statusCode(err) === 404) return undefined;
    throw err;
  }
}

/** Our labels and annotations over the current object's, keeping its resourceVersion for the optimistic update. */
function updatedMeta(current: { metadata?: V1ObjectMeta }, meta: V1ObjectMeta): V1ObjectMeta {
  return { ...meta, resourceVersion: current.metadata?.resourceVersion, labels: { ...current.metadata?.labels, ...meta.labels }, annotations: { ...current.metadata?.annotations, ...meta.annotations } };
}

function sortedObject(data: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.keys(data).sort().map((k) => [k, data[k]!]));
}

export class OutputWriter {
  private readonly core: CoreV1Api;

  constructor(kc: KubeConfig, private readonly namespace: string) {
    this.core = kc.makeApiClient(CoreV1Api);
  }

  /** Reads a Secret's data (decoded) and annotations; undefined when absent. */
  async readSecret(name: string): Promise<{ data: Map<string, Buffer>; annotations: Record<string, string>; owned: boolean } | undefined> {
    const s = await readIfPresent(() => this.core.readNamespacedSecret({ name, namespace: this.namespace }));
    if (!s) return undefined;
    const data = new Map(Object.entries(s.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')] as const));
    return { data, annotations: s.metadata?.annotations ?? {}, owned: s.metadata?.labels?.[MANAGED_BY_LABEL] === MANAGED_BY };
  }

  async writeConfigMap(name: string, data: Record<string, string>): Promise<WriteResult> {
    const hash = contentHash(data);
    const meta = { name, namespace: this.namespace, labels: { [MANAGED_BY_LABEL]: MANAGED_BY }, annotations: { [CONTENT_HASH_ANNOTATION]: hash } };
    const current: V1ConfigMap | undefined = await readIfPresent(() => this.core.readNamespacedConfigMap({ name, namespace: this.namespace }));
    if (!current) {
      await this.core.createNamespacedConfigMap({ namespace: this.namespace, body: { metadata: meta, data: sortedObject(data) } });
      return 'created';
    }
    this.checkOwned('ConfigMap', name, current.metadata?.labels);
    if (current.metadata?.annotations?.[CONTENT_HASH_ANNOTATION] === hash && contentHash(current.data ?? {}) === hash) return 'unchanged';
    await this.core.replaceNamespacedConfigMap({
      name,
      namespace: this.namespace,
      body: { metadata: updatedMeta(current, meta), data: sortedObject(data) },
    });
    return 'updated';
  }

  /** `files` values are raw bytes; the Secret stores them base64 as the API requires. */
  async writeSecret(name: string, files: ReadonlyMap<string, Buffer>, opts: { type?: string; annotations?: Record<string, string> } = {}): Promise<WriteResult> {
    const data: Record<string, string> = {};
    for (const k of [...files.keys()].sort()) data[k] = files.get(k)!.toString('base64');
    const hash = contentHash({ ...data, ...Object.fromEntries(Object.entries(opts.annotations ?? {}).map(([k, v]) => [`@${k}`, v])) });
    const meta = { name, namespace: this.namespace, labels: { [MANAGED_BY_LABEL]: MANAGED_BY }, annotations: { ...opts.annotations, [CONTENT_HASH_ANNOTATION]: hash } };
    const current: V1Secret | undefined = await readIfPresent(() => this.core.readNamespacedSecret({ name, namespace: this.namespace }));
    if (!current) {
      await this.core.createNamespacedSecret({ namespace: this.namespace, body: { metadata: meta, type: opts.type ?? 'Opaque', data } });
      return 'created';
    }
    this.checkOwned('Secret', name, current.metadata?.labels);
    const currentAnnotations = Object.fromEntries(Object.keys(opts.annotations ?? {}).map((k) => [`@${k}`, current!.metadata?.annotations?.[k] ?? '']));
    if (current.metadata?.annotations?.[CONTENT_HASH_ANNOTATION] === hash && contentHash({ ...(current.data ?? {}), ...currentAnnotations }) === hash) return 'unchanged';
    await this.core.replaceNamespacedSecret({
      name,
      namespace: this.namespace,
      body: { metadata: updatedMeta(current, meta), type: current.type ?? opts.type ?? 'Opaque', data },
    });
    return 'updated';
  }

  private checkOwned(kind: string, name: string, labels: Record<string, string> | undefined): void {
    if (labels?.[MANAGED_BY_LABEL] !== MANAGED_BY) {
      throw new NotOwnedError(`${kind} ${this.namespace}/${name} exists but is not managed by the generator (label ${MANAGED_BY_LABEL}=${MANAGED_BY} missing); refusing to overwrite it`);
    }
  }
}
