/**
 * A bare HTTPS server (run as its own process by the fan-out benchmark) that answers every GET with a
 * given number of bytes in 1 MiB buffers: the floor for streaming an answer of that size over TLS.
 * Usage: node build/bench/bare-https.js CERT_FILE KEY_FILE BYTES HOST; prints the port when listening.
 */
import { readFileSync } from 'node:fs';
import https from 'node:https';
import { Readable } from 'node:stream';

const [certFile, keyFile, bytesArg, host] = process.argv.slice(2);
if (!certFile || !keyFile || !bytesArg || !host) throw new Error('usage: bare-https.js CERT_FILE KEY_FILE BYTES HOST');
const total = Number(bytesArg);
const block = Buffer.alloc(1 << 20, 'x');

function* body(): Generator<Buffer> {
  for (let left = total; left > 0; left -= block.length) yield left >= block.length ? block : block.subarray(0, left);
}

const server = https.createServer({ cert: readFileSync(certFile), key: readFileSync(keyFile) }, (_req, res) => {
  res.setHeader('Content-Type', 'text/plain; version=0.0.4; charset=utf-8');
  Readable.from(body(), { objectMode: false, highWaterMark: 1 << 20 }).pipe(res);
});
server.listen(0, host, () => {
  const addr = server.address();
  process.stdout.write(`${typeof addr === 'object' && addr ? addr.port : 0}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
