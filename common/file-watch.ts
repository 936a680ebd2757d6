/**
 * Watches files that Kubernetes mounts from ConfigMaps and Secrets (config, served TLS cert/key, CA bundles,
 * credential files) and calls back when their content changes.
 *
 * Kubelet updates such volumes by writing a new `..<timestamp>` directory and atomically renaming a
 * `..data` symlink over the old one; the mounted file is `file -> ..data/file`. fs.watch on the file
 * itself follows the old inode and goes silent after the first swap, so we watch the *directories* along
 * the symlink chain (re-resolved after every check) and also poll, comparing a content hash (or, for
 * large files, device/inode/size/mtime). Bursts of events are coalesced into one check.
 *
 * Checks use synchronous fs calls on purpose: the files are few and small (hashing is capped), and a
 * synchronous check cannot interleave with close() or with itself, and the baseline is taken before
 * watchFiles returns, so a change right after the caller's first read is never missed.
 */
import { createHash } from 'node:crypto';
import { lstatSync, readFileSync, readlinkSync, realpathSync, statSync, watch, type FSWatcher } from 'node:fs';
import { dirname, resolve } from 'node:path';

export interface WatchFilesOptions {
  /** Poll period, the backstop for missed or unsupported fs events. Default 2000. */
  pollIntervalMs?: number;
  /** Delay between the first event of a burst and the check. Default 200. */
  debounceMs?: number;
  /** Use directory events (inotify) besides polling. Default true; false suits filesystems without them. */
  fsEvents?: boolean;
  /** Receives errors thrown (or promises rejected) by onChange; they are swallowed otherwise. */
  onError?: (err: unknown) => void;
}

export interface FileWatcher {
  close(): void;
}

/** Files up to this size are compared by content; larger ones by stat fields. */
const HASH_LIMIT_BYTES = 1024 * 1024;
/** Bound on symlink hops we follow to find directories to watch (loops end here too). */
const MAX_LINK_HOPS = 16;

/** Live handles across all watchers, so tests and metrics can prove close() releases everything. */
const live = { watchers: 0, timers: 0 };

export function fileWatchHandleCounts(): { watchers: number; timers: number } {
  return { ...live };
}

/** Content identity of one path: a hash when cheap, else stat fields; errors (e.g. ENOENT) are states too. */
function fingerprint(path: string): string {
  try {
    const st = statSync(path); // follows the symlink chain to the current target
    if (st.isFile() && st.size <= HASH_LIMIT_BYTES) {
      try {
        return 'sha256:' + createHash('sha256').update(readFileSync(path)).digest('hex');
      } catch {
        // Raced with a swap or unreadable: fall back to stat fields; the next check settles it.
      }
    }
    return `stat:${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
  } catch (err) {
    return `error:${(err as NodeJS.ErrnoException).code ?? 'unknown'}`;
  }
}

/** Real paths of the directories holding `path` and every symlink hop on the way to its target. */
function directoriesOf(path: string): string[] {
  const dirs: string[] = [];
  const add = (dir: string): void => {
    try {
      dirs.push(realpathSync(dir));
    } catch {
      // Not there (yet): polling covers it, and the next check tries again.
    }
  };
  add(dirname(path));
  let cur = path;
  for (let i = 0; i < MAX_LINK_HOPS; i++) {
    let target: string;
    try {
      if (!lstatSync(cur).isSymbolicLink()) break;
      target = readlinkSync(cur);
    } catch {
      break;
    }
    cur = resolve(dirname(cur), target);
    add(dirname(cur));
  }
  return dirs;
}

export function watchFiles(paths: string[], onChange: () => void, opts: WatchFilesOptions = {}): FileWatcher {
  const pollIntervalMs = opts.pollIntervalMs ?? 2000;
  const debounceMs = opts.debounceMs ?? 200;
  const files = [...new Set(paths.map((p) => resolve(p)))];
  const last = new Map<string, string>(files.map((f) => [f, fingerprint(f)]));
  const dirWatchers = new Map<string, FSWatcher>();
  let debounce: NodeJS.Timeout | undefined;
  let poll: NodeJS.Timeout | undefined;
  let closed = false;

  const report = (err: unknown): void => {
    try {
      opts.onError?.(err);
    } catch {
      // An error handler that throws must not break the watcher either.
    }
  };

  const notify = (): void => {
    try {
      const result: unknown = onChange();
      if (result instanceof Promise) result.catch(report);
    } catch (err) {
      report(err);
    }
  };

  const closeDirWatcher = (dir: string): void => {
    const w = dirWatchers.get(dir);
    if (!w) return;
    dirWatchers.delete(dir);
    live.watchers--;
    try {
      w.close();
    } catch {
      // Already closed by the runtime (e.g. the directory was removed).
    }
  };

  const syncDirWatchers = (): void => {
    if (opts.fsEvents === false) return;
    const wanted = new Set(files.flatMap(directoriesOf));
    for (const dir of [...dirWatchers.keys()]) if (!wanted.has(dir)) closeDirWatcher(dir);
    for (const dir of wanted) {
      if (dirWatchers.has(dir)) continue;
      let w: FSWatcher;
      try {
        // persistent: false — a watcher alone never keeps the process alive.
        w = watch(dir, { persistent: false }, () => schedule());
      } catch {
        continue; // e.g. ENOENT or inotify limits: polling still works
      }
      live.watchers++;
      dirWatchers.set(dir, w);
      // A watched directory that disappears (an old `..<timestamp>` dir) errors out; drop it and re-resolve.
      w.on('error', () => {
        closeDirWatcher(dir);
        schedule();
      });
    }
  };

  const check = (): void => {
    if (closed) return;
    let changed = false;
    for (const f of files) {
      const fp = fingerprint(f);
      if (fp !== last.get(f)) {
        last.set(f, fp);
        changed = true;
      }
    }
    try {
      syncDirWatchers();
    } catch (err) {
      report(err);
    }
    if (changed) notify();
  };

  function schedule(): void {
    // Fire debounceMs after the first event of a burst; later events in the burst are coalesced.
    if (closed || debounce) return;
    live.timers++;
    debounce = setTimeout(() => {
      debounce = undefined;
      live.timers--;
      check();
    }, debounceMs);
    debounce.unref();
  }

  if (files.length > 0) {
    syncDirWatchers();
    poll = setInterval(check, pollIntervalMs);
    poll.unref();
    live.timers++;
  }

  return {
    close(): void {
      if (closed) return;
      closed = true;
      if (debounce) {
        clearTimeout(debounce);
        debounce = undefined;
        live.timers--;
      }
      if (poll) {
        clearInterval(poll);
        poll = undefined;
        live.timers--;
      }
      for (const dir of [...dirWatchers.keys()]) closeDirWatcher(dir);
    },
  };
}
