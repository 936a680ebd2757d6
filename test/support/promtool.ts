/** `promtool check metrics` as the strict validator of what the proxy serves. */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const PROMTOOL = process.env.PROMTOOL ?? '/usr/bin/promtool';
export const PROMETHEUS = process.env.PROMETHEUS ?? '/usr/bin/prometheus';

export function havePrometheus(): boolean {
  return existsSync(PROMTOOL) && existsSync(PROMETHEUS);
}

export interface PromtoolResult {
  /** 0 valid and lint-clean, 1 parse error, 3 lint problems only. */
  status: number;
  output: string;
}

export function promtoolCheckMetrics(exposition: string): PromtoolResult {
  const r = spawnSync(PROMTOOL, ['check', 'metrics'], { input: exposition, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return { status: r.status ?? -1, output: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

/** `promtool check rules FILE...`: 0 when every file parses and every expression is valid. */
export function promtoolCheckRules(files: string[]): PromtoolResult {
  const r = spawnSync(PROMTOOL, ['check', 'rules', ...files], { encoding: 'utf8' });
  return { status: r.status ?? -1, output: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}
