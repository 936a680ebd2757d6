/**
 * The labels a scrape target carries (job, namespace, service, endpoint, pod, instance, static ones),
 * pre-rendered once per pod so that injecting them costs one string piece per sample.
 */
import { isValidLabelName, renderLabelPairs } from './labels.js';

export interface TargetLabels {
  /** Names in injection order; a scraped label with one of these names is renamed `exported_<name>`. */
  readonly names: readonly string[];
  readonly values: readonly string[];
  /** `job="...",namespace="...",...` without braces; empty values omitted (Prometheus treats them as absent). */
  readonly rendered: string;
  /** Label name → value, for relabeling and lookups. */
  readonly byName: ReadonlyMap<string, string>;
}

export function makeTargetLabels(pairs: Iterable<readonly [string, string]>): TargetLabels {
  const byName = new Map<string, string>();
  for (const [name, value] of pairs) {
    if (!isValidLabelName(name) || name.startsWith('__')) throw new Error(`invalid target label name "${name}"`);
    // A later pair overrides an earlier one, as static target labels override defaults.
    byName.set(name, value);
  }
  return {
    names: [...byName.keys()],
    values: [...byName.values()],
    rendered: renderLabelPairs(byName),
    byName,
  };
}

/** `host:port` as Prometheus writes `instance`, bracketing IPv6 addresses. */
export function instanceLabel(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}
