/**
 * `hcp-metrics-proxy generator` as an operator runs it: flag errors name themselves; `--once` (the Job)
 * exits 0 after writing, or non-zero with the reason; watch mode serves /healthz and /readyz, follows
 * changes and stops on SIGTERM. The CLI runs as a child process (asynchronously: the kube-apiserver
 * it talks to lives in this process). Addresses: 127.0.122.x.
 */
import { expect } from 'chai';
import { httpGet as get } from '../support/http-get.js';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { runGenerator } from '../../generator/command.js';
import { CONFIG_KEY } from '../../generator/generate.js';
import { createCA } from '../../generator/pki/index.js';
import { FakeKubeApiserver } from '../support/fake-kube-apiserver.js';
import { eventually, freePort } from '../support/prometheus.js';
import { FIXTURE_NS, loadFixture } from './fixtures.js';

const CLI = fileURLToPath(new URL('../../cli.js', import.meta.url));

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

const fail = (argv: string[]) =>
  runGenerator(argv).then(
    () => expect.fail('expected an error'),
    (e: Error) => e.message,
  );

describe('generator: command', function () {
  this.timeout(60_000);

  describe('flags', () => {
    it('names an unknown flag and lists the flags', async () => {
      const msg = await fail(['--namespce', 'x']);
      expect(msg).to.match(/unknown flag --namespce/);
      expect(msg).to.match(/--output-configmap/);
    });
    it('needs --route-host with --manage-certs, a NAMESPACE/NAME --sre-configmap and a sane --debounce', async () => {
      expect(await fail(['--namespace', 'ns', '--manage-certs'])).to.match(/--manage-certs needs --route-host HOST/);
      expect(await fail(['--namespace', 'ns', '--sre-configmap', 'just-a-name'])).to.match(/--sre-configmap must be NAMESPACE\/NAME, not "just-a-name"/);
      expect(await fail(['--namespace', 'ns', '--debounce', '-1'])).to.match(/--debounce takes seconds or a duration such as 30s, 2m or 500ms, not '-1'/);
    });
    it('checks the guest-sync flags together', async () => {
      const g = ['--namespace', 'ns', '--guest-kubeconfig', '/nonexistent/kubeconfig'];
      expect(await fail([...g])).to.match(/guest sync \(--guest-kubeconfig\) needs --route-host HOST/);
      expect(await fail([...g, '--route-host', 'h.example.com', '--guest-auth', 'basic'])).to.match(/--guest-auth must be auto, client-certificate or bearer-token, not "basic"/);
      expect(await fail([...g, '--route-host', 'h.example.com', '--guest-auth', 'bearer-token'])).to.match(/--guest-auth bearer-token needs --guest-token-secret NAME/);
      expect(await fail([...g, '--route-host', 'h.example.com', '--guest-token-secret', 'tok'])).to.match(/--guest-token-secret is only used with --guest-auth bearer-token/);
      expect(await fail([...g, '--route-host', 'h.example.com', '--guest-namespace', 'Not_A_Namespace'])).to.match(/--guest-namespace must be a namespace name/);
      expect(await fail(['--namespace', 'ns', '--guest-sync=false'])).to.match(/--guest-sync=false needs --guest-kubeconfig FILE/);
    });
    it('needs a namespace from --namespace or MY_NAMESPACE', async () => {
      const saved = process.env.MY_NAMESPACE;
      delete process.env.MY_NAMESPACE;
      try {
        expect(await fail([])).to.match(/no namespace: give --namespace or set MY_NAMESPACE/);
      } finally {
        if (saved !== undefined) process.env.MY_NAMESPACE = saved;
      }
    });
  });

  describe('--once and watch mode', () => {
    let kas: FakeKubeApiserver;
    let dir: string;
    let kubeconfig: string;
    const base = () => ['--namespace', FIXTURE_NS, '--kubeconfig', kubeconfig, '--sre-configmap', ''];
    const writtenComponents = (): string[] => {
      const text = (kas.resources.get('configmaps', FIXTURE_NS, 'metrics-proxy-config')?.data as Record<string, string> | undefined)?.[CONFIG_KEY];
      if (text === undefined) return [];
      return ((YAML.parse(text) as { components: { name: string }[] }).components ?? []).map((c) => c.name).sort();
    };

    beforeEach(async () => {
      kas = await FakeKubeApiserver.start({ host: '127.0.122.1' });
      dir = mkdtempSync(join(tmpdir(), 'gen-cmd-'));
      kubeconfig = kas.writeKubeconfig(dir).kubeconfig;
      loadFixture(kas, 'hosted-control-plane.yaml');
    });
    afterEach(async () => {
      await kas.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('--once writes the ConfigMap and the Secret and exits 0', async () => {
      const r = await runCli([...base(), '--once']);
      expect(r.code, r.stderr).to.equal(0);
      expect(writtenComponents()).to.include.members(['etcd', 'kube-apiserver', 'kube-controller-manager']);
      expect(kas.resources.get('secrets', FIXTURE_NS, 'metrics-proxy-upstream-tls')).to.not.equal(undefined);
      expect(r.stdout + r.stderr).to.match(/done/);
      expect(r.stdout + r.stderr, 'no token in the logs').not.to.include(kas.clientToken);
    });

    it('--once --manage-certs also issues the certificates', async () => {
      const r = await runCli([...base(), '--once', '--manage-certs', '--route-host', 'metrics-proxy.apps.example.com']);
      expect(r.code, r.stderr).to.equal(0);
      for (const s of ['metrics-proxy-ca-cert', 'metrics-proxy-serving-cert', 'endpoint-resolver-serving-cert', 'endpoint-resolver-client-cert']) {
        expect(kas.resources.get('secrets', FIXTURE_NS, s), s).to.not.equal(undefined);
      }
      expect(kas.resources.get('configmaps', FIXTURE_NS, 'metrics-proxy-serving-ca')).to.not.equal(undefined);
    });

    it('--once fails with the reason when the API server rejects its credentials', async () => {
      const bad = kas.writeKubeconfig(dir, { token: 'not-a-valid-token', name: 'bad' }).kubeconfig;
      const r = await runCli(['--namespace', FIXTURE_NS, '--kubeconfig', bad, '--sre-configmap', '', '--once']);
      expect(r.code).to.equal(1);
      expect(r.stderr).to.match(/cannot discover the monitoring API groups: kube-apiserver answered HTTP 401 Unauthorized\n/);
      expect(r.stderr).not.to.include('not-a-valid-token');
      expect(kas.resources.get('configmaps', FIXTURE_NS, 'metrics-proxy-config'), 'nothing written').to.equal(undefined);
    });

    it('--once fails with the reason when the API server is down', async () => {
      await kas.close();
      const r = await runCli([...base(), '--once']);
      expect(r.code).to.equal(1);
      expect(r.stderr).to.match(/cannot discover the monitoring API groups: .*(ECONNREFUSED|connect)/);
    });

    it('watch mode: ready after the first write, follows a new monitor, stops on SIGTERM', async () => {
      const port = await freePort();
      const child: ChildProcess = spawn(process.execPath, [CLI, 'generator', ...base(), '--debounce', '0.1', '--health-listen', `127.0.122.2:${port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
      child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      try {
        await eventually(async () => ((await get(`http://127.0.122.2:${port}/readyz`).catch(() => ({ status: 0 }))).status === 200 ? true : undefined), 20_000, `readyz 200 (${output})`);
        expect((await get(`http://127.0.122.2:${port}/healthz`)).status).to.equal(200);
        expect(writtenComponents()).not.to.include('extra-operator');
        kas.resources.create('services', { metadata: { name: 'extra-operator', namespace: FIXTURE_NS, labels: { app: 'extra-operator' } }, spec: { selector: { app: 'extra-operator' }, ports: [{ name: 'metrics', port: 8080, targetPort: 8080 }] } });
        kas.resources.create('servicemonitors.monitoring.coreos.com', {
          apiVersion: 'monitoring.coreos.com/v1',
          kind: 'ServiceMonitor',
          metadata: { name: 'extra-operator', namespace: FIXTURE_NS },
          spec: { selector: { matchLabels: { app: 'extra-operator' } }, endpoints: [{ port: 'metrics', scheme: 'http' }] },
        });
        await eventually(async () => (writtenComponents().includes('extra-operator') ? true : undefined), 20_000, 'extra-operator in the ConfigMap');
      } finally {
        child.kill('SIGTERM');
      }
      expect(await exited, output).to.equal(0);
    });

    it('watch mode --manage-certs: a deleted serving certificate is back within seconds, not at the 1-minute reconcile', async () => {
      const child: ChildProcess = spawn(process.execPath, [CLI, 'generator', ...base(), '--manage-certs', '--route-host', 'metrics-proxy.apps.example.com', '--health-listen', ''], { stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
      child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      const serving = () => kas.resources.get('secrets', FIXTURE_NS, 'metrics-proxy-serving-cert');
      try {
        await eventually(async () => (serving() && writtenComponents().length > 0 ? true : undefined), 20_000, `certificates issued and config written (${output})`);
        const first = (serving()!.data as Record<string, string>)['tls.crt'];
        await new Promise((r) => setTimeout(r, 300)); // the watch has seen the Secret
        kas.resources.remove('secrets', FIXTURE_NS, 'metrics-proxy-serving-cert');
        await eventually(async () => (serving() ? true : undefined), 10_000, `the serving certificate re-issued (${output})`);
        expect((serving()!.data as Record<string, string>)['tls.crt']).to.not.equal(first);
      } finally {
        child.kill('SIGTERM');
      }
      expect(await exited, output).to.equal(0);
    });

    describe('guest sync', () => {
      let guest: FakeKubeApiserver;
      let guestKubeconfig: string;
      const HOST = 'metrics-proxy.apps.example.com';
      const guestPaths = (): string[] | undefined =>
        (guest.resources.get('podmonitors.monitoring.coreos.com', 'openshift-monitoring', 'hcp-metrics-proxy')?.spec as { podMetricsEndpoints?: { path: string }[] } | undefined)?.podMetricsEndpoints?.map((e) => e.path);
      const guestBundle = () => (guest.resources.get('configmaps', 'openshift-monitoring', 'metrics-proxy-serving-ca')?.data as Record<string, string> | undefined)?.['ca.crt'];
      beforeEach(async () => {
        guest = await FakeKubeApiserver.start({ host: '127.0.122.3' });
        guestKubeconfig = guest.writeKubeconfig(dir, { name: 'guest' }).kubeconfig;
      });
      afterEach(async () => {
        await guest.close();
      });

      it('--once writes the guest bundle and PodMonitor after the management side; --guest-sync=false removes them', async () => {
        const r = await runCli([...base(), '--once', '--manage-certs', '--route-host', HOST, '--guest-kubeconfig', guestKubeconfig]);
        expect(r.code, r.stderr).to.equal(0);
        const mgmtBundle = (kas.resources.get('configmaps', FIXTURE_NS, 'metrics-proxy-serving-ca')!.data as Record<string, string>)['ca.crt'];
        expect(guestBundle()).to.equal(mgmtBundle);
        expect(guestPaths()).to.include.members(writtenComponents().map((c) => `/metrics/${c}`));
        expect(guestPaths()).to.include('/metrics/kube-scheduler/1');
        expect(r.stdout + r.stderr, 'no token in the logs').not.to.include(guest.clientToken);

        guest.resources.create('configmaps', { metadata: { name: 'unrelated', namespace: 'openshift-monitoring' }, data: {} });
        const off = await runCli([...base(), '--once', '--guest-kubeconfig', guestKubeconfig, '--guest-sync=false']);
        expect(off.code, off.stderr).to.equal(0);
        expect(guestBundle()).to.equal(undefined);
        expect(guestPaths()).to.equal(undefined);
        expect(guest.resources.get('configmaps', 'openshift-monitoring', 'unrelated')).to.not.equal(undefined);
      });

      it('--once with the guest down: the management side is written, the exit says why guest sync failed', async () => {
        await guest.close();
        const r = await runCli([...base(), '--once', '--route-host', HOST, '--guest-kubeconfig', guestKubeconfig]);
        expect(r.code).to.equal(1);
        expect(r.stderr).to.match(/the management side is written, but guest sync failed: guest API https:\/\/127\.0\.122\.3:\d+: .*(ECONNREFUSED|connect)/);
        expect(writtenComponents()).to.include('kube-apiserver');
      });

      it('watch mode: a failing guest is reported by /readyz?verbose, /readyz/guest-sync and /metrics but leaves /readyz ready; it recovers', async () => {
        guest.setFailure({ status: 500 });
        // The bundle guest sync publishes (without --manage-certs, whoever provides it keeps it here).
        kas.resources.create('configmaps', { metadata: { name: 'metrics-proxy-serving-ca', namespace: FIXTURE_NS }, data: { 'ca.crt': createCA({ commonName: 'provided CA' }).certPem } });
        const port = await freePort();
        const child: ChildProcess = spawn(process.execPath, [CLI, 'generator', ...base(), '--debounce', '0.1', '--health-listen', `127.0.122.2:${port}`, '--route-host', HOST, '--guest-kubeconfig', guestKubeconfig], { stdio: ['ignore', 'pipe', 'pipe'] });
        let output = '';
        child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
        child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
        const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
        const url = (p: string) => `http://127.0.122.2:${port}${p}`;
        try {
          await eventually(async () => ((await get(url('/readyz/guest-sync')).catch(() => ({ status: 0, body: '' }))).body.includes('HTTP 500') ? true : undefined), 20_000, `guest sync failing (${output})`);
          await eventually(async () => ((await get(url('/readyz'))).status === 200 ? true : undefined), 20_000, `readyz 200 (${output})`);
          const one = await get(url('/readyz/guest-sync'));
          expect(one.status).to.equal(503);
          expect(one.body).to.match(/^\[-\]guest-sync failed: guest API https:\/\/127\.0\.122\.3:\d+: kube-apiserver answered HTTP 500/);
          const verbose = await get(url('/readyz?verbose'));
          expect(verbose.status).to.equal(200);
          expect(verbose.body).to.match(/\[\+\]config ok\n\[-\]guest-sync failed \(informational, readiness unaffected\): guest API/);
          const metrics = await get(url('/metrics'));
          expect(metrics.body).to.match(/hcp_metrics_proxy_generator_guest_sync_attempts_total\{result="error"\} [1-9]/);
          expect(metrics.body).to.match(/hcp_metrics_proxy_generator_generations_total\{result="success"\} [1-9]/);
          expect(output.split('\n').filter((l) => l.includes('guest sync failed'))).to.have.length(1);

          guest.setFailure(undefined);
          await eventually(async () => ((await get(url('/readyz/guest-sync'))).status === 200 ? true : undefined), 30_000, `guest sync recovered (${output})`);
          expect(guestPaths()).to.include('/metrics/kube-apiserver');
          expect((await get(url('/metrics'))).body).to.match(/hcp_metrics_proxy_generator_guest_objects_written_total\{kind="PodMonitor",action="created"\} 1/);
        } finally {
          child.kill('SIGTERM');
        }
        expect(await exited, output).to.equal(0);
      });
    });

    it('exits with the reason when the monitoring CRDs are not installed', async () => {
      await kas.close();
      kas = await FakeKubeApiserver.start({ host: '127.0.122.1', monitorGroups: [] });
      kubeconfig = kas.writeKubeconfig(dir).kubeconfig;
      const r = await runCli(base());
      expect(r.code).to.equal(1);
      expect(r.stderr).to.match(/serves neither monitoring.coreos.com\/v1 nor monitoring.rhobs\/v1: install the prometheus-operator CRDs/);
    });
  });
});
