/**
 * The certificate manager (`generator --manage-certs`): a CA kept in a Secret, the leaf
 * certificates of leafSpecs() in kubernetes.io/tls Secrets (tls.crt, tls.key, ca.crt), and the CA
 * bundle the guest cluster trusts in a ConfigMap.
 *
 * Rotation: a leaf is renewed at 2/3 of its lifetime (or at once when its names, usage or issuer are
 * wrong, or it is missing or unreadable). The CA is renewed at 2/3 of its lifetime with overlap:
 *   1. the new CA joins the bundle next to the old one, and leaves stay with the old CA until the
 *      bundle has had `propagationMs` to reach every consumer (kubelet volume sync, the guest's copy);
 *   2. then every leaf is re-issued by the new CA;
 *   3. `propagationMs` after the last leaf moved, the old CA leaves the bundle.
 * So at no point does a consumer see a certificate from a CA it does not trust yet.
 *
 * A consumer the kubelet does not feed (the guest cluster, through guest sync) is a `trustGate`:
 * step 2 also waits until the gate has held the new CA for `propagationMs` (the guest's
 * prometheus-operator and kubelet still have to pass it on). Meanwhile leaves keep being issued and
 * renewed by the old CA, which stays valid for a third of its lifetime after a rotation starts; only
 * when the old CA is about to expire (`trustGateExpiryMarginMs`, default one leaf lifetime) do the
 * leaves move without the gate: a guest that cannot verify the proxy for a while is better than
 * every consumer seeing an expired chain.
 *
 * Private keys only ever go into Secrets; nothing here logs them.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { errorMessage } from '../../common/errors.js';
import type { Logger } from '../../common/log.js';
import { RUNTIME_OBJECTS } from '../../infra/lib/names.js';
import { certificateInfo, createCA, issueCertificate, verifyChain, type CertificateInfo, type CertificatePair } from '../pki/index.js';
import { OutputWriter } from '../writer.js';
import { leafSpecs, type LeafSpec } from './plan.js';

export const ANNOTATIONS = {
  /** When the current CA entered the bundle. */
  caPublishedAt: 'hcp-metrics-proxy.openshift.io/ca-published-at',
  /** When every leaf was first seen issued by the current CA (rotation step 3 counts from here). */
  leavesMovedAt: 'hcp-metrics-proxy.openshift.io/leaves-moved-at',
  /** When the trustGate was first seen holding the current CA (kept so a restart or the next --once Job need not wait again). */
  gateTrustedAt: 'hcp-metrics-proxy.openshift.io/ca-trusted-by-gate-at',
} as const;

/** The CA being retired, kept (with its key, to sign leaves until the new CA is trusted) during the overlap. */
const PREVIOUS_CA_CERT = 'previous-ca.crt';
const PREVIOUS_CA_KEY = 'previous-ca.key';

export interface CertificateManagerOptions {
  kubeConfig: KubeConfig;
  namespace: string;
  routeHost: string;
  logger: Logger;
  now?: () => Date;
  caValidityDays?: number;
  leafValidityDays?: number;
  /** Time a new CA bundle needs to reach every consumer. Default 10 minutes. */
  propagationMs?: number;
  /** Reconcile interval (also repairs deleted or tampered objects). Default 1 minute. */
  intervalMs?: number;
  keyBits?: number;
  /** Another consumer that must hold a new CA before leaves signed by it are issued (guest sync). */
  trustGate?: TrustGate;
  /** Stop waiting for the trustGate once the old CA expires within this time. Default: one leaf lifetime. */
  trustGateExpiryMarginMs?: number;
}

export interface TrustGate {
  /** For logs and readiness, e.g. "guest cluster". */
  name: string;
  /** Since when (ms, by the manager's clock) the consumer has held `caPem`; undefined while it does not. */
  trustedSince(caPem: string): number | undefined;
}

