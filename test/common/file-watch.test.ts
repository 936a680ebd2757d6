import { expect } from 'chai';
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileWatchHandleCounts, watchFiles, type FileWatcher, type WatchFilesOptions } from '../../common/file-watch.js';

/** Resolves once `cond` holds; fails only after a generous timeout (never asserts how fast). */
async function waitFor(cond: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Builds kubelet's AtomicWriter layout: `..<ts>/<file>`, `..data -> ..<ts>`, `<file> -> ..data/<file>`. */
class KubeVolume {
  private n = 0;
  private current = '';
  constructor(
    readonly dir: string,
    readonly file: string,
  ) {}

  get path(): string {
    return join(this.dir, this.file);
  }

  init(content: string): void {
    this.current = this.writeTimestampDir(content);
    symlinkSync(this.current, join(this.dir, '..data'));
    symlinkSync(join('..data', this.file), this.path);
  }

  /** What kubelet does on a ConfigMap/Secret update: new dir, `..data_tmp` symlink renamed over `..data`, old dir removed. */
  swap(content: string): void {
    const old = this.current;
    this.current = this.writeTimestampDir(content);
    symlinkSync(this.current, join(this.dir, '..data_tmp'));
    renameSync(join(this.dir, '..data_tmp'), join(this.dir, '..data'));
    rmSync(join(this.dir, old), { recursive: true, force: true });
  }

  private writeTimestampDir(content: string): string {
    const name = `..2026_01_01_00_00_00.00000000${++this.n}`;
    mkdirSync(join(this.dir, name));
    writeFileSync(join(this.dir, name, this.file), content);
    return name;
  }
}

describe('common/file-watch', () => {
  let dir: string;
  let watchers: FileWatcher[];
  const fast = { pollIntervalMs: 50, debounceMs: 20 };
  /** Polling effectively off: only directory events can trigger a check. */
  const eventsOnly = { pollIntervalMs: 3_600_000, debounceMs: 20 };
  /** No directory events: only the poller can notice. */
  const pollOnly = { pollIntervalMs: 50, debounceMs: 20, fsEvents: false };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'file-watch-'));
    watchers = [];
  });

  afterEach(() => {
    for (const w of watchers) w.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function watch(paths: string[], opts: WatchFilesOptions = fast, onError?: (e: unknown) => void): { count: () => number } {
    let n = 0;
    watchers.push(watchFiles(paths, () => void n++, { ...opts, onError }));
    return { count: () => n };
  }

  const modes: Array<[string, WatchFilesOptions]> = [
    ['from directory events alone', eventsOnly],
    ['by polling alone', pollOnly],
    ['with both', fast],
  ];
  for (const [label, opts] of modes) {
    describe(label, () => {
      it('detects a plain in-place rewrite', async () => {
        const f = join(dir, 'config.yaml');
        writeFileSync(f, 'a: 1\n');
        const w = watch([f], opts);
        writeFileSync(f, 'a: 2\n');
        await waitFor(() => w.count() >= 1, 'change callback');
      });

      it('detects an atomic rename over the file', async () => {
        const f = join(dir, 'tls.crt');
        writeFileSync(f, 'old');
        const w = watch([f], opts);
        writeFileSync(join(dir, '.tls.crt.tmp'), 'new');
        renameSync(join(dir, '.tls.crt.tmp'), f);
        await waitFor(() => w.count() >= 1, 'change callback after rename');
      });

      it('follows repeated Kubernetes ..data symlink swaps', async () => {
        const vol = new KubeVolume(dir, 'config.yaml');
        vol.init('v1');
        const w = watch([vol.path], opts);
        vol.swap('v2');
        await waitFor(() => w.count() >= 1, 'first swap');
        // The second swap proves the watch did not go stale on the first one.
        const seen = w.count();
        vol.swap('v3');
        await waitFor(() => w.count() > seen, 'second swap');
      });
    });
  }

  it('watches several files and reports a change in any of them', async () => {
    const cert = join(dir, 'tls.crt');
    const key = join(dir, 'tls.key');
    writeFileSync(cert, 'c1');
    writeFileSync(key, 'k1');
    const w = watch([cert, key]);
    writeFileSync(key, 'k2');
    await waitFor(() => w.count() >= 1, 'key change');
  });

  it('reports a file that is deleted and one that appears later (directory created after the watch)', async () => {
    const f = join(dir, 'gone');
    writeFileSync(f, 'x');
    const later = join(dir, 'sub', 'later');
    const w = watch([f, later]);
    rmSync(f);
    await waitFor(() => w.count() >= 1, 'deletion');
    const seen = w.count();
    mkdirSync(join(dir, 'sub'));
    writeFileSync(later, 'y');
    await waitFor(() => w.count() > seen, 'appearance');
  });

  it('does not report a touch that leaves the content unchanged', async () => {
    const f = join(dir, 'ca.crt');
    writeFileSync(f, 'same');
    const w = watch([f]);
    utimesSync(f, new Date(2030, 0, 1), new Date(2030, 0, 1));
    writeFileSync(f, 'same');
    // Give the poller a few chances; on a slow machine this is merely a weaker check, never a false failure.
    await sleep(300);
    expect(w.count()).to.equal(0);
  });

  it('survives a callback that throws or rejects and keeps reporting', async () => {
    const f = join(dir, 'token');
    writeFileSync(f, 't0');
    const errors: unknown[] = [];
    let calls = 0;
    watchers.push(
      watchFiles(
        [f],
        () => {
          calls++;
          if (calls === 1) throw new Error('sync boom');
          if (calls === 2) return Promise.reject(new Error('async boom')) as unknown as void;
        },
        { ...fast, onError: (e) => errors.push(e) },
      ),
    );
    writeFileSync(f, 't1');
    await waitFor(() => calls >= 1, 'first call');
    writeFileSync(f, 't2');
    await waitFor(() => calls >= 2 && errors.length >= 2, 'second call and both errors');
    writeFileSync(f, 't3');
    await waitFor(() => calls >= 3, 'third call');
    expect(errors.map((e) => (e as Error).message)).to.deep.equal(['sync boom', 'async boom']);
  });

  it('close() releases every watcher and timer and stops callbacks', async () => {
    const before = fileWatchHandleCounts();
    const activeBefore = process.getActiveResourcesInfo().filter((r) => r === 'FSEvent').length;
    const vol = new KubeVolume(dir, 'config.yaml');
    vol.init('v1');
    const plain = join(dir, 'plain');
    writeFileSync(plain, 'p');
    let n = 0;
    const w = watchFiles([vol.path, plain], () => void n++, fast);
    const open = fileWatchHandleCounts();
    expect(open.watchers).to.be.greaterThan(before.watchers);
    expect(open.timers).to.be.greaterThan(before.timers);
    // Leave a debounce timer pending at close time.
    writeFileSync(plain, 'q');
    w.close();
    w.close(); // idempotent
    expect(fileWatchHandleCounts()).to.deep.equal(before);
    expect(process.getActiveResourcesInfo().filter((r) => r === 'FSEvent').length).to.equal(activeBefore);
    vol.swap('v2');
    writeFileSync(plain, 'r');
    await sleep(200);
    expect(n).to.equal(0);
  });

  it('a watcher of no files holds nothing', () => {
    const before = fileWatchHandleCounts();
    const w = watchFiles([], () => undefined);
    expect(fileWatchHandleCounts()).to.deep.equal(before);
    w.close();
  });
});
