/**
 * subjectAltName entry encoding. We encode IP addresses ourselves because node-forge's parser is
 * lax (no range checks; "::ffff:1.2.3.4" is taken for IPv4) and its IPv6 output is not canonical.
 */
import { isIPv4, isIPv6 } from 'node:net';

/** GeneralName tags (RFC 5280 4.2.1.6). */
export const SAN_DNS = 2;
export const SAN_IP = 7;

// Labels of letters, digits and inner hyphens; an optional "*." wildcard as the leftmost label.
const DNS_NAME = /^(\*\.)?[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

export function checkDnsName(name: string): string {
  if (name.length > 253 || !DNS_NAME.test(name)) {
    throw new TypeError(`invalid DNS name for subjectAltName: ${JSON.stringify(name)}`);
  }
  return name;
}

/** IPv6 in the WHATWG URL serialisation: lower case, longest zero run compressed (RFC 5952 style). */
function canonicalIPv6(ip: string): string {
  return new URL(`http://[${ip}]/`).hostname.slice(1, -1);
}

/** Validates an IP literal and returns its canonical text form. */
export function canonicalIP(ip: string): string {
  if (isIPv4(ip)) return ip;
  if (isIPv6(ip) && !ip.includes('%')) return canonicalIPv6(ip); // zone ids have no place in a cert
  throw new TypeError(`invalid IP address for subjectAltName: ${JSON.stringify(ip)}`);
}

/** Network-order bytes of an IPv4 (4 bytes) or IPv6 (16 bytes) literal. */
export function ipToBytes(ip: string): Buffer {
  const canonical = canonicalIP(ip);
  if (isIPv4(canonical)) return Buffer.from(canonical.split('.').map(Number));
  // The canonical form has only hex groups and at most one "::", which makes expansion simple.
  const [head = '', tail] = canonical.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const zeros = new Array<string>(8 - headGroups.length - tailGroups.length).fill('0');
  const groups = tail === undefined ? headGroups : [...headGroups, ...zeros, ...tailGroups];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

/** Inverse of ipToBytes; null for lengths that are not an address (e.g. name-constraint ranges). */
export function ipFromBytes(bytes: Buffer): string | null {
  if (bytes.length === 4) return Array.from(bytes).join('.');
  if (bytes.length !== 16) return null;
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i).toString(16));
  return canonicalIPv6(groups.join(':'));
}
