/**
 * Scrape every pod of one component endpoint in parallel and stream the merged answer while the pods
 * are still being read (exposition/stream-merge.ts decides when a family can go out). A pod that fails
 * costs only its own samples: it still gets its `up 0` and `scrape_duration_seconds`, which close
 * the answer.
 *
 * Output blocks: pods' rendered samples live in blocks filled by the scrape workers. Each piece handed
 * out carries a `release`; once every chunk of a block has been released (written or dropped), the
 * block goes back to the worker that filled it. So a scrape holds only what its consumer has not
 * written yet, plus the lag between its pods (`heldBytes`).
 */
import type { EndpointConfig } from '../config/types.js';
import type { MergeDrop } from '../exposition/merge.js';
import type { Shipment } from '../exposition/parser.js';
import { StreamingMerge } from '../exposition/stream-merge.js';
import { makeTargetLabels } from '../exposition/target.js';
import type { ExpositionFormat } from '../exposition/types.js';
import { ReadGate, type PodScrapeResult, type PodTarget } from './pod-scrape.js';
import { endpointTargets } from './targets.js';
import { failedResult, type PodScraper, type RuleSource } from './task.js';

export interface FanoutRequest {
  /** Pool identity, e.g. `kube-apiserver/0`. */
  poolId: string;
  endpoint: EndpointConfig;
  pods: readonly PodTarget[];
  /** The caller prefers OpenMetrics; it is served only when every pod answered in it. */
  acceptOpenMetrics: boolean;
  timeoutSeconds: number;
  maxBodyBytes: number;
  rules: RuleSource;
  scraper: PodScraper;
  /** Wall-clock ms by which every pod must have started (worker and connection free); else the answer is `unavailable`. */
  startBy?: number;
}

/** One piece of the answer; `release` once it has been written (or will not be). */
export interface AnswerPiece {
  data: Uint8Array;
  release(): void;
}

export type FanoutStart =
  | { kind: 'ok'; format: ExpositionFormat }
  /** The proxy could not start every pod in time (its own queue): answer 503, not `up 0`. */
  | { kind: 'unavailable'; message: string };

export interface FanoutSummary {
  pods: PodScrapeResult[];
  drops: MergeDrop[];
  durationSeconds: number;
  /** Thread time the pods' parsing took, summed over pods. */
  parseSeconds: number;
}

const ACCEPT_OPENMETRICS = 'application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';
const ACCEPT_TEXT = 'text/plain;version=0.0.4,*/*;q=0.1';
const NO_RELEASE = () => undefined;
/**
 * Held bytes above which pods the answer does not need right now stop being read, and below which
 * they go on (per pod, at least this much for the whole scrape): the lag a scrape may hold.
 */
const HOLD_HIGH_PER_POD = 4 * 1024 * 1024;
const HOLD_HIGH_MIN = 8 * 1024 * 1024;
const LIFETIME_SLACK_MS = 10_000;

/** Reference counts of the output blocks behind the pieces still out. */
class BlockLedger {
  private readonly refs = new Map<ArrayBuffer, number>();
  bytes = 0;

  constructor(
    private readonly recycle: (blocks: ArrayBuffer[]) => void,
    private readonly onDrop: () => void = () => undefined,
  ) {}

  add(s: Shipment): void {
    for (const b of s.blocks) {
      if (!this.refs.has(b)) this.bytes += b.byteLength;
      this.refs.set(b, this.refs.get(b) ?? 0);
    }
    for (const f of s.families) for (const c of f.chunks) this.hold(c.buffer as ArrayBuffer);
    // A block with no chunk left in it (cannot happen with parser output) must not be held forever.
    for (const b of s.blocks) if (this.refs.get(b) === 0) this.drop(b);
  }

  private hold(b: ArrayBuffer): void {
    const n = this.refs.get(b);
    if (n !== undefined) this.refs.set(b, n + 1);
  }

  release(chunk: Uint8Array): void {
    const b = chunk.buffer as ArrayBuffer;
    const n = this.refs.get(b);
    if (n === undefined) return; // not a pod block (a header, a converted line)
    if (n > 1) this.refs.set(b, n - 1);
    else this.drop(b);
  }

  private drop(b: ArrayBuffer): void {
    this.refs.delete(b);
    this.bytes -= b.byteLength;
    this.recycle([b]);
    this.onDrop();
  }