export interface ReconcileSummary {
  caRotated: boolean;
  issued: string[];
  previousCaRetired: boolean;
  writes: number;
  /** Set while leaves stay with the old CA because the trustGate does not hold the new one yet. */
  waitingFor?: string;
  /** Set when the leaves moved without the trustGate's confirmation (the old CA was about to expire). */
  gateOverridden?: string;
}

interface Leaf {
  spec: LeafSpec;
  pair?: CertificatePair;
  info?: CertificateInfo;
}

/** A certificate and its key from Secret data; undefined when either is missing or unreadable (then it is re-issued). */
function parsePair(certPem: string | undefined, keyPem: string | undefined): { pair: CertificatePair; info: CertificateInfo } | undefined {
  if (!certPem || !keyPem || !keyPem.includes('PRIVATE KEY')) return undefined;
  try {
    return { pair: { certPem, keyPem }, info: certificateInfo(certPem) };
  } catch {
    return undefined;
  }
}

function renewAt(info: CertificateInfo): number {
  const from = info.notBefore.getTime();
  return from + ((info.notAfter.getTime() - from) * 2) / 3;
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && [...a].sort().join('\n') === [...b].sort().join('\n');
}

export class CertificateManager {
  private readonly writer: OutputWriter;
  private readonly now: () => Date;
  private readonly propagationMs: number;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private started = false;
  private running: Promise<void> | undefined;
  private waitingFor: string | undefined;
  /** The new CA whose wait for the trustGate was logged (once per rotation). */
  private loggedWait: string | undefined;

  constructor(private readonly opts: CertificateManagerOptions) {
    this.writer = new OutputWriter(opts.kubeConfig, opts.namespace);
    this.now = opts.now ?? (() => new Date());
    this.propagationMs = opts.propagationMs ?? 10 * 60_000;
  }

  /** Reconciles now and then every intervalMs. */
  async start(): Promise<void> {
    this.started = true;
    await this.runOnce();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  /** Whether this is one of the Secrets or the ConfigMap the manager keeps. */
  owns(kind: 'Secret' | 'ConfigMap', name: string): boolean {
    if (kind === 'ConfigMap') return name === RUNTIME_OBJECTS.servingCaConfigMap;
    return name === RUNTIME_OBJECTS.caSecret || leafSpecs(this.opts.namespace, this.opts.routeHost).some((l) => l.secret === name);
  }

  /**
   * One of its objects was deleted or changed behind its back: reconcile after `delayMs` (a burst of
   * deletions is one repair) instead of at the next interval.
   */
  nudge(delayMs = 1000): void {
    if (this.stopped || !this.started) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.runOnce(), delayMs);
    this.timer.unref?.();
  }

  /** One reconcile at a time, then the next one is due after intervalMs. */
  private async runOnce(): Promise<void> {
    this.timer = undefined;
    if (this.running) await this.running;
    this.running = this.reconcileLogged();
    await this.running;
    this.running = undefined;
    if (this.stopped || this.timer) return;
    this.timer = setTimeout(() => void this.runOnce(), this.opts.intervalMs ?? 60_000);
    this.timer.unref?.();
  }

  private async reconcileLogged(): Promise<void> {
    try {
      const s = await this.reconcile();
      if (s.writes > 0) this.opts.logger.info('certificates reconciled', { ...s });
    } catch (err) {
      this.opts.logger.error('certificate reconciliation failed; retrying', { error: errorMessage(err) });
    }
  }

