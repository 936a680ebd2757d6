/**
 * The management-cluster side of the local stack: a kube-apiserver (the in-repo one) holding one
 * Pod object per simulated pod, and the real endpoint resolver watching them. The proxy then finds
 * pods exactly as it does in a cluster: resolver → informer → pods API.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from '../../common/log.js';
import { startResolver, type RunningResolver } from '../../resolver/resolver.js';
import type { SimulatedComponent } from './control-plane.js';
import { FakeKubeApiserver, type KubeObject } from './kube-apiserver/index.js';

export interface SimulatedManagementOptions {
  namespace: string;
  components: SimulatedComponent[];
  /** Directory for the kubeconfig the resolver uses. */
  dir: string;
  /** Resolver serving certificate and the CA its clients' certificates must chain to. */
  tls: { certFile: string; keyFile: string; clientCaFile: string };
  logger: Logger;
  /** Address of the kube-apiserver and the resolver; default 127.0.0.1. */
  host?: string;
}

export interface SimulatedManagement {
  kas: FakeKubeApiserver;
  /** The running resolver (replaced by setResolverRunning(true)). */
  readonly resolver: RunningResolver;
  /** Its URL, which stays the same across restarts. */
  readonly resolverUrl: string;
  namespace: string;
  /** Stop the resolver (callers get connection refused), or start it again on the same address. */
  setResolverRunning(running: boolean): Promise<void>;
  close(): Promise<void>;
}

/** The Pod object the kubelet would report for a running, ready simulated pod. */
export function podObject(namespace: string, c: SimulatedComponent, pod: { name: string; ip: string; port: number }): KubeObject {
  return {
    metadata: { name: pod.name, namespace, labels: { ...c.podLabels } },
    spec: { containers: [{ name: c.name, image: 'simulated', ports: [{ name: 'metrics', containerPort: pod.port, protocol: 'TCP' }] }] },
    status: {
      phase: 'Running',
      podIP: pod.ip,
      podIPs: [{ ip: pod.ip }],
      conditions: [
        { type: 'Initialized', status: 'True' },
        { type: 'Ready', status: 'True' },
        { type: 'ContainersReady', status: 'True' },
        { type: 'PodScheduled', status: 'True' },
      ],
    },
  };
}

export async function startSimulatedManagement(opts: SimulatedManagementOptions): Promise<SimulatedManagement> {
  const host = opts.host ?? '127.0.0.1';
  const kas = await FakeKubeApiserver.start({ host });
  try {
    for (const c of opts.components) for (const p of c.pods) kas.resources.create('pods', podObject(opts.namespace, c, p));
    mkdirSync(opts.dir, { recursive: true });
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(kas.writeKubeconfig(opts.dir, { name: 'management-kubeconfig' }).kubeconfig);
    const start = (listen: string) =>
      startResolver({
        kubeConfig,
        namespace: opts.namespace,
        listen,
        tls: opts.tls,
        staleAfterMs: 60_000,
        logger: opts.logger.child('resolver'),
        defaultMetrics: false,
        watchPollMs: 500,
      });
    let resolver: RunningResolver | undefined = await start(`${host}:0`);
    const listen = `${host}:${resolver.port}`;
    const resolverUrl = resolver.url;
    return {
      kas,
      get resolver(): RunningResolver {
        if (!resolver) throw new Error('the endpoint resolver is stopped');
        return resolver;
      },
      resolverUrl,
      namespace: opts.namespace,
      async setResolverRunning(running: boolean) {
        if (running && !resolver) resolver = await start(listen);
        else if (!running && resolver) {
          const r = resolver;
          resolver = undefined;
          await r.close();
        }
      },
      async close() {
        await resolver?.close();
        await kas.close();
      },
    };
  } catch (err) {
    await kas.close();
    throw err;
  }
}

export function managementDir(root: string): string {
  return join(root, 'management');
}
