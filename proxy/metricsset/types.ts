/**
 * MetricsSet vocabulary (DESIGN.md §5), after HyperShift's `support/metrics/sets.go`.
 */
import type { RelabelConfig } from '../relabel/types.js';

export const METRICS_SET_NAMES = ['All', 'Telemetry', 'SRE'] as const;
export type MetricsSetName = (typeof METRICS_SET_NAMES)[number];

/** HyperShift's default (`DefaultMetricsSet`). */
export const DEFAULT_METRICS_SET: MetricsSetName = 'Telemetry';

/** Thrown for a value that is not one of {@link METRICS_SET_NAMES}. */
export class MetricsSetNameError extends Error {
  override name = 'MetricsSetNameError';
}

/**
 * Exact (case-sensitive) match. HyperShift's own `MetricsSetFromString` folds case and maps '' to
 * Telemetry; we are stricter on purpose so a typo in a flag fails loudly, and we say what was meant.
 */
export function parseMetricsSetName(s: string): MetricsSetName {
  const exact = METRICS_SET_NAMES.find((n) => n === s);
  if (exact) return exact;
  const folded = METRICS_SET_NAMES.find((n) => n.toLowerCase() === s.toLowerCase());
  const hint = folded ? ` (did you mean '${folded}'? names are case-sensitive)` : '';
  throw new MetricsSetNameError(`invalid metrics set '${s}'${hint}; valid values: ${METRICS_SET_NAMES.join(', ')}`);
}

/** Keys of the SRE config (`sre-metric-set` ConfigMap) and of our per-set tables. */
export const COMPONENT_KEYS = [
  'kubeAPIServer',
  'etcd',
  'kubeControllerManager',
  'openshiftAPIServer',
  'openshiftControllerManager',
  'openshiftRouteControllerManager',
  'cvo',
  'olm',
  'catalogOperator',
  'registryOperator',
  'kubeScheduler',
  'kubeSchedulerResourceMetrics',
  'nodeTuningOperator',
  'controlPlaneOperator',
  'hostedClusterConfigOperator',
] as const;
export type ComponentKey = (typeof COMPONENT_KEYS)[number];

export function isComponentKey(s: string): s is ComponentKey {
  return (COMPONENT_KEYS as readonly string[]).includes(s);
}

/** The parsed SRE set: rules per component; a missing key means "no filtering" for that component. */
export type SREConfig = Partial<Record<ComponentKey, RelabelConfig[]>>;

/** A static per-set table. Components without an entry are not filtered by that set. */
export type RuleTable = Readonly<Partial<Record<ComponentKey, readonly Readonly<RelabelConfig>[]>>>;
