/** The upstream address: HOST:PORT parsing (IPv6 in brackets), the one-line file, and its reload. */
import { expect } from 'chai';
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memoryLogger } from '../../common/log.js';
import { formatUpstream, parseUpstream, parseUpstreamFile, watchUpstreamFile, type UpstreamSource } from '../../forwarder/upstream.js';
import { waitFor } from './helpers.js';

describe('forwarder: upstream', () => {
  describe('parseUpstream', () => {
    it('reads DNS names, IPv4 and bracketed IPv6', () => {
      expect(parseUpstream('metrics-proxy-clusters-a.apps.mgmt.example.com:443')).to.deep.equal({ host: 'metrics-proxy-clusters-a.apps.mgmt.example.com', port: 443 });
      expect(parseUpstream(' 10.0.0.7:8443 ')).to.deep.equal({ host: '10.0.0.7', port: 8443 });
      expect(parseUpstream('[::1]:443')).to.deep.equal({ host: '::1', port: 443 });
      expect(parseUpstream('[2001:db8::7]:9443')).to.deep.equal({ host: '2001:db8::7', port: 9443 });
      expect(parseUpstream('localhost:1')).to.deep.equal({ host: 'localhost', port: 1 });
    });

    it('formats back with brackets around IPv6 only', () => {
      expect(formatUpstream({ host: '::1', port: 443 })).to.equal('[::1]:443');
      expect(formatUpstream({ host: 'a.example.com', port: 443 })).to.equal('a.example.com:443');
    });

    it('says what is wrong', () => {
      const err = (v: string) => {
        try {
          parseUpstream(v);
        } catch (e) {
          return (e as Error).message;
        }
        return expect.fail(`accepted ${v}`);
      };
      expect(err('example.com')).to.match(/invalid upstream "example.com": expected HOST:PORT/);
      expect(err('::1:443')).to.match(/IPv6 address needs brackets/);
      expect(err('[example.com]:443')).to.match(/in brackets is not an IPv6 address/);
      expect(err(':443')).to.match(/the host is empty/);
      expect(err('example.com:https')).to.match(/the port "https" is not a number/);
      expect(err('example.com:0')).to.match(/outside 1-65535/);
      expect(err('example.com:70000')).to.match(/outside 1-65535/);
      expect(err('exa mple.com:443')).to.match(/neither an IP address nor a DNS name/);
      expect(err('-bad-.example.com:443')).to.match(/neither an IP address nor a DNS name/);
    });
  });

  describe('parseUpstreamFile', () => {
    it('takes the one line, ignoring blank lines and comments', () => {
      expect(parseUpstreamFile('# written by the HyperShift operator\n\n  proxy.apps.example.com:443  # the Route\n\n')).to.deep.equal({ host: 'proxy.apps.example.com', port: 443 });
      expect(parseUpstreamFile('[::1]:443\r\n')).to.deep.equal({ host: '::1', port: 443 });
    });

    it('rejects no line and several lines', () => {
      expect(() => parseUpstreamFile('# nothing\n\n')).to.throw(/no HOST:PORT line/);
      expect(() => parseUpstreamFile('a.example.com:443\nb.example.com:443\n')).to.throw(/expected one HOST:PORT line, found 2/);
    });
  });

  describe('watchUpstreamFile', () => {
    let dir: string;
    let source: UpstreamSource | undefined;
    beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'fw-upstream-'))));
    afterEach(() => {
      source?.close();
      source = undefined;
      rmSync(dir, { recursive: true, force: true });
    });
    const watch = { pollIntervalMs: 20, debounceMs: 5 };

    it('follows the file and keeps the last good address when it turns bad', async () => {
      const file = join(dir, 'upstream');
      writeFileSync(file, 'a.example.com:443\n');
      const logger = memoryLogger();
      const reloads: string[] = [];
      source = watchUpstreamFile({ path: file, logger, watch, onReload: (r) => reloads.push(r) });
      expect(source.current()).to.deep.equal({ host: 'a.example.com', port: 443 });

      writeFileSync(file, 'b.example.com:8443\n');
      await waitFor(() => source!.current().host === 'b.example.com', 'the new upstream');
      expect(source.current().port).to.equal(8443);

      writeFileSync(file, 'b.example.com:443\nc.example.com:443\n');
      await waitFor(() => reloads.includes('error'), 'the rejected reload');
      expect(source.current()).to.deep.equal({ host: 'b.example.com', port: 8443 });
      const warning = logger.lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((r) => r.msg === 'upstream file rejected; keeping the last good upstream');
      expect(warning).to.include({ file, upstream: 'b.example.com:8443' });
      expect(warning!.error).to.match(/expected one HOST:PORT line, found 2/);

      rmSync(file);
      await waitFor(() => reloads.filter((r) => r === 'error').length === 2, 'the missing file rejected');
      expect(source.current().host).to.equal('b.example.com');

      writeFileSync(file, '[::1]:443\n');
      await waitFor(() => source!.current().host === '::1', 'recovery after the bad file');
    });

    it('follows a ConfigMap volume update (kubelet swaps the ..data symlink)', async () => {
      // kubelet's layout: ..<ts>/upstream, ..data -> ..<ts>, upstream -> ..data/upstream.
      const version = (n: number, content: string) => {
        const name = `..2026_01_01_00_00_0${n}.000000001`;
        mkdirSync(join(dir, name));
        writeFileSync(join(dir, name, 'upstream'), content);
        return name;
      };
      symlinkSync(version(1, 'a.example.com:443\n'), join(dir, '..data'));
      symlinkSync(join('..data', 'upstream'), join(dir, 'upstream'));
      source = watchUpstreamFile({ path: join(dir, 'upstream'), logger: memoryLogger(), watch });
      expect(source.current().host).to.equal('a.example.com');
      symlinkSync(version(2, 'b.example.com:443\n'), join(dir, '..data_tmp'));
      renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
      rmSync(join(dir, '..2026_01_01_00_00_01.000000001'), { recursive: true });
      await waitFor(() => source!.current().host === 'b.example.com', 'the swapped upstream');
    });

    it('refuses to start on a bad file without a fallback, and uses the fallback with one', () => {
      const file = join(dir, 'upstream');
      writeFileSync(file, 'not an address\n');
      expect(() => watchUpstreamFile({ path: file, logger: memoryLogger(), watch })).to.throw(new RegExp(`${file}: invalid upstream "not an address"`));
      expect(() => watchUpstreamFile({ path: join(dir, 'missing'), logger: memoryLogger(), watch })).to.throw(/cannot read .*missing: ENOENT/);
      source = watchUpstreamFile({ path: file, fallback: { host: 'fallback.example.com', port: 443 }, logger: memoryLogger(), watch });
      expect(source.current().host).to.equal('fallback.example.com');
    });
  });
});
