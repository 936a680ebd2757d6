/**
 * `GET /metrics/<component>[/<n>]`: admission against the memory budget, a streamed fan-out (shared
 * by identical scrapes that arrive together), and the answer written with backpressure, each piece
 * released once the socket has taken it.
 */
import type { Request, Response } from 'express';
import { errorMessage } from '../../common/errors.js';
import type { Logger } from '../../common/log.js';
import type { ComponentConfig, EndpointConfig, ProxyConfig } from '../config/types.js';
import { OPENMETRICS_CONTENT_TYPE, TEXT_CONTENT_TYPE } from '../exposition/types.js';
import { ResolverUnavailableError, type ResolverClient } from '../resolver-client.js';
import type { RuleBook } from '../rule-book.js';
import { startFanout, type Fanout, type FanoutRequest, type FanoutSummary } from '../scrape/fanout.js';
import type { PodScraper } from '../scrape/task.js';
import type { Admission, AdmissionRefusal } from './admission.js';
import type { ProxyMetrics } from './metrics.js';
import { acceptsGzip, prefersOpenMetrics } from './negotiate.js';
import { gzipInParallel } from './parallel-gzip.js';
import { SharedAnswer, type SharedPiece, type SharedReader } from './shared-answer.js';

/** What the handler reads on every request; swapped underneath it when files change. */
export interface ScrapeState {
  config(): ProxyConfig | undefined;
  resolver(): ResolverClient | undefined;
  rules(): RuleBook;
}

export interface ScrapeHandlerOptions {
  state: ScrapeState;
  scraper: PodScraper;
  metrics: ProxyMetrics;
  logger: Logger;
  admission: Admission;
  /** Cap on one pod's decompressed body. */
  maxBodyBytes: number;
  /** gzip level for answers; speed matters more than ratio for tens of MB per scrape. */
  gzipLevel?: number;
  /** Let identical concurrent scrapes share one fan-out (default true). */
  shareIdentical?: boolean;
}

/**
 * Answer groups deflated at once: the whole libuv pool (4 threads unless UV_THREADPOOL_SIZE says
 * otherwise), even on 2 cores: with only one group per core in flight a core idles while the main
 * thread computes the CRC and writes (gzip answer of 3 x 30 MB pods: 350-380 ms with 4, 432 with 2).
 */
const GZIP_CONCURRENCY = Math.min(8, Math.max(2, Number(process.env.UV_THREADPOOL_SIZE) || 4));
/** Retry-After for answers refused by the proxy's own limits: about one scrape later. */
const RETRY_AFTER_SECONDS = 5;

const COMPONENT_SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Seconds left for pods once the caller's own timeout and our merge/transfer time are accounted for. */
export function effectiveTimeoutSeconds(configured: number, callerHeader: string | undefined): number {
  const caller = Number(callerHeader);
  if (!callerHeader || !Number.isFinite(caller) || caller <= 0) return configured;
  const margin = Math.max(0.25, caller * 0.1);
  return Math.max(0.1, Math.min(configured, caller - margin));
}

interface ParsedPath {
  component: string;
  endpoint: number;
}

/** `/metrics/<component>` or `/metrics/<component>/<n>`; a string is a 400 message. */
function parseScrapePath(path: string): ParsedPath | string {
  const segs = path.slice('/metrics/'.length).split('/');
  const [component, index, ...extra] = segs;
  if (!component || extra.length > 0) return `malformed path "${path}": expected /metrics/<component> or /metrics/<component>/<n>`;
  if (!COMPONENT_SEGMENT.test(component)) return `malformed component name "${component}"`;
  if (index === undefined) return { component, endpoint: 0 };
  if (!/^(0|[1-9]\d{0,3})$/.test(index)) return `malformed endpoint index "${index}": expected an integer`;
  return { component, endpoint: Number(index) };
}

function endpointOf(c: ComponentConfig, n: number): EndpointConfig | undefined {
  return n === 0 ? c : c.endpoints[n - 1];
}

/** A fan-out being admitted or running, that identical scrapes can join. */
interface Pending {
  ready: Promise<{ flight: Flight; owner: SharedReader } | AdmissionRefusal>;
  /** Set once admitted. */
  flight?: Flight;
}

interface Launch {
  key: string;
  path: string;
  component: string;
  gzip: boolean;
  podCount: number;
  deadline: number;
  fanout: FanoutRequest;
}

/** One fan-out and the callers reading it. */
interface Flight {
  component: string;
  gzip: boolean;
  fanout: Fanout;
  answer: SharedAnswer;
}

export class ScrapeHandler {
  private readonly joinable = new Map<string, Pending>();
  private readonly running = new Set<Flight>();

  constructor(private readonly opts: ScrapeHandlerOptions) {
    opts.admission.onAdmit = (seconds) => opts.metrics.load.queueSeconds.observe(seconds);
    opts.metrics.load.snapshot = () => {
      const a = opts.admission.inFlight;
      let held = 0;
      for (const f of this.running) held += f.fanout.heldBytes + (f.gzip ? f.answer.heldBytes : 0);
      return {
        scrapes: a.scrapes,
        reservedBytes: a.reservedBytes,
        heldBytes: held,
        queued: a.queued,
        podsWaitingForWorker: opts.scraper.queued ?? 0,
        budgetBytes: opts.admission.budgetBytes,
      };
    };
  }

