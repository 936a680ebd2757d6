/**
 * Reports bad monitors as Kubernetes Events on the monitor (visible in `oc describe`), once per
 * monitor version and problem, so a steady state does not spam the event stream.
 */
import { createHash } from 'node:crypto';
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { errorMessage } from '../common/errors.js';
import type { Logger } from '../common/log.js';
import type { Problem } from './build.js';

export const EVENT_SOURCE = 'metrics-proxy-config-generator';

export class ProblemReporter {
  private readonly core: CoreV1Api;
  private readonly reported = new Set<string>();

  constructor(kc: KubeConfig, private readonly namespace: string, private readonly logger: Logger, private readonly now: () => Date = () => new Date()) {
    this.core = kc.makeApiClient(CoreV1Api);
  }

  async report(problems: readonly Problem[], versions: ReadonlyMap<string, string>): Promise<void> {
    for (const p of problems) {
      const id = `${p.kind}/${p.group}/${p.name}`;
      const key = `${id}@${versions.get(id) ?? ''}:${p.reason}:${p.message}`;
      if (this.reported.has(key)) continue;
      this.reported.add(key);
      this.logger.warn('monitor skipped', { kind: p.kind, group: p.group, monitor: p.name, reason: p.reason, message: p.message });
      const stamp = this.now();
      const name = `${p.name}.${createHash('sha256').update(key).digest('hex').slice(0, 16)}`;
      try {
        await this.core.createNamespacedEvent({
          namespace: this.namespace,
          body: {
            metadata: { name, namespace: this.namespace },
            involvedObject: { apiVersion: `${p.group}/v1`, kind: p.kind, name: p.name, namespace: this.namespace, ...(p.uid ? { uid: p.uid } : {}) },
            reason: p.reason,
            message: `${p.message}; the proxy does not serve /metrics/${p.name} until this is fixed`,
            type: 'Warning',
            source: { component: EVENT_SOURCE },
            reportingComponent: EVENT_SOURCE,
            firstTimestamp: stamp,
            lastTimestamp: stamp,
            count: 1,
          },
        });
      } catch (err) {
        // An event is a courtesy: failing to record one must not stop generation.
        this.logger.warn('cannot record event', { monitor: p.name, error: errorMessage(err) });
      }
    }
  }
}
