/**
 * TLS material a monitor refers to (Secret or ConfigMap keys), copied into the one output Secret the
 * proxy mounts. File names encode where the bytes came from (`secret__NAME__KEY`): Kubernetes names
 * cannot contain `_`, so the name is unambiguous, and the same source is copied once however many
 * endpoints use it.
 */
import type { V1ConfigMap, V1Secret } from '@kubernetes/client-node';
import type { KeyRef, SecretOrConfigMap } from './monitors.js';

export class MaterialError extends Error {}

export class TlsMaterial {
  /** Output Secret data: file name → bytes. */
  readonly files = new Map<string, Buffer>();

  constructor(
    private readonly secrets: readonly V1Secret[],
    private readonly configMaps: readonly V1ConfigMap[],
    /** Where the proxy sees the output Secret's files. */
    private readonly mountDir: string,
  ) {}

  /** Copies a Secret-or-ConfigMap reference; returns the path the proxy reads it from. */
  fromSecretOrConfigMap(ref: SecretOrConfigMap, what: string): string {
    if (ref.secret && ref.configMap) throw new MaterialError(`${what}: set either secret or configMap, not both`);
    if (ref.secret) return this.fromSecret(ref.secret, what);
    if (ref.configMap) return this.fromConfigMap(ref.configMap, what);
    throw new MaterialError(`${what}: needs a secret or configMap reference`);
  }

  fromSecret(ref: KeyRef, what: string): string {
    checkRef(ref, what);
    const s = this.secrets.find((x) => x.metadata?.name === ref.name);
    if (!s) throw new MaterialError(`${what}: Secret "${ref.name}" not found`);
    const b64 = s.data?.[ref.key];
    if (b64 === undefined) throw new MaterialError(`${what}: Secret "${ref.name}" has no key "${ref.key}"`);
    return this.add(`secret__${ref.name}__${ref.key}`, Buffer.from(b64, 'base64'));
  }

  fromConfigMap(ref: KeyRef, what: string): string {
    checkRef(ref, what);
    const c = this.configMaps.find((x) => x.metadata?.name === ref.name);
    if (!c) throw new MaterialError(`${what}: ConfigMap "${ref.name}" not found`);
    const text = c.data?.[ref.key];
    const bin = c.binaryData?.[ref.key];
    if (text === undefined && bin === undefined) throw new MaterialError(`${what}: ConfigMap "${ref.name}" has no key "${ref.key}"`);
    return this.add(`configmap__${ref.name}__${ref.key}`, text !== undefined ? Buffer.from(text) : Buffer.from(bin!, 'base64'));
  }

  private add(file: string, bytes: Buffer): string {
    this.files.set(file, bytes);
    return `${this.mountDir.replace(/\/+$/, '')}/${file}`;
  }
}

function checkRef(ref: KeyRef, what: string): void {
  if (!ref || typeof ref.name !== 'string' || ref.name === '' || typeof ref.key !== 'string' || ref.key === '') {
    throw new MaterialError(`${what}: a reference needs a name and a key`);
  }
}