  /** Forget every block (abandoned answer): they are left to the GC, a deflate may still read one. */
  forget(): void {
    this.refs.clear();
    this.bytes = 0;
  }
}

export class Fanout {
  readonly started: Promise<FanoutStart>;
  readonly done: Promise<FanoutSummary>;
  private readonly ledger: BlockLedger;
  private readonly merge: StreamingMerge;
  private readonly out: AnswerPiece[] = [];
  private outHead = 0;
  /** Bytes written by the merge that the caller has not taken yet. */
  private outBytes = 0;
  private wake: (() => void) | undefined;
  private ended = false;
  private aborted = false;
  private readonly abortPods = new AbortController();
  private resolveStart!: (s: FanoutStart) => void;
  private startSettled = false;
  private readonly gates: ReadGate[];
  private readonly holdHigh: number;
  /** Ends an answer nobody reads to the end (cleared once the caller has taken the last piece). */
  private readonly lifetime: NodeJS.Timeout;

  constructor(req: FanoutRequest) {
    const begun = process.hrtime.bigint();
    this.started = new Promise((resolve) => (this.resolveStart = resolve));
    this.ledger = new BlockLedger(
      (blocks) => req.scraper.recycle(blocks),
      () => this.regulate(),
    );
    const e = req.endpoint;
    // Pods the endpoint's relabelings drop are not targets at all: no scrape, no `up`.
    const kept = endpointTargets(e, req.pods);
    this.gates = kept.map(() => new ReadGate());
    this.holdHigh = Math.max(HOLD_HIGH_MIN, kept.length * HOLD_HIGH_PER_POD);
    const targets = kept.map((t) => makeTargetLabels(t.pairs));
    this.merge = new StreamingMerge(kept.length, req.acceptOpenMetrics, {
      write: (piece) => this.push(piece),
      discard: (chunk) => this.ledger.release(chunk),
    });
    const timeoutMs = Math.max(1, Math.round(req.timeoutSeconds * 1000));
    // Pods held back by a caller that never reads would keep this scrape (and its reservation) forever;
    // long after the caller's own timeout nobody waits for the answer any more.
    this.lifetime = setTimeout(() => this.abort(), 2 * timeoutMs + LIFETIME_SLACK_MS);
    this.lifetime.unref();
    const results = kept.map(({ pod, pairs, scrape, invalid }, i): Promise<PodScrapeResult> => {
      if (invalid !== undefined) return Promise.resolve(failedResult(pod, 'config', invalid));
      // The scrape goes where the relabelings left __address__ (the pod's IP and port unless a rule moved
      // it); the pod's labels stay here, the worker needs none of them.
      return req.scraper
        .scrape(
          {
            pod: { name: pod.name, ip: scrape.host },
            // Pools are per scheme: a target moved to the other scheme gets its own.
            poolId: scrape.scheme === e.metricsScheme ? req.poolId : `${req.poolId}/${scrape.scheme}`,
            upstream: {
              metricsScheme: scrape.scheme,
              caFile: e.caFile,
              certFile: e.certFile,
              keyFile: e.keyFile,
              tlsServerName: e.tlsServerName,
              insecureSkipVerify: e.insecureSkipVerify,
            },
            port: scrape.port,
            path: scrape.path,
            timeoutMs,
            timeoutHeaderSeconds: req.timeoutSeconds,
            maxBodyBytes: req.maxBodyBytes,
            accept: req.acceptOpenMetrics ? ACCEPT_OPENMETRICS : ACCEPT_TEXT,
            target: pairs,
            rules: req.rules,
            startBy: req.startBy,
          },
          {
            head: (format) => {
              if (!this.aborted) this.merge.head(i, format);
              this.checkStart();
            },
            ship: (s) => {
              this.ledger.add(s);
              this.merge.ship(i, s);
              this.checkStart();
              this.regulate();
            },
          },
          this.abortPods.signal,
          this.gates[i],
        )
        .then((r) => {
          const result = { ...r, pod };
          if (result.failure?.reason === 'queued') this.unavailable(result.failure.message);
          else if (result.ok) this.merge.finish(i);
          else this.merge.fail(i);
          this.checkStart();
          this.regulate();
          return result;
        });
    });
    this.checkStart();
    this.done = Promise.all(results).then((pods) => {
      if (!this.aborted) this.close(pods, targets);
      const parseSeconds = pods.reduce((n, p) => n + (p.parseSeconds ?? 0), 0);
      return { pods, drops: this.merge.drops, durationSeconds: Number(process.hrtime.bigint() - begun) / 1e9, parseSeconds };
    });
  }

