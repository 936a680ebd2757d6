import { expect } from 'chai';
import { X509Certificate, createHash } from 'node:crypto';
import {
  type CertificatePair,
  certificateInfo,
  createCA,
  issueCertificate,
  verifyChain,
} from '../../../generator/pki/index.js';
import { DAY_MS, MINUTE_MS, tbsFields } from './helpers.js';

/** RFC 5280 method-1 key id (SHA-1 of RSAPublicKey), computed with node:crypto, not forge. */
function keyIdOf(certPem: string): string {
  const der = new X509Certificate(certPem).publicKey.export({ type: 'pkcs1', format: 'der' });
  return createHash('sha1').update(der).digest('hex');
}

describe('pki createCA / issueCertificate / certificateInfo', () => {
  const now = new Date('2030-01-02T03:04:05.678Z');
  const nowSec = Date.parse('2030-01-02T03:04:05Z'); // X.509 times carry whole seconds
  let ca: CertificatePair;
  let leaf: CertificatePair;

  before(() => {
    ca = createCA({ commonName: 'hcp-metrics-proxy root CA', now });
    leaf = issueCertificate(ca, {
      commonName: 'system:serviceaccount:openshift-monitoring:prometheus-k8s',
      organizations: ['system:serviceaccounts', 'system:serviceaccounts:openshift-monitoring'],
      dnsNames: ['metrics-proxy', 'metrics-proxy.hcp-ns.svc', '*.metrics-proxy.hcp-ns.svc.cluster.local'],
      ipAddresses: ['127.0.0.1', '10.0.1.5', '::1', '2001:DB8:0:0:0:0:0:1'],
      usages: ['serverAuth', 'clientAuth'],
      validityDays: 30,
      now,
    });
  });

  it('certificateInfo round-trips every field of a leaf', () => {
    const info = certificateInfo(leaf.certPem);
    const { serialHex, subjectKeyId, authorityKeyId, ...rest } = info;
    expect(rest).to.deep.equal({
      commonName: 'system:serviceaccount:openshift-monitoring:prometheus-k8s',
      organizations: ['system:serviceaccounts', 'system:serviceaccounts:openshift-monitoring'],
      issuerCommonName: 'hcp-metrics-proxy root CA',
      dnsNames: ['metrics-proxy', 'metrics-proxy.hcp-ns.svc', '*.metrics-proxy.hcp-ns.svc.cluster.local'],
      ipAddresses: ['127.0.0.1', '10.0.1.5', '::1', '2001:db8::1'],
      notBefore: new Date(nowSec - 5 * MINUTE_MS),
      notAfter: new Date(nowSec + 30 * DAY_MS),
      isCA: false,
      usages: ['serverAuth', 'clientAuth'],
    });
    // Cross-check the rest against node:crypto (OpenSSL), which does not share forge's parser.
    const x = new X509Certificate(leaf.certPem);
    expect(serialHex).to.equal(x.serialNumber.toLowerCase());
    expect(subjectKeyId).to.equal(keyIdOf(leaf.certPem));
    expect(authorityKeyId).to.equal(keyIdOf(ca.certPem));
    expect(new Date(x.validFrom)).to.deep.equal(info.notBefore);
    expect(new Date(x.validTo)).to.deep.equal(info.notAfter);
  });

  it('certificateInfo describes the CA', () => {
    const info = certificateInfo(ca.certPem);
    expect(info).to.include({ commonName: 'hcp-metrics-proxy root CA', issuerCommonName: 'hcp-metrics-proxy root CA', isCA: true });
    expect(info.organizations).to.deep.equal([]);
    expect(info.dnsNames).to.deep.equal([]);
    expect(info.ipAddresses).to.deep.equal([]);
    expect(info.usages).to.deep.equal([]);
    expect(info.notBefore).to.deep.equal(new Date(nowSec - 5 * MINUTE_MS));
    expect(info.notAfter).to.deep.equal(new Date(nowSec + 3650 * DAY_MS));
    expect(new X509Certificate(ca.certPem).ca).to.equal(true);
  });

  it('key identifiers: CA AKI = CA SKI, leaf AKI = CA SKI, leaf SKI is its own key', () => {
    const c = certificateInfo(ca.certPem);
    const l = certificateInfo(leaf.certPem);
    expect(c.subjectKeyId).to.match(/^[0-9a-f]{40}$/);
    expect(c.authorityKeyId).to.equal(c.subjectKeyId);
    expect(l.authorityKeyId).to.equal(c.subjectKeyId);
    expect(l.subjectKeyId).to.equal(keyIdOf(leaf.certPem));
    expect(l.subjectKeyId).to.not.equal(c.subjectKeyId);
  });

  it('leaf issuer DN is byte-identical to the CA subject DN, also for non-ASCII names', () => {
    expect(tbsFields(leaf.certPem).issuer.equals(tbsFields(ca.certPem).subject)).to.equal(true);
    const utf8Ca = createCA({ commonName: 'Prüf-CA für Kontrollebenen ✓' });
    const utf8Leaf = issueCertificate(utf8Ca, { commonName: 'Zähler', organizations: ['Größe'], usages: ['clientAuth'] });
    expect(tbsFields(utf8Leaf.certPem).issuer.equals(tbsFields(utf8Ca.certPem).subject)).to.equal(true);
    const info = certificateInfo(utf8Leaf.certPem);
    expect(info).to.include({ commonName: 'Zähler', issuerCommonName: 'Prüf-CA für Kontrollebenen ✓' });
    expect(info.organizations).to.deep.equal(['Größe']);
    expect(new X509Certificate(utf8Leaf.certPem).checkIssued(new X509Certificate(utf8Ca.certPem))).to.equal(true);
    expect(verifyChain(utf8Leaf.certPem, [utf8Ca.certPem])).to.equal(true);
  });

  it('serials are positive 128-bit DER integers and differ per certificate', () => {
    const serials = [ca, leaf].map((p) => tbsFields(p.certPem).serial);
    for (const s of serials) {
      expect(s[0]! & 0x80, 'negative serial').to.equal(0);
      if (s[0] === 0) expect(s[1]! & 0x80, 'non-minimal serial').to.not.equal(0);
      const magnitude = s[0] === 0 ? s.subarray(1) : s;
      expect(magnitude).to.have.lengthOf(16);
    }
    expect(serials[0]!.equals(serials[1]!)).to.equal(false);
  });

  it('node:crypto agrees on SANs and host matching, IPv4 and IPv6', () => {
    const x = new X509Certificate(leaf.certPem);
    expect(x.checkHost('metrics-proxy.hcp-ns.svc')).to.equal('metrics-proxy.hcp-ns.svc');
    // checkHost returns the SAN that matched.
    expect(x.checkHost('a.metrics-proxy.hcp-ns.svc.cluster.local')).to.equal('*.metrics-proxy.hcp-ns.svc.cluster.local');
    expect(x.checkHost('other.hcp-ns.svc')).to.equal(undefined);
    expect(x.checkIP('127.0.0.1')).to.equal('127.0.0.1');
    expect(x.checkIP('::1')).to.equal('::1');
    expect(x.checkIP('2001:db8::1')).to.equal('2001:db8::1');
    expect(x.checkIP('10.0.1.6')).to.equal(undefined);
    expect(x.keyUsage).to.have.members(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']);
  });

  it('omits subjectAltName when there are no names and defaults leaf validity to 365 days', () => {
    const plain = issueCertificate(ca, { commonName: 'client', usages: ['clientAuth'], now });
    const info = certificateInfo(plain.certPem);
    expect(info.usages).to.deep.equal(['clientAuth']);
    expect(info.dnsNames).to.deep.equal([]);
    expect(new X509Certificate(plain.certPem).subjectAltName).to.equal(undefined);
    expect(info.notAfter).to.deep.equal(new Date(nowSec + 365 * DAY_MS));
  });

  describe('verifyChain', () => {
    it('accepts a leaf within its validity and the 5-minute skew window', () => {
      expect(verifyChain(leaf.certPem, [ca.certPem], now)).to.equal(true);
      expect(verifyChain(leaf.certPem, [ca.certPem], new Date(nowSec - 4 * MINUTE_MS))).to.equal(true);
      expect(verifyChain(leaf.certPem, [ca.certPem], new Date(nowSec + 29 * DAY_MS))).to.equal(true);
    });

    it('rejects before notBefore and after notAfter', () => {
      expect(verifyChain(leaf.certPem, [ca.certPem], new Date(nowSec - 6 * MINUTE_MS))).to.equal(false);
      expect(verifyChain(leaf.certPem, [ca.certPem], new Date(nowSec + 31 * DAY_MS))).to.equal(false);
    });

    it('an expired certificate (issued with a past now) fails at the current time', () => {
      const past = new Date(Date.now() - 2 * 365 * DAY_MS);
      const oldCa = createCA({ commonName: 'old CA', now: new Date(past.getTime() - DAY_MS) });
      const expired = issueCertificate(oldCa, { commonName: 'expired', usages: ['serverAuth'], validityDays: 365, now: past });
      expect(certificateInfo(expired.certPem).notAfter.getTime()).to.be.lessThan(Date.now());
      expect(verifyChain(expired.certPem, [oldCa.certPem])).to.equal(false);
      // Same chain, inside the validity window: the failure above is the expiry and nothing else.
      expect(verifyChain(expired.certPem, [oldCa.certPem], new Date(past.getTime() + DAY_MS))).to.equal(true);
    });

    it('rejects a leaf from another CA, an empty trust list and garbage', () => {
      const other = createCA({ commonName: 'hcp-metrics-proxy root CA', now }); // same name, other key
      expect(verifyChain(leaf.certPem, [other.certPem], now)).to.equal(false);
      expect(verifyChain(leaf.certPem, [other.certPem, ca.certPem], now)).to.equal(true);
      expect(verifyChain(leaf.certPem, [], now)).to.equal(false);
      expect(verifyChain('not a pem', [ca.certPem], now)).to.equal(false);
    });

    it('rejects a chain whose signature was tampered with', () => {
      const lines = leaf.certPem.trim().split('\n');
      const der = Buffer.from(lines.slice(1, -1).join(''), 'base64');
      der[der.length - 1] ^= 0x01; // last byte of the signature
      const tampered = `-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/(.{64})/g, '$1\n').trim()}\n-----END CERTIFICATE-----\n`;
      expect(verifyChain(tampered, [ca.certPem], now)).to.equal(false);
    });
  });

  describe('input checks', () => {
    it('refuses to issue from a non-CA certificate or a mismatched key', () => {
      expect(() => issueCertificate(leaf, { commonName: 'x', usages: ['serverAuth'] })).to.throw(/not a CA/);
      expect(() => issueCertificate({ certPem: ca.certPem, keyPem: leaf.keyPem }, { commonName: 'x', usages: ['serverAuth'] }))
        .to.throw(/does not match/);
    });

    it('rejects bad names, usages and validity', () => {
      const base = { commonName: 'x', usages: ['serverAuth'] as const };
      const bad: [string, () => unknown, new (...a: never[]) => Error][] = [
        ['empty CN', () => issueCertificate(ca, { ...base, usages: ['serverAuth'], commonName: '' }), TypeError],
        ['no usages', () => issueCertificate(ca, { commonName: 'x', usages: [] }), TypeError],
        ['unknown usage', () => issueCertificate(ca, { commonName: 'x', usages: ['codeSigning' as never] }), TypeError],
        ['bad IP', () => issueCertificate(ca, { ...base, usages: ['serverAuth'], ipAddresses: ['300.1.1.1'] }), TypeError],
        ['bad DNS', () => issueCertificate(ca, { ...base, usages: ['serverAuth'], dnsNames: ['foo bar'] }), TypeError],
        ['empty O', () => issueCertificate(ca, { ...base, usages: ['serverAuth'], organizations: [''] }), TypeError],
        ['zero days', () => issueCertificate(ca, { ...base, usages: ['serverAuth'], validityDays: 0 }), RangeError],
        ['NaN days', () => createCA({ commonName: 'x', validityDays: Number.NaN }), RangeError],
        ['bad now', () => createCA({ commonName: 'x', now: new Date('nope') }), TypeError],
        ['bad bits', () => issueCertificate(ca, { ...base, usages: ['serverAuth'], keyBits: 1024 }), RangeError],
      ];
      for (const [what, fn, type] of bad) expect(fn, what).to.throw(type);
    });
  });
});
