/**
 * Client certificates (OpenShift's metrics-client-certs): the TLS server requests but does not require
 * one and verifies the chain against the client CA file (common/https-server.ts, which reloads it).
 * Here we read the verdict: OpenSSL has checked signature, validity and the sslclient purpose; we
 * also insist on the clientAuth extended key usage when the certificate lists usages, and re-check
 * the validity period because a keep-alive connection can outlive its certificate.
 * Username = subject CN, groups = subject O, as the kube-apiserver maps them.
 */
import type { Socket } from 'node:net';
import type { PeerCertificate, TLSSocket } from 'node:tls';
import type { UserInfo } from './types.js';

export type CertOutcome = { kind: 'none' } | { kind: 'authenticated'; user: UserInfo } | { kind: 'rejected'; reason: string };

const EKU_CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const EKU_ANY = '2.5.29.37.0';

function values(v: string | string[] | undefined): string[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

export function authenticateClientCertificate(socket: Socket, now: () => number = Date.now): CertOutcome {
  const tls = socket as Partial<TLSSocket>;
  if (typeof tls.getPeerCertificate !== 'function') return { kind: 'none' };
  const cert: PeerCertificate | undefined = tls.getPeerCertificate();
  if (!cert || Object.keys(cert).length === 0) return { kind: 'none' };
  if (!tls.authorized) {
    // Node gives the OpenSSL code as a string here (CERT_HAS_EXPIRED, UNABLE_TO_VERIFY_LEAF_SIGNATURE, INVALID_PURPOSE...).
    return { kind: 'rejected', reason: String(tls.authorizationError ?? 'not verified against the client CA') };
  }
  const eku = cert.ext_key_usage;
  if (eku && !eku.includes(EKU_CLIENT_AUTH) && !eku.includes(EKU_ANY)) return { kind: 'rejected', reason: 'certificate is not valid for client authentication' };
  const t = now();
  if (Date.parse(cert.valid_to) < t || Date.parse(cert.valid_from) > t) return { kind: 'rejected', reason: 'certificate is outside its validity period' };
  const username = values(cert.subject?.CN)[0];
  if (!username) return { kind: 'rejected', reason: 'certificate has no common name' };
  return { kind: 'authenticated', user: { username, groups: values(cert.subject?.O) } };
}
