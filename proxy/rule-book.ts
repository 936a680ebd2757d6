/**
 * The compiled relabel rules of each component endpoint: its own metricRelabelings, then the
 * MetricsSet's. Compiled once per config object and set, shared by every scrape.
 */
import type { ComponentConfig, EndpointConfig } from './config/types.js';
import { prepareRules, type PreparedRules } from './exposition/parser.js';
import { metricsSetRules, type MetricsSetName, type SREConfig } from './metricsset/index.js';
import { compileRelabelConfigs } from './relabel/index.js';

export class RuleBook {
  private readonly cache = new WeakMap<EndpointConfig, PreparedRules>();

  constructor(
    readonly set: MetricsSetName,
    readonly sre: SREConfig | undefined,
  ) {}

  rulesFor(component: ComponentConfig, endpointIndex: number, endpoint: EndpointConfig): PreparedRules {
    let prepared = this.cache.get(endpoint);
    if (!prepared) {
      const setRules = compileRelabelConfigs(metricsSetRules(this.set, component.name, endpointIndex, this.sre), `metricsSet.${this.set}.${component.name}`);
      prepared = prepareRules([...endpoint.metricRelabelRules, ...setRules]);
      this.cache.set(endpoint, prepared);
    }
    return prepared;
  }
}
