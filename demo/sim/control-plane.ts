/**
 * A simulated hosted control plane for the demo, the tests and the benchmarks: several pods per
 * component, each on its own 127.0.1.x address and the component's real port and scheme.
 */
import { type Exposition, type ExpositionFormat } from './exposition/format.js';
import { renderEtcdMetrics } from './exposition/etcd.js';
import { renderGenericComponentMetrics, renderOpenMetricsComponentMetrics } from './exposition/generic.js';
import { renderKubeApiserverMetrics } from './exposition/kube-apiserver.js';
import { renderKubeControllerManagerMetrics } from './exposition/kube-controller-manager.js';
import { hashSeed, Prng } from './exposition/prng.js';
import { type PodBehaviour, type PodBehaviourKind, type PodTls, type SimulatedPod, startSimulatedPod } from './pod.js';
import { type ResolvedPod, type StaticResolver, startStaticResolver } from './static-resolver.js';

export interface SimulatedControlPlaneOptions {
  /** Serving TLS of the https pods: one certificate for all (its SANs should cover every tlsServerName), or per component. */
  tls: PodTls | ((component: string) => PodTls);
  /** First three octets of the pod addresses; default "127.0.1" (pods get .1, .2, ...). */
  ipPrefix?: string;
  /** Host part of the first pod address; default 1. */
  firstHost?: number;
  /** `real`: each component's own port (6443, 2381, ...); `ephemeral`: one free port per component (tests). */
  ports?: 'real' | 'ephemeral';
  seed?: number;
  /** Size of each kube-apiserver body; default the full built-in resource set (~80k series, ~14 MB). */
  apiserver?: { seriesCount?: number; targetBytes?: number };
  /** Delay of the deliberately slow openshift-apiserver pod; default 3000 ms. */
  slowDelayMs?: number;
  /** Behaviour of the deliberately broken openshift-controller-manager pod; default garbage. */
  brokenBehaviour?: PodBehaviour | PodBehaviourKind;
  /** Gzip every body in the background at start. */
  precompress?: boolean;
  /** Start only these components (e.g. just kube-apiserver for a benchmark); default all. */
  only?: readonly string[];
  /** Also start a static endpoint resolver answering from `resolve`. */
  resolver?: { tls: { certPem: string; keyPem: string; clientCaPem: string }; ip?: string; port?: number };
}

/** What a ServiceMonitor/PodMonitor for the component would say, plus its running pods. */
export interface SimulatedComponent {
  /** Monitor name = URL segment of the proxy (`/metrics/<name>`). */
  name: string;
  /** Label selector the monitor/proxy config uses. */
  selector: Record<string, string>;
  /** Labels every pod of the component carries (a superset of the selector). */
  podLabels: Record<string, string>;
  scheme: 'http' | 'https';
  port: number;
  path: string;
  /** Name the serving certificate is valid for. */
  tlsServerName: string;
  format: ExpositionFormat;
  pods: SimulatedPod[];
}

export interface SimulatedControlPlane {
  components: SimulatedComponent[];
  /** Every pod of every component. */
  pods: SimulatedPod[];
  /** The component with that name; throws when there is none. */
  component(name: string): SimulatedComponent;
  /** Pods whose labels match every selector pair, sorted by name: the static resolver's answer. */
  resolve(selector: Record<string, string>): ResolvedPod[];
  resolver?: StaticResolver;
  close(): Promise<void>;
}

interface PodPlan {
  name: string;
  render: () => Exposition;
  behaviour?: PodBehaviour | PodBehaviourKind;
}

interface ComponentPlan {
  name: string;
  scheme: 'http' | 'https';
  port: number;
  tlsServerName: string;
  format: ExpositionFormat;
  pods: PodPlan[];
}

/** `kube-apiserver-7d9f8b6c5-x2kqp`: stable per seed. */
function deploymentPodNames(seed: number, component: string, replicas: number): string[] {
  const rng = new Prng(hashSeed(seed, 'pod-names', component));
  const hash = rng.token(9, 'bcdfghjklmnpqrstvwxz2456789');
  return Array.from({ length: replicas }, () => `${component}-${hash}-${rng.token(5)}`).sort();
}

