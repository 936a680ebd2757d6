/**
 * Concurrent scrapes (DESIGN §10): 1, 2, 10 and 30 scrapes at once of 3 simulated kube-apiserver pods
 * (~30 MB each), with the `All` and the `Telemetry` MetricsSet, against the proxy CLI in its own
 * process, as Prometheus sends them (gzip, X-Prometheus-Scrape-Timeout-Seconds). Reported per round:
 * answer time p50/max, how many answers were 200 with every pod `up 1` (a 503 is an honest refusal,
 * an `up 0` is a lie: the pods are healthy), the proxy's peak RSS (VmRSS sampled every 10 ms) and,
 * after the last round, its RSS 60 s after load stopped. A last round turns sharing of identical
 * scrapes off, so the memory budget and its queue do the work.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { COMPONENT, startKubeApiserverStack } from './kube-apiserver-stack.js';
import { startProxyProcess, type ProxyProcess } from './proxy-process.js';
import { met, type Row, type Section } from './report.js';
import { fmt, median, settle } from './stats.js';

export interface ConcurrencyOptions {
  levels: number[];
  /** Seconds to wait after the last round before reading RSS again. */
  afterSeconds: number;
  log: (line: string) => void;
}

export const CONCURRENCY_DEFAULTS: Omit<ConcurrencyOptions, 'log'> = { levels: [1, 2, 10, 30], afterSeconds: 60 };

const POD_IPS = ['127.0.94.1', '127.0.94.2', '127.0.94.3'];
const SCRAPE_TIMEOUT_SECONDS = 10;
const TARGET_TWO_VS_ONE = 1.3;
const TARGET_AFTER_VS_READY = 1.5;

interface Answer {
  status: number;
  ms: number;
  allUp: boolean;
  anyDown: boolean;
}

/**
 * One scrape by its own `curl` process, as separate Prometheus servers would: a client sharing this
 * process with the simulated pods (and inflating every answer) would measure itself, not the proxy.
 */
function scrape(url: string, caFile: string, out: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const args = ['-s', '-o', out, '--cacert', caFile, '-H', 'Accept-Encoding: gzip', '-H', `X-Prometheus-Scrape-Timeout-Seconds: ${SCRAPE_TIMEOUT_SECONDS}`, '-w', '%{http_code} %{time_total}', url];
    execFile('curl', args, (err, stdout) => {
      if (err) return reject(new Error(`curl ${url}: ${err.message}`));
      const [code, seconds] = stdout.trim().split(' ');
      const status = Number(code);
      const ms = Number(seconds) * 1000;
      if (status !== 200) return resolve({ status, ms, allUp: false, anyDown: false });
      let body = readFileSync(out);
      if (body[0] === 0x1f && body[1] === 0x8b) body = gunzipSync(body);
      rmSync(out, { force: true });
      const ups = [...body.toString('utf8').matchAll(/^up\{[^\n]*\} (\d)$/gm)].map((m) => m[1]);
      resolve({ status: 200, ms, allUp: ups.length === POD_IPS.length && ups.every((u) => u === '1'), anyDown: ups.includes('0') });
    });
  });
}

/** Peak VmRSS while `work` runs, sampled every 10 ms. */
async function peakRss<T>(proxy: ProxyProcess, work: () => Promise<T>): Promise<[T, number]> {
  let peak = proxy.memory().rss;
  const timer = setInterval(() => {
    try {
      peak = Math.max(peak, proxy.memory().rss);
    } catch {
      // the process is gone: the round reports it
    }
  }, 10);
  try {
    const r = await work();
    peak = Math.max(peak, proxy.memory().rss);
    return [r, peak];
  } finally {
    clearInterval(timer);
  }
}

interface Round {
  set: string;
  concurrency: number;
  shared: boolean;
  answers: Answer[];
  peakRss: number;
}

