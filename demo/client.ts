/** A minimal HTTPS scraper of the proxy, for the demo summary, tests and benchmarks. */
import https from 'node:https';
import zlib from 'node:zlib';

export interface ScrapeAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** Bytes on the wire (compressed when gzip). */
  wireBytes: number;
  seconds: number;
}

export function scrapeProxy(
  url: string,
  opts: { caPem: string; headers?: Record<string, string>; cert?: string; key?: string; agent?: https.Agent },
): Promise<ScrapeAnswer> {
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const req = https.get(url, { ca: opts.caPem, cert: opts.cert, key: opts.key, headers: opts.headers, agent: opts.agent ?? false }, (res) => {
      const chunks: Buffer[] = [];
      let wire = 0;
      res.on('data', (b: Buffer) => {
        wire += b.length;
        chunks.push(b);
      });
      res.on('error', reject);
      res.on('end', () => {
        let raw = Buffer.concat(chunks);
        if (res.headers['content-encoding'] === 'gzip') raw = zlib.gunzipSync(raw);
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: raw.toString('utf8'),
          wireBytes: wire,
          seconds: Number(process.hrtime.bigint() - started) / 1e9,
        });
      });
    });
    req.on('error', reject);
  });
}

export interface ExpositionSummary {
  series: number;
  families: number;
  podsUp: number;
  podsDown: number;
}

/** Count what a proxy answer holds: sample lines, families, and the `up` of each pod. */
export function summarizeExposition(body: string): ExpositionSummary {
  let series = 0;
  let families = 0;
  let podsUp = 0;
  let podsDown = 0;
  for (const line of body.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('# TYPE ')) families++;
    if (line.startsWith('#')) continue;
    series++;
    if (line.startsWith('up{')) {
      if (line.endsWith(' 1')) podsUp++;
      else podsDown++;
    }
  }
  return { series, families, podsUp, podsDown };
}
