/**
 * GET /sd: Prometheus HTTP service discovery (`http_sd_configs`) of the served paths. One target group
 * per path, all at the address the guest reaches (`--sd-target`, the Route host on 443 in the
 * manifests), so a guest Prometheus or a prometheus-operator ScrapeConfig follows day-2 components
 * without anything written on the guest side.
 */
import type { ProxyConfig } from '../config/types.js';

/** One entry of the http_sd answer: Prometheus requires both keys (labels may be empty). */
export interface SdTargetGroup {
  targets: string[];
  labels: Record<string, string>;
}

/** A `--sd-target` value: HOST:PORT or [IPV6]:PORT, with a port in 1..65535. */
const SD_TARGET = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?):(\d{1,5})$/;

/** Checks `--sd-target`; returns it unchanged or throws naming the flag. */
export function parseSdTarget(value: string): string {
  const m = SD_TARGET.exec(value);
  const port = m ? Number(m[1]) : 0;
  if (!m || port < 1 || port > 65535) throw new Error(`--sd-target must be HOST:PORT (the address the guest Prometheus reaches, e.g. the Route host and 443), not "${value}"`);
  return value;
}

/** `/metrics/<component>[/<n>]` → the component name. */
function componentOf(path: string): string {
  return path.split('/')[2]!;
}

export function sdTargetGroups(paths: readonly string[], target: string): SdTargetGroup[] {
  return paths.map((path) => ({
    targets: [target],
    labels: { __metrics_path__: path, __scheme__: 'https', component: componentOf(path) },
  }));
}

export type SdAnswer = { status: 200; body: SdTargetGroup[] } | { status: 404 | 503; message: string; retryAfterSeconds?: number };

/**
 * The answer of GET /sd. Without `--sd-target` the route is not offered (404 saying which flag turns it
 * on): a target the proxy guessed (its own listen address) would be wrong for every guest.
 */
export function sdAnswer(config: ProxyConfig | undefined, target: string | undefined, servedPaths: (c: ProxyConfig) => string[]): SdAnswer {
  if (target === undefined) return { status: 404, message: 'Not found: HTTP service discovery is off; start the proxy with --sd-target HOST:PORT (the address the guest Prometheus reaches) to serve /sd' };
  if (!config) return { status: 503, message: 'Service Unavailable: no configuration loaded', retryAfterSeconds: 5 };
  return { status: 200, body: sdTargetGroups(servedPaths(config), target) };
}
