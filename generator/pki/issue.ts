/**
 * Minting and inspecting X.509 certificates with node-forge (RSA keys, SHA-256 signatures).
 * Profile follows what Kubernetes components (Go crypto/x509) expect: UTF8String names,
 * critical basicConstraints and keyUsage, SKI/AKI key identifiers, random positive serials.
 */
import forge from 'node-forge';
import { DEFAULT_KEY_BITS, generateRsaKeyPair, privateKeyFromPem } from './keys.js';
import { SAN_DNS, SAN_IP, checkDnsName, ipFromBytes, ipToBytes } from './san.js';
import { randomSerialHex, serialMagnitudeHex } from './serial.js';
import type {
  CertUsage,
  CertificateInfo,
  CertificatePair,
  CreateCAOptions,
  IssueCertificateOptions,
} from './types.js';

const DAY_MS = 24 * 60 * 60 * 1000;
/** Backdate notBefore so a peer whose clock runs a little behind still accepts a fresh cert. */
export const CLOCK_SKEW_MS = 5 * 60 * 1000;
export const DEFAULT_CA_VALIDITY_DAYS = 3650;
export const DEFAULT_LEAF_VALIDITY_DAYS = 365;
const USAGES: readonly CertUsage[] = ['serverAuth', 'clientAuth'];

const UTF8 = forge.asn1.Type.UTF8;
const OID_CN = '2.5.4.3';
const OID_O = '2.5.4.10';

/** A DN attribute as node-forge reads and writes it; valueTagClass is really an asn1.Type. */
interface DnAttribute {
  type?: string;
  shortName?: string;
  value?: unknown;
  valueTagClass?: number;
}

// Shapes node-forge gives parsed extensions (not covered by @types/node-forge).
interface ParsedExtension {
  name?: string;
  value?: string;
  cA?: boolean;
  serverAuth?: boolean;
  clientAuth?: boolean;
  subjectKeyIdentifier?: string;
  altNames?: { type: number; value: string }[];
}

function assertNonEmpty(what: string, value: string): void {
  if (typeof value !== 'string' || value.trim() === '') throw new TypeError(`${what} must be a non-empty string`);
}

/** notBefore/notAfter for a certificate issued at `now` (whole seconds: X.509 times have no fractions). */
function validityWindow(now: Date | undefined, validityDays: number): { notBefore: Date; notAfter: Date } {
  const at = now ?? new Date();
  if (!(at instanceof Date) || Number.isNaN(at.getTime())) throw new TypeError('now must be a valid Date');
  if (!Number.isFinite(validityDays) || validityDays <= 0) {
    throw new RangeError(`validityDays must be a positive number, got ${validityDays}`);
  }
  const base = Math.floor(at.getTime() / 1000) * 1000;
  return { notBefore: new Date(base - CLOCK_SKEW_MS), notAfter: new Date(base + Math.round(validityDays * DAY_MS)) };
}

/** Subject attributes, O before CN like Go's pkix.Name; UTF8String as RFC 5280 requires for new certs. */
function subjectAttributes(commonName: string, organizations: readonly string[] = []): forge.pki.CertificateField[] {
  const attrs: DnAttribute[] = [
    ...organizations.map((o) => ({ type: OID_O, value: o, valueTagClass: UTF8 })),
    { type: OID_CN, value: commonName, valueTagClass: UTF8 },
  ];
  return attrs as forge.pki.CertificateField[];
}

/** Text of a parsed DN value; node-forge leaves UTF8String values as raw UTF-8 bytes. */
function attributeText(attr: DnAttribute): string {
  const raw = typeof attr.value === 'string' ? attr.value : '';
  return attr.valueTagClass === UTF8 ? forge.util.decodeUtf8(raw) : raw;
}

/**
 * The CA subject in a form node-forge re-encodes byte for byte as the leaf's issuer:
 * UTF8 values must be decoded first or forge would UTF-8-encode them a second time.
 */
function issuerAttributes(caCert: forge.pki.Certificate): forge.pki.CertificateField[] {
  return (caCert.subject.attributes as DnAttribute[]).map((a) => ({
    type: a.type,
    value: attributeText(a),
    valueTagClass: a.valueTagClass,
  })) as forge.pki.CertificateField[];
}

function extension(cert: forge.pki.Certificate, name: string): ParsedExtension | undefined {
  return cert.getExtension(name) as ParsedExtension | undefined;
}

/** Subject key identifier as a forge byte string: the extension if present, else computed (RFC 5280 method 1). */
function subjectKeyIdBytes(cert: forge.pki.Certificate): string {
  const ski = extension(cert, 'subjectKeyIdentifier')?.subjectKeyIdentifier;
  return ski ? forge.util.hexToBytes(ski) : cert.generateSubjectKeyIdentifier().getBytes();
}

function newCertificate(
  publicKey: forge.pki.rsa.PublicKey,
  window: { notBefore: Date; notAfter: Date },
): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  cert.serialNumber = randomSerialHex();
  cert.validity.notBefore = window.notBefore;
  cert.validity.notAfter = window.notAfter;
  return cert;
}

/** Creates a self-signed root CA. */
export function createCA(opts: CreateCAOptions): CertificatePair {
  assertNonEmpty('commonName', opts.commonName);
  const window = validityWindow(opts.now, opts.validityDays ?? DEFAULT_CA_VALIDITY_DAYS);
  const keys = generateRsaKeyPair(opts.keyBits ?? DEFAULT_KEY_BITS);
  const cert = newCertificate(keys.publicKey, window);
  const subject = subjectAttributes(opts.commonName);
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
    // Self-signed: the authority key is our own key.
    { name: 'authorityKeyIdentifier', keyIdentifier: cert.generateSubjectKeyIdentifier().getBytes() },
  ]);
  cert.sign(keys.privateKey, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: keys.privateKeyPem };
}

