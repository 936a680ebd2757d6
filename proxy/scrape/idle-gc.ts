/**
 * A full garbage collection on demand, for giving memory back once the proxy is idle: pooled output
 * blocks that were let go are only freed by a GC, and an idle thread allocates nothing that would
 * trigger one. `--expose-gc` is turned on at run time (V8 reads it when a context is created) so the
 * proxy needs no special node flags.
 */
import v8 from 'node:v8';
import vm from 'node:vm';

let gc: (() => void) | undefined | null;

export function collectGarbage(): boolean {
  if (gc === undefined) {
    try {
      v8.setFlagsFromString('--expose-gc');
      gc = vm.runInNewContext('gc') as () => void;
    } catch {
      gc = null;
    }
  }
  if (!gc) return false;
  gc();
  return true;
}

/** After a scrape, how long without any before pooled blocks are let go and memory is collected. */
export const IDLE_TRIM_MS = 30_000;

/** Calls `trim` once the owner has been idle for `idleMs` since its last `busy()` → `idle()` transition. */
export class IdleTrimmer {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly trim: () => void,
    private readonly idleMs = IDLE_TRIM_MS,
  ) {}

  busy(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  idle(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(this.trim, this.idleMs);
    this.timer.unref();
  }

  stop(): void {
    clearTimeout(this.timer);
  }
}
