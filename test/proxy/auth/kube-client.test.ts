/**
 * The proxy's client of the hosted kube-apiserver (plain node:https) against the fake:
 * kubeconfig forms, credentials re-read on rotation, failures classified, audiences honoured.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { memoryLogger } from '../../../common/log.js';
import { issueCertificate } from '../../../generator/pki/index.js';
import { HostedKubeClient } from '../../../proxy/auth/kube-client.js';
import { loadKubeconfig } from '../../../proxy/auth/kubeconfig.js';
import { KubeTokenReviewer } from '../../../proxy/auth/token-reviewer.js';
import { KasRequestError, KasUnavailableError } from '../../../proxy/auth/types.js';
import { FakeKubeApiserver } from '../../support/fake-kube-apiserver.js';
import { waitFor } from './helpers.js';

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

describe('auth: hosted kube-apiserver client', function () {
  this.timeout(30_000);
  let kas: FakeKubeApiserver;
  let dir: string;
  const clients: HostedKubeClient[] = [];
  const open = (kubeconfigFile: string, onReload?: (r: 'success' | 'failure') => void) => {
    const c = new HostedKubeClient({ kubeconfigFile, logger: memoryLogger(), timeoutMs: 2000, watchPollMs: 100, onReload });
    clients.push(c);
    return c;
  };

  before(async () => {
    kas = await FakeKubeApiserver.start();
    kas.addToken('alice-token', { username: 'alice', uid: 'u-1', groups: ['team'], extra: { scopes: ['a'] } });
  });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hcp-kube-client-'));
  });
  afterEach(async () => {
    clients.splice(0).forEach((c) => c.close());
    kas.setFailure(undefined);
    kas.setDelay(0);
    kas.acceptClientTokens([kas.clientToken]);
    await kas.setReachable(true);
    rmSync(dir, { recursive: true, force: true });
  });
  after(async () => {
    await kas?.close();
  });

  describe('kubeconfig', () => {
    const write = (doc: unknown, name = 'kubeconfig') => {
      const f = join(dir, name);
      writeFileSync(f, typeof doc === 'string' ? doc : YAML.stringify(doc));
      return f;
    };
    const doc = (user: Record<string, unknown>, cluster: Record<string, unknown> = { server: kas.url, 'certificate-authority': 'ca.crt' }) => ({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'c', cluster }],
      users: [{ name: 'u', user }],
      contexts: [{ name: 'ctx', context: { cluster: 'c', user: 'u' } }],
      'current-context': 'ctx',
    });

    it('reviews tokens with an inline token, a tokenFile (client-go) or a token-file (client-node), paths relative to the kubeconfig', async () => {
      writeFileSync(join(dir, 'ca.crt'), kas.ca.certPem);
      writeFileSync(join(dir, 'token'), kas.clientToken + '\n');
      for (const user of [{ token: kas.clientToken }, { tokenFile: 'token' }, { 'token-file': join(dir, 'token') }]) {
        const c = open(write(doc(user)));
        const status = await c.tokenReview({ token: 'alice-token' });
        expect(status.authenticated, JSON.stringify(user)).to.equal(true);
        expect(status.user).to.deep.include({ username: 'alice', uid: 'u-1' });
        await c.probe();
      }
    });

    it('authenticates with a client certificate and key named by the kubeconfig', async () => {
      writeFileSync(join(dir, 'ca.crt'), kas.ca.certPem);
      const client = issueCertificate(kas.ca, { commonName: 'metrics-proxy', usages: ['clientAuth'] });
      writeFileSync(join(dir, 'tls.crt'), client.certPem);
      writeFileSync(join(dir, 'tls.key'), client.keyPem);
      const c = open(write(doc({ 'client-certificate': 'tls.crt', 'client-key': 'tls.key' })));
      expect((await c.tokenReview({ token: 'alice-token' })).authenticated).to.equal(true);
      const l = loadKubeconfig(join(dir, 'kubeconfig'));
      expect(l.files).to.deep.equal([join(dir, 'kubeconfig'), join(dir, 'ca.crt'), join(dir, 'tls.crt'), join(dir, 'tls.key')]);
    });

    it('refuses unusable kubeconfigs with a clear message', () => {
      writeFileSync(join(dir, 'ca.crt'), kas.ca.certPem);
      expect(() => loadKubeconfig(join(dir, 'missing'))).to.throw(/cannot read kubeconfig/);
      const two = { ...doc({ token: 'x' }), contexts: [{ name: 'a', context: { cluster: 'c', user: 'u' } }, { name: 'b', context: { cluster: 'c', user: 'u' } }] };
      delete (two as Record<string, unknown>)['current-context'];
      expect(() => loadKubeconfig(write(two))).to.throw(/no current-context/);
      expect(() => loadKubeconfig(write(doc({ token: 'x' }, { 'certificate-authority': 'ca.crt' })))).to.throw(/has no server/);
      expect(() => loadKubeconfig(write(doc({ tokenFile: 'nope' })))).to.throw(/cannot read tokenFile .*nope/);
      expect(() => loadKubeconfig(write({ ...doc({ token: 'x' }), 'current-context': 'other' }))).to.throw(/context "other" not found/);
    });

    it('takes inline *-data material, and refuses plugins and settings it cannot honour', async () => {
      const client = issueCertificate(kas.ca, { commonName: 'metrics-proxy', usages: ['clientAuth'] });
      const b64 = (s: string) => Buffer.from(s).toString('base64');
      const c = open(write(doc({ 'client-certificate-data': b64(client.certPem), 'client-key-data': b64(client.keyPem) }, { server: kas.url, 'certificate-authority-data': b64(kas.ca.certPem) })));
      expect((await c.tokenReview({ token: 'alice-token' })).authenticated).to.equal(true);
      expect(() => loadKubeconfig(write(doc({ exec: { command: 'get-token' } })))).to.throw(/uses exec, which this proxy does not run/);
      const skip = loadKubeconfig(write(doc({ username: 'admin', password: 'pw' }, { server: `${kas.url}/`, 'insecure-skip-tls-verify': true, 'tls-server-name': 'kube-apiserver' })));
      expect(skip).to.deep.include({ server: kas.url, authorization: `Basic ${b64('admin:pw')}` });
      expect(skip.tls).to.deep.include({ rejectUnauthorized: false, servername: 'kube-apiserver', ca: undefined });
      expect(() => loadKubeconfig(write(doc({ token: 'x' }, { server: 'http://127.0.0.1:1' })))).to.throw(/server must be https:\/\//);
      expect(() => loadKubeconfig(write(doc({ 'client-certificate-data': b64(client.certPem) }, { server: kas.url })))).to.throw(/needs both a client certificate and its key/);
    });

    it('the proxy never loads @kubernetes/client-node or cdk8s (they cost most of its memory)', async () => {
      const { spawnSync } = await import('node:child_process');
      const { fileURLToPath, pathToFileURL } = await import('node:url');
      const hooks = join(dir, 'hooks.mjs');
      writeFileSync(hooks, "export async function resolve(s, c, next) { const r = await next(s, c); if (r.url.includes('/node_modules/')) process.stderr.write('LOADED ' + r.url + '\\n'); return r; }\n");
      const register = join(dir, 'register.mjs');
      writeFileSync(register, `import { register } from 'node:module'; register(${JSON.stringify(pathToFileURL(hooks).href)});\n`);
      const command = fileURLToPath(new URL('../../../proxy/command.js', import.meta.url));
      const run = spawnSync(process.execPath, ['--import', pathToFileURL(register).href, '--input-type=module', '-e', `await import(${JSON.stringify(pathToFileURL(command).href)})`], { encoding: 'utf8' });
      expect(run.status, run.stderr).to.equal(0);
      const packages = new Set([...run.stderr.matchAll(/^LOADED .*\/node_modules\/((?:@[^/]+\/)?[^/]+)\//gm)].map((m) => m[1]));
      expect([...packages]).to.include.members(['express', 'prom-client', 'yaml']); // the hook sees what is loaded
      expect([...packages].filter((p) => /^@kubernetes\/|^cdk8s|^constructs$|^node-forge$/.test(p))).to.deep.equal([]);
    });

    it('never quotes the file in a YAML error (the line could be a token)', () => {
      const f = write('users:\n- name: u\n  user:\n    token: supersecret-token-value\n    bad: [unclosed\n');
      let message = '';
      try {
        loadKubeconfig(f);
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message).to.match(/invalid YAML at line \d+/);
      expect(message).to.not.contain('supersecret');
    });

    it('re-reads a rotated token file, and keeps the last good configuration when a reload fails', async () => {
      writeFileSync(join(dir, 'ca.crt'), kas.ca.certPem);
      writeFileSync(join(dir, 'token'), kas.clientToken);
      const file = write(doc({ tokenFile: 'token' }));
      const reloads: string[] = [];
      const c = open(file, (r) => reloads.push(r));
      await c.probe();

      kas.acceptClientTokens(['second-token']);
      expect(await rejection(c.tokenReview({ token: 'alice-token' }))).to.be.instanceOf(KasRequestError).and.have.property('status', 401);
      writeFileSync(join(dir, 'token'), 'second-token\n');
      await waitFor(() => c.generation === 2, 'reload after the token rotation');
      expect((await c.tokenReview({ token: 'alice-token' })).authenticated).to.equal(true);

      const failures = () => reloads.filter((r) => r === 'failure').length;
      const failed = failures();
      writeFileSync(file, 'not: [valid');
      await waitFor(() => failures() > failed, 'the failed reload');
      expect(c.generation).to.equal(2);
      expect((await c.tokenReview({ token: 'alice-token' })).authenticated).to.equal(true);
    });
  });

  describe('failures', () => {
    let c: HostedKubeClient;
    beforeEach(() => {
      const { kubeconfig } = kas.writeKubeconfig(dir);
      c = open(kubeconfig);
    });

    it('5xx and 429 are KasUnavailableError, with the Retry-After of a 429', async () => {
      kas.setFailure({ status: 503 });
      expect(await rejection(c.tokenReview({ token: 't' }))).to.be.instanceOf(KasUnavailableError).and.include({ status: 503 });
      kas.setFailure({ status: 429, retryAfterSeconds: 12 });
      expect(await rejection(c.subjectAccessReview({ user: 'u', nonResourceAttributes: { path: '/', verb: 'get' } }))).to.be.instanceOf(KasUnavailableError).and.include({ status: 429, retryAfterSeconds: 12 });
      expect(await rejection(c.probe())).to.be.instanceOf(KasUnavailableError);
    });

    it('a refusal of our own credentials is a KasRequestError', async () => {
      kas.acceptClientTokens(['something-else']);
      expect(await rejection(c.tokenReview({ token: 't' }))).to.be.instanceOf(KasRequestError).and.include({ status: 401 });
      expect(await rejection(c.probe())).to.be.instanceOf(KasUnavailableError).with.property('message').that.contains('401');
    });

    it('connection refused and timeouts are KasUnavailableError without a status', async () => {
      await kas.setReachable(false);
      const refused = await rejection(c.tokenReview({ token: 't' }));
      expect(refused).to.be.instanceOf(KasUnavailableError).and.have.property('status', undefined);
      expect(refused.message).to.contain('unreachable');
      await kas.setReachable(true);
      kas.setDelay(5000);
      const slow = await rejection(c.tokenReview({ token: 't' }));
      expect(slow).to.be.instanceOf(KasUnavailableError).and.have.property('status', undefined);
      expect(slow.message).to.contain('within 2000 ms');
    });
  });

  describe('audiences', () => {
    it('sends the configured audiences and rejects a token whose review names none of them', async () => {
      // The fake answers for the API server's own audience unless the request names others.
      kas.addToken('scoped', { username: 'x', audiences: ['metrics-proxy'] });
      kas.addToken('default-audience', { username: 'y' });
      const { kubeconfig } = kas.writeKubeconfig(dir);
      const client = open(kubeconfig);
      const reviewer = new KubeTokenReviewer(client, ['metrics-proxy']);
      expect(await reviewer.review('scoped')).to.deep.equal({ authenticated: true, user: { username: 'x', groups: ['system:authenticated'] } });
      expect((await reviewer.review('default-audience')).authenticated).to.equal(false);
      // Without configured audiences, the API server's own apply.
      const plain = new KubeTokenReviewer(client);
      expect((await plain.review('scoped')).authenticated).to.equal(false);
      expect((await plain.review('default-audience')).authenticated).to.equal(true);
    });

    it('rejects a review that names none of the configured audiences even if it says authenticated', async () => {
      const reviewer = new KubeTokenReviewer({ tokenReview: async () => ({ authenticated: true, user: { username: 'x' }, audiences: ['https://kubernetes.default.svc'] }) }, ['metrics-proxy']);
      expect(await reviewer.review('t')).to.deep.equal({ authenticated: false, reason: 'not valid for audiences metrics-proxy' });
    });
  });
});
