/** The CA bundle guest sync publishes: the management-side ConfigMap the certificate manager (or an operator) keeps. */
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { errorMessage } from '../../common/errors.js';
import { RUNTIME_OBJECTS } from '../../infra/lib/names.js';

/** Reads `metrics-proxy-serving-ca` key `ca.crt` in the HCP namespace; undefined when absent or empty. */
export function managementBundleReader(kc: KubeConfig, namespace: string): () => Promise<string | undefined> {
  const core = kc.makeApiClient(CoreV1Api);
  return async () => {
    try {
      const cm = await core.readNamespacedConfigMap({ name: RUNTIME_OBJECTS.servingCaConfigMap, namespace });
      const bundle = cm.data?.[RUNTIME_OBJECTS.servingCaKey];
      return bundle && bundle.includes('-----BEGIN CERTIFICATE-----') ? bundle : undefined;
    } catch (err) {
      if ((err as { code?: unknown }).code === 404) return undefined;
      throw new Error(`cannot read the management CA bundle ConfigMap ${namespace}/${RUNTIME_OBJECTS.servingCaConfigMap}: ${errorMessage(err)}`);
    }
  };
}
