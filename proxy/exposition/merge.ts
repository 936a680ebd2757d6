/**
 * Merge the pods of one scrape into families that each appear once, contiguous, with one HELP and
 * one TYPE, in order of first appearance (pods in the order given, i.e. sorted by name).
 */
import type { MetricType, PodExposition } from './types.js';

export interface MergedFamily {
  name: string;
  type: MetricType;
  typed: boolean;
  help: string | undefined;
  unit: string | undefined;
  /** Rendered sample lines (UTF-8), pod after pod. */
  chunks: Uint8Array[];
  samples: number;
}

/** Why a pod's samples of a family were not served: a type other pods disagree with, a name the proxy writes itself, or (streaming) bytes that came after the family was written. */
export type MergeDropReason = 'type_conflict' | 'reserved_name' | 'out_of_order';

export interface MergeDrop {
  pod: number;
  family: string;
  samples: number;
  reason: MergeDropReason;
}

/** Names the proxy writes itself for every pod; a pod's own series of these names would clash. */
export const RESERVED_FAMILIES: ReadonlySet<string> = new Set(['up', 'scrape_duration_seconds']);

const VALUE_TYPES: ReadonlySet<MetricType> = new Set(['counter', 'gauge', 'untyped', 'unknown']);

/** Two families can share samples when every sample carries the bare family name under both types. */
function compatible(a: MetricType, b: MetricType): boolean {
  return a === b || (VALUE_TYPES.has(a) && VALUE_TYPES.has(b));
}

export function mergePods(pods: readonly PodExposition[], drops: MergeDrop[] = []): MergedFamily[] {
  const out: MergedFamily[] = [];
  const byName = new Map<string, MergedFamily>();
  pods.forEach((pod, podIndex) => {
    for (const f of pod.families) {
      if (RESERVED_FAMILIES.has(f.name)) {
        drops.push({ pod: podIndex, family: f.name, samples: f.samples, reason: 'reserved_name' });
        continue;
      }
      let m = byName.get(f.name);
      if (!m) {
        m = { name: f.name, type: f.type, typed: f.typed, help: f.help, unit: f.unit, chunks: [], samples: 0 };
        byName.set(f.name, m);
        out.push(m);
      } else if (!compatible(m.type, f.type)) {
        drops.push({ pod: podIndex, family: f.name, samples: f.samples, reason: 'type_conflict' });
        continue;
      } else if (!m.typed && f.typed) {
        m.type = f.type;
        m.typed = true;
      }
      m.help ??= f.help;
      m.unit ??= f.unit;
      for (const c of f.chunks) m.chunks.push(c);
      m.samples += f.samples;
    }
  });
  return out;
}