  /** The whole answer was produced (not cut short by `abort`). */
  get complete(): boolean {
    return this.ended && !this.aborted;
  }

  /** Bytes of output blocks this answer holds now. */
  get heldBytes(): number {
    return this.ledger.bytes;
  }

  /** The next piece of the answer, or undefined at its end (or after `abort`). */
  async next(): Promise<AnswerPiece | undefined> {
    for (;;) {
      if (this.outHead < this.out.length) {
        const piece = this.out[this.outHead]!;
        this.out[this.outHead++] = undefined as unknown as AnswerPiece;
        this.outBytes -= piece.data.byteLength;
        if (this.outHead > 1024 && this.outHead * 2 > this.out.length) {
          this.out.splice(0, this.outHead);
          this.outHead = 0;
        }
        return piece;
      }
      if (this.ended || this.aborted) {
        clearTimeout(this.lifetime);
        return undefined;
      }
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  /** Give up: stop the pods, drop everything held. Pieces already handed out may still be released. */
  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    this.abortPods.abort();
    this.merge.abort();
    for (let i = this.outHead; i < this.out.length; i++) this.out[i]!.release();
    this.out.length = 0;
    this.outHead = 0;
    this.ledger.forget();
    this.settleStart({ kind: 'unavailable', message: 'scrape abandoned' });
    this.wakeUp();
  }

  /**
   * Bounded memory: above the high mark, pods stop being read (their timeout is suspended meanwhile,
   * see ReadGate): all of them when the caller is what lags, else those the merge does not need right
   * now (a pod it needs is never held back, so the answer always progresses). Below half the mark,
   * everyone reads again.
   */
  private regulate(): void {
    if (this.aborted) return;
    const held = this.ledger.bytes;
    const callerLags = this.outBytes > this.holdHigh / 4;
    this.gates.forEach((gate, i) => {
      if (gate.paused) {
        if (held < this.holdHigh / 2 || (!callerLags && this.merge.needs(i))) gate.set(false);
      } else if (held > this.holdHigh && (callerLags || !this.merge.needs(i))) {
        gate.set(true);
      }
    });
  }

  private unavailable(message: string): void {
    this.settleStart({ kind: 'unavailable', message });
    this.abort();
  }

  private checkStart(): void {
    const format = this.merge.format;
    if (format && !this.aborted) this.settleStart({ kind: 'ok', format });
  }

  private settleStart(s: FanoutStart): void {
    if (this.startSettled) return;
    this.startSettled = true;
    this.resolveStart(s);
  }

  private push(piece: string | Uint8Array): void {
    const p: AnswerPiece = typeof piece === 'string' ? { data: Buffer.from(piece), release: NO_RELEASE } : { data: piece, release: () => this.ledger.release(piece) };
    this.out.push(p);
    this.outBytes += p.data.byteLength;
    this.wakeUp();
  }

  private wakeUp(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  /** Every pod is done: `up` and `scrape_duration_seconds` for each close the answer. */
  private close(pods: PodScrapeResult[], targets: ReturnType<typeof makeTargetLabels>[]): void {
    if (pods.length > 0) {
      let up = '# HELP up Whether the proxy scraped the pod successfully (1) or not (0).\n# TYPE up gauge\n';
      let duration = '# HELP scrape_duration_seconds Time the proxy took to scrape the pod, in seconds.\n# TYPE scrape_duration_seconds gauge\n';
      pods.forEach((r, i) => {
        const labels = '{' + targets[i]!.rendered + '} ';
        up += 'up' + labels + (r.ok ? '1' : '0') + '\n';
        duration += 'scrape_duration_seconds' + labels + r.durationSeconds.toFixed(6) + '\n';
      });
      this.push(up);
      this.push(duration);
    }
    if (this.merge.format === 'openmetrics') this.push('# EOF\n');
    this.ended = true;
    this.wakeUp();
  }
}

/** Start scraping; read the answer with `next()` once `started` says ok. */
export function startFanout(req: FanoutRequest): Fanout {
  return new Fanout(req);
}
