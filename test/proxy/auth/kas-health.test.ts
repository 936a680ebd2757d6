import { expect } from 'chai';
import { memoryLogger } from '../../../common/log.js';
import { KasHealth } from '../../../proxy/auth/kas-health.js';
import { KasUnavailableError } from '../../../proxy/auth/types.js';
import { ProxyMetrics } from '../../../proxy/server/metrics.js';
import { waitFor } from './helpers.js';

describe('auth: hosted kube-apiserver health', () => {
  const health: KasHealth[] = [];
  afterEach(() => health.splice(0).forEach((h) => h.close()));
  const make = (probe: () => Promise<void>, intervalMs = 60_000) => {
    const logger = memoryLogger();
    const metrics = new ProxyMetrics({ defaultMetrics: false });
    const h = new KasHealth({ probe, intervalMs, logger, metrics });
    health.push(h);
    return { h, logger, metrics };
  };

  it('is not ready before the first successful probe', async () => {
    const { h } = make(async () => {});
    expect(h.ready()).to.deep.equal({ ok: false, reason: 'hosted kube-apiserver not checked yet' });
    expect(h.unreachable).to.equal(false);
    expect(await h.check()).to.equal(true);
    expect(h.ready()).to.deep.equal({ ok: true });
  });

  it('tells an unreachable API server (fail fast) from one that answers with an error (still tried)', async () => {
    let failure: Error | undefined = new KasUnavailableError('hosted kube-apiserver /readyz answered 500', 5, 500);
    const { h, logger, metrics } = make(async () => {
      if (failure) throw failure;
    });
    await h.check();
    expect(h.ready().ok).to.equal(false);
    expect(h.ready().reason).to.contain('answered 500');
    expect(h.unreachable).to.equal(false);
    failure = new KasUnavailableError('hosted kube-apiserver unreachable: connect ECONNREFUSED 127.0.0.1:6443');
    await h.check();
    expect(h.unreachable).to.equal(true);
    expect(await metrics.registry.metrics()).to.match(/^hcp_metrics_proxy_kube_apiserver_up 0$/m);
    failure = undefined;
    await h.check();
    expect(h.unreachable).to.equal(false);
    expect(h.ready().ok).to.equal(true);
    const text = await metrics.registry.metrics();
    expect(text).to.match(/^hcp_metrics_proxy_kube_apiserver_up 1$/m);
    expect(text).to.match(/^hcp_metrics_proxy_kube_apiserver_checks_total\{result="failure"\} 2$/m);
    // Transitions are logged once, not every failed probe.
    expect(logger.lines.filter((l) => l.includes('not usable'))).to.have.length(1);
    expect(logger.lines.filter((l) => l.includes('reachable again'))).to.have.length(1);
  });

  it('probes in the background and shares a probe already running', async () => {
    let probes = 0;
    let release!: () => void;
    const { h } = make(async () => {
      probes++;
      if (probes === 1) await new Promise<void>((r) => (release = r));
    }, 20);
    const a = h.check();
    const b = h.check();
    expect(probes).to.equal(1);
    release();
    expect(await a).to.equal(true);
    expect(await b).to.equal(true);
    h.start();
    await waitFor(() => probes >= 4, 'background probes');
    h.close();
    const after = probes;
    await new Promise((r) => setTimeout(r, 100));
    expect(probes).to.be.at.most(after + 1);
  });
});