  async handle(req: Request, res: Response): Promise<void> {
    const { state, metrics, logger } = this.opts;
    let componentLabel = 'unknown';
    const reply = (code: number, message: string, retryAfter?: number) => {
      metrics.requests.inc({ component: componentLabel, code: String(code) });
      if (retryAfter !== undefined) res.setHeader('Retry-After', String(retryAfter));
      res.status(code).type('text/plain').send(message + '\n');
    };
    // HEAD would have to run the whole fan-out to know the format; refuse it rather than waste it.
    if (req.method === 'HEAD') {
      res.setHeader('Allow', 'GET');
      return reply(405, 'HEAD is not supported for scrape answers; use GET');
    }
    const parsed = parseScrapePath(req.path);
    if (typeof parsed === 'string') return reply(400, parsed);
    const config = state.config();
    const resolver = state.resolver();
    if (!config || !resolver) return reply(503, 'no configuration loaded', 5);
    const component = config.components.find((c) => c.name === parsed.component);
    if (!component) return reply(404, `unknown component "${parsed.component}"; see /components`);
    componentLabel = component.name;
    const endpoint = endpointOf(component, parsed.endpoint);
    if (!endpoint) return reply(404, `component "${component.name}" has no endpoint ${parsed.endpoint} (it has ${component.endpoints.length + 1})`);

    let pods;
    try {
      pods = await resolver.resolve(component.selector, component.matchExpressions);
    } catch (err) {
      if (err instanceof ResolverUnavailableError) return reply(503, err.message, err.retryAfterSeconds);
      throw err;
    }
    let rules;
    try {
      rules = state.rules().rulesFor(component, parsed.endpoint, endpoint);
    } catch (err) {
      logger.error('cannot compile relabel rules', { component: component.name, error: errorMessage(err) });
      return reply(503, `relabel rules of "${component.name}" cannot be compiled: ${errorMessage(err)}`, 30);
    }
    const timeout = effectiveTimeoutSeconds(endpoint.scrapeTimeoutSeconds, req.header('x-prometheus-scrape-timeout-seconds'));
    // The scrape's own deadline bounds every wait in the proxy's queues.
    const deadline = Date.now() + timeout * 1000;
    const om = prefersOpenMetrics(req.header('accept'));
    const gzip = acceptsGzip(req.header('accept-encoding'));
    const key = `${req.path}|${om ? 'om' : 'text'}|${gzip ? 'gzip' : 'identity'}|${timeout.toFixed(3)}|${pods.map((p) => `${p.name}=${p.ip}`).join(',')}`;

    const launch = (): Pending => {
      const p: Pending = {
      ready: this.launch({
        key,
        path: req.path,
        component: component.name,
        gzip,
        podCount: pods.length,
        deadline,
        fanout: {
          poolId: `${component.name}/${parsed.endpoint}`,
          endpoint,
          pods,
          acceptOpenMetrics: om,
          timeoutSeconds: timeout,
          maxBodyBytes: this.opts.maxBodyBytes,
          rules,
          scraper: this.opts.scraper,
          startBy: deadline,
        },
      }),
      };
      void p.ready.then((o) => {
        if (typeof o !== 'string') p.flight = o.flight;
      });
      return p;
    };
    // Registered before any await, so that scrapes resuming in the same tick find it.
    const share = this.opts.shareIdentical !== false;
    let pending = share ? this.joinable.get(key) : undefined;
    let own = pending === undefined;
    if (!pending) {
      pending = launch();
      if (share) this.joinable.set(key, pending);
    }
    for (;;) {
      const outcome = await pending.ready;
      if (typeof outcome === 'string') {
        if (this.joinable.get(key) === pending) this.joinable.delete(key);
        metrics.load.rejections.inc({ reason: outcome });
        const why = outcome === 'queue_full' ? 'too many scrapes are waiting for memory' : 'the memory budget for in-flight scrapes stayed full until the scrape deadline';
        return reply(503, `Service Unavailable: ${why}; retry later`, RETRY_AFTER_SECONDS);
      }
      if (own) return this.send(outcome.flight, outcome.owner, res);
      if (outcome.flight.answer.joinable) {
        metrics.load.sharedJoins.inc();
        return this.send(outcome.flight, outcome.flight.answer.attach(), res);
      }
      // It has started sending: too late to get the whole answer from it, so a fan-out of our own.
      pending = launch();
      own = true;
      if (share) this.joinable.set(key, pending);
    }
  }

