/**
 * `hcp-metrics-proxy demo` (npm start): a simulated hosted control plane on loopback behind the
 * proxy, one real scrape of every component, a summary, and the proxy left running to try.
 */
import { readFileSync } from 'node:fs';
import { commandFlags, type FlagSpecs } from '../common/flags.js';
import { createLogger, setLogLevel, type LogLevel } from '../common/log.js';
import { parseMetricsSetName } from '../proxy/metricsset/index.js';
import { defaultScrapeWorkers } from '../proxy/scrape/scraper.js';
import { scrapeProxy, summarizeExposition } from './client.js';
import { startLocalStack } from './stack.js';

const demoFlags = {
  listen: { kind: 'string', help: 'where the proxy listens (loopback only)', default: '127.0.0.1:9443' },
  'metrics-set': { kind: 'string', help: 'MetricsSet filter: All, Telemetry or SRE', default: 'All' },
  once: { kind: 'boolean', help: 'print the summary and exit instead of serving until Ctrl-C' },
  'log-level': { kind: 'string', help: 'log level of the proxy (logs go to stderr)', default: 'warn' },
} satisfies FlagSpecs;

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

  console.log('Starting a simulated hosted control plane on 127.0.1.x (pods), a management kube-apiserver holding their Pod objects, the endpoint resolver watching it, and the proxy...');
  const t0 = Date.now();
  let stack;
  try {
    stack = await startLocalStack({ scrapeWorkers: defaultScrapeWorkers(), ports: 'real', proxyListen: listen, metricsSet, scrapeTimeout: demoTimeout, slowDelayMs: 5000, logger: createLogger('demo') });
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code !== 'EADDRINUSE') throw err;
    console.log('Real component ports are taken; using ephemeral ports instead.');
    stack = await startLocalStack({ scrapeWorkers: defaultScrapeWorkers(), ports: 'ephemeral', proxyListen: listen.replace(/:\d+$/, ':0'), metricsSet, scrapeTimeout: demoTimeout, slowDelayMs: 5000, logger: createLogger('demo') });
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

  if (flags.once) {
    await stack.close();
    return;
  }
  console.log('Try it:');
  console.log(`  curl --cacert ${stack.certs.caFile} ${stack.proxyUrl}/components`);
  console.log(`  curl --cacert ${stack.certs.caFile} ${stack.proxyUrl}/metrics/etcd`);
  console.log(`  curl --cacert ${stack.certs.caFile} ${stack.proxyUrl}/metrics   # the proxy's own metrics`);
  console.log('\nServing until Ctrl-C.');
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  console.log('\nStopping...');
  await stack.close();
}