  async reconcile(): Promise<ReconcileSummary> {
    const now = this.now();
    const t = now.getTime();
    const summary: ReconcileSummary = { caRotated: false, issued: [], previousCaRetired: false, writes: 0 };
    const caSecret = await this.writer.readSecret(RUNTIME_OBJECTS.caSecret);
    if (caSecret && !caSecret.owned) throw new Error(`Secret ${RUNTIME_OBJECTS.caSecret} exists but is not managed by the generator; refusing to replace the CA`);
    const text = (k: string) => caSecret?.data.get(k)?.toString();
    let current = parsePair(text('tls.crt'), text('tls.key'));
    let previous = parsePair(text(PREVIOUS_CA_CERT), text(PREVIOUS_CA_KEY));
    if (previous && previous.info.notAfter.getTime() <= t) previous = undefined;
    let publishedAt = Date.parse(caSecret?.annotations[ANNOTATIONS.caPublishedAt] ?? '') || t;
    let movedAt = Date.parse(caSecret?.annotations[ANNOTATIONS.leavesMovedAt] ?? '') || undefined;
    let gateTrustedAt = Date.parse(caSecret?.annotations[ANNOTATIONS.gateTrustedAt] ?? '') || undefined;
    const newCa = () => {
      const pair = createCA({ commonName: `metrics-proxy CA (${this.opts.namespace})`, validityDays: this.opts.caValidityDays ?? 3650, now, ...(this.opts.keyBits ? { keyBits: this.opts.keyBits } : {}) });
      return { pair, info: certificateInfo(pair.certPem) };
    };
    if (!current || !current.info.isCA || current.info.notAfter.getTime() <= t) {
      // No usable CA: nothing issued before can be trusted across this, so there is no overlap to keep.
      current = newCa();
      previous = undefined;
      publishedAt = t;
      movedAt = undefined;
      gateTrustedAt = undefined;
      summary.caRotated = true;
    } else if (!previous && t >= renewAt(current.info)) {
      previous = current;
      current = newCa();
      publishedAt = t;
      movedAt = undefined;
      gateTrustedAt = undefined;
      summary.caRotated = true;
    }
    const ca = current;
    const trustedCAs = [ca.pair.certPem, ...(previous ? [previous.pair.certPem] : [])];

    const leaves: Leaf[] = [];
    for (const spec of leafSpecs(this.opts.namespace, this.opts.routeHost)) {
      const s = await this.writer.readSecret(spec.secret);
      if (s && !s.owned) {
        this.opts.logger.warn('leaf Secret exists but is not managed by the generator; leaving it alone', { secret: spec.secret });
        continue;
      }
      const parsed = parsePair(s?.data.get('tls.crt')?.toString(), s?.data.get('tls.key')?.toString());
      leaves.push({ spec, ...(parsed ? { pair: parsed.pair, info: parsed.info } : {}) });
    }
    if (previous) {
      // Recorded from the start of the overlap, so the wait counts from the earliest sighting.
      const since = this.opts.trustGate?.trustedSince(ca.pair.certPem);
      if (since !== undefined) gateTrustedAt = Math.min(gateTrustedAt ?? since, since);
    }
    let trustPropagated = t - publishedAt >= this.propagationMs;
    if (previous && trustPropagated && !leaves.every((l) => l.info?.authorityKeyId === ca.info.subjectKeyId)) {
      trustPropagated = this.gateOpen(ca, previous.info, gateTrustedAt, t, summary);
    }
    this.waitingFor = summary.waitingFor;
    // Until the new CA is trusted everywhere, leaves keep being signed by the old one.
    const signer = previous && !trustPropagated ? previous : ca;
    for (const leaf of leaves) {
      const info = leaf.info;
      const due =
        !info ||
        !leaf.pair ||
        !verifyChain(leaf.pair.certPem, trustedCAs, now) ||
        t >= renewAt(info) ||
        info.commonName !== leaf.spec.commonName ||
        !sameSet(info.dnsNames, leaf.spec.dnsNames) ||
        !sameSet(info.usages, leaf.spec.usages) ||
        (signer === ca && info.authorityKeyId !== ca.info.subjectKeyId);
      if (!due) continue;
      leaf.pair = issueCertificate(signer.pair, this.leafOptions(leaf.spec, now));
      leaf.info = certificateInfo(leaf.pair.certPem);
      summary.issued.push(leaf.spec.secret);
    }
    if (previous && trustPropagated && leaves.every((l) => l.info?.authorityKeyId === ca.info.subjectKeyId)) {
      movedAt ??= t;
      if (t - movedAt >= this.propagationMs) {
        previous = undefined;
        movedAt = undefined;
        summary.previousCaRetired = true;
      }
    }
    const bundle = [ca.pair.certPem, ...(previous ? [previous.pair.certPem] : [])].map((p) => p.trim() + '\n').join('');

    const caFiles = new Map<string, Buffer>([
      ['tls.crt', Buffer.from(ca.pair.certPem)],
      ['tls.key', Buffer.from(ca.pair.keyPem)],
    ]);
    if (previous) {
      caFiles.set(PREVIOUS_CA_CERT, Buffer.from(previous.pair.certPem));
      caFiles.set(PREVIOUS_CA_KEY, Buffer.from(previous.pair.keyPem));
    }
    const annotations: Record<string, string> = {
      [ANNOTATIONS.caPublishedAt]: new Date(publishedAt).toISOString(),
      ...(movedAt !== undefined ? { [ANNOTATIONS.leavesMovedAt]: new Date(movedAt).toISOString() } : {}),
      ...(previous && gateTrustedAt !== undefined ? { [ANNOTATIONS.gateTrustedAt]: new Date(gateTrustedAt).toISOString() } : {}),
    };
    const count = (r: string) => (r !== 'unchanged' ? summary.writes++ : 0);
    count(await this.writer.writeSecret(RUNTIME_OBJECTS.caSecret, caFiles, { type: 'Opaque', annotations }));
    for (const leaf of leaves) {
      const files = new Map<string, Buffer>([
        ['tls.crt', Buffer.from(leaf.pair!.certPem)],
        ['tls.key', Buffer.from(leaf.pair!.keyPem)],
        ['ca.crt', Buffer.from(bundle)],
      ]);
      count(await this.writer.writeSecret(leaf.spec.secret, files, { type: 'kubernetes.io/tls' }));
    }
    // The guest-facing bundle is public, so a ConfigMap.
    count(await this.writer.writeConfigMap(RUNTIME_OBJECTS.servingCaConfigMap, { [RUNTIME_OBJECTS.servingCaKey]: bundle }));
    return summary;
  }

