/** The credentials of OpenShift's platform Prometheus, written where a Prometheus config can name them. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCA, issueCertificate } from '../../generator/pki/index.js';

export const PROMETHEUS_SA = 'system:serviceaccount:openshift-monitoring:prometheus-k8s';

export interface PrometheusCredentials {
  tokenFile: string;
  /** The CA of OpenShift's metrics-client-certs, which the proxy trusts for client certificates. */
  clientCaFile: string;
  certFile: string;
  keyFile: string;
}

/** A bearer token file, and a clientAuth certificate for the prometheus-k8s service account with its CA. */
export function writePrometheusCredentials(dir: string, token: string): PrometheusCredentials {
  const tokenFile = join(dir, 'prometheus-token');
  writeFileSync(tokenFile, token + '\n', { mode: 0o600 });
  const clientCa = createCA({ commonName: 'metrics-client-certs CA' });
  const clientCaFile = join(dir, 'client-ca.crt');
  writeFileSync(clientCaFile, clientCa.certPem);
  const client = issueCertificate(clientCa, { commonName: PROMETHEUS_SA, usages: ['clientAuth'] });
  const certFile = join(dir, 'tls.crt');
  const keyFile = join(dir, 'tls.key');
  writeFileSync(certFile, client.certPem);
  writeFileSync(keyFile, client.keyPem, { mode: 0o600 });
  return { tokenFile, clientCaFile, certFile, keyFile };
}
