/** Timing and formatting helpers shared by the benchmarks. MB means 10^6 bytes throughout. */

export function median(xs: readonly number[]): number {
  if (xs.length === 0) throw new Error('median of nothing');
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Milliseconds since `t0` (a `process.hrtime.bigint()` reading). */
export function msSince(t0: bigint): number {
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

export function mbPerSec(bytes: number, ms: number): number {
  return bytes / 1e3 / ms;
}

export const fmt = {
  mbps: (v: number): string => `${v.toFixed(v < 10 ? 1 : 0)} MB/s`,
  mb: (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`,
  ms: (v: number): string => `${v.toFixed(0)} ms`,
  ratio: (v: number): string => `${v.toFixed(v < 0.1 ? 3 : 2)}×`,
  perSec: (v: number): string => (v >= 1e6 ? `${(v / 1e6).toFixed(2)} M/s` : `${(v / 1e3).toFixed(0)} k/s`),
  list: (xs: readonly number[]): string => xs.map((x) => x.toFixed(0)).join(', '),
};

/** Let pending I/O and timers run, so one measurement does not start inside the previous one's tail. */
export function settle(ms = 50): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
