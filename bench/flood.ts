/**
 * Invalid-token flood: 1 000 distinct bad bearer tokens sent to the proxy CLI (its own process), from
 * one source address and from 50 (loopback addresses 127.0.88.x bound with localAddress), while a
 * Prometheus-like client keeps scraping with a cached valid token from 127.0.0.1.
 *
 * Figures: TokenReviews per second reaching the fake hosted kube-apiserver during the flood, against
 * the same flood on a proxy with the review budget off (`--token-review-rate 0
 * --token-review-rate-per-source 0`, i.e. before the limits); cached-token scrapes per second during
 * the flood against the same client with no flood (rounds interleaved). Also the proxy's RSS when ready.
 *
 * `runFloodBench({ ...FLOOD_DEFAULTS, log })` returns a report Section.
 */
import https from 'node:https';
import { met, type Row, type Section } from './report.js';
import { nowMs, ScrapeLoop, startLimitsStack, type LimitsStack } from './limits-stack.js';
import { median, settle } from './stats.js';

export interface FloodOptions {
  /** Interleaved rounds of (no flood, 1 source, 50 sources). */
  rounds: number;
  /** Distinct bad tokens per flood. */
  tokens: number;
  /** Flood requests in flight at once. */
  floodConcurrency: number;
  /** Cached-token scrapes in flight at once. */
  scrapeConcurrency: number;
  /** Length of a no-flood measurement window. */
  quietWindowMs: number;
  log: (line: string) => void;
}

export const FLOOD_DEFAULTS: Omit<FloodOptions, 'log'> = { rounds: 3, tokens: 1000, floodConcurrency: 50, scrapeConcurrency: 4, quietWindowMs: 2000 };

const ONE_SOURCE = ['127.0.88.100'];
const FIFTY_SOURCES = Array.from({ length: 50 }, (_v, i) => `127.0.88.${i + 1}`);
/** The proxy's defaults (proxy/auth/index.ts DEFAULT_REVIEW_RATES). */
const GLOBAL = { perSecond: 20, burst: 40 };
const PER_SOURCE = { perSecond: 5, burst: 10 };
const TARGET_RATIO = 0.9;
const TARGET_READY_RSS_MB = 100;

interface FloodResult {
  ms: number;
  reviews: number;
  codes: Record<string, number>;
}

let tokenSeq = 0;

/** `tokens` distinct never-issued tokens, spread round-robin over one keep-alive agent per source address. */
async function flood(s: LimitsStack, sources: string[], opts: FloodOptions): Promise<FloodResult> {
  const perAgent = Math.max(1, Math.ceil(opts.floodConcurrency / sources.length));
  const agents = sources.map((localAddress) => new https.Agent({ keepAlive: true, ca: s.ca, localAddress, maxSockets: perAgent }));
  const codes: Record<string, number> = {};
  const tokens = Array.from({ length: opts.tokens }, () => `flood-${process.pid}-${tokenSeq++}-never-issued`);
  let next = 0;
  const reviewsBefore = s.kas.tokenReviews;
  const t0 = nowMs();
  const worker = async () => {
    while (next < tokens.length) {
      const i = next++;
      const code = await new Promise<number>((resolve) => {
        https
          .get(s.scrapeUrl, { agent: agents[i % agents.length], headers: { authorization: `Bearer ${tokens[i]}` } }, (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
            res.on('error', () => resolve(0));
          })
          .on('error', () => resolve(0));
      });
      codes[String(code)] = (codes[String(code)] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: opts.floodConcurrency }, worker));
  const ms = nowMs() - t0;
  agents.forEach((a) => a.destroy());
  return { ms, reviews: s.kas.tokenReviews - reviewsBefore, codes };
}

const perSec = (n: number, ms: number) => n / (ms / 1000);
const codesText = (c: Record<string, number>) =>
  Object.entries(c)
    .sort()
    .map(([k, v]) => `${v}× ${k === '0' ? 'error' : k}`)
    .join(', ');

