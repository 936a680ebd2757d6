/**
 * The certificates the generator manages for one hosted control plane namespace: what each leaf is
 * for, its names and its usage. Names match infra/lib/names.ts, which mounts them.
 */
import { COMPONENT_NAMES, RUNTIME_OBJECTS } from '../../infra/lib/names.js';
import type { CertUsage } from '../pki/index.js';

export interface LeafSpec {
  secret: string;
  commonName: string;
  dnsNames: string[];
  usages: CertUsage[];
}

function serviceNames(service: string, namespace: string): string[] {
  return [service, `${service}.${namespace}.svc`, `${service}.${namespace}.svc.cluster.local`];
}

export function leafSpecs(namespace: string, routeHost: string): LeafSpec[] {
  return [
    { secret: RUNTIME_OBJECTS.proxyServingCertSecret, commonName: routeHost, dnsNames: [routeHost, ...serviceNames(COMPONENT_NAMES.proxy, namespace)], usages: ['serverAuth'] },
    { secret: RUNTIME_OBJECTS.resolverServingCertSecret, commonName: COMPONENT_NAMES.resolver, dnsNames: serviceNames(COMPONENT_NAMES.resolver, namespace), usages: ['serverAuth'] },
    { secret: RUNTIME_OBJECTS.resolverClientCertSecret, commonName: `system:serviceaccount:${namespace}:${COMPONENT_NAMES.proxy}`, dnsNames: [], usages: ['clientAuth'] },
  ];
}
