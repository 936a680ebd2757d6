/**
 * `hcp-metrics-proxy proxy` with authentication: flag validation in-process, then the real CLI in a
 * child process serving a client certificate and a bearer token (reviewed by the fake kube-apiserver).
 */
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { mintLocalCertificates } from '../../../demo/certs.js';
import { proxyFlags, runProxy } from '../../../proxy/command.js';
import { FakeKubeApiserver } from '../../support/fake-kube-apiserver.js';
import { freePort } from '../../support/prometheus.js';
import { mintClientCertificates, PROMETHEUS_SA, request, waitFor } from './helpers.js';

const CLI = resolve(dirname(fileURLToPath(import.meta.url)), '../../../cli.js');

async function failure(argv: string[]): Promise<string> {
  try {
    await runProxy(argv);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('runProxy did not fail');
}

describe('proxy command: authentication flags', function () {
  this.timeout(60_000);
  const base = ['--config', '/nonexistent/config.yaml', '--tls-cert-file', '/nonexistent/tls.crt', '--tls-key-file', '/nonexistent/tls.key'];

  it('declares the authentication flags with their defaults', () => {
    expect(proxyFlags['allowed-subjects'].default).to.deep.equal([PROMETHEUS_SA]);
    expect(proxyFlags['token-cache-ttl'].default).to.equal(300);
    expect(proxyFlags['token-negative-ttl'].default).to.equal(10);
    for (const f of ['kubeconfig', 'token-audiences', 'client-ca-file', 'authorize-with-sar', 'insecure-no-auth'] as const) expect(proxyFlags).to.have.property(f);
  });

  it('refuses to start with neither a kubeconfig, a client CA nor --insecure-no-auth', async () => {
    const m = await failure(base);
    expect(m).to.match(/no authentication configured/);
    expect(m).to.contain('--kubeconfig').and.contain('--client-ca-file').and.contain('--insecure-no-auth');
  });

  it('refuses --insecure-no-auth together with real authentication', async () => {
    expect(await failure([...base, '--insecure-no-auth', '--client-ca-file', '/ca.crt'])).to.match(/cannot be combined/);
  });

  it('reports an unreadable kubeconfig and SAR without a kubeconfig before starting anything', async () => {
    expect(await failure([...base, '--kubeconfig', '/nonexistent/kubeconfig'])).to.match(/^authentication: cannot read kubeconfig/);
    expect(await failure([...base, '--client-ca-file', '/ca.crt', '--authorize-with-sar'])).to.match(/--authorize-with-sar needs --kubeconfig/);
  });

  it('declares the limits before authentication with their defaults, and refuses values that cannot work, naming the flag', async () => {
    expect(proxyFlags['headers-timeout'].default).to.equal(10);
    expect(proxyFlags['request-timeout'].default).to.equal(30);
    expect(proxyFlags['idle-timeout'].default).to.equal(65);
    expect(proxyFlags['tls-handshake-timeout'].default).to.equal(10);
    expect(proxyFlags['max-connections'].default).to.equal(1024);
    expect(proxyFlags['max-connections-per-source'].default).to.equal(256);
    expect(proxyFlags['token-review-rate'].default).to.equal(20);
    expect(proxyFlags['token-review-burst'].default).to.equal(40);
    expect(proxyFlags['token-review-rate-per-source'].default).to.equal(5);
    expect(proxyFlags['token-review-burst-per-source'].default).to.equal(10);
    const certs = [...base, '--client-ca-file', '/ca.crt'];
    expect(await failure([...certs, '--headers-timeout', '20s', '--request-timeout', '5s'])).to.match(/--request-timeout \(5 s\) must not be shorter than --headers-timeout \(20 s\)/);
    expect(await failure([...certs, '--max-connections', '-1'])).to.match(/--max-connections must be a whole number ≥ 0/);
    expect(await failure([...certs, '--token-review-burst', '0'])).to.match(/--token-review-burst must be at least 1/);
    expect(await failure([...certs, '--token-review-rate-per-source', '-2'])).to.match(/--token-review-rate-per-source must be a number of TokenReviews per second ≥ 0/);
  });

  describe('the CLI in a child process', () => {
    let dir: string;
    let kas: FakeKubeApiserver;
    let child: ChildProcess | undefined;
    let output = '';

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'hcp-proxy-cli-'));
      kas = await FakeKubeApiserver.start();
      kas.addToken('cli-token', { username: PROMETHEUS_SA });
    });
    after(async () => {
      if (child && child.exitCode === null) {
        const exited = new Promise((r) => child!.once('exit', r));
        child.kill('SIGTERM');
        setTimeout(() => child?.kill('SIGKILL'), 10_000).unref();
        await exited;
      }
      await kas?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('serves a client certificate and a reviewed token, answers 401 otherwise, and never logs the token', async () => {
      const certs = mintLocalCertificates(join(dir, 'certs'), ['127.0.0.1'], ['localhost']);
      const client = mintClientCertificates(join(dir, 'client'));
      const config = join(dir, 'config.yaml');
      writeFileSync(config, YAML.stringify({ endpointResolver: { url: 'https://127.0.0.1:1', caFile: certs.caFile }, components: [{ name: 'etcd', selector: { app: 'etcd' }, metricsPort: 2381, metricsScheme: 'http' }] }));
      const { kubeconfig } = kas.writeKubeconfig(join(dir, 'kas'), { tokenFile: true });
      const port = await freePort();
      child = spawn(process.execPath, [CLI, 'proxy', '--config', config, '--tls-cert-file', certs.proxyServing.certFile, '--tls-key-file', certs.proxyServing.keyFile, '--listen', `127.0.0.1:${port}`, '--kubeconfig', kubeconfig, '--client-ca-file', client.caFile, '--scrape-workers', '0', '--log-level', 'debug'], { stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout!.on('data', (b: Buffer) => (output += b.toString()));
      child.stderr!.on('data', (b: Buffer) => (output += b.toString()));
      const url = `https://127.0.0.1:${port}`;
      const get = (path: string, o: { token?: string; cert?: typeof client.prometheus } = {}) => request(url + path, { ca: certs.ca.certPem, ...o });
      await waitFor(async () => {
        if (child!.exitCode !== null) throw new Error(`proxy exited:\n${output}`);
        return (await get('/readyz').catch(() => undefined))?.status === 200;
      }, `the proxy to be ready (output so far:\n${output})`, 30_000);

      expect((await get('/components')).status).to.equal(401);
      expect((await get('/components', { cert: client.prometheus })).status).to.equal(200);
      expect((await get('/components', { cert: client.stranger })).status).to.equal(403);
      expect((await get('/components', { token: 'cli-token' })).status).to.equal(200);
      expect((await get('/components', { token: 'cli-token' })).status).to.equal(200);
      expect(kas.tokenReviews).to.equal(1);
      expect((await get('/components', { token: 'not-a-token-xyz' })).status).to.equal(401);
      expect(output).to.contain('metrics-proxy listening');
      expect(output).to.not.contain('AUTHENTICATION IS DISABLED');
      expect(output).to.not.contain('cli-token').and.not.contain('not-a-token-xyz').and.not.contain(kas.clientToken);
    });
  });
});
