/**
 * End to end with authentication: a real Prometheus scrapes the proxy in two jobs, one with a bearer
 * token from `authorization.credentials_file` (reviewed by the fake hosted kube-apiserver), one with a
 * client certificate. Both targets must be up without errors and their series stored.
 */
import { expect } from 'chai';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../common/log.js';
import { startLocalStack, type LocalStack } from '../../demo/stack.js';
import { PROMETHEUS_SA, writePrometheusCredentials } from '../support/prometheus-credentials.js';
import { createProxyAuth, type ProxyAuth } from '../../proxy/auth/index.js';
import { FakeKubeApiserver } from '../support/fake-kube-apiserver.js';
import { eventually, startPrometheus, type PrometheusServer } from '../support/prometheus.js';
import { PROMETHEUS } from '../support/promtool.js';


describe('e2e: Prometheus scrapes the authenticated proxy (token file and client certificate)', function () {
  this.timeout(120_000);
  let dir: string;
  let kas: FakeKubeApiserver | undefined;
  let stack: LocalStack | undefined;
  let auth: ProxyAuth | undefined;
  let prom: PrometheusServer | undefined;

  before(async function () {
    if (!existsSync(PROMETHEUS)) this.skip();
    dir = mkdtempSync(join(tmpdir(), 'hcp-e2e-auth-'));
    kas = await FakeKubeApiserver.start();
    const token = `prometheus-k8s-token-${Math.random().toString(36).slice(2)}`;
    kas.addToken(token, { username: PROMETHEUS_SA, groups: ['system:serviceaccounts', 'system:serviceaccounts:openshift-monitoring'] });
    const { kubeconfig } = kas.writeKubeconfig(join(dir, 'kas'));
    // The token, and OpenShift's metrics-client-certs: a clientAuth certificate for the prometheus-k8s service account.
    const { tokenFile, clientCaFile, certFile, keyFile } = writePrometheusCredentials(dir, token);

    const logger = createLogger('e2e-auth', { write: () => {} });
    stack = await startLocalStack({
      ipPrefix: '127.0.91',
      apiserver: { seriesCount: 2000 },
      logger,
      clientCaFile,
      authenticator: (metrics) => (auth = createProxyAuth({ kubeconfigFile: kubeconfig, clientCaFile }, { logger, metrics })),
    });
    const target = stack.proxyUrl.replace(/^https:\/\//, '');
    const job = (name: string, extra: Record<string, unknown>) => ({
      job_name: name,
      scheme: 'https',
      metrics_path: '/metrics/kube-apiserver',
      static_configs: [{ targets: [target] }],
      ...extra,
    });
    prom = await startPrometheus([
      job('hcp-token', { tls_config: { ca_file: stack.certs.caFile }, authorization: { type: 'Bearer', credentials_file: tokenFile } }),
      job('hcp-cert', { tls_config: { ca_file: stack.certs.caFile, cert_file: certFile, key_file: keyFile } }),
    ]);
  });

  after(async () => {
    await prom?.stop();
    auth?.close();
    await stack?.close();
    await kas?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('has both targets up with no scrape error', async () => {
    const targets = await eventually(async () => {
      const ts = await prom!.targets();
      const mine = ts.filter((t) => t.scrapePool === 'hcp-token' || t.scrapePool === 'hcp-cert');
      return mine.length === 2 && mine.every((t) => t.health === 'up') ? mine : undefined;
    }, 60_000, 'both targets up');
    for (const t of targets) expect(t.lastError, t.scrapePool).to.equal('');
  });

  it('stores the series of both jobs, with each pod reported up', async () => {
    for (const job of ['hcp-token', 'hcp-cert']) {
      const n = await eventually(async () => {
        const r = await prom!.query(`count({job="${job}", __name__=~"apiserver_.+"})`);
        const v = Number(r[0]?.value[1] ?? 0);
        return v > 100 ? v : undefined;
      }, 60_000, `series of ${job}`);
      expect(n, job).to.be.greaterThan(100);
      const pods = await prom!.query(`up{job="${job}", exported_job="apiserver"}`);
      expect(pods.map((p) => p.value[1]), job).to.deep.equal(['1', '1', '1']);
    }
  });

  it('reviewed the token once for all of the token job scrapes', async () => {
    const scrapes = await eventually(async () => {
      // Prometheus's own up series of the target (the proxy's per-pod ones carry exported_job).
      const s = await prom!.query('count_over_time(up{job="hcp-token", exported_job=""}[5m])');
      const v = Number(s[0]?.value[1] ?? 0);
      return v >= 3 ? v : undefined;
    }, 60_000, 'three scrapes of the token job');
    expect(scrapes).to.be.at.least(3);
    expect(kas!.tokenReviews).to.equal(1);
  });
});
