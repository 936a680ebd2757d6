/**
 * Client certificates at the TLS layer: the proxy's HTTPS server (common/https-server.ts) requests a
 * certificate and verifies it against the client CA file; authenticateClientCertificate reads the
 * verdict. Checks that OpenSSL applies the sslclient purpose itself, and that a rotated CA file is used.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memoryLogger } from '../../../common/log.js';
import { startHttpsServer, type RunningServer } from '../../../common/https-server.js';
import { createCA, issueCertificate, type CertificatePair } from '../../../generator/pki/index.js';
import { authenticateClientCertificate } from '../../../proxy/auth/client-cert.js';
import { mintClientCertificates, PROMETHEUS_SA, request, waitFor, type ClientCertificates } from './helpers.js';

describe('auth: client certificates', function () {
  this.timeout(30_000);
  let dir: string;
  let certs: ClientCertificates;
  let serving: CertificatePair;
  let servingCa: CertificatePair;
  let server: RunningServer;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hcp-client-cert-'));
    certs = mintClientCertificates(dir);
    servingCa = createCA({ commonName: 'serving CA' });
    serving = issueCertificate(servingCa, { commonName: 'proxy', ipAddresses: ['127.0.0.1'], usages: ['serverAuth'] });
    writeFileSync(join(dir, 'tls.crt'), serving.certPem);
    writeFileSync(join(dir, 'tls.key'), serving.keyPem);
    server = await startHttpsServer(
      (req, res) => {
        const s = req.socket as Socket & { authorized?: boolean; authorizationError?: unknown };
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ outcome: authenticateClientCertificate(req.socket), authorized: s.authorized, authorizationError: s.authorizationError ?? null }));
      },
      { listen: '127.0.0.1:0', tls: { certFile: join(dir, 'tls.crt'), keyFile: join(dir, 'tls.key'), clientCaFile: certs.caFile }, logger: memoryLogger(), watchPollMs: 100 },
    );
  });

  after(async () => {
    await server?.close(100);
    rmSync(dir, { recursive: true, force: true });
  });

  const ask = async (cert?: CertificatePair) => {
    const r = await request(`https://127.0.0.1:${server.port}/`, { ca: servingCa.certPem, cert });
    return JSON.parse(r.body) as { outcome: ReturnType<typeof authenticateClientCertificate>; authorized: boolean; authorizationError: string | null };
  };

  it('finds no certificate when the client sends none (the server only requests one)', async () => {
    expect((await ask()).outcome).to.deep.equal({ kind: 'none' });
  });

  it('authenticates a clientAuth certificate from the CA: CN is the user, O the groups', async () => {
    expect((await ask(certs.prometheus)).outcome).to.deep.equal({
      kind: 'authenticated',
      user: { username: PROMETHEUS_SA, groups: ['system:serviceaccounts', 'system:serviceaccounts:openshift-monitoring'] },
    });
  });

  it('relies on OpenSSL for the sslclient purpose: a serverAuth-only certificate is not authorized at the TLS layer', async () => {
    const r = await ask(certs.serverAuthOnly);
    expect(r.authorized).to.equal(false);
    expect(r.authorizationError).to.equal('INVALID_PURPOSE');
    expect(r.outcome).to.deep.equal({ kind: 'rejected', reason: 'INVALID_PURPOSE' });
  });

  it('rejects an expired certificate and one from another CA', async () => {
    expect((await ask(certs.expired)).outcome).to.deep.equal({ kind: 'rejected', reason: 'CERT_HAS_EXPIRED' });
    expect((await ask(certs.wrongCa)).outcome).to.deep.equal({ kind: 'rejected', reason: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
  });

  it('verifies against the client CA file as it is now: a rotated CA applies to new connections', async () => {
    const next = createCA({ commonName: 'rotated client CA' });
    const fromNext = issueCertificate(next, { commonName: 'rotated-user', usages: ['clientAuth'] });
    expect((await ask(fromNext)).outcome.kind).to.equal('rejected');
    writeFileSync(certs.caFile, next.certPem);
    try {
      await waitFor(async () => (await ask(fromNext)).outcome.kind === 'authenticated', 'the rotated client CA');
      expect((await ask(certs.prometheus)).outcome.kind).to.equal('rejected');
    } finally {
      writeFileSync(certs.caFile, certs.ca.certPem);
      await waitFor(async () => (await ask(certs.prometheus)).outcome.kind === 'authenticated', 'the original client CA');
    }
  });

  describe('checks of its own on a verified certificate', () => {
    const socket = (cert: Record<string, unknown>) =>
      ({ authorized: true, authorizationError: null, getPeerCertificate: () => cert }) as unknown as Socket;
    const base = { subject: { CN: 'u', O: 'g' }, valid_from: 'Jan  1 00:00:00 2020 GMT', valid_to: 'Jan  1 00:00:00 2040 GMT' };

    it('insists on clientAuth when the certificate lists extended key usages', () => {
      expect(authenticateClientCertificate(socket({ ...base, ext_key_usage: ['1.3.6.1.5.5.7.3.1'] })).kind).to.equal('rejected');
      expect(authenticateClientCertificate(socket({ ...base, ext_key_usage: ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2'] })).kind).to.equal('authenticated');
      expect(authenticateClientCertificate(socket(base))).to.deep.equal({ kind: 'authenticated', user: { username: 'u', groups: ['g'] } });
    });

    it('re-checks the validity period (a keep-alive connection can outlive its certificate)', () => {
      const at = Date.parse('2041-01-01T00:00:00Z');
      expect(authenticateClientCertificate(socket(base), () => at)).to.deep.equal({ kind: 'rejected', reason: 'certificate is outside its validity period' });
    });

    it('refuses a certificate without a common name, and finds nothing on a plain TCP socket', () => {
      expect(authenticateClientCertificate(socket({ ...base, subject: { O: 'g' } })).kind).to.equal('rejected');
      expect(authenticateClientCertificate({} as Socket)).to.deep.equal({ kind: 'none' });
    });
  });
});
