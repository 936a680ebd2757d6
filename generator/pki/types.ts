/**
 * Shared types for the certificate minting library (generator/pki).
 * Everything crosses module boundaries as PEM strings so callers never touch node-forge objects.
 */

/** A certificate and its private key, both PEM. keyPem is an unencrypted PKCS#8 "PRIVATE KEY". */
export interface CertificatePair {
  certPem: string;
  keyPem: string;
}

/** Extended key usages we issue. */
export type CertUsage = 'serverAuth' | 'clientAuth';

/** RSA modulus sizes we accept; anything else is rejected rather than silently rounded. */
export type RsaKeyBits = 2048 | 3072 | 4096;

export interface CreateCAOptions {
  commonName: string;
  /** Default 3650. */
  validityDays?: number;
  /** Issue "as of" this instant (tests, backdating); default the current time. */
  now?: Date;
  /** Default 2048. */
  keyBits?: number;
}

export interface IssueCertificateOptions {
  commonName: string;
  /** Subject O values; Kubernetes maps them to groups for client certificates. */
  organizations?: string[];
  dnsNames?: string[];
  /** IPv4 or IPv6 literals. */
  ipAddresses?: string[];
  /** At least one. */
  usages: CertUsage[];
  /** Default 365. */
  validityDays?: number;
  now?: Date;
  keyBits?: number;
}

/** What certificateInfo extracts; IPs are canonical (IPv6 compressed, lower case), key ids lower-case hex. */
export interface CertificateInfo {
  commonName: string;
  organizations: string[];
  issuerCommonName: string;
  dnsNames: string[];
  ipAddresses: string[];
  notBefore: Date;
  notAfter: Date;
  isCA: boolean;
  /** Extended key usages we know about, in the order serverAuth, clientAuth. */
  usages: CertUsage[];
  /** Positive serial as lower-case hex without the DER sign byte (what `openssl x509 -serial` shows, lower-cased). */
  serialHex: string;
  subjectKeyId?: string;
  authorityKeyId?: string;
}
