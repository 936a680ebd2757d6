/**
 * The guest cluster's TCP forwarder (DESIGN.md §11): a Deployment in the guest's monitoring namespace that
 * passes connections on 8443 through to the proxy's Route host on 443, TLS untouched, because the guest's
 * platform Prometheus only scrapes pods of its own cluster. It needs no Kubernetes API access, so its
 * ServiceAccount carries no token; with 2+ replicas it gets a PodDisruptionBudget.
 */
import * as k8s from 'cdk8s-plus-28/lib/imports/k8s.js';
import { Construct } from 'constructs';
import { GUEST } from './names.js';
import { checkHostname, checkReplicas, type ResourceProps } from './validate.js';
import {
  antiAffinity,
  componentLabels,
  containerSecurityContext,
  httpsProbe,
  placementSpec,
  podSecurityContext,
  resolveWorkload,
  rollingUpdate,
  selectorLabels,
  tmpVolume,
  toResourceRequirements,
  type WorkloadProps,
} from './workload.js';

export interface MetricsForwarderProps extends WorkloadProps {
  /** The proxy's Route host; the forwarder connects to it on port 443. */
  readonly routeHost: string;
  /** Forwarder replicas; 2 or more also creates a PodDisruptionBudget. @default 1 */
  readonly replicas?: number;
}

const CONSTRUCT = 'MetricsForwarder';

/** A TCP relay holds two sockets and small buffers per scrape; Node's own baseline dominates. */
export const FORWARDER_DEFAULT_RESOURCES: ResourceProps = { requests: { cpu: '10m', memory: '48Mi' }, limits: { memory: '192Mi' } };

/** The forwarder's container arguments (the contract with `hcp-metrics-proxy forwarder`). */
export function forwarderArgs(routeHost: string): string[] {
  return [
    'forwarder',
    '--listen', `0.0.0.0:${GUEST.forwarderPort}`,
    '--upstream', `${routeHost}:${GUEST.routePort}`,
    '--health-listen', `0.0.0.0:${GUEST.forwarderHealthPort}`,
  ];
}

export class MetricsForwarder extends Construct {
  readonly name = GUEST.forwarder;
  readonly namespace: string;
  /** Labels that select the forwarder pods (the PodMonitor and the NetworkPolicy use them). */
  readonly selector: Record<string, string>;
  readonly replicas: number;
  readonly serviceAccount: k8s.KubeServiceAccount;
  readonly deployment: k8s.KubeDeployment;
  readonly podDisruptionBudget?: k8s.KubePodDisruptionBudget;

  constructor(scope: Construct, id: string, props: MetricsForwarderProps) {
    super(scope, id);
    const w = resolveWorkload(this, CONSTRUCT, props, FORWARDER_DEFAULT_RESOURCES);
    this.namespace = w.namespace;
    const routeHost = checkHostname(CONSTRUCT, 'routeHost', props.routeHost);
    this.replicas = checkReplicas(CONSTRUCT, 'replicas', props.replicas ?? 1, false);
    const withPdb = this.replicas >= 2;

    const name = this.name;
    this.selector = selectorLabels(name);
    const labels = componentLabels(name, 'forwarder', w.labels);
    const meta = { name, namespace: this.namespace, labels };
    const tmp = tmpVolume();

    // Its own ServiceAccount, so nothing granted to 'default' applies, and no token: it never calls an API server.
    this.serviceAccount = new k8s.KubeServiceAccount(this, 'ServiceAccount', { metadata: meta, automountServiceAccountToken: false });

    this.deployment = new k8s.KubeDeployment(this, 'Deployment', {
      metadata: meta,
      spec: {
        replicas: this.replicas,
        revisionHistoryLimit: 5,
        selector: { matchLabels: this.selector },
        strategy: rollingUpdate('preferred'),
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: name,
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            securityContext: podSecurityContext(),
            affinity: antiAffinity(this.selector, 'preferred'),
            ...placementSpec(w.placement),
            terminationGracePeriodSeconds: 30,
            containers: [
              {
                name: 'forwarder',
                image: w.image,
                imagePullPolicy: w.imagePullPolicy,
                command: w.command,
                args: forwarderArgs(routeHost),
                ports: [
                  { name: GUEST.forwarderPortName, containerPort: GUEST.forwarderPort, protocol: 'TCP' },
                  { name: GUEST.forwarderHealthPortName, containerPort: GUEST.forwarderHealthPort, protocol: 'TCP' },
                ],
                // Plain HTTP on a health-only port: the forwarding port carries the callers' TLS, which it never terminates.
                livenessProbe: httpsProbe('/healthz', GUEST.forwarderHealthPortName, 'HTTP'),
                readinessProbe: httpsProbe('/readyz', GUEST.forwarderHealthPortName, 'HTTP'),
                resources: toResourceRequirements(w.resources),
                securityContext: containerSecurityContext(),
                terminationMessagePolicy: 'FallbackToLogsOnError',
                volumeMounts: [tmp.mount],
              },
            ],
            volumes: [tmp.volume],
          },
        },
      },
    });

    if (withPdb) {
      this.podDisruptionBudget = new k8s.KubePodDisruptionBudget(this, 'PodDisruptionBudget', {
        metadata: meta,
        spec: {
          maxUnavailable: k8s.IntOrString.fromNumber(1),
          selector: { matchLabels: this.selector },
          unhealthyPodEvictionPolicy: 'AlwaysAllow',
        },
      });
    }
  }
}