/** Loads the issuing CA and refuses pairs that could only produce unverifiable certificates. */
function loadIssuer(ca: CertificatePair): { cert: forge.pki.Certificate; key: forge.pki.rsa.PrivateKey } {
  const cert = forge.pki.certificateFromPem(ca.certPem);
  const key = privateKeyFromPem(ca.keyPem);
  if (extension(cert, 'basicConstraints')?.cA !== true) throw new Error('issuer certificate is not a CA');
  const pub = cert.publicKey as forge.pki.rsa.PublicKey;
  if (pub.n.compareTo(key.n) !== 0 || pub.e.compareTo(key.e) !== 0) {
    throw new Error('CA private key does not match the CA certificate');
  }
  return { cert, key };
}

/** Issues a leaf (end-entity) certificate with a fresh key, signed by `ca`. */
export function issueCertificate(ca: CertificatePair, opts: IssueCertificateOptions): CertificatePair {
  assertNonEmpty('commonName', opts.commonName);
  for (const o of opts.organizations ?? []) assertNonEmpty('organization', o);
  if (!Array.isArray(opts.usages) || opts.usages.length === 0) throw new TypeError('usages must name at least one usage');
  for (const u of opts.usages) {
    if (!USAGES.includes(u)) throw new TypeError(`unknown usage ${JSON.stringify(u)}`);
  }
  // Validate SANs before spending time on a key.
  const altNames = [
    ...(opts.dnsNames ?? []).map((d) => ({ type: SAN_DNS, value: checkDnsName(d) })),
    ...(opts.ipAddresses ?? []).map((ip) => ({ type: SAN_IP, value: ipToBytes(ip).toString('binary') })),
  ];
  const window = validityWindow(opts.now, opts.validityDays ?? DEFAULT_LEAF_VALIDITY_DAYS);
  const issuer = loadIssuer(ca);

  const keys = generateRsaKeyPair(opts.keyBits ?? DEFAULT_KEY_BITS);
  const cert = newCertificate(keys.publicKey, window);
  cert.setSubject(subjectAttributes(opts.commonName, opts.organizations));
  cert.setIssuer(issuerAttributes(issuer.cert));
  const extensions: object[] = [
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: opts.usages.includes('serverAuth'), clientAuth: opts.usages.includes('clientAuth') },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: subjectKeyIdBytes(issuer.cert) },
  ];
  if (altNames.length > 0) extensions.push({ name: 'subjectAltName', altNames });
  cert.setExtensions(extensions);
  cert.sign(issuer.key, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: keys.privateKeyPem };
}

/** keyIdentifier ([0]) of an authorityKeyIdentifier extension, as hex. */
function authorityKeyIdHex(ext: ParsedExtension | undefined): string | undefined {
  if (!ext?.value) return undefined;
  const seq = forge.asn1.fromDer(ext.value);
  const parts = Array.isArray(seq.value) ? seq.value : [];
  const keyId = parts.find((p) => p.tagClass === forge.asn1.Class.CONTEXT_SPECIFIC && p.type === 0);
  return typeof keyId?.value === 'string' ? forge.util.bytesToHex(keyId.value) : undefined;
}

/** Reads back the fields we mint (RSA certificates only: node-forge cannot parse other key types). */
export function certificateInfo(certPem: string): CertificateInfo {
  const cert = forge.pki.certificateFromPem(certPem);
  const subject = cert.subject.attributes as DnAttribute[];
  const issuer = cert.issuer.attributes as DnAttribute[];
  const cn = (attrs: DnAttribute[]): string => {
    const a = attrs.find((x) => x.type === OID_CN);
    return a ? attributeText(a) : '';
  };
  const altNames = extension(cert, 'subjectAltName')?.altNames ?? [];
  const eku = extension(cert, 'extKeyUsage');
  const ipAddresses: string[] = [];
  for (const n of altNames) {
    if (n.type !== SAN_IP) continue;
    const ip = ipFromBytes(Buffer.from(n.value, 'binary'));
    if (ip !== null) ipAddresses.push(ip);
  }
  const info: CertificateInfo = {
    commonName: cn(subject),
    organizations: subject.filter((a) => a.type === OID_O).map(attributeText),
    issuerCommonName: cn(issuer),
    dnsNames: altNames.filter((n) => n.type === SAN_DNS).map((n) => n.value),
    ipAddresses,
    notBefore: cert.validity.notBefore,
    notAfter: cert.validity.notAfter,
    isCA: extension(cert, 'basicConstraints')?.cA === true,
    usages: USAGES.filter((u) => eku?.[u] === true),
    serialHex: serialMagnitudeHex(cert.serialNumber),
  };
  const ski = extension(cert, 'subjectKeyIdentifier')?.subjectKeyIdentifier;
  if (ski) info.subjectKeyId = ski.toLowerCase();
  const aki = authorityKeyIdHex(extension(cert, 'authorityKeyIdentifier'));
  if (aki) info.authorityKeyId = aki.toLowerCase();
  return info;
}

/**
 * True when `certPem` chains to one of `caPems` at instant `at`: signatures, issuer names,
 * validity periods and CA constraints. It does not check key usages or hostnames.
 */
export function verifyChain(certPem: string, caPems: string[], at: Date = new Date()): boolean {
  if (caPems.length === 0) return false;
  try {
    const store = forge.pki.createCaStore(caPems);
    const cert = forge.pki.certificateFromPem(certPem);
    return forge.pki.verifyCertificateChain(store, [cert], { validityCheckDate: at });
  } catch {
    // forge reports every verification failure by throwing; callers only need the verdict.
    return false;
  }
}
