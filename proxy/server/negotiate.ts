/** Content negotiation for scrape answers: OpenMetrics vs text 0.0.4, gzip or not. */

interface MediaRange {
  type: string;
  params: Map<string, string>;
  q: number;
}

function parseAccept(header: string): MediaRange[] {
  return header.split(',').flatMap((part) => {
    const [type, ...rest] = part.split(';').map((s) => s.trim());
    if (!type) return [];
    const params = new Map<string, string>();
    let q = 1;
    for (const p of rest) {
      const eq = p.indexOf('=');
      if (eq < 0) continue;
      const k = p.slice(0, eq).trim().toLowerCase();
      const v = p.slice(eq + 1).trim().replace(/^"|"$/g, '');
      if (k === 'q') q = Number.isFinite(Number(v)) ? Number(v) : 0;
      else params.set(k, v);
    }
    return [{ type: type.toLowerCase(), params, q }];
  });
}

/** True when the caller ranks OpenMetrics 1.0 at least as high as the text format. */
export function prefersOpenMetrics(accept: string | undefined): boolean {
  if (!accept) return false;
  let om = 0;
  let text = 0;
  for (const r of parseAccept(accept)) {
    const version = r.params.get('version');
    if (r.type === 'application/openmetrics-text' && (version === undefined || version.startsWith('1.'))) om = Math.max(om, r.q);
    else if (r.type === 'text/plain' || r.type === 'text/*' || r.type === '*/*') text = Math.max(text, r.q);
  }
  return om > 0 && om >= text;
}

export function acceptsGzip(acceptEncoding: string | undefined): boolean {
  if (!acceptEncoding) return false;
  return acceptEncoding.split(',').some((part) => {
    const [coding, ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    if (coding !== 'gzip' && coding !== 'x-gzip' && coding !== '*') return false;
    const q = params.find((p) => p.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  });
}
