/**
 * JSON with keys sorted at every level and `<`, `>`, `&`, U+2028 and U+2029 escaped: byte for byte what Go's
 * encoding/json (and so Helm's `toJson`) writes for the same data. Hashes over it can be recomputed by a Helm
 * template, which is how the chart names the generator Job exactly as the plain manifests do.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value)).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      const x = (v as Record<string, unknown>)[k];
      if (x !== undefined) out[k] = sortKeys(x);
    }
    return out;
  }
  return v;
}
