import { compileRelabelConfigs, relabel } from '../../../proxy/relabel/index.js';
import type { RelabelConfig } from '../../../proxy/relabel/types.js';

/** Whether one sample (name + labels) survives the rules, using the real relabel engine. */
export function survives(rules: readonly RelabelConfig[], name: string, labels: Record<string, string> = {}): boolean {
  const compiled = compileRelabelConfigs(rules, 'test');
  return relabel(new Map([['__name__', name], ...Object.entries(labels)]), compiled);
}
