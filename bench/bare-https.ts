/**
 * A bare HTTPS server (run as its own process by the fan-out benchmark) that answers every GET with
 * the bytes of a file, in 1 MiB buffers, gzipped with the proxy's own parallel gzip when the client
 * accepts it: the floor for sending that answer over TLS, with nothing to fetch, parse or merge.
 * Usage: node build/bench/bare-https.js CERT_FILE KEY_FILE BODY_FILE HOST; prints the port when listening.
 */
import { readFileSync } from 'node:fs';
import https from 'node:https';
import { Readable } from 'node:stream';
import { gzipInParallel } from '../proxy/server/parallel-gzip.js';

const [certFile, keyFile, bodyFile, host] = process.argv.slice(2);
if (!certFile || !keyFile || !bodyFile || !host) throw new Error('usage: bare-https.js CERT_FILE KEY_FILE BODY_FILE HOST');
const content = readFileSync(bodyFile);
const BLOCK = 1 << 20;

function* body(): Generator<Buffer> {
  for (let at = 0; at < content.length; at += BLOCK) yield content.subarray(at, Math.min(content.length, at + BLOCK));
}

const server = https.createServer({ cert: readFileSync(certFile), key: readFileSync(keyFile) }, (req, res) => {
  res.setHeader('Content-Type', 'text/plain; version=0.0.4; charset=utf-8');
  const gzip = /\bgzip\b/.test(req.headers['accept-encoding'] ?? '');
  if (gzip) res.setHeader('Content-Encoding', 'gzip');
  // The same settings as the proxy's answers (scrape-handler.ts).
  const source = gzip ? gzipInParallel(body(), { level: 1, concurrency: Math.min(8, Math.max(2, Number(process.env.UV_THREADPOOL_SIZE) || 4)), groupBytes: 1 << 20 }) : body();
  Readable.from(source, { objectMode: false, highWaterMark: 1 << 20 }).pipe(res);
});
server.listen(0, host, () => {
  const addr = server.address();
  process.stdout.write(`${typeof addr === 'object' && addr ? addr.port : 0}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
