/** Test helpers for the pki suite: an openssl runner over temp files and raw DER access. */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import forge from 'node-forge';

export const OPENSSL = '/usr/bin/openssl';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs openssl and resolves with its exit code instead of rejecting, so tests can assert failures. */
export function openssl(args: string[]): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    execFile(OPENSSL, args, { encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') return reject(err); // could not start openssl at all
      resolve({ code: err ? (err.code as number) : 0, stdout, stderr });
    });
  });
}

/** A private temp directory; call cleanup() in after(). */
export async function tempDir(): Promise<{ dir: string; write(name: string, content: string): Promise<string>; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'pki-test-'));
  return {
    dir,
    async write(name, content) {
      const p = join(dir, name);
      await writeFile(p, content, { mode: 0o600 });
      return p;
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

/** DER bytes of the TBSCertificate fields, parsed independently of the library under test. */
export function tbsFields(certPem: string): { serial: Buffer; issuer: Buffer; subject: Buffer } {
  const der = new X509Certificate(certPem).raw;
  const cert = forge.asn1.fromDer(der.toString('binary'));
  const tbs = (cert.value as forge.asn1.Asn1[])[0]!.value as forge.asn1.Asn1[];
  // tbs: [0] version, serialNumber, signature, issuer, validity, subject, ...
  const raw = (i: number): Buffer => Buffer.from(forge.asn1.toDer(tbs[i]!).getBytes(), 'binary');
  const serialNode = tbs[1]!;
  return { serial: Buffer.from(serialNode.value as string, 'binary'), issuer: raw(3), subject: raw(5) };
}

export const DAY_MS = 24 * 60 * 60 * 1000;
export const MINUTE_MS = 60 * 1000;