  /** Whether leaves may move to the new CA as far as the trustGate is concerned (see the header). */
  private gateOpen(ca: { pair: CertificatePair; info: CertificateInfo }, previous: CertificateInfo, since: number | undefined, t: number, summary: ReconcileSummary): boolean {
    const gate = this.opts.trustGate;
    if (!gate) return true;
    if (since !== undefined && t - since >= this.propagationMs) return true;
    const margin = this.opts.trustGateExpiryMarginMs ?? (this.opts.leafValidityDays ?? 90) * 86_400_000;
    if (previous.notAfter.getTime() - t > margin) {
      summary.waitingFor = gate.name;
      if (this.loggedWait !== ca.info.subjectKeyId) {
        this.loggedWait = ca.info.subjectKeyId;
        this.opts.logger.warn(`CA rotation: leaves stay with the old CA until the ${gate.name} trusts the new one`, {
          ...(since !== undefined ? { trustedSince: new Date(since).toISOString() } : {}),
          oldCaExpires: previous.notAfter.toISOString(),
        });
      }
      return false;
    }
    summary.gateOverridden = gate.name;
    this.opts.logger.error(`CA rotation: the ${gate.name} does not trust the new CA yet, but the old CA expires soon: moving the leaves anyway; the ${gate.name} cannot verify the proxy until its bundle is updated`, {
      oldCaExpires: previous.notAfter.toISOString(),
    });
    return true;
  }

  /** The consumer the current CA rotation waits for, if it waits. */
  rotationWaitingFor(): string | undefined {
    return this.waitingFor;
  }

  private leafOptions(spec: LeafSpec, now: Date) {
    return { commonName: spec.commonName, dnsNames: spec.dnsNames, usages: spec.usages, validityDays: this.opts.leafValidityDays ?? 90, now, ...(this.opts.keyBits ? { keyBits: this.opts.keyBits } : {}) };
  }

}

