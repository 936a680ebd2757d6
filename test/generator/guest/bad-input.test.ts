/**
 * Guest sync given bad input, as an operator would meet it: a guest kubeconfig that does not load, that
 * names an unreachable server, a server of another cluster (CA mismatch) or rejected credentials; a guest
 * cluster without the PodMonitor CRD; and served paths that cannot be PodMonitor endpoint paths. Each gives
 * a clear error (exit status and stderr of `--once`, /readyz/guest-sync, /metrics, the log), and the
 * management side is written regardless. The generator runs as a child process, as in production.
 * Addresses: 127.0.151.x.
 */
import { expect } from 'chai';
import { httpGet as get } from '../../support/http-get.js';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { memoryLogger } from '../../../common/log.js';
import { CONFIG_KEY } from '../../../generator/generate.js';
import { GuestClient } from '../../../generator/guest/client.js';
import { endpointPathProblem, splitEndpointPaths } from '../../../generator/guest/objects.js';
import { GuestSync } from '../../../generator/guest/sync.js';
import { createCA } from '../../../generator/pki/index.js';
import { parseProxyConfig } from '../../../proxy/config/parse.js';
import { FakeKubeApiserver } from '../../support/fake-kube-apiserver.js';
import { eventually, freePort } from '../../support/prometheus.js';
import { FIXTURE_NS, loadFixture } from '../fixtures.js';

const CLI = fileURLToPath(new URL('../../../cli.js', import.meta.url));
const HOST = 'metrics-proxy.apps.example.com';
const GUEST_NS = 'openshift-monitoring';
const PM = 'podmonitors.monitoring.coreos.com';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runCli(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, 'generator', ...args], { encoding: 'utf8', timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err ? ((err as { code?: unknown }).code as number | null) : 0;
      resolve({ code: typeof code === 'number' ? code : null, stdout, stderr });
    });
  });
}

