/**
 * RSA key generation. We call node:crypto directly (OpenSSL, ~tens of ms per 2048-bit key)
 * instead of relying on node-forge's feature detection, whose pure-JS fallback takes seconds.
 */
import { generateKeyPairSync } from 'node:crypto';
import forge from 'node-forge';
import type { RsaKeyBits } from './types.js';

export const DEFAULT_KEY_BITS: RsaKeyBits = 2048;
const ALLOWED_KEY_BITS: readonly number[] = [2048, 3072, 4096];

export interface RsaKeyPair {
  /** Unencrypted PKCS#8 PEM ("PRIVATE KEY"). Never log it. */
  privateKeyPem: string;
  /** SPKI PEM ("PUBLIC KEY"). */
  publicKeyPem: string;
  /** The same keys as node-forge objects, for signing and certificate building. */
  privateKey: forge.pki.rsa.PrivateKey;
  publicKey: forge.pki.rsa.PublicKey;
}

/** Throws RangeError unless bits is one of 2048, 3072, 4096. */
export function checkKeyBits(bits: number): RsaKeyBits {
  if (!ALLOWED_KEY_BITS.includes(bits)) {
    throw new RangeError(`unsupported RSA key size ${bits}; use 2048, 3072 or 4096`);
  }
  return bits as RsaKeyBits;
}

export function generateRsaKeyPair(bits: number = DEFAULT_KEY_BITS): RsaKeyPair {
  const modulusLength = checkKeyBits(bits);
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength,
    publicExponent: 0x10001,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  return {
    privateKeyPem: privateKey,
    publicKeyPem: publicKey,
    privateKey: forge.pki.privateKeyFromPem(privateKey),
    publicKey: forge.pki.publicKeyFromPem(publicKey),
  };
}

/** Parses an unencrypted PKCS#1 or PKCS#8 RSA private key PEM into node-forge. */
export function privateKeyFromPem(pem: string): forge.pki.rsa.PrivateKey {
  return forge.pki.privateKeyFromPem(pem);
}
