/**
 * Slowloris: 500 connections that never start their TLS handshake ("silent") and 500 that finish it,
 * then send request headers one line per second ("trickling"), from 10 loopback addresses, against
 * the proxy CLI in its own process with its default limits. Figures: how long until the proxy closed
 * each of them (silent: from the TCP connect; trickling: from the end of the handshake), and the answer
 * time of real scrapes (cached bearer token) during the attack against before it, over a connection
 * kept alive from before the attack and over new connections.
 *
 * `runSlowlorisBench({ ...SLOWLORIS_DEFAULTS, log })` returns a report Section.
 */
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import { DEFAULT_LISTENER_LIMITS } from '../common/listener-limits.js';
import { met, type Row, type Section } from './report.js';
import { nowMs, ScrapeLoop, startLimitsStack } from './limits-stack.js';
import { median, settle } from './stats.js';

export interface SlowlorisOptions {
  silent: number;
  trickling: number;
  /** Attack connections are spread over this many source addresses (127.0.87.11...). */
  sources: number;
  /** Window of scrapes measured before the attack. */
  quietWindowMs: number;
  /** Give up waiting for the proxy to close the attack connections after this long. */
  giveUpMs: number;
  log: (line: string) => void;
}

export const SLOWLORIS_DEFAULTS: Omit<SlowlorisOptions, 'log'> = { silent: 500, trickling: 500, sources: 10, quietWindowMs: 3000, giveUpMs: 60_000 };

const HEADERS_S = DEFAULT_LISTENER_LIMITS.headersTimeoutMs / 1000;
const HANDSHAKE_S = DEFAULT_LISTENER_LIMITS.handshakeTimeoutMs / 1000;
/** The proxy checks expiries every second (common/listener-limits.ts); allow that plus a little scheduling. */
const SLACK_S = 1.5;
const TARGET_ANSWER_RATIO = 1.2;

interface AttackConnection {
  /** Milliseconds from the start of what the proxy times (TCP connect or handshake end) to its close. */
  closedAfterMs?: number;
}

function silentConnection(port: number, localAddress: string): Promise<AttackConnection> {
  return new Promise((resolve) => {
    const c: AttackConnection = {};
    const s = net.connect({ host: '127.0.0.1', port, localAddress });
    let opened = 0;
    s.resume();
    s.on('connect', () => (opened = nowMs()));
    s.on('error', () => {});
    s.on('close', () => {
      if (opened > 0) c.closedAfterMs = nowMs() - opened;
    });
    // Resolve once connected (or failed): the attack is in place; close time is filled in later.
    s.once('connect', () => resolve(c));
    s.once('error', () => resolve(c));
  });
}

/** TLS session tickets, so that later handshakes are abbreviated (as an attacker's would be). */
const tickets: { session?: Buffer } = {};

function tricklingConnection(port: number, localAddress: string, ca: Buffer): Promise<AttackConnection> {
  return new Promise((resolve) => {
    const c: AttackConnection = {};
    const raw = net.connect({ host: '127.0.0.1', port, localAddress });
    raw.on('error', () => {});
    const s = tls.connect({ socket: raw, ca, servername: 'localhost', ...(tickets.session ? { session: tickets.session } : {}) });
    s.once('session', (session: Buffer) => (tickets.session ??= session));
    let opened = 0;
    let drip: NodeJS.Timeout | undefined;
    s.on('error', () => {});
    // Read what the proxy sends (its 408): a paused socket would only notice the close on its next write.
    s.resume();
    s.once('secureConnect', () => {
      opened = nowMs();
      s.write('GET /metrics/small-component HTTP/1.1\r\nHost: proxy\r\n');
      let n = 0;
      drip = setInterval(() => s.writable && s.write(`X-Slow-${n++}: 1\r\n`), 1000);
      resolve(c);
    });
    s.on('close', () => {
      if (drip) clearInterval(drip);
      if (opened > 0) c.closedAfterMs = nowMs() - opened;
      resolve(c);
    });
  });
}

function summary(xs: number[]): { median: number; max: number } {
  return xs.length === 0 ? { median: NaN, max: NaN } : { median: median(xs), max: Math.max(...xs) };
}

