/**
 * End-to-end fan-out: 3 simulated kube-apiserver pods (~30 MB each, served uncompressed over plain
 * http) behind the proxy CLI in its own process. The time to read GET /metrics/kube-apiserver fully
 * is compared with fetching the same 3 bodies directly in parallel (the floor), and the proxy's peak
 * RSS growth is read from /proc.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { COMPONENT, startKubeApiserverStack } from './kube-apiserver-stack.js';
import { startProxyProcess, type ProxyProcess } from './proxy-process.js';
import { met, type Row, type Section } from './report.js';
import { fmt, mbPerSec, median, msSince, settle } from './stats.js';

export interface FanoutOptions {
  /** Measured scrapes per encoding, each followed by one direct fetch. */
  runs: number;
  gzipRuns: number;
  log: (line: string) => void;
}

export const FANOUT_DEFAULTS: Omit<FanoutOptions, 'log'> = { runs: 7, gzipRuns: 5 };

const POD_IPS = ['127.0.95.1', '127.0.95.2', '127.0.95.3'];
const BARE_HTTPS = fileURLToPath(new URL('./bare-https.js', import.meta.url));
const TARGET_INPUT_MBPS = 200;
/** Identity scrapes before the measured ones, the first of them checked. */
const WARMUP_SCRAPES = 3;
const TARGET_RSS_FROM_READY = 1;
/** Answer time against the bare HTTPS server sending the same answer bytes (DESIGN §9, wave 2). */
const TARGET_VS_FLOOR = 1.3;

interface Fetched {
  ms: number;
  /** Until the response headers arrived: for the proxy, fetching and parsing every pod. */
  headersMs: number;
  bytes: number;
  body?: Buffer;
}

