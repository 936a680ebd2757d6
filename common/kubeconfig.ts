/** The management cluster's kubeconfig for the parts that watch it (resolver, generator). */
import { KubeConfig } from '@kubernetes/client-node';
import { errorMessage } from './errors.js';

/** In a pod the service account; otherwise --kubeconfig is required (never a guess at ~/.kube/config). */
export function loadKubeConfig(file: string | undefined, env: NodeJS.ProcessEnv = process.env): KubeConfig {
  const kc = new KubeConfig();
  if (file) {
    try {
      kc.loadFromFile(file);
    } catch (err) {
      throw new Error(`cannot load --kubeconfig ${file}: ${errorMessage(err)}`);
    }
  } else if (env.KUBERNETES_SERVICE_HOST) {
    kc.loadFromCluster();
  } else {
    throw new Error('no kubeconfig: give --kubeconfig FILE, or run in a pod (in-cluster configuration)');
  }
  return kc;
}
