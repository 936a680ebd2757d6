/**
 * GET /sd (Prometheus HTTP service discovery) on a local stack whose proxy authenticates client
 * certificates: one target group per served path at --sd-target, behind authentication like every
 * other path, following config reloads; 404 naming the flag when it is off.
 * Addresses: 127.0.148.x (pods); the resolver and the proxy listen on 127.0.0.1.
 */
import { expect } from 'chai';
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { memoryLogger } from '../../../common/log.js';
import { startLocalStack, type LocalStack } from '../../../demo/stack.js';
import { createCA, issueCertificate } from '../../../generator/pki/index.js';
import { createProxyAuth, type ProxyAuth } from '../../../proxy/auth/index.js';
import type { ProxyConfig } from '../../../proxy/config/types.js';
import { servedPaths } from '../../../proxy/server/app.js';
import { parseSdTarget, sdAnswer, sdTargetGroups } from '../../../proxy/server/sd.js';
import { eventually } from '../../support/prometheus.js';

const TARGET = 'metrics-proxy-clusters-demo.apps.example.com:443';
const PROMETHEUS_SA = 'system:serviceaccount:openshift-monitoring:prometheus-k8s';

interface Answer {
  status: number;
  type: string | undefined;
  body: string;
}

function get(url: string, tlsOpts: https.RequestOptions): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { ...tlsOpts, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'], body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('proxy: GET /sd (Prometheus HTTP service discovery)', function () {
  this.timeout(60_000);
  let dir: string;
  let stack: LocalStack | undefined;
  let auth: ProxyAuth | undefined;
  let caPem: string;
  let client: { cert: string; key: string };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sd-test-'));
    const clientCa = createCA({ commonName: 'metrics-client-certs CA' });
    const clientCaFile = join(dir, 'client-ca.crt');
    writeFileSync(clientCaFile, clientCa.certPem);
    const pair = issueCertificate(clientCa, { commonName: PROMETHEUS_SA, usages: ['clientAuth'] });
    client = { cert: pair.certPem, key: pair.keyPem };
    const logger = memoryLogger('sd-test');
    stack = await startLocalStack({
      ipPrefix: '127.0.148',
      apiserver: { seriesCount: 100 },
      logger,
      clientCaFile,
      sdTarget: TARGET,
      authenticator: (metrics) => (auth = createProxyAuth({ clientCaFile }, { logger, metrics })),
    });
    caPem = readFileSync(stack.certs.caFile, 'utf8');
  });
  after(async () => {
    auth?.close();
    await stack?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers 401 without credentials, like every path but the probes', async () => {
    const a = await get(`${stack!.proxyUrl}/sd`, { ca: caPem });
    expect(a.status).to.equal(401);
  });

  it('answers one target group per served path: the --sd-target address, __metrics_path__, __scheme__ https, component', async () => {
    const a = await get(`${stack!.proxyUrl}/sd`, { ca: caPem, ...client });
    expect(a.status).to.equal(200);
    expect(a.type).to.match(/^application\/json/);
    const paths = JSON.parse((await get(`${stack!.proxyUrl}/components`, { ca: caPem, ...client })).body) as string[];
    expect(paths).to.have.length(6);
    expect(JSON.parse(a.body)).to.deep.equal(
      paths.map((p) => ({ targets: [TARGET], labels: { __metrics_path__: p, __scheme__: 'https', component: p.split('/')[2] } })),
    );
  });

  it('follows a config reload: endpoint n of a component is /metrics/<component>/<n> with that component label', async () => {
    const original = readFileSync(stack!.configFile, 'utf8');
    const config = YAML.parse(original) as { components: { name: string; metricsPort: number; endpoints?: unknown[] }[] };
    const etcd = config.components.find((c) => c.name === 'etcd')!;
    etcd.endpoints = [{ metricsPort: etcd.metricsPort, metricsPath: '/debug' }];
    writeFileSync(`${stack!.configFile}.tmp`, YAML.stringify(config));
    renameSync(`${stack!.configFile}.tmp`, stack!.configFile);
    const groups = await eventually(async () => {
      const g = JSON.parse((await get(`${stack!.proxyUrl}/sd`, { ca: caPem, ...client })).body) as { labels: Record<string, string> }[];
      return g.length === 7 ? g : undefined;
    }, 20_000, 'the new endpoint in /sd');
    expect(groups.find((g) => g.labels.__metrics_path__ === '/metrics/etcd/1')!.labels).to.deep.equal({ __metrics_path__: '/metrics/etcd/1', __scheme__: 'https', component: 'etcd' });
    writeFileSync(`${stack!.configFile}.tmp`, original);
    renameSync(`${stack!.configFile}.tmp`, stack!.configFile);
    await eventually(async () => ((JSON.parse((await get(`${stack!.proxyUrl}/sd`, { ca: caPem, ...client })).body) as unknown[]).length === 6 ? true : undefined), 20_000, 'the endpoint gone');
  });

  it('without --sd-target answers 404 saying which flag turns it on; 503 with Retry-After before a config is loaded', async () => {
    const off = sdAnswer({ components: [] } as unknown as ProxyConfig, undefined, servedPaths);
    expect(off).to.deep.include({ status: 404 });
    expect((off as { message: string }).message).to.include('--sd-target HOST:PORT');
    expect(sdAnswer(undefined, TARGET, servedPaths)).to.deep.equal({ status: 503, message: 'Service Unavailable: no configuration loaded', retryAfterSeconds: 5 });
    expect(sdTargetGroups([], TARGET)).to.deep.equal([]);
  });

  it('checks --sd-target: HOST:PORT or [IPV6]:PORT with a port in range', () => {
    for (const ok of [TARGET, '127.0.0.1:9443', '[::1]:443', 'localhost:1']) expect(parseSdTarget(ok)).to.equal(ok);
    for (const bad of ['', 'example.com', 'example.com:0', 'example.com:65536', 'https://example.com:443', 'a b:443', ':443', '-x.example.com:443']) {
      expect(() => parseSdTarget(bad), bad).to.throw(`--sd-target must be HOST:PORT (the address the guest Prometheus reaches, e.g. the Route host and 443), not "${bad}"`);
    }
  });
});

describe('proxy: GET /sd without --sd-target', function () {
  this.timeout(60_000);
  let stack: LocalStack | undefined;
  before(async () => {
    stack = await startLocalStack({ ipPrefix: '127.0.149', apiserver: { seriesCount: 100 }, logger: memoryLogger('sd-off') });
  });
  after(async () => {
    await stack?.close();
  });

  it('answers 404 naming the flag', async () => {
    const a = await get(`${stack!.proxyUrl}/sd`, { ca: readFileSync(stack!.certs.caFile, 'utf8') });
    expect(a.status).to.equal(404);
    expect(a.body).to.equal('Not found: HTTP service discovery is off; start the proxy with --sd-target HOST:PORT (the address the guest Prometheus reaches) to serve /sd\n');
  });
});