export async function runConcurrencyBench(opts: ConcurrencyOptions): Promise<Section> {
  const { log } = opts;
  const dir = mkdtempSync(join(tmpdir(), 'hcp-bench-concurrency-'));
  const cleanups: (() => Promise<void> | void)[] = [() => rmSync(dir, { recursive: true, force: true })];
  try {
    log('concurrency: minting certificates and rendering 3 pod bodies ...');
    const { certs, totalBytes, configFile } = await startKubeApiserverStack(dir, POD_IPS, '10s', cleanups);
    const ca = readFileSync(certs.caFile);
    const rounds: Round[] = [];
    const memory: { set: string; ready: number; after: number; peak: number }[] = [];
    const sets: [string, boolean][] = [
      ['All', true],
      ['Telemetry', true],
      ['All', false],
    ];
    for (const [set, shared] of sets) {
      log(`concurrency: proxy with --metrics-set ${set}${shared ? '' : ', sharing off'} ...`);
      const proxy = await startProxyProcess({
        listenHost: '127.0.0.1',
        ca,
        flags: ['--insecure-no-auth', '--config', configFile, '--tls-cert-file', certs.proxyServing.certFile, '--tls-key-file', certs.proxyServing.keyFile, '--metrics-set', set, '--log-level', 'warn', ...(shared ? [] : ['--share-identical-scrapes=false'])],
      });
      try {
        await settle(1000);
        const ready = proxy.memory().rss;
        const url = `${proxy.url}/metrics/${COMPONENT}`;
        // One warm-up scrape: the first scrape of a fresh proxy pays for JIT and new blocks.
        const out = (i: number) => join(dir, `answer-${i}`);
        await scrape(url, certs.caFile, out(0));
        let peakAll = 0;
        for (const c of shared ? opts.levels : opts.levels.filter((l) => l >= 10)) {
          await settle(500);
          const [answers, peak] = await peakRss(proxy, () => Promise.all(Array.from({ length: c }, (_v, i) => scrape(url, certs.caFile, out(i)))));
          peakAll = Math.max(peakAll, peak);
          rounds.push({ set, concurrency: c, shared, answers, peakRss: peak });
          log(`concurrency: ${set} ×${c}${shared ? '' : ' (no sharing)'}: p50 ${fmt.ms(median(answers.map((a) => a.ms)))}, ${answers.filter((a) => a.allUp).length}/${c} all up, ${answers.filter((a) => a.status === 503).length} × 503, peak RSS ${fmt.mb(peak)}`);
        }
        log(`concurrency: waiting ${opts.afterSeconds} s with no load ...`);
        await settle(opts.afterSeconds * 1000);
        memory.push({ set: `${set}${shared ? '' : ' (no sharing)'}`, ready, after: proxy.memory().rss, peak: peakAll });
      } finally {
        await proxy.stop();
      }
    }
    return report(rounds, memory, totalBytes);
  } finally {
    for (const c of cleanups.reverse()) {
      try {
        await c();
      } catch (err) {
        log(`concurrency: cleanup failed: ${String(err)}`);
      }
    }
  }
}

function report(rounds: Round[], memory: { set: string; ready: number; after: number; peak: number }[], totalBytes: number): Section {
  const rows: Row[] = [];
  for (const r of rounds) {
    const ms = r.answers.map((a) => a.ms);
    const up = r.answers.filter((a) => a.allUp).length;
    const refused = r.answers.filter((a) => a.status === 503).length;
    const lies = r.answers.filter((a) => a.anyDown).length;
    rows.push({
      figure: `${r.set}${r.shared ? '' : ' (sharing off)'}, ${r.concurrency} at once`,
      value: `p50 ${fmt.ms(median(ms))}, max ${fmt.ms(Math.max(...ms))}`,
      baseline: `${up}/${r.concurrency} all up, ${refused} × 503`,
      ratio: `peak RSS ${fmt.mb(r.peakRss)}`,
      target: 'no up 0',
      met: met(lies === 0),
    });
  }
  for (const set of ['All', 'Telemetry']) {
    const one = rounds.find((r) => r.set === set && r.shared && r.concurrency === 1);
    const two = rounds.find((r) => r.set === set && r.shared && r.concurrency === 2);
    if (!one || !two) continue;
    const ratio = median(two.answers.map((a) => a.ms)) / median(one.answers.map((a) => a.ms));
    rows.push({ figure: `${set}: 2 at once vs 1 (p50)`, value: fmt.ms(median(two.answers.map((a) => a.ms))), baseline: fmt.ms(median(one.answers.map((a) => a.ms))), ratio: fmt.ratio(ratio), target: `≤ ${TARGET_TWO_VS_ONE}×`, met: met(ratio <= TARGET_TWO_VS_ONE) });
  }
  for (const m of memory) {
    rows.push({ figure: `${m.set}: RSS 60 s after the last round`, value: fmt.mb(m.after), baseline: `${fmt.mb(m.ready)} (ready)`, ratio: fmt.ratio(m.after / m.ready), target: `≤ ${TARGET_AFTER_VS_READY}×`, met: met(m.after / m.ready <= TARGET_AFTER_VS_READY) });
  }
  return {
    title: 'Concurrent scrapes (bench/concurrency.ts)',
    intro: [
      `3 simulated kube-apiserver pods (plain http on ${POD_IPS.join(', ')}, ${fmt.mb(totalBytes)} of bodies in all, served uncompressed) behind the proxy CLI in its own process ` +
        '(default flags: scrape workers, memory budget from the cgroup limit or 512 MiB, identical scrapes shared). Each round fires N scrapes at once as Prometheus sends them ' +
        `(\`Accept-Encoding: gzip\`, \`X-Prometheus-Scrape-Timeout-Seconds: ${SCRAPE_TIMEOUT_SECONDS}\`) and reads every answer fully; one warm-up scrape per proxy. ` +
        'Each scrape is its own `curl` process (the benchmark process also serves the pods; a client inside it would measure itself). Peak RSS is VmRSS sampled every 10 ms during the round. "All up" counts 200 answers with all 3 pods `up 1`; the pods are healthy, so any `up 0` would be false.',
    ],
    rows,
    notes: [
      'Identical scrapes that arrive together share one fan-out (same path, format, encoding, timeout and pods), which is why 30 at once cost little more than 1. The last proxy runs with `--share-identical-scrapes=false`: each scrape has its own fan-out, the memory budget admits what fits and queues the rest until their deadline, then answers 503 with Retry-After.',
      `Peak RSS over all rounds per proxy: ${memory.map((m) => `${m.set} ${fmt.mb(m.peak)}`).join('; ')}.`,
    ],
  };
}
