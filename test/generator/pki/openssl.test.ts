import { expect } from 'chai';
import { type CertificatePair, certificateInfo, createCA, issueCertificate } from '../../../generator/pki/index.js';
import { DAY_MS, openssl, tempDir } from './helpers.js';

// X509_V_ERR_INVALID_PURPOSE (26) on the leaf; OpenSSL 3.0 words it "unsuitable certificate purpose".
const PURPOSE_ERROR = /error 26 at 0 depth lookup: (unsuitable|unsupported) certificate purpose/;

/** "AB:CD:..." as printed by openssl -> "abcd...". */
const plainHex = (s: string): string => s.replace(/:/g, '').trim().toLowerCase();

describe('pki certificates under openssl', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  const files: Record<string, string> = {};
  let ca: CertificatePair;
  let server: CertificatePair;

  before(async () => {
    tmp = await tempDir();
    ca = createCA({ commonName: 'openssl-test CA' });
    const other = createCA({ commonName: 'openssl-test CA' }); // same name, different key
    server = issueCertificate(ca, {
      commonName: 'localhost',
      dnsNames: ['localhost', 'metrics-proxy.ns.svc'],
      ipAddresses: ['127.0.0.1', '::1'],
      usages: ['serverAuth'],
    });
    const client = issueCertificate(ca, { commonName: 'prometheus', organizations: ['monitoring'], usages: ['clientAuth'] });
    const past = Date.now() - 3 * 365 * DAY_MS;
    const oldCa = createCA({ commonName: 'old CA', now: new Date(past - DAY_MS) });
    const expired = issueCertificate(oldCa, { commonName: 'expired', usages: ['serverAuth'], validityDays: 30, now: new Date(past) });
    for (const [name, pem] of Object.entries({
      'ca.pem': ca.certPem,
      'other-ca.pem': other.certPem,
      'server.pem': server.certPem,
      'server-key.pem': server.keyPem,
      'client.pem': client.certPem,
      'old-ca.pem': oldCa.certPem,
      'expired.pem': expired.certPem,
    })) {
      files[name] = await tmp.write(name, pem);
    }
    files.pastSeconds = String(Math.floor((past + DAY_MS) / 1000));
  });

  after(async () => {
    await tmp?.cleanup();
  });

  const verify = (cert: string, caFile = 'ca.pem', ...extra: string[]) =>
    openssl(['verify', '-x509_strict', ...extra, '-CAfile', files[caFile]!, files[cert]!]);

  it('openssl verify -x509_strict accepts the leaf against its CA', async () => {
    const r = await verify('server.pem');
    expect(r.code, r.stderr + r.stdout).to.equal(0);
    expect(r.stdout).to.match(/server\.pem: OK/);
    expect((await verify('client.pem')).code).to.equal(0);
  });

  it('openssl verify rejects the leaf against a different CA with the same name', async () => {
    const r = await verify('server.pem', 'other-ca.pem');
    expect(r.code).to.not.equal(0);
    expect(r.stdout + r.stderr).to.match(/certificate signature failure|unable to get local issuer certificate/);
  });

  it('openssl purpose checks follow the extended key usages', async () => {
    expect((await verify('server.pem', 'ca.pem', '-purpose', 'sslserver')).code).to.equal(0);
    expect((await verify('client.pem', 'ca.pem', '-purpose', 'sslclient')).code).to.equal(0);
    const asClient = await verify('server.pem', 'ca.pem', '-purpose', 'sslclient');
    expect(asClient.code).to.not.equal(0);
    expect(asClient.stdout + asClient.stderr).to.match(PURPOSE_ERROR);
    const asServer = await verify('client.pem', 'ca.pem', '-purpose', 'sslserver');
    expect(asServer.code).to.not.equal(0);
    expect(asServer.stdout + asServer.stderr).to.match(PURPOSE_ERROR);
  });

  it('openssl verify rejects an expired certificate, and only because it expired', async () => {
    const r = await verify('expired.pem', 'old-ca.pem');
    expect(r.code).to.not.equal(0);
    expect(r.stdout + r.stderr).to.match(/certificate has expired/);
    const then = await verify('expired.pem', 'old-ca.pem', '-attime', files.pastSeconds!);
    expect(then.code, then.stderr + then.stdout).to.equal(0);
  });

  it('openssl x509 -text shows SHA-256, the SANs and the key usages of the leaf', async () => {
    const r = await openssl(['x509', '-in', files['server.pem']!, '-noout', '-text']);
    expect(r.code).to.equal(0);
    const text = r.stdout.replace(/[ \t]+/g, ' ');
    expect(text).to.include('Version: 3 (0x2)');
    expect(text).to.match(/Signature Algorithm: sha256WithRSAEncryption/);
    expect(text).to.include('Public-Key: (2048 bit)');
    expect(text).to.include('X509v3 Basic Constraints: critical\n CA:FALSE');
    expect(text).to.include('X509v3 Key Usage: critical\n Digital Signature, Key Encipherment');
    expect(text).to.match(/X509v3 Extended Key Usage: ?\n TLS Web Server Authentication\n/);
    expect(text).to.include('DNS:localhost, DNS:metrics-proxy.ns.svc, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
    expect(text).to.include('Issuer: CN = openssl-test CA');
    expect(text).to.include('Subject: CN = localhost');
  });

  it('openssl x509 -text shows the CA constraints, and ids and serial match certificateInfo', async () => {
    const r = await openssl(['x509', '-in', files['ca.pem']!, '-noout', '-text', '-serial']);
    expect(r.code).to.equal(0);
    const text = r.stdout.replace(/[ \t]+/g, ' ');
    expect(text).to.include('X509v3 Basic Constraints: critical\n CA:TRUE');
    expect(text).to.include('X509v3 Key Usage: critical\n Certificate Sign, CRL Sign');
    expect(text).to.match(/Signature Algorithm: sha256WithRSAEncryption/);

    const caInfo = certificateInfo(ca.certPem);
    const ski = /Subject Key Identifier: ?\n ([0-9A-F:]+)/.exec(text)?.[1];
    const aki = /Authority Key Identifier: ?\n (?:keyid:)?([0-9A-F:]+)/.exec(text)?.[1];
    expect(plainHex(ski ?? '')).to.equal(caInfo.subjectKeyId);
    expect(plainHex(aki ?? '')).to.equal(caInfo.subjectKeyId);
    expect(plainHex(/serial=([0-9A-F]+)/.exec(text)?.[1] ?? '')).to.equal(caInfo.serialHex);

    const leaf = await openssl(['x509', '-in', files['server.pem']!, '-noout', '-text', '-serial']);
    const leafText = leaf.stdout.replace(/[ \t]+/g, ' ');
    const leafAki = /Authority Key Identifier: ?\n (?:keyid:)?([0-9A-F:]+)/.exec(leafText)?.[1];
    expect(plainHex(leafAki ?? '')).to.equal(caInfo.subjectKeyId);
    expect(plainHex(/serial=([0-9A-F]+)/.exec(leafText)?.[1] ?? '')).to.equal(certificateInfo(server.certPem).serialHex);
  });

  it('openssl accepts the private key', async () => {
    const r = await openssl(['rsa', '-check', '-noout', '-in', files['server-key.pem']!]);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/RSA key ok/);
  });
});
