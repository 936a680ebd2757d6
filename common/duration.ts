/**
 * Prometheus duration syntax (model.ParseDuration): units in descending order, each at most once,
 * e.g. `10s`, `1m30s`, `500ms`, `1h`, `0`. `y` is 365 days, `w` is 7 days.
 */
const DURATION_RE = /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/;

const UNIT_MS = [365 * 86_400_000, 7 * 86_400_000, 86_400_000, 3_600_000, 60_000, 1_000, 1];

/** Milliseconds of a Prometheus duration, or undefined if `text` is not one. */
export function parsePrometheusDurationMs(text: string): number | undefined {
  if (text === '0') return 0;
  if (text === '') return undefined;
  const m = DURATION_RE.exec(text);
  if (!m) return undefined;
  let ms = 0;
  for (let i = 0; i < UNIT_MS.length; i++) {
    const part = m[i + 1];
    if (part !== undefined) ms += Number(part) * UNIT_MS[i]!;
  }
  // Prometheus rejects values that overflow an int64 of nanoseconds; a safe integer of ms is our bound.
  return Number.isSafeInteger(ms) ? ms : undefined;
}
