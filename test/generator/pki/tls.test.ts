import { expect } from 'chai';
import { once } from 'node:events';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import * as tls from 'node:tls';
import { type CertificatePair, createCA, issueCertificate } from '../../../generator/pki/index.js';
import { DAY_MS } from './helpers.js';

const CLIENT_CN = 'system:serviceaccount:openshift-monitoring:prometheus-k8s';

interface Listening {
  port: number;
  close(): Promise<void>;
}

async function listen(server: tls.Server): Promise<Listening> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        if ('closeAllConnections' in server) (server as https.Server).closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Client handshake outcome: the verified socket's state, or the error code. */
function connect(opts: tls.ConnectionOptions): Promise<{ authorized: boolean } | { error: string }> {
  return new Promise((resolve) => {
    const socket = tls.connect({ host: '127.0.0.1', ...opts }, () => {
      resolve({ authorized: socket.authorized });
      socket.end();
    });
    socket.on('error', (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? err.message }));
  });
}

/** GET / over HTTPS; resolves with status and body, or the error code. */
function get(port: number, opts: https.RequestOptions): Promise<{ status: number; body: string } | { error: string }> {
  return new Promise((resolve) => {
    const req = https.request({ host: '127.0.0.1', port, path: '/', servername: 'localhost', agent: false, ...opts }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? err.message }));
    });
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? err.message }));
    req.end();
  });
}

describe('pki certificates in real TLS handshakes', () => {
  let ca: CertificatePair;
  let otherCa: CertificatePair;
  let server: CertificatePair;
  let client: CertificatePair;
  let serverOnly: CertificatePair;
  let expired: CertificatePair;
  let plainServer: Listening;

  before(async () => {
    ca = createCA({ commonName: 'tls-test CA' });
    otherCa = createCA({ commonName: 'tls-test CA' }); // same name, other key
    server = issueCertificate(ca, { commonName: 'localhost', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'], usages: ['serverAuth'] });
    client = issueCertificate(ca, { commonName: CLIENT_CN, organizations: ['system:serviceaccounts', 'monitoring'], usages: ['clientAuth'] });
    serverOnly = issueCertificate(ca, { commonName: 'not-a-client', usages: ['serverAuth'] });
    expired = issueCertificate(ca, {
      commonName: 'localhost',
      dnsNames: ['localhost'],
      usages: ['serverAuth'],
      validityDays: 1,
      now: new Date(Date.now() - 3 * DAY_MS),
    });
    plainServer = await listen(tls.createServer({ cert: server.certPem, key: server.keyPem }, (s) => s.end()));
  });

  after(async () => {
    await plainServer?.close();
  });

  describe('server authentication', () => {
    it('a client trusting only the CA connects and verifies the host name', async () => {
      expect(await connect({ port: plainServer.port, servername: 'localhost', ca: [ca.certPem] })).to.deep.equal({ authorized: true });
    });

    it('verifies the IP SAN when connecting by address', async () => {
      // No servername: Node checks the certificate against the host, 127.0.0.1.
      expect(await connect({ port: plainServer.port, ca: [ca.certPem] })).to.deep.equal({ authorized: true });
    });

    it('fails for a host name the certificate does not name', async () => {
      expect(await connect({ port: plainServer.port, servername: 'kube-apiserver', ca: [ca.certPem] }))
        .to.deep.equal({ error: 'ERR_TLS_CERT_ALTNAME_INVALID' });
    });

    it('fails for a client trusting a different CA', async () => {
      expect(await connect({ port: plainServer.port, servername: 'localhost', ca: [otherCa.certPem] }))
        .to.deep.equal({ error: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
    });

    it('fails for an expired server certificate', async () => {
      const s = await listen(tls.createServer({ cert: expired.certPem, key: expired.keyPem }, (sock) => sock.end()));
      try {
        expect(await connect({ port: s.port, servername: 'localhost', ca: [ca.certPem] })).to.deep.equal({ error: 'CERT_HAS_EXPIRED' });
      } finally {
        await s.close();
      }
    });
  });

  describe('mutual TLS', () => {
    let mtls: Listening;
    let handled = 0;

    before(async () => {
      const srv = https.createServer(
        { cert: server.certPem, key: server.keyPem, ca: [ca.certPem], requestCert: true, rejectUnauthorized: true },
        (req, res) => {
          handled++;
          const sock = req.socket as tls.TLSSocket;
          const peer = sock.getPeerCertificate();
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify({ authorized: sock.authorized, cn: peer.subject.CN, o: peer.subject.O }));
        },
      );
      mtls = await listen(srv);
    });

    after(async () => {
      await mtls?.close();
    });

    it('accepts a clientAuth certificate and sees its CN and O', async () => {
      const before = handled;
      const r = await get(mtls.port, { ca: [ca.certPem], cert: client.certPem, key: client.keyPem });
      expect(r).to.have.property('status', 200);
      expect(JSON.parse((r as { body: string }).body)).to.deep.equal({
        authorized: true,
        cn: CLIENT_CN,
        o: ['system:serviceaccounts', 'monitoring'],
      });
      expect(handled).to.equal(before + 1);
    });

    it('rejects a serverAuth-only certificate presented as a client certificate', async () => {
      const before = handled;
      const r = await get(mtls.port, { ca: [ca.certPem], cert: serverOnly.certPem, key: serverOnly.keyPem });
      expect(r).to.have.property('error');
      expect(handled).to.equal(before);
    });

    it('rejects a client without a certificate', async () => {
      const before = handled;
      expect(await get(mtls.port, { ca: [ca.certPem] })).to.have.property('error');
      expect(handled).to.equal(before);
    });

    it("the rejection is OpenSSL's purpose check, not a trust failure", async () => {
      // Same setup but rejectUnauthorized: false, so the server can report why it would reject.
      const seen: { cn: string; authorized: boolean; error: string | null }[] = [];
      const srv = tls.createServer(
        { cert: server.certPem, key: server.keyPem, ca: [ca.certPem], requestCert: true, rejectUnauthorized: false },
        (sock) => {
          const err = sock.authorizationError as unknown as string | null;
          seen.push({ cn: String(sock.getPeerCertificate().subject.CN), authorized: sock.authorized, error: err ?? null });
          sock.end();
        },
      );
      const s = await listen(srv);
      try {
        for (const [i, cert] of [client, serverOnly].entries()) {
          const r = await connect({ port: s.port, servername: 'localhost', ca: [ca.certPem], cert: cert.certPem, key: cert.keyPem });
          expect(r).to.deep.equal({ authorized: true });
          // With TLS 1.3 the server finishes its side after the client does; wait for it.
          while (seen.length <= i) await new Promise((r) => setTimeout(r, 5));
        }
      } finally {
        await s.close();
      }
      expect(seen).to.deep.equal([
        { cn: CLIENT_CN, authorized: true, error: null },
        { cn: 'not-a-client', authorized: false, error: 'INVALID_PURPOSE' },
      ]);
    });
  });
});
