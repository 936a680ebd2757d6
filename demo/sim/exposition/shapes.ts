/**
 * Plausible value shapes: latency histograms and summaries from a log-normal distribution, so bucket
 * counts rise smoothly to `+Inf` = `_count` and `_sum` is consistent with them.
 */
import { type Family, formatFloat } from './format.js';
import type { Prng } from './prng.js';

/** A log-normal latency/size distribution: half the observations fall below `median`. */
export interface Dist {
  median: number;
  /** Spread in natural-log units; 1 ≈ a factor e between median and the 84th percentile. */
  sigma: number;
}

/** Standard normal CDF (Abramowitz–Stegun 7.1.26 erf, |error| < 1.5e-7): plenty for bucket counts. */
export function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return z >= 0 ? 0.5 * (1 + y) : 0.5 * (1 - y);
}

function quantileOf(dist: Dist, q: number): number {
  // Inverse by bisection on the CDF; only used for a handful of summary quantiles.
  if (q <= 0) return dist.median * Math.exp(-4 * dist.sigma);
  if (q >= 1) return dist.median * Math.exp(4 * dist.sigma);
  let lo = -8;
  let hi = 8;
  for (let i = 0; i < 50; i++) {
    const mid = (lo + hi) / 2;
    if (normalCdf(mid) < q) lo = mid;
    else hi = mid;
  }
  return dist.median * Math.exp(dist.sigma * ((lo + hi) / 2));
}

/** Round to 12 significant digits so sums look like Go floats without being noisy. */
export function tidy(v: number): number {
  return Number(v.toPrecision(12));
}

const leCache = new WeakMap<readonly number[], string[]>();

function leStrings(bounds: readonly number[]): string[] {
  let s = leCache.get(bounds);
  if (!s) {
    s = bounds.map(formatFloat);
    leCache.set(bounds, s);
  }
  return s;
}

/**
 * Write `_bucket` (one per bound plus `+Inf`), `_sum` and `_count` for `count` observations.
 * `exemplar(i)` may return an OpenMetrics exemplar trailer for bucket i.
 */
export function writeHistogram(
  f: Family,
  labels: string,
  bounds: readonly number[],
  count: number,
  dist: Dist,
  rng: Prng,
  opts: { exemplar?: (bucket: number) => string; created?: number } = {},
): void {
  const les = leStrings(bounds);
  const lnMedian = Math.log(dist.median);
  let prev = 0;
  for (let i = 0; i < bounds.length; i++) {
    const z = (Math.log(bounds[i]!) - lnMedian) / dist.sigma;
    const c = Math.max(prev, Math.min(count, Math.round(count * normalCdf(z))));
    f.sampleWith('_bucket', labels, 'le', les[i]!, c, opts.exemplar?.(i) ?? '');
    prev = c;
  }
  f.sampleWith('_bucket', labels, 'le', '+Inf', count, opts.exemplar?.(bounds.length) ?? '');
  const mean = dist.median * Math.exp((dist.sigma * dist.sigma) / 2);
  f.sample('_sum', labels, count === 0 ? 0 : tidy(count * mean * (0.9 + 0.2 * rng.float())));
  f.sample('_count', labels, count);
  if (opts.created !== undefined) f.sample('_created', labels, opts.created);
}

/** Write a summary: one sample per quantile, then `_sum` and `_count`. */
export function writeSummary(f: Family, labels: string, quantiles: readonly number[], count: number, dist: Dist, rng: Prng): void {
  for (const q of quantiles) {
    f.sampleWith('', labels, 'quantile', formatFloat(q), count === 0 ? Number.NaN : tidy(quantileOf(dist, q)));
  }
  const mean = dist.median * Math.exp((dist.sigma * dist.sigma) / 2);
  f.sample('_sum', labels, tidy(count * mean * (0.9 + 0.2 * rng.float())));
  f.sample('_count', labels, count);
}

/**
 * `n` bucket bounds start, start*factor, ... computed exactly as prometheus.ExponentialBuckets does
 * (repeated multiplication), so the float artefacts match real output (`le="9.999999999999999e-06"`).
 */
export function exponentialBuckets(start: number, factor: number, n: number): number[] {
  const out: number[] = [];
  for (let i = 0, b = start; i < n; i++, b *= factor) out.push(b);
  return out;
}

/** A positive count around `typical`, heavy-tailed like real request counters. */
export function countAround(rng: Prng, typical: number): number {
  return Math.max(0, Math.round(typical * Math.exp((rng.float() - 0.5) * 2.4)));
}
