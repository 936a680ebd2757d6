/**
 * Certificates for a local stack (demo, end-to-end tests, benchmarks), minted by our own PKI code
 * and written as files the way Kubernetes would mount them.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCA, issueCertificate, type CertificatePair } from '../generator/pki/index.js';

export interface PemFiles {
  certFile: string;
  keyFile: string;
}

export interface LocalCertificates {
  dir: string;
  /** CA for everything the proxy serves and for the resolver; callers trust it. */
  ca: CertificatePair;
  caFile: string;
  /** Separate CA for the pods' metrics endpoints and the proxy's client certificate towards them. */
  podCa: CertificatePair;
  podCaFile: string;
  proxyServing: CertificatePair & PemFiles;
  resolverServing: CertificatePair & PemFiles;
  /** The proxy's client certificate for the resolver. */
  resolverClient: CertificatePair & PemFiles;
  /** The proxy's client certificate for pods (HyperShift's metrics-client). */
  podClient: CertificatePair & PemFiles;
  /** Serving certificate shared by the simulated pods (SANs: their loopback IPs). */
  podServing: CertificatePair & PemFiles;
}

function write(dir: string, name: string, pair: CertificatePair): CertificatePair & PemFiles {
  const certFile = join(dir, `${name}.crt`);
  const keyFile = join(dir, `${name}.key`);
  writeFileSync(certFile, pair.certPem);
  writeFileSync(keyFile, pair.keyPem, { mode: 0o600 });
  return { ...pair, certFile, keyFile };
}

/** The name a guest-side demo or test reaches the proxy by, as a guest reaches the Route host. */
export const LOCAL_ROUTE_HOST = 'metrics-proxy.apps.local';

export function mintLocalCertificates(dir: string, podIps: string[], podDnsNames: string[], proxyDnsNames: string[] = []): LocalCertificates {
  mkdirSync(dir, { recursive: true });
  const ca = createCA({ commonName: 'hcp-metrics-proxy local CA' });
  const podCa = createCA({ commonName: 'hosted control plane root CA (simulated)' });
  const caFile = join(dir, 'ca.crt');
  const podCaFile = join(dir, 'pod-ca.crt');
  writeFileSync(caFile, ca.certPem);
  writeFileSync(podCaFile, podCa.certPem);
  return {
    dir,
    ca,
    caFile,
    podCa,
    podCaFile,
    proxyServing: write(dir, 'proxy-serving', issueCertificate(ca, { commonName: 'metrics-proxy', dnsNames: ['localhost', 'metrics-proxy', LOCAL_ROUTE_HOST, ...proxyDnsNames], ipAddresses: ['127.0.0.1', '::1'], usages: ['serverAuth'] })),
    resolverServing: write(dir, 'resolver-serving', issueCertificate(ca, { commonName: 'endpoint-resolver', dnsNames: ['localhost', 'endpoint-resolver'], ipAddresses: ['127.0.0.1'], usages: ['serverAuth'] })),
    resolverClient: write(dir, 'resolver-client', issueCertificate(ca, { commonName: 'metrics-proxy', usages: ['clientAuth'] })),
    podClient: write(dir, 'pod-client', issueCertificate(podCa, { commonName: 'system:serviceaccount:hypershift:metrics-client', usages: ['clientAuth'] })),
    podServing: write(dir, 'pod-serving', issueCertificate(podCa, { commonName: 'control-plane-pod', dnsNames: podDnsNames, ipAddresses: podIps, usages: ['serverAuth'] })),
  };
}