function fetch(client: typeof http | typeof https, url: string, agent: http.Agent, encoding: 'identity' | 'gzip', keep = false): Promise<Fetched> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    client
      .get(url, { agent, headers: { 'accept-encoding': encoding } }, (res) => {
        const headersMs = msSince(t0);
        let bytes = 0;
        const parts: Buffer[] = [];
        res.on('data', (b: Buffer) => {
          bytes += b.length;
          if (keep) parts.push(b);
        });
        res.on('end', () => {
          if (res.statusCode !== 200) return reject(new Error(`${url}: HTTP ${res.statusCode}`));
          if ((res.headers['content-encoding'] ?? 'identity') !== encoding) return reject(new Error(`${url}: asked for ${encoding}, got ${res.headers['content-encoding']}`));
          resolve({ ms: msSince(t0), headersMs, bytes, body: keep ? Buffer.concat(parts) : undefined });
        });
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

/** The checks that make the timings mean something: every pod scraped, up 1, uncompressed on the wire. */
function checkAnswer(text: string, proxyMetrics: string, expectedWireBytes: number): void {
  const up = text.split('\n').filter((l) => l.startsWith('up{'));
  if (up.length !== POD_IPS.length || !up.every((l) => l.endsWith(' 1'))) throw new Error(`expected ${POD_IPS.length} pods up, got:\n${up.join('\n')}`);
  const m = /^hcp_metrics_proxy_pod_bytes_received_total\{component="kube-apiserver"\} (\S+)$/m.exec(proxyMetrics);
  if (!m || Number(m[1]) !== expectedWireBytes) throw new Error(`pods were not fetched uncompressed: ${m?.[1]} bytes on the wire, expected ${expectedWireBytes} (the bodies of every scrape so far)`);
}

interface Phase {
  proxyMs: number[];
  headersMs: number[];
  directMs: number[];
  answerBytes: number;
}

export async function runFanoutBench(opts: FanoutOptions): Promise<Section> {
  const { log } = opts;
  const dir = mkdtempSync(join(tmpdir(), 'hcp-bench-fanout-'));
  const cleanups: (() => Promise<void> | void)[] = [() => rmSync(dir, { recursive: true, force: true })];
  try {
    log('fanout: minting certificates and rendering 3 pod bodies ...');
    const { certs, pods, totalBytes, configFile } = await startKubeApiserverStack(dir, POD_IPS, '30s', cleanups);
    const ca = readFileSync(certs.caFile);
    log('fanout: starting the proxy process ...');
    const proxy: ProxyProcess = await startProxyProcess({
      listenHost: '127.0.0.1',
      ca,
      flags: ['--insecure-no-auth', '--config', configFile, '--tls-cert-file', certs.proxyServing.certFile, '--tls-key-file', certs.proxyServing.keyFile, '--metrics-set', 'All', '--log-level', 'warn'],
    });
    cleanups.push(() => proxy.stop());
    const startRss = proxy.memory().rss;

    const proxyAgent = new https.Agent({ keepAlive: true, ca, maxSockets: 1 });
    const podAgent = new http.Agent({ keepAlive: true });
    cleanups.push(() => proxyAgent.destroy(), () => podAgent.destroy());
    const scrapeUrl = `${proxy.url}/metrics/${COMPONENT}`;
    const direct = async () => {
      const t0 = process.hrtime.bigint();
      const got = await Promise.all(pods.map((p) => fetch(http, p.url, podAgent, 'identity')));
      const bytes = got.reduce((n, f) => n + f.bytes, 0);
      if (bytes !== totalBytes) throw new Error(`direct fetch read ${bytes} bytes, expected ${totalBytes}`);
      return msSince(t0);
    };

    log('fanout: first scrape (identity), checked ...');
    const first = await fetch(https, scrapeUrl, proxyAgent, 'identity', true);
    let scrapes = 1;
    const ownMetrics = await fetch(https, `${proxy.url}/metrics`, proxyAgent, 'identity', true);
    checkAnswer(first.body!.toString('utf8'), ownMetrics.body!.toString('utf8'), scrapes * totalBytes);
    const identityBytes = first.bytes;
    // The TLS floor serves exactly this answer (and gzips it as the proxy does).
    const answerFile = join(dir, 'answer.txt');
    writeFileSync(answerFile, first.body!);
    first.body = undefined;
    await direct();
    await settle(1000);
    // After one scrape, before the other warm-ups: the pools they fill count as growth, not as idle.
    const idleRss = proxy.memory().rss;
    // A proxy scrapes the same component every 15-30 s for days; the figures are for that steady
    // state. Each scrape worker needs a few pods before its JIT code and block pool have settled.
    log(`fanout: ${WARMUP_SCRAPES - 1} more warm-up scrapes ...`);
    const warmupMs: number[] = [];
    for (let i = 1; i < WARMUP_SCRAPES; i++, scrapes++) {
      warmupMs.push((await fetch(https, scrapeUrl, proxyAgent, 'identity')).ms);
      await settle(200);
    }

    const measure = async (encoding: 'identity' | 'gzip', runs: number): Promise<Phase> => {
      const phase: Phase = { proxyMs: [], headersMs: [], directMs: [], answerBytes: 0 };
      for (let i = 0; i < runs; i++) {
        const got = await fetch(https, scrapeUrl, proxyAgent, encoding);
        scrapes++;
        phase.proxyMs.push(got.ms);
        phase.headersMs.push(got.headersMs);
        phase.answerBytes = got.bytes;
        await settle(200);
        phase.directMs.push(await direct());
        await settle(200);
      }
      return phase;
    };

    log(`fanout: ${opts.runs} measured scrapes (identity) ...`);
    const identity = await measure('identity', opts.runs);
    const hwmIdentity = proxy.memory().hwm;

    log('fanout: warm-up scrape (gzip), checked ...');
    const warmGz = await fetch(https, scrapeUrl, proxyAgent, 'gzip', true);
    scrapes++;
    const inflated = gunzipSync(warmGz.body!).toString('utf8');
    // Same pods, same bodies: only the proxy's own values (scrape durations) may change a few bytes.
    if (Math.abs(Buffer.byteLength(inflated) - identityBytes) > 1024) throw new Error(`gzip answer inflates to ${Buffer.byteLength(inflated)} bytes, identity was ${identityBytes}`);
    checkAnswer(inflated, (await fetch(https, `${proxy.url}/metrics`, proxyAgent, 'identity', true)).body!.toString('utf8'), scrapes * totalBytes);
    warmGz.body = undefined;
    await settle(500);
    log(`fanout: ${opts.gzipRuns} measured scrapes (gzip) ...`);
    const gzip = await measure('gzip', opts.gzipRuns);
    const hwmAll = proxy.memory().hwm;

    log(`fanout: ${opts.runs} times the same answer from a bare HTTPS server (the TLS floor), identity then gzip ...`);
    const bare = await measureBareHttps(certs.proxyServing.certFile, certs.proxyServing.keyFile, answerFile, identityBytes, ca, opts.runs, cleanups);

    return report({ totalBytes, startRss, idleRss, hwmIdentity, hwmAll, identity, gzip, identityBytes, bareMs: bare.identity, bareGzipMs: bare.gzip, firstMs: first.ms, warmupMs, runs: opts });
  } finally {
    for (const c of cleanups.reverse()) {
      try {
        await c();
      } catch (err) {
        log(`fanout: cleanup failed: ${String(err)}`);
      }
    }
  }
}

/** Times to read the answer in `file` from bench/bare-https.js (its own process, like the proxy) over one keep-alive connection, identity and gzip. */
async function measureBareHttps(
  certFile: string,
  keyFile: string,
  file: string,
  bytes: number,
  ca: Buffer,
  runs: number,
  cleanups: (() => Promise<void> | void)[],
): Promise<{ identity: number[]; gzip: number[] }> {
  const child = spawn(process.execPath, [BARE_HTTPS, certFile, keyFile, file, '127.0.0.1'], { stdio: ['ignore', 'pipe', 'inherit'] });
  cleanups.push(() => void child.kill('SIGTERM'));
  const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
  const agent = new https.Agent({ keepAlive: true, ca, maxSockets: 1 });
  cleanups.push(() => agent.destroy());
  const url = `https://127.0.0.1:${line.trim()}/`;
  const out = { identity: [] as number[], gzip: [] as number[] };
  for (const encoding of ['identity', 'gzip'] as const) {
    await fetch(https, url, agent, encoding); // warm-up
    for (let i = 0; i < runs; i++) {
      const got = await fetch(https, url, agent, encoding);
      if (encoding === 'identity' && got.bytes !== bytes) throw new Error(`bare HTTPS server sent ${got.bytes} bytes, expected ${bytes}`);
      out[encoding].push(got.ms);
      await settle(200);
    }
  }
  return out;
}

function report(r: {
  totalBytes: number;
  startRss: number;
  idleRss: number;
  hwmIdentity: number;
  hwmAll: number;
  identity: Phase;
  gzip: Phase;
  identityBytes: number;
  bareMs: number[];
  bareGzipMs: number[];
  firstMs: number;
  warmupMs: number[];
  runs: Omit<FanoutOptions, 'log'>;
}): Section {
  const rows: Row[] = [];
  const phaseRows = (label: string, p: Phase, hwm: number, hwmNote: string) => {
    const proxyMs = median(p.proxyMs);
    const directMs = median(p.directMs);
    const inMbps = mbPerSec(r.totalBytes, proxyMs);
    const directMbps = mbPerSec(r.totalBytes, directMs);
    // From the ready state (DESIGN §9, wave 2): whatever the first scrape leaves mapped counts.
    const growth = hwm - r.startRss;
    const rssRatio = growth / r.totalBytes;
    rows.push(
      { figure: `${label}: input throughput`, value: fmt.mbps(inMbps), baseline: `${fmt.mbps(directMbps)} (direct fetch)`, ratio: fmt.ratio(inMbps / directMbps), target: `≥ ${TARGET_INPUT_MBPS} MB/s`, met: met(inMbps >= TARGET_INPUT_MBPS) },
      { figure: `${label}: answer time vs the direct fetch (median)`, value: fmt.ms(proxyMs), baseline: `${fmt.ms(directMs)} (direct fetch)`, ratio: fmt.ratio(proxyMs / directMs), target: '— (floor: no TLS, no parsing)', met: '—' },
      {
        figure: `${label}: peak RSS growth ${hwmNote}`,
        value: fmt.mb(growth),
        baseline: `${fmt.mb(r.totalBytes)} (pod bodies)`,
        ratio: fmt.ratio(rssRatio),
        target: `≤ ${TARGET_RSS_FROM_READY}× (DESIGN §9, from ready)`,
        met: met(rssRatio <= TARGET_RSS_FROM_READY),
      },
      { figure: `${label}: answer size`, value: fmt.mb(p.answerBytes), baseline: '—', ratio: '—', target: '—', met: '—' },
    );
  };
  phaseRows('identity', r.identity, r.hwmIdentity, 'from ready (peak up to the end of the identity scrapes)');
  phaseRows('gzip', r.gzip, r.hwmAll, 'from ready (peak over the whole run)');
  for (const [label, p, floor] of [
    ['identity', r.identity, r.bareMs],
    ['gzip', r.gzip, r.bareGzipMs],
  ] as const) {
    const proxyMs = median(p.proxyMs);
    const floorMs = median(floor);
    rows.push({
      figure: `${label}: answer time vs the TLS floor (median)`,
      value: fmt.ms(proxyMs),
      baseline: `${fmt.ms(floorMs)} (same answer, bare HTTPS server${label === 'gzip' ? ', same parallel gzip' : ''})`,
      ratio: fmt.ratio(proxyMs / floorMs),
      target: `≤ ${TARGET_VS_FLOOR}×`,
      met: met(proxyMs / floorMs <= TARGET_VS_FLOOR),
    });
  }

  rows.push({
    figure: 'identity: first scrape after start (cold, not in the medians)',
    value: fmt.ms(r.firstMs),
    baseline: `${fmt.ms(median(r.identity.proxyMs))} (warm median)`,
    ratio: fmt.ratio(r.firstMs / median(r.identity.proxyMs)),
    target: '—',
    met: '—',
  });

  return {
    title: 'End-to-end fan-out (bench/fanout.ts)',
    intro: [
      `3 simulated kube-apiserver pods (\`startSimulatedPod\`, plain http on ${POD_IPS.join(', ')}), each serving a different pre-rendered body ` +
        `(\`renderKubeApiserverMetrics\` seeds 1-3, ${fmt.mb(r.totalBytes)} in all) uncompressed, a static endpoint resolver over mutual TLS, and the proxy started ` +
        'as a separate process (`node build/cli.js proxy --insecure-no-auth --metrics-set All ...`, default scrape workers) on 127.0.0.1. ' +
        `Each measured scrape reads \`GET /metrics/kube-apiserver\` fully over a keep-alive HTTPS connection and is followed by the direct fetch: the same 3 bodies ` +
        `read from the pods in parallel (the floor). Medians of ${r.runs.runs} scrapes with \`Accept-Encoding: identity\` and ${r.runs.gzipRuns} with \`gzip\` ` +
        `(the gzip answer is counted as received, not inflated), after ${WARMUP_SCRAPES} identity warm-up scrapes (the first checked) and one checked gzip warm-up scrape. ` +
        'Input throughput = pod body bytes / answer time.',
    ],
    rows,
    notes: [
      `Warm-up answer times (ms): first ${fmt.ms(r.firstMs)}, then ${fmt.list(r.warmupMs)}. A fresh proxy's first scrapes of a big component are slower: each scrape worker's JIT code and output-block pool settle over its first few pods.`,
      `Answer times (ms): identity ${fmt.list(r.identity.proxyMs)}; gzip ${fmt.list(r.gzip.proxyMs)}. Direct fetches (ms): ${fmt.list(r.identity.directMs)}; ${fmt.list(r.gzip.directMs)}.`,
      `Until the answer's headers (every pod answered and the format decided; the answer then streams while the pods are still read, ms): identity ${fmt.list(r.identity.headersMs)}; gzip ${fmt.list(r.gzip.headersMs)}.`,
      `TLS floor: \`bench/bare-https.ts\`, a bare Node HTTPS server in its own process, sends the proxy's identity answer (${fmt.mb(r.identityBytes)}, read from a file) in 1 MiB buffers over one keep-alive connection to the same client code, as is (ms): ${fmt.list(r.bareMs)}; gzipped with the proxy's parallel gzip (ms): ${fmt.list(r.bareGzipMs)}.`,
      `Proxy RSS: ${fmt.mb(r.startRss)} when ready (the baseline of the growth figures), ${fmt.mb(r.idleRss)} idle after the first scrape, peak ${fmt.mb(r.hwmIdentity)} after the identity scrapes and ${fmt.mb(r.hwmAll)} over the whole run (VmHWM cannot be reset, so the gzip figure is the peak of both phases).`,
      'The simulated pods run with `gzip: false` (they answer uncompressed although the proxy asks for gzip), and the warm-up checks that the proxy received exactly the uncompressed body bytes and that all 3 pods are `up 1`.',
      'The benchmark process (pods, client, TLS decryption of the answer) shares the 2 cores with the proxy process.',
    ],
  };
}
