/** The target labels every pod's series must carry through the proxy, as the local stack's config says. */
import { readFileSync } from 'node:fs';
import YAML from 'yaml';
import { DEMO_NAMESPACE, type LocalStack } from '../../demo/stack.js';

/** A component of the proxy configuration the local stack wrote, as tests read it back. */
export interface ConfigComponent {
  name: string;
  metricsPort: number;
  metricsJob?: string;
  metricsNamespace?: string;
  metricsService?: string;
  metricsEndpoint?: string;
  targetLabels?: Record<string, string>;
}

/** Pod name → job, namespace, service, endpoint, pod, instance (and static target labels), as standalone OpenShift labels them. */
export function expectedPodLabels(stack: LocalStack): Map<string, Record<string, string>> {
  const out = new Map<string, Record<string, string>>();
  for (const c of stackComponents(stack)) {
    for (const pod of stack.controlPlane.component(c.name).pods) {
      out.set(pod.name, {
        job: c.metricsJob ?? c.name,
        namespace: c.metricsNamespace ?? DEMO_NAMESPACE,
        service: c.metricsService ?? c.name,
        endpoint: c.metricsEndpoint ?? 'metrics',
        pod: pod.name,
        instance: `${pod.ip}:${c.metricsPort}`,
        ...(c.targetLabels ?? {}),
      });
    }
  }
  return out;
}

/** The components of the configuration file the local stack wrote. */
export function stackComponents(stack: LocalStack): ConfigComponent[] {
  return (YAML.parse(readFileSync(stack.configFile, 'utf8')) as { components: ConfigComponent[] }).components;
}
