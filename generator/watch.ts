/**
 * Watch mode: informers on everything the configuration depends on (monitors, Services, Pods,
 * Secrets, ConfigMaps); any relevant change schedules one debounced regeneration. A failed
 * generation is retried with backoff; the last written outputs stay in place meanwhile.
 */
import { CoreV1Api, CustomObjectsApi, type KubernetesListObject, type KubernetesObject, type V1Pod } from '@kubernetes/client-node';
import { errorMessage } from '../common/errors.js';
import { ResilientInformer } from '../common/resilient-informer.js';
import { generateOnce, type GenerateOptions, type GenerateResult } from './generate.js';
import { MONITOR_PLURALS } from './inventory.js';

export interface WatchOptions extends GenerateOptions {
  debounceMs: number;
  /** Called after every successful generation (tests, readiness). */
  onGenerated?: (r: GenerateResult) => void;
  /** Called after every failed generation (metrics). */
  onFailed?: (error: string) => void;
  /** Called for every Secret or ConfigMap deleted in the namespace (the certificate manager repairs its own at once). */
  onDeleted?: (kind: 'Secret' | 'ConfigMap', name: string) => void;
  /** Called for every Secret or ConfigMap added or changed in the namespace, ours included (guest sync follows the CA bundle). */
  onChanged?: (kind: 'Secret' | 'ConfigMap', name: string) => void;
}

/** What of a pod matters to the configuration: its labels and container port names. */
function podFingerprint(p: V1Pod): string {
  return JSON.stringify([p.metadata?.labels ?? {}, (p.spec?.containers ?? []).map((c) => (c.ports ?? []).map((x) => [x.name, x.containerPort]))]);
}

export class GeneratorWatch {
  private readonly informers: ResilientInformer<KubernetesObject>[] = [];
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private again = false;
  private stopped = false;
  private failures = 0;
  private readonly pods = new Map<string, string>();
  lastError: string | undefined;
  generations = 0;

  constructor(private readonly opts: WatchOptions) {}

  async start(): Promise<void> {
    const { kubeConfig: kc, namespace: ns } = this.opts;
    const core = kc.makeApiClient(CoreV1Api);
    const custom = kc.makeApiClient(CustomObjectsApi);
    const own = new Set([`ConfigMap/${this.opts.outputConfigMap}`, `Secret/${this.opts.outputSecret}`]);
    const add = (what: string, path: string, list: () => Promise<KubernetesListObject<KubernetesObject>>, relevant: (o: KubernetesObject, deleted: boolean) => boolean = () => true) => {
      this.informers.push(
        new ResilientInformer<KubernetesObject>({
          kubeConfig: kc,
          path,
          list,
          onChange: (o) => relevant(o, false) && this.schedule(),
          onDelete: (o) => relevant(o, true) && this.schedule(),
          logger: this.opts.logger.child('watch'),
          what,
        }),
      );
    };
    for (const group of this.opts.groups) {
      for (const plural of Object.values(MONITOR_PLURALS)) {
        add(`${plural}.${group}`, `/apis/${group}/v1/namespaces/${ns}/${plural}`, async () => (await custom.listNamespacedCustomObject({ group, version: 'v1', namespace: ns, plural })) as KubernetesListObject<KubernetesObject>);
      }
    }
    add('services', `/api/v1/namespaces/${ns}/services`, () => core.listNamespacedService({ namespace: ns }));
    add('pods', `/api/v1/namespaces/${ns}/pods`, () => core.listNamespacedPod({ namespace: ns }), (o, deleted) => {
      // Pod status churn (readiness, restarts) does not change the configuration.
      const name = o.metadata?.name ?? '';
      if (deleted) return this.pods.delete(name);
      const fp = podFingerprint(o as V1Pod);
      if (this.pods.get(name) === fp) return false;
      this.pods.set(name, fp);
      return true;
    });
    const storage = (kind: 'Secret' | 'ConfigMap') => (o: KubernetesObject, deleted: boolean) => {
      if (deleted) this.opts.onDeleted?.(kind, o.metadata?.name ?? '');
      else this.opts.onChanged?.(kind, o.metadata?.name ?? '');
      return !own.has(`${kind}/${o.metadata?.name}`);
    };
    add('secrets', `/api/v1/namespaces/${ns}/secrets`, () => core.listNamespacedSecret({ namespace: ns }), storage('Secret'));
    add('configmaps', `/api/v1/namespaces/${ns}/configmaps`, () => core.listNamespacedConfigMap({ namespace: ns }), storage('ConfigMap'));
    await Promise.all(this.informers.map((i) => i.start()));
    this.schedule(0);
  }

  /** Synced and the last generation succeeded. */
  ready(): { ok: boolean; reason?: string } {
    if (this.generations === 0) return { ok: false, reason: this.lastError ?? 'no configuration generated yet' };
    if (this.lastError) return { ok: false, reason: this.lastError };
    return { ok: true };
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    for (const i of this.informers) i.stop();
  }

  private schedule(delayMs = this.opts.debounceMs): boolean {
    if (this.stopped) return true;
    if (this.running) {
      this.again = true;
      return true;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.run(), delayMs);
    return true;
  }

  private async run(): Promise<void> {
    this.timer = undefined;
    this.running = true;
    this.again = false;
    try {
      const r = await generateOnce(this.opts);
      this.generations++;
      this.failures = 0;
      this.lastError = undefined;
      this.opts.onGenerated?.(r);
    } catch (err) {
      this.failures++;
      this.lastError = errorMessage(err);
      this.opts.onFailed?.(this.lastError);
      const retryMs = Math.min(1000 * 2 ** Math.min(this.failures, 5), 30_000);
      this.opts.logger.error('generation failed; keeping the last written configuration', { error: this.lastError, retryInMs: retryMs });
      this.running = false;
      if (!this.stopped) this.schedule(retryMs);
      return;
    }
    this.running = false;
    if (this.again) this.schedule();
  }
}
