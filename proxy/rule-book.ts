/**
 * The relabel rules of each component endpoint: its own metricRelabelings, then the MetricsSet's,
 * as written (a RuleSource that a scrape worker compiles once per key).
 */
import type { ComponentConfig, EndpointConfig } from './config/types.js';
import { metricsSetRules, type MetricsSetName, type SREConfig } from './metricsset/index.js';
import { compileRelabelConfigs } from './relabel/index.js';
import type { RuleSource } from './scrape/task.js';

export class RuleBook {
  private readonly cache = new WeakMap<EndpointConfig, RuleSource>();

  constructor(
    readonly set: MetricsSetName,
    readonly sre: SREConfig | undefined,
  ) {}

  /** Throws (ConfigError) when the rules do not compile, so a bad set is reported before any scrape. */
  rulesFor(component: ComponentConfig, endpointIndex: number, endpoint: EndpointConfig): RuleSource {
    let source = this.cache.get(endpoint);
    if (!source) {
      const setRules = metricsSetRules(this.set, component.name, endpointIndex, this.sre);
      compileRelabelConfigs(setRules, `metricsSet.${this.set}.${component.name}`);
      const configs = [...endpoint.metricRelabelings, ...setRules];
      source = { key: JSON.stringify(configs), configs };
      this.cache.set(endpoint, source);
    }
    return source;
  }
}
