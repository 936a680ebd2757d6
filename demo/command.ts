/**
 * `hcp-metrics-proxy demo` (npm start): a simulated hosted control plane on loopback behind the
 * proxy, one real scrape of every component, a summary, and the proxy left running to try.
 */
import { readFileSync } from 'node:fs';
import { commandFlags, type FlagSpecs } from '../common/flags.js';
import { createLogger, setLogLevel, type LogLevel } from '../common/log.js';
import type { Forwarder } from '../forwarder/forwarder.js';
import { parseMetricsSetName } from '../proxy/metricsset/index.js';
import { defaultScrapeWorkers } from '../proxy/scrape/scraper.js';
import { servedPaths } from '../proxy/server/app.js';
import { LOCAL_ROUTE_HOST } from './certs.js';
import { scrapeProxy, summarizeExposition } from './client.js';
import { compactYaml, demoPodMonitorYaml, demoScrapeConfig, startDemoForwarder } from './guest.js';
import { findOnPath, startDemoPrometheus, type DemoPrometheus } from './prometheus.js';
import { startLocalStack, type LocalStack } from './stack.js';

const demoFlags = {
  listen: { kind: 'string', help: 'where the proxy listens (loopback only)', default: '127.0.0.1:9443' },
  'metrics-set': { kind: 'string', help: 'MetricsSet filter: All, Telemetry or SRE', default: 'All' },
  once: { kind: 'boolean', help: 'print the summary and exit instead of serving until Ctrl-C' },
  prometheus: { kind: 'boolean', help: 'also start a real Prometheus (the `prometheus` binary on PATH) scraping every component through the forwarder, and print its UI URL; with --once, print its target health and exit' },
  'prometheus-rules': { kind: 'list', help: 'with --prometheus: rule files to load into it unchanged (e.g. the kubernetes-mixin rules as kube-prometheus renders them)' },
  'log-level': { kind: 'string', help: 'log level of the proxy (logs go to stderr)', default: 'warn' },
} satisfies FlagSpecs;

const indent = (text: string) => text.trimEnd().replace(/^/gm, '    ');

