/** Certificate minting for tests, the demo and the certificate manager. */
export type {
  CertUsage,
  CertificateInfo,
  CertificatePair,
  CreateCAOptions,
  IssueCertificateOptions,
  RsaKeyBits,
} from './types.js';
export { DEFAULT_KEY_BITS, generateRsaKeyPair, type RsaKeyPair } from './keys.js';
export {
  CLOCK_SKEW_MS,
  DEFAULT_CA_VALIDITY_DAYS,
  DEFAULT_LEAF_VALIDITY_DAYS,
  certificateInfo,
  createCA,
  issueCertificate,
  verifyChain,
} from './issue.js';
