/**
 * The resolver's view of the namespace's pods, fed by the informer. Answers are memoised per selector
 * and dropped on any change, so a steady stream of scrapes costs a map lookup, not a scan.
 */
import type { V1Pod } from '@kubernetes/client-node';
import { selectorKey, selectorMatches, type PodSelector } from '../common/label-selector.js';

export interface ResolvedPod {
  name: string;
  ip: string;
  /** The pod's labels: the proxy's podTargetLabels and `__meta_kubernetes_pod_label_*` come from them. */
  labels: Record<string, string>;
}

export interface PodRecord extends ResolvedPod {
  /** Running, Ready condition True, an IP, and not terminating. */
  ready: boolean;
}

/**
 * A pod is a target only when it could serve: Running, Ready, with an IP. A terminating pod
 * (deletionTimestamp set) is left out as the endpoints controller leaves it out of a Service.
 */
export function podRecord(pod: V1Pod): PodRecord | undefined {
  const name = pod.metadata?.name;
  if (!name) return undefined;
  const ip = pod.status?.podIP ?? '';
  const readyCond = (pod.status?.conditions ?? []).find((c) => c.type === 'Ready');
  const ready = pod.status?.phase === 'Running' && readyCond?.status === 'True' && ip !== '' && !pod.metadata?.deletionTimestamp;
  return { name, ip, labels: { ...(pod.metadata?.labels ?? {}) }, ready };
}

export class PodIndex {
  private readonly pods = new Map<string, PodRecord>();
  private readonly memo = new Map<string, ResolvedPod[]>();

  upsert(pod: V1Pod): void {
    const r = podRecord(pod);
    if (!r) return;
    const prev = this.pods.get(r.name);
    if (prev && prev.ready === r.ready && prev.ip === r.ip && sameLabels(prev.labels, r.labels)) return;
    this.pods.set(r.name, r);
    this.memo.clear();
  }

  remove(pod: V1Pod): void {
    const name = pod.metadata?.name;
    if (name && this.pods.delete(name)) this.memo.clear();
  }

  get size(): number {
    return this.pods.size;
  }

  get readyCount(): number {
    let n = 0;
    for (const p of this.pods.values()) if (p.ready) n++;
    return n;
  }

  /** Ready pods matching the selector, sorted by name; the returned list must not be modified. */
  resolve(sel: PodSelector): readonly ResolvedPod[] {
    const key = selectorKey(sel);
    let hit = this.memo.get(key);
    if (!hit) {
      hit = [];
      for (const p of this.pods.values()) if (p.ready && selectorMatches(sel, p.labels)) hit.push({ name: p.name, ip: p.ip, labels: p.labels });
      hit.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      // Bounded: a caller cycling through selectors must not grow memory without limit.
      if (this.memo.size >= 1024) this.memo.clear();
      this.memo.set(key, hit);
    }
    return hit;
  }
}

function sameLabels(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) if (a[k] !== b[k]) return false;
  return true;
}