function fmtBytes(n: number): string {
  return n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MiB` : `${(n / 1024).toFixed(1)} KiB`;
}

/**
 * 2 s, so the deliberately slow pod visibly times out without a long wait; the kube-apiservers serve
 * ~20 MB each and get Prometheus' default 10 s, as in a real cluster (a 2-core laptop that is busy
 * with something else may need more than 2 s to read three of them).
 */
const demoTimeout = (component: string) => (component === 'kube-apiserver' ? '10s' : '2s');

export async function runDemo(argv: string[]): Promise<void> {
  const flags = commandFlags('demo', argv, demoFlags);
  if (!flags) return;
  setLogLevel(flags['log-level'] as LogLevel);
  const listen = flags.listen!;
  if (!/^(127\.\d+\.\d+\.\d+|\[::1\]|localhost):\d+$/.test(listen)) throw new Error(`--listen must be a loopback address, not ${listen}`);
  const metricsSet = parseMetricsSetName(flags['metrics-set']!);
  const rules = flags['prometheus-rules'];
  if (rules.length > 0 && !flags.prometheus) throw new Error('--prometheus-rules needs --prometheus');
  // Before anything starts: a missing binary is the caller's to fix, not a half-started demo.
  const prometheusBinary = flags.prometheus ? findOnPath('prometheus') : undefined;
  if (flags.prometheus && !prometheusBinary) throw new Error('--prometheus needs the `prometheus` binary on PATH (Debian/Ubuntu: apt-get install prometheus); none was found');
  // The forwarder starts after the proxy; /sd names it as the Route a guest would reach.
  let forwarderAddress: string | undefined;
  const sdTarget = () => forwarderAddress;

  console.log('Starting a simulated hosted control plane on 127.0.1.x (pods), a management kube-apiserver holding their Pod objects, the endpoint resolver watching it, and the proxy...');
  const t0 = Date.now();
  let stack;
  try {
    stack = await startLocalStack({ scrapeWorkers: defaultScrapeWorkers(), ports: 'real', proxyListen: listen, metricsSet, scrapeTimeout: demoTimeout, slowDelayMs: 5000, logger: createLogger('demo'), sdTarget });
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code !== 'EADDRINUSE') throw err;
    console.log('Real component ports are taken; using ephemeral ports instead.');
    stack = await startLocalStack({ scrapeWorkers: defaultScrapeWorkers(), ports: 'ephemeral', proxyListen: listen.replace(/:\d+$/, ':0'), metricsSet, scrapeTimeout: demoTimeout, slowDelayMs: 5000, logger: createLogger('demo'), sdTarget });
  }
  console.log(`Ready in ${((Date.now() - t0) / 1000).toFixed(1)} s. Proxy: ${stack.proxyUrl} (MetricsSet ${metricsSet}, authentication disabled for the demo)\n`);

  const caPem = readFileSync(stack.certs.caFile, 'utf8');
  const rows: string[][] = [['component', 'pods up', 'pods down', 'series', 'bytes', 'time']];
  for (const c of stack.controlPlane.components) {
    const a = await scrapeProxy(`${stack.proxyUrl}/metrics/${c.name}`, { caPem, headers: { 'accept-encoding': 'identity' } });
    const s = summarizeExposition(a.body);
    rows.push([c.name, String(s.podsUp), String(s.podsDown), String(s.series), fmtBytes(a.wireBytes), `${(a.seconds * 1000).toFixed(0)} ms`]);
    if (a.status !== 200) rows[rows.length - 1]!.push(`HTTP ${a.status}`);
  }
  const widths = rows[0]!.map((_h, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  for (const r of rows) console.log(r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  '));
  console.log('\nThe pods down are deliberate: one openshift-apiserver pod takes 5 s, longer than its 2 s scrape timeout, and one');
  console.log('openshift-controller-manager pod answers garbage. Each gets `up 0`; every other pod is served in full.\n');

  let forwarder: Forwarder | undefined;
  let prom: DemoPrometheus | undefined;
  const stopAll = async () => {
    await prom?.stop();
    await forwarder?.close(0);
    await stack.close();
  };
  try {
    forwarder = await startDemoForwarder(stack.server.port, createLogger('forwarder'));
    forwarderAddress = `127.0.0.1:${forwarder.port}`;
    const fwd = forwarderAddress;
    const paths = servedPaths(stack.runtime.config()!);
    const scrapeConfig = demoScrapeConfig(paths, fwd, stack.certs.caFile);
    printGuestSide(stack, fwd, paths, scrapeConfig);
    if (prometheusBinary) {
      prom = await startDemoPrometheus(prometheusBinary, [scrapeConfig], rules);
      console.log(`Prometheus: ${prom.url}/targets (UI: ${prom.url}), scraping ${paths.length} targets through the forwarder${rules.length > 0 ? `, rules from ${rules.join(', ')} (${prom.url}/rules, ${prom.url}/alerts)` : ''}\n`);
      if (flags.once) await printTargetHealth(prom, paths.length);
    }
    if (flags.once) return;
    console.log('Try it:');
    console.log(`  curl --cacert ${stack.certs.caFile} ${stack.proxyUrl}/components`);
    console.log(`  curl --cacert ${stack.certs.caFile} ${stack.proxyUrl}/metrics/etcd`);
    console.log(`  curl --cacert ${stack.certs.caFile} ${stack.proxyUrl}/metrics   # the proxy's own metrics`);
    console.log(`  curl --cacert ${stack.certs.caFile} --connect-to ${LOCAL_ROUTE_HOST}:443:${fwd} https://${LOCAL_ROUTE_HOST}/sd   # through the forwarder, as a guest`);
    console.log('\nServing until Ctrl-C.');
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    console.log('\nStopping...');
  } finally {
    await stopAll();
  }
}

function printGuestSide(stack: LocalStack, fwd: string, paths: string[], scrapeConfig: Record<string, unknown>): void {
  console.log(`Guest side: the forwarder on ${fwd} carries every connection, TLS untouched, to the proxy on ${stack.proxyUrl.replace('https://', '')}`);
  console.log(`(in a cluster: to the Route host on 443; here the proxy's serving certificate also names ${LOCAL_ROUTE_HOST}).`);
  console.log(`Guest sync would write this PodMonitor, and ConfigMap metrics-proxy-serving-ca with key ca.crt = ${stack.certs.caFile}:\n`);
  console.log(indent(demoPodMonitorYaml(paths)));
  console.log('\nA Prometheus of your own scrapes the same through the forwarder with (ready to paste under scrape_configs):\n');
  console.log(indent(compactYaml([scrapeConfig], 3)));
  console.log(`\nor discovers the paths itself: http_sd_configs: [{url: https://${fwd}/sd, tls_config: {ca_file: ${stack.certs.caFile}, server_name: ${LOCAL_ROUTE_HOST}}}]\n`);
}

/** --prometheus --once: wait for the first scrape of every target, then show how each went. */
async function printTargetHealth(prom: DemoPrometheus, expected: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  let targets = await prom.targets();
  while ((targets.length < expected || targets.some((t) => t.health === 'unknown')) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 500));
    targets = await prom.targets();
  }
  for (const t of targets) console.log(`  ${new URL(t.scrapeUrl).pathname.padEnd(40)} ${t.health}${t.lastError ? `  ${t.lastError}` : ''}`);
  console.log('');
}