function plans(opts: SimulatedControlPlaneOptions, seed: number): ComponentPlan[] {
  const kas = deploymentPodNames(seed, 'kube-apiserver', 3);
  const kcm = deploymentPodNames(seed, 'kube-controller-manager', 2);
  const oas = deploymentPodNames(seed, 'openshift-apiserver', 2);
  const ocm = deploymentPodNames(seed, 'openshift-controller-manager', 2);
  const cvo = deploymentPodNames(seed, 'cluster-version-operator', 1);
  return [
    {
      name: 'kube-apiserver',
      scheme: 'https',
      port: 6443,
      tlsServerName: 'kube-apiserver',
      format: 'text',
      pods: kas.map((name) => ({ name, render: () => renderKubeApiserverMetrics({ seed: hashSeed(seed, name), ...opts.apiserver }) })),
    },
    {
      name: 'etcd',
      scheme: 'https',
      port: 2381,
      tlsServerName: 'etcd-client',
      format: 'text',
      pods: [0, 1, 2].map((i) => ({ name: `etcd-${i}`, render: () => renderEtcdMetrics({ seed, member: i, members: 3 }) })),
    },
    {
      name: 'kube-controller-manager',
      scheme: 'https',
      port: 10257,
      tlsServerName: 'kube-controller-manager',
      format: 'text',
      pods: kcm.map((name, i) => ({ name, render: () => renderKubeControllerManagerMetrics({ seed: hashSeed(seed, name), leader: i === 0 }) })),
    },
    {
      // One healthy pod and one that answers only after a delay.
      name: 'openshift-apiserver',
      scheme: 'https',
      port: 8443,
      tlsServerName: 'openshift-apiserver',
      format: 'text',
      pods: oas.map((name, i) => ({
        name,
        render: () => renderGenericComponentMetrics({ seed: hashSeed(seed, name), component: 'openshift-apiserver' }),
        behaviour: i === 1 ? { kind: 'slow', delayMs: opts.slowDelayMs ?? 3000 } : undefined,
      })),
    },
    {
      // One healthy pod and one broken one.
      name: 'openshift-controller-manager',
      scheme: 'https',
      port: 8443,
      tlsServerName: 'openshift-controller-manager',
      format: 'text',
      pods: ocm.map((name, i) => ({
        name,
        render: () => renderGenericComponentMetrics({ seed: hashSeed(seed, name), component: 'openshift-controller-manager' }),
        behaviour: i === 1 ? (opts.brokenBehaviour ?? 'garbage') : undefined,
      })),
    },
    {
      name: 'cluster-version-operator',
      scheme: 'https',
      port: 8443,
      tlsServerName: 'cluster-version-operator',
      format: 'openmetrics',
      pods: cvo.map((name) => ({ name, render: () => renderOpenMetricsComponentMetrics({ seed: hashSeed(seed, name) }) })),
    },
  ];
}

function isAddrInUse(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: string }).code === 'EADDRINUSE';
}

/** Start every pod of one component on `ips`, all on one port (a free one when ephemeral). */
async function startComponentPods(
  plan: ComponentPlan,
  ips: string[],
  bodies: Exposition[],
  opts: SimulatedControlPlaneOptions,
): Promise<SimulatedPod[]> {
  const tls = plan.scheme === 'https' ? (typeof opts.tls === 'function' ? opts.tls(plan.name) : opts.tls) : undefined;
  const ephemeral = opts.ports === 'ephemeral';
  for (let attempt = 0; ; attempt++) {
    const started: SimulatedPod[] = [];
    let port = ephemeral ? 0 : plan.port;
    try {
      for (let i = 0; i < plan.pods.length; i++) {
        const p = plan.pods[i]!;
        const pod = await startSimulatedPod({
          name: p.name,
          ip: ips[i]!,
          port,
          body: bodies[i]!.body,
          format: plan.format,
          tls,
          behaviour: p.behaviour,
          precompress: opts.precompress,
        });
        started.push(pod);
        port = pod.port; // the other replicas share the first one's port, as behind one Service
      }
      return started;
    } catch (err) {
      await Promise.all(started.map((p) => p.close()));
      // A free port on the first IP may be taken on another: pick a new one.
      if (!ephemeral || !isAddrInUse(err) || attempt >= 5) throw err;
    }
  }
}

function matches(labels: Record<string, string>, selector: Record<string, string>): boolean {
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

export async function startSimulatedControlPlane(opts: SimulatedControlPlaneOptions): Promise<SimulatedControlPlane> {
  const seed = opts.seed ?? 1;
  const prefix = opts.ipPrefix ?? '127.0.1';
  if (!/^127\.\d{1,3}\.\d{1,3}$/.test(prefix)) throw new Error(`ipPrefix must be three octets inside 127.0.0.0/8, not ${prefix}`);
  let host = opts.firstHost ?? 1;
  const components: SimulatedComponent[] = [];
  const all: SimulatedPod[] = [];
  const close = async (): Promise<void> => {
    await Promise.all(all.map((p) => p.close()));
  };
  try {
    const selected = plans(opts, seed).filter((p) => !opts.only || opts.only.includes(p.name));
    const unknown = (opts.only ?? []).filter((n) => !selected.some((p) => p.name === n));
    if (unknown.length > 0) throw new Error(`no simulated component(s) ${unknown.join(', ')}`);
    for (const plan of selected) {
      const ips = plan.pods.map(() => {
        if (host > 254) throw new Error(`ran out of addresses in ${prefix}.0/24`);
        return `${prefix}.${host++}`;
      });
      const bodies = plan.pods.map((p) => p.render());
      const pods = await startComponentPods(plan, ips, bodies, opts);
      all.push(...pods);
      const selector = { app: plan.name };
      components.push({
        name: plan.name,
        selector,
        podLabels: { ...selector, 'hypershift.openshift.io/control-plane-component': plan.name },
        scheme: plan.scheme,
        port: pods[0]!.port,
        path: pods[0]!.path,
        tlsServerName: plan.tlsServerName,
        format: plan.format,
        pods,
      });
    }
  } catch (err) {
    await close();
    throw err;
  }

  const resolve = (selector: Record<string, string>): ResolvedPod[] =>
    components
      .filter((c) => matches(c.podLabels, selector))
      .flatMap((c) => c.pods.map((p) => ({ name: p.name, ip: p.ip })))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

  let resolver: StaticResolver | undefined;
  if (opts.resolver) {
    try {
      resolver = await startStaticResolver({ ...opts.resolver, pods: resolve });
    } catch (err) {
      await close();
      throw err;
    }
  }

  return {
    components,
    pods: all,
    component(name: string): SimulatedComponent {
      const c = components.find((x) => x.name === name);
      if (!c) throw new Error(`no simulated component ${name}`);
      return c;
    },
    resolve,
    resolver,
    async close(): Promise<void> {
      await Promise.all([close(), resolver?.close()]);
    },
  };
}