export async function runFloodBench(opts: FloodOptions): Promise<Section> {
  const { log } = opts;
  log('flood: starting the proxy (default limits) ...');
  const limited = await startLimitsStack({ podIp: '127.0.89.1' });
  let unlimited: LimitsStack | undefined;
  try {
    await settle(1000);
    const readyRss = limited.proxy.memory().rss;
    const agent = new https.Agent({ keepAlive: true, ca: limited.ca, maxSockets: opts.scrapeConcurrency, localAddress: '127.0.0.1' });
    const warm = new ScrapeLoop(limited.scrapeUrl, agent, limited.validToken, opts.scrapeConcurrency);
    await settle(1000);
    await warm.stop();
    if (warm.answers.length === 0) throw new Error(`no scrape with the valid token succeeded:\n${limited.proxy.logTail()}`);

    const rps: Record<'quiet' | 'one' | 'fifty', number[]> = { quiet: [], one: [], fifty: [] };
    const floods: Record<'one' | 'fifty', FloodResult[]> = { one: [], fifty: [] };
    let scrapeFailures = 0;
    for (let r = 0; r < opts.rounds; r++) {
      const order = (['quiet', 'one', 'fifty'] as const).slice();
      if (r % 2 === 1) order.reverse();
      for (const mode of order) {
        // Budgets refill between measurements, so every flood meets full bursts (the worst case).
        await settle(2500);
        const loop = new ScrapeLoop(limited.scrapeUrl, agent, limited.validToken, opts.scrapeConcurrency);
        await settle(300);
        const t0 = nowMs();
        if (mode === 'quiet') await settle(opts.quietWindowMs);
        else floods[mode].push(await flood(limited, mode === 'one' ? ONE_SOURCE : FIFTY_SOURCES, opts));
        const t1 = nowMs();
        await loop.stop();
        scrapeFailures += loop.failures;
        rps[mode].push(perSec(loop.between(t0, t1).length, t1 - t0));
      }
      const last = (m: 'one' | 'fifty') => floods[m].at(-1)!;
      log(
        `flood: round ${r + 1}: scrapes/s quiet ${rps.quiet.at(-1)!.toFixed(0)}, 1 source ${rps.one.at(-1)!.toFixed(0)}, 50 sources ${rps.fifty.at(-1)!.toFixed(0)}; ` +
          `reviews 1 source ${last('one').reviews} in ${last('one').ms.toFixed(0)} ms, 50 sources ${last('fifty').reviews} in ${last('fifty').ms.toFixed(0)} ms`,
      );
    }
    agent.destroy();

    log('flood: the same floods against a proxy without the review budget ...');
    unlimited = await startLimitsStack({ podIp: '127.0.89.2', proxyFlags: ['--token-review-rate', '0', '--token-review-rate-per-source', '0'] });
    const before = { one: await flood(unlimited, ONE_SOURCE, opts), fifty: await flood(unlimited, FIFTY_SOURCES, opts) };

    const reviewRows = (['one', 'fifty'] as const).map((m): Row => {
      const sources = m === 'one' ? 1 : 50;
      const rates = floods[m].map((f) => perSec(f.reviews, f.ms));
      const worst = floods[m].reduce((a, b) => (perSec(b.reviews, b.ms) > perSec(a.reviews, a.ms) ? b : a));
      // What the budget allows in a flood of that length, starting from full buckets.
      const bound = (f: FloodResult) => {
        const s = f.ms / 1000;
        const global = GLOBAL.burst + GLOBAL.perSecond * s;
        const perSource = sources * (PER_SOURCE.burst + PER_SOURCE.perSecond * s);
        return Math.min(global, perSource) + 1;
      };
      const ok = floods[m].every((f) => f.reviews <= bound(f));
      const unl = before[m];
      return {
        figure: `TokenReviews/s, ${opts.tokens} distinct bad tokens from ${sources} source${sources > 1 ? 's' : ''}`,
        value: `${median(rates).toFixed(1)}/s (${worst.reviews} reviews in ${worst.ms.toFixed(0)} ms at worst)`,
        baseline: `${perSec(unl.reviews, unl.ms).toFixed(0)}/s (${unl.reviews} in ${unl.ms.toFixed(0)} ms, budget off)`,
        ratio: `${(median(rates) / perSec(unl.reviews, unl.ms)).toFixed(3)}×`,
        target: m === 'one' ? `≤ ${PER_SOURCE.burst} + ${PER_SOURCE.perSecond}/s per source` : `≤ ${GLOBAL.burst} + ${GLOBAL.perSecond}/s in all`,
        met: met(ok),
      };
    });
    const scrapeRows = (['one', 'fifty'] as const).map((m): Row => {
      const ratio = median(rps[m].map((v, i) => v / rps.quiet[i]!));
      return {
        figure: `cached-token scrapes/s during the flood from ${m === 'one' ? '1 source' : '50 sources'}`,
        value: `${median(rps[m]).toFixed(0)}/s`,
        baseline: `${median(rps.quiet).toFixed(0)}/s (no flood)`,
        ratio: `${ratio.toFixed(2)}×`,
        target: `≥ ${TARGET_RATIO}×`,
        met: met(ratio >= TARGET_RATIO),
      };
    });
    const rssMb = readyRss / 1e6;
    return {
      title: 'Invalid-token flood',
      intro: [
        `The proxy CLI in its own process (default limits: TokenReviews ${GLOBAL.perSecond}/s burst ${GLOBAL.burst} in all, ${PER_SOURCE.perSecond}/s burst ${PER_SOURCE.burst} per source address) in front of one small pod, ` +
          `bearer tokens reviewed by the fake hosted kube-apiserver, which counts the reviews it receives. A flood is ${opts.tokens} distinct never-issued tokens, ${opts.floodConcurrency} in flight over keep-alive connections, ` +
          `from one address (${ONE_SOURCE[0]}) or round-robin from 50 (127.0.88.1-50). Meanwhile a client scrapes with a cached valid token from 127.0.0.1, ${opts.scrapeConcurrency} in flight; ` +
          `its scrapes/s during the flood are compared with a window without flood (${opts.rounds} interleaved rounds, medians; the ratio is the median of per-round ratios). Budgets refill before each measurement.`,
        'The baseline of the review rate is the same flood against a second proxy started with `--token-review-rate 0 --token-review-rate-per-source 0` (no budget: the behaviour before these limits).',
      ],
      rows: [
        ...reviewRows,
        ...scrapeRows,
        {
          figure: 'proxy RSS when ready (main thread + scrape workers)',
          value: `${rssMb.toFixed(0)} MB`,
          baseline: '166 MB (before: @kubernetes/client-node in the main thread)',
          ratio: `${(rssMb / 166).toFixed(2)}×`,
          target: `≤ ${TARGET_READY_RSS_MB} MB`,
          met: met(rssMb <= TARGET_READY_RSS_MB),
        },
      ],
      notes: [
        `answers to the floods (budget on): 1 source ${floods.one.map((f) => codesText(f.codes)).join(' / ')}; 50 sources ${floods.fifty.map((f) => codesText(f.codes)).join(' / ')}`,
        `answers to the floods (budget off): 1 source ${codesText(before.one.codes)}; 50 sources ${codesText(before.fifty.codes)}`,
        `scrapes/s per round: no flood ${rps.quiet.map((x) => x.toFixed(0)).join(', ')}; 1 source ${rps.one.map((x) => x.toFixed(0)).join(', ')}; 50 sources ${rps.fifty.map((x) => x.toFixed(0)).join(', ')}; failed cached-token scrapes: ${scrapeFailures}`,
      ],
    };
  } finally {
    await unlimited?.close();
    await limited.close();
  }
}
