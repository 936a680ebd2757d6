/**
 * Scrape every pod of one component endpoint in parallel and merge the answers into one exposition.
 * A pod that fails costs only its own samples: it still gets its `up 0` and `scrape_duration_seconds`.
 */
import type { EndpointConfig } from '../config/types.js';
import { chunkBlocks } from '../exposition/block-pool.js';
import { openMetricsToText } from '../exposition/convert.js';
import { mergePods, type MergeDrop, type MergedFamily } from '../exposition/merge.js';
import { makeTargetLabels } from '../exposition/target.js';
import type { ExpositionFormat, PodExposition } from '../exposition/types.js';
import type { PodScrapeResult, PodTarget } from './pod-scrape.js';
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
}

export interface FanoutResult {
  format: ExpositionFormat;
  families: MergedFamily[];
  pods: PodScrapeResult[];
  drops: MergeDrop[];
  durationSeconds: number;
}

const ACCEPT_OPENMETRICS = 'application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';
const ACCEPT_TEXT = 'text/plain;version=0.0.4,*/*;q=0.1';

function syntheticFamily(name: string, help: string, lines: string[]): MergedFamily {
  return { name, type: 'gauge', typed: true, help, unit: undefined, chunks: [Buffer.from(lines.join(''))], samples: lines.length };
}

export async function fanOut(req: FanoutRequest): Promise<FanoutResult> {
  const started = process.hrtime.bigint();
  const e = req.endpoint;
  // Pods the endpoint's relabelings drop are not targets at all: no scrape, no `up`.
  const kept = endpointTargets(e, req.pods);
  const targets = kept.map((t) => makeTargetLabels(t.pairs));
  const timeoutMs = Math.max(1, Math.round(req.timeoutSeconds * 1000));
  const results = await Promise.all(
    kept.map(({ pod, pairs, scrape, invalid }) => {
      if (invalid !== undefined) return Promise.resolve(failedResult(pod, 'config', invalid));
      // The scrape goes where the relabelings left __address__ (the pod's IP and port unless a rule moved
      // it); the pod's labels stay here, the worker needs none of them.
      return req.scraper.scrape({
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
      }).then((r) => ({ ...r, pod }));
    }),
  );

  const answered = results.filter((r) => r.ok).map((r) => r.exposition!);
  const format: ExpositionFormat = req.acceptOpenMetrics && answered.length > 0 && answered.every((p) => p.format === 'openmetrics') ? 'openmetrics' : 'text';
  const parts: PodExposition[] = format === 'text' ? answered.map(openMetricsToText) : answered;
  const drops: MergeDrop[] = [];
  const families = mergePods(parts, drops);
  // Report drops against the pod's index in `results`, not in `answered`.
  const okIndexes = results.flatMap((r, i) => (r.ok ? [i] : []));
  for (const d of drops) d.pod = okIndexes[d.pod]!;

  const up: string[] = [];
  const duration: string[] = [];
  results.forEach((r, i) => {
    const labels = '{' + targets[i]!.rendered + '} ';
    up.push('up' + labels + (r.ok ? '1' : '0') + '\n');
    duration.push('scrape_duration_seconds' + labels + r.durationSeconds.toFixed(6) + '\n');
  });
  if (results.length > 0) {
    families.push(syntheticFamily('up', 'Whether the proxy scraped the pod successfully (1) or not (0).', up));
    families.push(syntheticFamily('scrape_duration_seconds', 'Time the proxy took to scrape the pod, in seconds.', duration));
  }
  return { format, families, pods: results, drops, durationSeconds: Number(process.hrtime.bigint() - started) / 1e9 };
}

/** The output blocks behind a fan-out's pod samples, each once: what PodScraper.recycle takes back. */
export function fanoutBlocks(r: FanoutResult): ArrayBuffer[] {
  return chunkBlocks(r.pods.flatMap((p) => p.exposition?.families ?? []));
}