export async function runSlowlorisBench(opts: SlowlorisOptions): Promise<Section> {
  const { log } = opts;
  log('slowloris: starting the proxy (default limits) ...');
  const s = await startLimitsStack({ podIp: '127.0.87.1' });
  const sources = Array.from({ length: opts.sources }, (_v, i) => `127.0.87.${i + 11}`);
  const port = Number(new URL(s.proxy.url).port);
  const kept = new https.Agent({ keepAlive: true, ca: s.ca, maxSockets: 1, localAddress: '127.0.0.1' });
  const fresh = new https.Agent({ keepAlive: false, ca: s.ca, maxSockets: 1, localAddress: '127.0.0.1' });
  try {
    const keptLoop = new ScrapeLoop(s.scrapeUrl, kept, s.validToken, 1);
    const freshLoop = new ScrapeLoop(s.scrapeUrl, fresh, s.validToken, 1);
    await settle(1000); // warm-up: the token is reviewed and cached, JIT warms
    const q0 = nowMs();
    await settle(opts.quietWindowMs);
    const q1 = nowMs();

    log(`slowloris: opening ${opts.silent} silent and ${opts.trickling} trickling connections from ${opts.sources} addresses ...`);
    const a0 = nowMs();
    const silent: Promise<AttackConnection>[] = [];
    const trickling: AttackConnection[] = [];
    for (let i = 0; i < opts.silent; i++) silent.push(silentConnection(port, sources[i % sources.length]!));
    const conns = await Promise.all(silent);
    // Handshakes in batches, as a real attacker's would trickle in; each batch waits for the last.
    for (let i = 0; i < opts.trickling; i += 50) {
      const batch = Array.from({ length: Math.min(50, opts.trickling - i) }, (_v, j) => tricklingConnection(port, sources[(i + j) % sources.length]!, s.ca));
      trickling.push(...(await Promise.all(batch)));
    }
    const opened = nowMs();
    log(`slowloris: attack in place after ${(opened - a0).toFixed(0)} ms; waiting for the proxy to close it ...`);
    const all = [...conns, ...trickling];
    while (all.some((c) => c.closedAfterMs === undefined) && nowMs() - a0 < opts.giveUpMs) await settle(200);
    const a1 = nowMs();
    await keptLoop.stop();
    await freshLoop.stop();

    const closedSilent = conns.filter((c) => c.closedAfterMs !== undefined).map((c) => c.closedAfterMs! / 1000);
    const closedTrickling = trickling.filter((c) => c.closedAfterMs !== undefined).map((c) => c.closedAfterMs! / 1000);
    const sl = summary(closedSilent);
    const tr = summary(closedTrickling);
    const answer = (loop: ScrapeLoop, from: number, to: number) => median(loop.between(from, to).map((a) => a.ms));
    const keptBefore = answer(keptLoop, q0, q1);
    // While the attack is held open (all connections in place), and while it was being set up.
    const keptDuring = answer(keptLoop, opened, a1);
    const freshBefore = answer(freshLoop, q0, q1);
    const freshDuring = answer(freshLoop, opened, a1);
    const keptSetup = answer(keptLoop, a0, opened);
    const freshSetup = answer(freshLoop, a0, opened);
    const scrapesDuring = keptLoop.between(a0, a1).length + freshLoop.between(a0, a1).length;

    const rows: Row[] = [
      {
        figure: `silent connections closed by the proxy (${opts.silent}, no TLS handshake)`,
        value: `${closedSilent.length}/${opts.silent}; after ${sl.median.toFixed(1)} s median, ${sl.max.toFixed(1)} s max`,
        baseline: 'never (before: no timeout before the request)',
        ratio: '—',
        target: `all, ≤ ${HANDSHAKE_S} s handshake timeout + ${SLACK_S} s`,
        met: met(closedSilent.length === opts.silent && sl.max <= HANDSHAKE_S + SLACK_S),
      },
      {
        figure: `trickling connections closed by the proxy (${opts.trickling}, a header line per second)`,
        value: `${closedTrickling.length}/${opts.trickling}; after ${tr.median.toFixed(1)} s median, ${tr.max.toFixed(1)} s max`,
        baseline: 'never (before: requestTimeout 0 disabled the header timeout)',
        ratio: '—',
        target: `all, ≤ ${HEADERS_S} s header timeout + ${SLACK_S} s`,
        met: met(closedTrickling.length === opts.trickling && tr.max <= HEADERS_S + SLACK_S),
      },
      {
        figure: 'scrape answer time during the attack, kept-alive connection',
        value: `${keptDuring.toFixed(1)} ms`,
        baseline: `${keptBefore.toFixed(1)} ms (before the attack)`,
        ratio: `${(keptDuring / keptBefore).toFixed(2)}×`,
        target: `≤ ${TARGET_ANSWER_RATIO}×`,
        met: met(keptDuring / keptBefore <= TARGET_ANSWER_RATIO),
      },
      {
        figure: 'scrape answer time during the attack, new connection per scrape',
        value: `${freshDuring.toFixed(1)} ms`,
        baseline: `${freshBefore.toFixed(1)} ms (before the attack)`,
        ratio: `${(freshDuring / freshBefore).toFixed(2)}×`,
        target: `≤ ${TARGET_ANSWER_RATIO}×`,
        met: met(freshDuring / freshBefore <= TARGET_ANSWER_RATIO),
      },
    ];
    return {
      title: 'Slowloris',
      intro: [
        `The proxy CLI in its own process with its default limits (TLS handshake ${HANDSHAKE_S} s, headers ${HEADERS_S} s, ${DEFAULT_LISTENER_LIMITS.maxConnections} connections, ${DEFAULT_LISTENER_LIMITS.maxConnectionsPerSource} per source). ` +
          `${opts.silent} connections that send nothing and ${opts.trickling} that finish the TLS handshake and then send one header line per second, spread over ${opts.sources} loopback addresses (127.0.87.11-${10 + opts.sources}). ` +
          'Close times are measured by the attacker from the TCP connect (silent) or the end of the handshake (trickling). ' +
          `Meanwhile two clients scrape a small component with a cached bearer token from 127.0.0.1, one over a keep-alive connection opened before the attack, one over a new connection per scrape; median answer times during the attack (until the last attack connection closed) are compared with a ${opts.quietWindowMs / 1000} s window before it. ` +
          '"During" is from the moment every attack connection is open until the proxy has closed the last; the time spent opening them (TLS handshakes on the same cores) is in the notes.',
      ],
      rows,
      notes: [
        `while the ${opts.trickling} handshakes were being made (${((opened - a0) / 1000).toFixed(1)} s, both processes sharing the cores): answer time ${keptSetup.toFixed(1)} ms kept-alive (${(keptSetup / keptBefore).toFixed(2)}×), ${freshSetup.toFixed(1)} ms new connection (${(freshSetup / freshBefore).toFixed(2)}×)`,
        `attack in place ${(opened - a0).toFixed(0)} ms after it began, over at ${((a1 - a0) / 1000).toFixed(1)} s; scrapes during the attack: ${scrapesDuring} (failed: ${keptLoop.failures + freshLoop.failures})`],
    };
  } finally {
    kept.destroy();
    fresh.destroy();
    await s.close();
  }
}
