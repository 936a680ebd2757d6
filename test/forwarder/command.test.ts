/**
 * `hcp-metrics-proxy forwarder`: flag errors in-process, then the built CLI as the guest Deployment runs it
 * (`node build/cli.js forwarder ...`): --help, bytes through, the upstream file reloaded, /readyz and
 * /metrics, and SIGTERM draining an open connection before the process exits 0.
 */
import { expect } from 'chai';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runForwarder } from '../../forwarder/command.js';
import { connect, get, peerGone, readAll, readBytes, startNamedEcho, waitFor, type TestServer } from './helpers.js';

/** build/cli.js, from build/test/forwarder/command.test.js. */
const CLI = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'cli.js');

const fail = (argv: string[]) =>
  runForwarder(argv).then(
    () => expect.fail('expected an error'),
    (e: Error) => e.message,
  );

describe('forwarder: command', function () {
  this.timeout(60_000);

  it('names what is missing or wrong', async () => {
    expect(await fail([])).to.match(/^missing required flag: --upstream HOST:PORT or --upstream-file FILE/);
    expect(await fail(['--upstream', '::1:443'])).to.match(/invalid upstream "::1:443": an IPv6 address needs brackets/);
    expect(await fail(['--upstrem', 'a:1'])).to.match(/unknown flag --upstrem\n\nusage: hcp-metrics-proxy forwarder/);
    expect(await fail(['--upstream', 'a.example.com:443', '--max-connections', '0'])).to.match(/--max-connections must be a positive integer, not 0/);
    expect(await fail(['--upstream', 'a.example.com:443', '--idle-timeout', 'soon'])).to.match(/--idle-timeout takes seconds or a duration/);
    expect(await fail(['--upstream', 'a.example.com:443', '--log-level', 'loud'])).to.match(/--log-level takes debug, info, warn or error, not 'loud'/);
    expect(await fail(['--upstream', 'a.example.com:443', '--listen', '127.0.0.1:0', '--health-listen', 'nowhere'])).to.match(/invalid listen address "nowhere"/);
  });

  describe('the CLI process', () => {
    let child: ChildProcess | undefined;
    let servers: TestServer[] = [];
    let dir: string;
    beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'fw-cli-'))));
    afterEach(async () => {
      if (child && child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await new Promise((r) => child!.once('exit', r));
      }
      child = undefined;
      await Promise.all(servers.map((s) => s.close()));
      servers = [];
      rmSync(dir, { recursive: true, force: true });
    });

    it('prints its flags and defaults for --help', () => {
      const r = spawnSync(process.execPath, [CLI, 'forwarder', '--help'], { encoding: 'utf8' });
      expect(r.status).to.equal(0);
      expect(r.stdout).to.match(/^usage: hcp-metrics-proxy forwarder \[flags\]/);
      for (const line of ['--listen STRING', '(default 0.0.0.0:8443)', '--health-listen STRING', '(default 0.0.0.0:8080)', '--upstream STRING', '--upstream-file STRING', '--max-connections NUMBER', '(default 512)', '--connect-timeout DURATION', '--idle-timeout DURATION', '(default 300)', '--log-level STRING']) {
        expect(r.stdout).to.include(line);
      }
      const top = spawnSync(process.execPath, [CLI, '--help'], { encoding: 'utf8' });
      expect(top.stdout).to.match(/\n  forwarder +forward TCP to the proxy's Route/);
    });

    it('exits non-zero with the reason on a bad upstream file', () => {
      const file = join(dir, 'upstream');
      writeFileSync(file, 'a.example.com:443\nb.example.com:443\n');
      const r = spawnSync(process.execPath, [CLI, 'forwarder', '--upstream-file', file, '--listen', '127.0.0.1:0', '--health-listen', '127.0.0.1:0'], { encoding: 'utf8' });
      expect(r.status).to.equal(1);
      expect(r.stderr).to.include(`hcp-metrics-proxy: ${file}: expected one HOST:PORT line, found 2`);
    });

    it('forwards, follows the upstream file, serves health and metrics, and drains on SIGTERM', async () => {
      const a = await startNamedEcho('a');
      const b = await startNamedEcho('b');
      servers.push(a, b);
      const file = join(dir, 'upstream');
      writeFileSync(file, `127.0.0.1:${a.port}\n`);
      let out = '';
      child = spawn(process.execPath, [CLI, 'forwarder', '--upstream-file', file, '--listen', '127.0.0.1:0', '--health-listen', '127.0.0.1:0', '--shutdown-grace', '30s'], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, LOG_LEVEL: 'info' },
      });
      child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
      child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
      const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
      const records = () =>
        out
          .split('\n')
          .filter((l) => l.startsWith('{'))
          .map((l) => JSON.parse(l) as Record<string, unknown>);
      await waitFor(() => records().some((r) => r.msg === 'forwarder listening'), `the forwarder to listen; output: ${out}`);
      const listening = records().find((r) => r.msg === 'forwarder listening')!;
      const port = Number(/:(\d+)$/.exec(String(listening.address))![1]);
      const healthPort = Number(listening.healthPort);

      const first = await connect(port);
      expect((await readBytes(first, 2)).toString()).to.equal('a\n');
      writeFileSync(file, `# moved\n127.0.0.1:${b.port}\n`);
      await waitFor(() => records().some((r) => r.msg === 'upstream changed'), 'the reload');
      const second = await connect(port);
      expect((await readBytes(second, 2)).toString()).to.equal('b\n');
      second.destroy();

      await waitFor(async () => (await get(healthPort, '/readyz')).status === 200, '/readyz 200');
      const metrics = (await get(healthPort, '/metrics')).body;
      expect(metrics).to.match(/^hcp_metrics_forwarder_connections_accepted_total 2$/m);
      expect(metrics).to.match(/^hcp_metrics_forwarder_upstream_reloads_total\{result="success"\} 1$/m);

      // SIGTERM: the open connection may finish; new ones are refused; then the process exits 0.
      child.kill('SIGTERM');
      await waitFor(() => records().some((r) => r.msg === 'shutting down: no new connections, draining the open ones'), 'the drain to start');
      await waitFor(
        () =>
          connect(port).then(
            (s) => (s.destroy(), false),
            () => true,
          ),
        'new connections refused',
      );
      first.resume();
      const rest = readAll(first);
      first.end('bye');
      expect((await rest).toString()).to.equal('bye');
      await peerGone(first);
      expect(await exited).to.equal(0);
      expect(records().some((r) => r.msg === 'stopped')).to.equal(true);
      // Payload bytes never reach the log.
      expect(out).to.not.include('bye');
    });
  });
});