describe('generator: guest sync with bad input', function () {
  this.timeout(60_000);
  let mgmt: FakeKubeApiserver;
  let guest: FakeKubeApiserver | undefined;
  let dir: string;
  let kubeconfig: string;
  const base = () => ['--namespace', FIXTURE_NS, '--kubeconfig', kubeconfig, '--sre-configmap', '', '--route-host', HOST];
  const managementWritten = (): string[] => {
    const text = (mgmt.resources.get('configmaps', FIXTURE_NS, 'metrics-proxy-config')?.data as Record<string, string> | undefined)?.[CONFIG_KEY];
    return text === undefined ? [] : (YAML.parse(text) as { components: { name: string }[] }).components.map((c) => c.name);
  };

  beforeEach(async () => {
    mgmt = await FakeKubeApiserver.start({ host: '127.0.151.1' });
    dir = mkdtempSync(join(tmpdir(), 'guest-bad-'));
    kubeconfig = mgmt.writeKubeconfig(dir, { name: 'management' }).kubeconfig;
    loadFixture(mgmt, 'hosted-control-plane.yaml');
    mgmt.resources.create('configmaps', { metadata: { name: 'metrics-proxy-serving-ca', namespace: FIXTURE_NS }, data: { 'ca.crt': createCA({ commonName: 'provided CA' }).certPem } });
  });
  afterEach(async () => {
    await guest?.close();
    guest = undefined;
    await mgmt.close();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('the guest kubeconfig (--once: management written, exit 1 with the reason)', () => {
    const once = async (guestKubeconfig: string, expected: RegExp) => {
      const r = await runCli([...base(), '--once', '--guest-kubeconfig', guestKubeconfig]);
      expect(r.code, r.stderr).to.equal(1);
      expect(r.stderr).to.match(/the management side is written, but guest sync failed: /);
      expect(r.stderr).to.match(expected);
      expect(managementWritten()).to.include.members(['etcd', 'kube-apiserver']);
      return r;
    };

    it('a file that is not a kubeconfig', async () => {
      const file = join(dir, 'guest-kubeconfig');
      writeFileSync(file, 'this: [is not a kubeconfig\n');
      await once(file, /cannot load --guest-kubeconfig: /);
    });

    it('a missing file', async () => {
      await once(join(dir, 'no-such-kubeconfig'), /cannot load --guest-kubeconfig: .*no-such-kubeconfig/);
    });

    it('a server nobody listens on', async () => {
      guest = await FakeKubeApiserver.start({ host: '127.0.151.2' });
      const file = guest.writeKubeconfig(dir, { name: 'guest' }).kubeconfig;
      const url = guest.url;
      await guest.close();
      guest = undefined;
      await once(file, new RegExp(`guest API ${url.replace(/[.]/g, '\\.')}: .*(ECONNREFUSED|connect)`));
    });

    it('the server of another cluster (its certificate does not chain to the kubeconfig CA)', async () => {
      guest = await FakeKubeApiserver.start({ host: '127.0.151.2' });
      const file = guest.writeKubeconfig(dir, { name: 'guest' }).kubeconfig;
      // The CA file the kubeconfig names now holds the management cluster's CA.
      copyFileSync(mgmt.writeKubeconfig(dir, { name: 'other' }).caFile, join(dir, 'guest-ca.crt'));
      const r = await once(file, /guest API https:\/\/127\.0\.151\.2:\d+: .*(certificate|self.signed|issuer)/i);
      expect(guest.resources.get('configmaps', GUEST_NS, 'metrics-proxy-serving-ca'), 'nothing written to the guest').to.equal(undefined);
      expect(r.stderr).not.to.include(guest.clientToken);
    });

    it('credentials the guest rejects', async () => {
      guest = await FakeKubeApiserver.start({ host: '127.0.151.2' });
      const file = guest.writeKubeconfig(dir, { name: 'guest', token: 'not-the-guest-token' }).kubeconfig;
      const r = await once(file, /guest API https:\/\/127\.0\.151\.2:\d+: kube-apiserver answered HTTP 401/);
      expect(r.stderr).not.to.include('not-the-guest-token');
    });
  });

  describe('a guest cluster without the PodMonitor CRD', () => {
    const NO_CRD = /the guest cluster does not serve podmonitors\.monitoring\.coreos\.com\/v1 \(prometheus-operator CRDs not installed\?\)/;
    beforeEach(async () => {
      guest = await FakeKubeApiserver.start({ host: '127.0.151.2', monitorGroups: [] });
    });

    it('--once: says so, after writing the management side and the guest CA bundle', async () => {
      const r = await runCli([...base(), '--once', '--guest-kubeconfig', guest!.writeKubeconfig(dir, { name: 'guest' }).kubeconfig]);
      expect(r.code, r.stderr).to.equal(1);
      expect(r.stderr).to.match(NO_CRD);
      expect(managementWritten()).to.include('kube-apiserver');
      expect(guest!.resources.get('configmaps', GUEST_NS, 'metrics-proxy-serving-ca')).to.not.equal(undefined);
    });

    it('watch mode: /readyz/guest-sync, /metrics and one log line say so; /readyz stays ready and day-2 components are still written', async () => {
      const port = await freePort();
      const child: ChildProcess = spawn(process.execPath, [CLI, 'generator', ...base(), '--debounce', '0.1', '--health-listen', `127.0.151.3:${port}`, '--guest-kubeconfig', guest!.writeKubeconfig(dir, { name: 'guest' }).kubeconfig], { stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
      child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      const url = (p: string) => `http://127.0.151.3:${port}${p}`;
      try {
        const one = await eventually(async () => {
          const a = await get(url('/readyz/guest-sync')).catch(() => ({ status: 0, body: '' }));
          return NO_CRD.test(a.body) ? a : undefined;
        }, 20_000, `guest sync failing (${output})`);
        expect(one.status).to.equal(503);
        expect((await get(url('/readyz'))).status).to.equal(200);
        expect((await get(url('/metrics'))).body).to.match(/hcp_metrics_proxy_generator_guest_sync_attempts_total\{result="error"\} [1-9]/);
        mgmt.resources.create('services', { metadata: { name: 'late-operator', namespace: FIXTURE_NS, labels: { app: 'late-operator' } }, spec: { selector: { app: 'late-operator' }, ports: [{ name: 'metrics', port: 8080, targetPort: 8080 }] } });
        mgmt.resources.create('servicemonitors.monitoring.coreos.com', {
          apiVersion: 'monitoring.coreos.com/v1',
          kind: 'ServiceMonitor',
          metadata: { name: 'late-operator', namespace: FIXTURE_NS },
          spec: { selector: { matchLabels: { app: 'late-operator' } }, endpoints: [{ port: 'metrics', scheme: 'http' }] },
        });
        await eventually(async () => (managementWritten().includes('late-operator') ? true : undefined), 20_000, 'the management config written');
        expect(output.split('\n').filter((l) => l.includes('guest sync failed')), 'one line for the state').to.have.length(1);
      } finally {
        child.kill('SIGTERM');
      }
      expect(await exited, output).to.equal(0);
    });
  });

  describe('served paths that cannot be PodMonitor endpoint paths', () => {
    const BAD = ['/metrics/bad name', '/metrics/a/b/c', '/metrics/etcd/0', '/metrics/?x=1', '/metrics/.hidden', '/metrics/caf\u00e9', '/other/etcd', `/metrics/${'a'.repeat(254)}`];

    it('are left out of the PodMonitor, each named in the status and logged once; the others are written', async () => {
      guest = await FakeKubeApiserver.start({ host: '127.0.151.2' });
      const logger = memoryLogger('guest');
      const client = new GuestClient({ kubeconfig: guest.writeKubeconfig(dir, { name: 'guest' }).kubeconfig, logger: memoryLogger('guest-client') });
      client.start();
      const sync = new GuestSync({
        client,
        objects: { namespace: GUEST_NS, sourceNamespace: FIXTURE_NS, routeHost: HOST, auth: { mode: 'client-certificate' } },
        readBundle: async () => createCA({ commonName: 'bundle' }).certPem,
        logger,
        debounceMs: 10,
      });
      try {
        sync.setPaths(['/metrics/etcd', ...BAD, '/metrics/kube-apiserver/1']);
        const r = await sync.reconcile();
        expect(r.written).to.include('PodMonitor/hcp-metrics-proxy');
        expect(r.rejected).to.have.length(BAD.length);
        const paths = (guest.resources.get(PM, GUEST_NS, 'hcp-metrics-proxy')!.spec as { podMetricsEndpoints: { path: string }[] }).podMetricsEndpoints.map((e) => e.path);
        expect(paths).to.deep.equal(['/metrics/etcd', '/metrics/kube-apiserver/1']);
        const status = sync.status();
        expect(status.ok).to.equal(false);
        expect(status.reason).to.include('served path "/metrics/bad name" cannot be a PodMonitor endpoint path (want /metrics/<component>[/<n>]');
        expect(status.reason).to.include('left out of the PodMonitor');
        await sync.reconcile();
        expect(logger.lines.filter((l) => l.includes('served paths left out of the guest PodMonitor')), 'logged once').to.have.length(1);
        // Fixed: the status clears.
        sync.setPaths(['/metrics/etcd']);
        expect((await sync.reconcile()).rejected).to.deep.equal([]);
        expect(sync.status()).to.include({ ok: true });
      } finally {
        sync.stop();
        client.stop();
      }
    });

    it('agrees with the proxy: every component name its config accepts gives valid paths, and the names it refuses do not', () => {
      const names = ['etcd', 'kube-apiserver', 'A.b_c~d-1', 'x', 'a'.repeat(253), 'a'.repeat(254), 'bad name', 'a/b', '.hidden', '-x', 'caf\u00e9', '?x', ''];
      for (const name of names) {
        let accepted = true;
        try {
          parseProxyConfig(YAML.stringify({ endpointResolver: { url: 'https://endpoint-resolver.ns.svc' }, components: [{ name, selector: { app: 'x' }, metricsPort: 8443, endpoints: [{ metricsPort: 8443 }] }] }), { source: 'test', defaultNamespace: 'ns' });
        } catch (err) {
          expect(String(err), JSON.stringify(name)).to.match(/components\[0\]\.name: (must be URL-path-safe|required)/);
          accepted = false;
        }
        const { valid } = splitEndpointPaths([`/metrics/${name}`, `/metrics/${name}/1`]);
        expect(valid.length === 2, JSON.stringify(name)).to.equal(accepted);
      }
      expect(endpointPathProblem('/metrics/etcd/12')).to.equal(undefined);
    });
  });
});
