/** The guest-sync flags of `hcp-metrics-proxy generator`, checked together (each error names the flag). */
import { GUEST_OBJECTS, type GuestAuthSetting } from './objects.js';

export interface GuestFlags {
  'guest-kubeconfig'?: string | undefined;
  'guest-namespace'?: string | undefined;
  'guest-auth'?: string | undefined;
  'guest-token-secret'?: string | undefined;
  'guest-sync': boolean;
  'route-host'?: string | undefined;
}

export interface GuestSettings {
  kubeconfig: string;
  namespace: string;
  /** sync: keep the objects; cleanup: guest sync turned off, remove what it created. */
  mode: 'sync' | 'cleanup';
  auth: GuestAuthSetting;
  /** Required in sync mode. */
  routeHost: string;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

/** undefined when guest sync is not configured (no --guest-kubeconfig). */
export function guestSettings(f: GuestFlags): GuestSettings | undefined {
  const kubeconfig = f['guest-kubeconfig'];
  if (!kubeconfig) {
    if (!f['guest-sync']) throw new Error('--guest-sync=false needs --guest-kubeconfig FILE: the guest cluster to remove the objects from');
    if (f['guest-token-secret'] !== undefined) throw new Error('--guest-token-secret needs --guest-kubeconfig FILE (guest sync)');
    return undefined;
  }
  const namespace = f['guest-namespace'] ?? 'openshift-monitoring';
  if (!DNS_LABEL.test(namespace) || namespace.length > 63) throw new Error(`--guest-namespace must be a namespace name (RFC 1123 label), not "${namespace}"`);
  const mode = f['guest-auth'] ?? 'auto';
  const secret = f['guest-token-secret'];
  let auth: GuestAuthSetting;
  if (mode === 'auto') {
    if (secret !== undefined) throw new Error(`--guest-token-secret is only used with --guest-auth bearer-token (auto looks for ${GUEST_OBJECTS.defaultTokenSecret})`);
    auth = { mode };
  } else if (mode === 'client-certificate') {
    if (secret !== undefined) throw new Error('--guest-token-secret is only used with --guest-auth bearer-token');
    auth = { mode };
  } else if (mode === 'bearer-token') {
    if (!secret) throw new Error('--guest-auth bearer-token needs --guest-token-secret NAME (a Secret in the guest namespace with key token)');
    if (!DNS_SUBDOMAIN.test(secret) || secret.length > 253) throw new Error(`--guest-token-secret must be a Secret name, not "${secret}"`);
    auth = { mode, secret };
  } else {
    throw new Error(`--guest-auth must be auto, client-certificate or bearer-token, not "${mode}"`);
  }
  const routeHost = f['route-host'] ?? '';
  if (f['guest-sync'] && !routeHost) throw new Error('guest sync (--guest-kubeconfig) needs --route-host HOST: the TLS server name the guest Prometheus verifies');
  return { kubeconfig, namespace, mode: f['guest-sync'] ? 'sync' : 'cleanup', auth, routeHost };
}
