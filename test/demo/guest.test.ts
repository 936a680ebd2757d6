/**
 * The demo's guest-side output: the PodMonitor it prints is the one guest sync writes, the scrape config
 * it prints is one Prometheus accepts (`promtool check config`), and `--prometheus` finds the binary on PATH.
 */
import { expect } from 'chai';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { LOCAL_ROUTE_HOST } from '../../demo/certs.js';
import { compactYaml, demoPodMonitorYaml, demoScrapeConfig } from '../../demo/guest.js';
import { findOnPath, startDemoPrometheus } from '../../demo/prometheus.js';
import { DEMO_NAMESPACE } from '../../demo/stack.js';
import { desiredPodMonitor } from '../../generator/guest/objects.js';
import { createCA } from '../../generator/pki/index.js';
import { controlPlaneRules } from '../support/control-plane-rules.js';
import { havePrometheus, PROMETHEUS, PROMTOOL } from '../support/promtool.js';

const PATHS = ['/metrics/kube-apiserver', '/metrics/etcd', '/metrics/kube-scheduler/1'];

describe('demo: guest side output', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'demo-guest-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('prints the PodMonitor guest sync writes, unchanged by the compact YAML', () => {
    const printed = YAML.parse(demoPodMonitorYaml(PATHS)) as unknown;
    expect(printed).to.deep.equal(desiredPodMonitor(PATHS, { namespace: 'openshift-monitoring', sourceNamespace: DEMO_NAMESPACE, routeHost: LOCAL_ROUTE_HOST, auth: { mode: 'client-certificate' } }));
  });

  it('prints a scrape config Prometheus accepts: one static target per path at the forwarder, TLS to the Route-host-like name', function () {
    const caFile = join(dir, 'ca.crt');
    writeFileSync(caFile, createCA({ commonName: 'demo CA' }).certPem);
    const job = demoScrapeConfig(PATHS, '127.0.0.1:18443', caFile);
    const printed = YAML.parse(compactYaml([job], 3)) as unknown[];
    expect(printed).to.deep.equal([job]);
    expect(job.tls_config).to.deep.equal({ ca_file: caFile, server_name: LOCAL_ROUTE_HOST });
    expect((job.static_configs as { labels: Record<string, string> }[]).map((s) => s.labels)).to.deep.equal([
      { __metrics_path__: '/metrics/kube-apiserver', component: 'kube-apiserver' },
      { __metrics_path__: '/metrics/etcd', component: 'etcd' },
      { __metrics_path__: '/metrics/kube-scheduler/1', component: 'kube-scheduler' },
    ]);
    if (!existsSync(PROMTOOL)) this.skip();
    const file = join(dir, 'prometheus.yml');
    writeFileSync(file, `scrape_configs:\n${compactYaml([job], 3)}`);
    const r = spawnSync(PROMTOOL, ['check', 'config', file], { encoding: 'utf8' });
    expect(r.status, `${r.stdout}${r.stderr}`).to.equal(0);
  });

  it('finds an executable on PATH, and not a file that is not executable', () => {
    const a = join(dir, 'a');
    const b = join(dir, 'b');
    for (const d of [a, b]) mkdirSync(d);
    writeFileSync(join(a, 'prometheus'), '');
    writeFileSync(join(b, 'prometheus'), '#!/bin/sh\n');
    chmodSync(join(b, 'prometheus'), 0o755);
    expect(findOnPath('prometheus', `${a}:${b}`)).to.equal(join(b, 'prometheus'));
    expect(findOnPath('prometheus', a)).to.equal(undefined);
    expect(findOnPath('prometheus', '')).to.equal(undefined);
  });
});

describe('demo: --prometheus with --prometheus-rules', function () {
  this.timeout(60_000);
  let dir: string;
  beforeEach(function () {
    if (!havePrometheus()) this.skip();
    dir = mkdtempSync(join(tmpdir(), 'demo-prom-'));
  });
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('loads the rule files unchanged and serves its UI; stop() ends it', async () => {
    const rules = join(dir, 'rules.yml');
    writeFileSync(rules, controlPlaneRules());
    const prom = await startDemoPrometheus(PROMETHEUS, [], [rules]);
    try {
      const body = (await (await fetch(`${prom.url}/api/v1/rules`)).json()) as { data: { groups: { file: string; rules: unknown[] }[] } };
      expect(body.data.groups.map((g) => g.file)).to.deep.equal(body.data.groups.map(() => rules));
      expect(body.data.groups.flatMap((g) => g.rules)).to.have.length(12);
      expect((await fetch(`${prom.url}/graph`)).status).to.equal(200);
    } finally {
      await prom.stop();
    }
    await fetch(`${prom.url}/-/ready`).then(
      () => expect.fail('still listening after stop()'),
      () => undefined,
    );
  });

  it('a rule file Prometheus cannot load is a clear error with its reason', async () => {
    const rules = join(dir, 'bad.yml');
    writeFileSync(rules, 'groups:\n- name: x\n  rules:\n  - record: bad\n    expr: sum(\n');
    const err = await startDemoPrometheus(PROMETHEUS, [], [rules]).then(
      () => expect.fail('started with a bad rule file'),
      (e: Error) => e.message,
    );
    expect(err).to.match(/^prometheus exited with status 1 \(a rule file it cannot load\?\):/);
    expect(err).to.include('bad.yml');
  });
});