  /** Admission, then a fan-out and its shared answer with the caller's reader attached. */
  private async launch(l: Launch): Promise<{ flight: Flight; owner: SharedReader } | AdmissionRefusal> {
    const admission = this.opts.admission;
    const ticket = await admission.admit(l.path, admission.estimate(l.path, l.podCount), l.deadline);
    if (typeof ticket === 'string') return ticket;
    const fanout = startFanout(l.fanout);
    const flight: Flight = { component: l.component, gzip: l.gzip, fanout, answer: undefined as unknown as SharedAnswer };
    flight.answer = new SharedAnswer(this.source(flight, (held) => ticket.observe(held)), () => fanout.abort());
    const owner = flight.answer.attach();
    this.running.add(flight);
    let readersGone!: () => void;
    const allLeft = new Promise<void>((resolve) => (readersGone = resolve));
    flight.answer.onIdle = readersGone;
    void fanout.done.then((summary) => {
      ticket.took(summary.parseSeconds);
      this.record(flight.component, summary);
    });
    void Promise.all([fanout.done, allLeft]).then(() => {
      this.running.delete(flight);
      const entry = this.joinable.get(l.key);
      if (entry && entry.flight === flight) this.joinable.delete(l.key);
      ticket.release();
    });
    return { flight, owner };
  }

  /** The answer's pieces as the shared answer reads them: raw, or gzipped as one member on every core. */
  private source(flight: Flight, observe: (held: number) => void): () => Promise<SharedPiece | undefined> {
    const fanout = flight.fanout;
    const held = () => fanout.heldBytes + (flight.gzip ? flight.answer.heldBytes : 0);
    if (!flight.gzip) {
      return async () => {
        const p = await fanout.next();
        observe(held());
        return p;
      };
    }
    async function* raw() {
      for (;;) {
        const p = await fanout.next();
        if (!p) return;
        yield p;
      }
    }
    const encoded = gzipInParallel(raw(), { level: this.opts.gzipLevel ?? 1, concurrency: GZIP_CONCURRENCY, groupBytes: 1 << 20 });
    const noop = () => undefined;
    return async () => {
      const r = await encoded.next();
      observe(held());
      return r.done ? undefined : { data: r.value, release: noop };
    };
  }

  private async send(flight: Flight, reader: SharedReader, res: Response): Promise<void> {
    const { metrics } = this.opts;
    const component = flight.component;
    let completed = false;
    res.once('close', () => reader.leave(completed));
    const start = await flight.fanout.started;
    if (start.kind === 'unavailable') {
      reader.leave(false);
      if (res.destroyed) return;
      metrics.load.rejections.inc({ reason: 'pods_not_started' });
      metrics.requests.inc({ component, code: '503' });
      res.setHeader('Retry-After', String(RETRY_AFTER_SECONDS));
      res.status(503).type('text/plain').send(`Service Unavailable: ${start.message}; retry later\n`);
      return;
    }
    if (res.destroyed) return reader.leave(false);
    res.status(200);
    res.setHeader('Content-Type', start.format === 'openmetrics' ? OPENMETRICS_CONTENT_TYPE : TEXT_CONTENT_TYPE);
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Vary', 'Accept, Accept-Encoding');
    if (flight.gzip) res.setHeader('Content-Encoding', 'gzip');
    metrics.requests.inc({ component, code: '200' });
    let out = 0;
    try {
      for (;;) {
        const piece = await reader.next();
        if (!piece) break;
        if (res.destroyed) {
          piece.written();
          break;
        }
        out += piece.data.byteLength;
        // Released only once the socket has taken the bytes: the block may be refilled right after.
        if (!res.write(piece.data, () => piece.written())) await drained(res);
      }
      // A cut-short answer must not look whole: end it only if it is, else break the connection.
      if (!res.destroyed) {
        if (flight.fanout.complete) {
          completed = true;
          res.end();
        } else res.destroy();
      }
    } finally {
      metrics.bytesOut.inc({ component }, out);
      reader.leave(completed);
    }
  }

  private record(component: string, r: FanoutSummary): void {
    const { metrics, logger } = this.opts;
    metrics.fanoutDuration.observe({ component }, r.durationSeconds);
    let dropped = 0;
    for (const p of r.pods) {
      if (p.failure?.reason === 'queued' || (p.failure?.reason === 'aborted' && p.failure.message.startsWith('scrape cancelled'))) continue;
      metrics.bytesIn.inc({ component }, p.wireBytes);
      metrics.podScrapes.inc({ component, result: p.ok ? 'success' : 'failure' });
      if (p.exposition) dropped += p.exposition.dropped;
      if (p.failure) {
        metrics.podScrapeErrors.inc({ component, reason: p.failure.reason });
        logger.info('pod scrape failed', { component, pod: p.pod.name, reason: p.failure.reason, error: p.failure.message });
      }
    }
    if (dropped > 0) metrics.samplesDropped.inc({ component, reason: 'relabel' }, dropped);
    for (const d of r.drops) {
      metrics.samplesDropped.inc({ component, reason: d.reason }, d.samples);
      logger.info('pod family not served', { component, pod: r.pods[d.pod]?.pod.name, family: d.family, reason: d.reason });
    }
  }
}

/** Resolves when the response can take more, or is gone. */
function drained(res: Response): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}
