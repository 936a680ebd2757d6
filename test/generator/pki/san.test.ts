import { expect } from 'chai';
import { canonicalIP, checkDnsName, ipFromBytes, ipToBytes } from '../../../generator/pki/san.js';

describe('pki subjectAltName encoding', () => {
  it('encodes IPv4 in network order', () => {
    expect(ipToBytes('127.0.0.1').toString('hex')).to.equal('7f000001');
    expect(ipToBytes('10.255.0.7').toString('hex')).to.equal('0aff0007');
  });

  it('encodes IPv6 including compressed, upper-case and IPv4-mapped forms', () => {
    expect(ipToBytes('::1').toString('hex')).to.equal('0'.repeat(31) + '1');
    expect(ipToBytes('::').toString('hex')).to.equal('0'.repeat(32));
    expect(ipToBytes('2001:DB8::8:800:200C:417A').toString('hex')).to.equal('20010db80000000000080800200c417a');
    expect(ipToBytes('fe80::').toString('hex')).to.equal('fe80' + '0'.repeat(28));
    // node-forge alone would take this for an IPv4 address because it contains a dot.
    expect(ipToBytes('::ffff:192.0.2.1').toString('hex')).to.equal('00000000000000000000ffffc0000201');
  });

  it('decodes back to the canonical text form', () => {
    for (const [input, canonical] of [
      ['127.0.0.1', '127.0.0.1'],
      ['::1', '::1'],
      ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
      ['fd00:0:0:1::', 'fd00:0:0:1::'],
      ['1:0:0:2:0:0:0:3', '1:0:0:2::3'],
    ] as const) {
      expect(ipFromBytes(ipToBytes(input)), input).to.equal(canonical);
      expect(canonicalIP(input), input).to.equal(canonical);
    }
    expect(ipFromBytes(Buffer.alloc(8))).to.equal(null);
  });

  it('rejects invalid IP literals', () => {
    for (const bad of ['', '256.0.0.1', '1.2.3', '01.2.3.4', 'localhost', '1::2::3', 'fe80::1%eth0', '12345::1']) {
      expect(() => ipToBytes(bad), bad).to.throw(TypeError);
    }
  });

  it('accepts host names and a leading wildcard, rejects the rest', () => {
    for (const ok of ['localhost', 'kube-apiserver', 'endpoint-resolver.ns-1.svc.cluster.local', '*.apps.example.com']) {
      expect(checkDnsName(ok)).to.equal(ok);
    }
    for (const bad of ['', ' localhost', 'foo bar', 'a..b', '-a.b', 'a-.b', 'foo.*.com', '*', 'bücher.de', 'a'.repeat(64)]) {
      expect(() => checkDnsName(bad), bad).to.throw(TypeError);
    }
  });
});
