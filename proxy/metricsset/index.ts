/**
 * MetricsSet rules for one component endpoint (DESIGN.md §5). The caller compiles the result with
 * compileRelabelConfigs and applies it per sample after the component's own metricRelabelings.
 */
import type { RelabelConfig } from '../relabel/types.js';
import { ALL_RULES } from './all.js';
import { componentKeyFor } from './components.js';
import { cloneRules } from './rules.js';
import { TELEMETRY_RULES } from './telemetry.js';
import type { ComponentKey, MetricsSetName, SREConfig } from './types.js';

export * from './types.js';
export { componentKeyFor, KNOWN_MONITOR_NAMES } from './components.js';
export { ALL_RULES } from './all.js';
export { TELEMETRY_RULES } from './telemetry.js';
export { parseSREConfig, SRE_CONFIGMAP_KEY, SRE_CONFIGMAP_NAME } from './sre.js';

/**
 * Components outside HyperShift's MetricsSet (cluster-autoscaler, ignition-server, karpenter, ...)
 * get [] under every set, Telemetry included: HyperShift attaches no MetricsSet rules to their
 * monitors and its metrics-proxy passes them through unfiltered.
 *
 * Under SRE without a loaded config every component is unfiltered, as in HyperShift before the
 * ConfigMap is synced. Unlike HyperShift (whose CPO/HCCO functions return nil for every set), SRE
 * rules given for controlPlaneOperator and hostedClusterConfigOperator are applied.
 */
export function metricsSetRules(set: MetricsSetName, monitorName: string, endpointIndex: number, sre?: SREConfig): RelabelConfig[] {
  const key = componentKeyFor(monitorName, endpointIndex);
  return key === undefined ? [] : rulesForKey(set, key, sre);
}

export function rulesForKey(set: MetricsSetName, key: ComponentKey, sre?: SREConfig): RelabelConfig[] {
  switch (set) {
    case 'Telemetry':
      return cloneRules(TELEMETRY_RULES[key] ?? []);
    case 'All':
      return cloneRules(ALL_RULES[key] ?? []);
    case 'SRE':
      return cloneRules(sre?.[key] ?? []);
  }
}
