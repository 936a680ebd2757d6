import { expect } from 'chai';
import { X509Certificate, createPrivateKey, createPublicKey } from 'node:crypto';
import { DEFAULT_KEY_BITS, generateRsaKeyPair, issueCertificate, createCA } from '../../../generator/pki/index.js';

describe('pki keys', () => {
  it('generates 2048-bit RSA keys by default, as unencrypted PKCS#8', () => {
    expect(DEFAULT_KEY_BITS).to.equal(2048);
    const kp = generateRsaKeyPair();
    expect(kp.privateKeyPem).to.match(/^-----BEGIN PRIVATE KEY-----\n/);
    const details = createPrivateKey(kp.privateKeyPem).asymmetricKeyDetails;
    expect(details?.modulusLength).to.equal(2048);
    expect(details?.publicExponent).to.equal(65537n);
    // The forge objects are the same key as the PEMs.
    expect(kp.privateKey.n.toString(16)).to.equal(kp.publicKey.n.toString(16));
    const jwk = createPublicKey(kp.publicKeyPem).export({ format: 'jwk' });
    expect(Buffer.from(jwk.n!, 'base64url').toString('hex').replace(/^0+/, '')).to.equal(kp.publicKey.n.toString(16));
  });

  it('supports 3072 and 4096 bits', () => {
    for (const bits of [3072, 4096]) {
      expect(createPrivateKey(generateRsaKeyPair(bits).privateKeyPem).asymmetricKeyDetails?.modulusLength).to.equal(bits);
    }
  });

  it('rejects other sizes', () => {
    for (const bits of [0, 1024, 2047, 2049, 8192, Number.NaN]) {
      expect(() => generateRsaKeyPair(bits), String(bits)).to.throw(RangeError);
    }
    expect(() => createCA({ commonName: 'x', keyBits: 1024 })).to.throw(RangeError);
  });

  it('issued key pairs match their certificates, honouring keyBits', () => {
    const ca = createCA({ commonName: 'keys-test-ca', keyBits: 3072 });
    const leaf = issueCertificate(ca, { commonName: 'leaf', usages: ['serverAuth'], keyBits: 4096 });
    const caCert = new X509Certificate(ca.certPem);
    const leafCert = new X509Certificate(leaf.certPem);
    expect(caCert.checkPrivateKey(createPrivateKey(ca.keyPem))).to.equal(true);
    expect(leafCert.checkPrivateKey(createPrivateKey(leaf.keyPem))).to.equal(true);
    expect(leafCert.checkPrivateKey(createPrivateKey(ca.keyPem))).to.equal(false);
    expect(caCert.publicKey.asymmetricKeyDetails?.modulusLength).to.equal(3072);
    expect(leafCert.publicKey.asymmetricKeyDetails?.modulusLength).to.equal(4096);
  });
});
