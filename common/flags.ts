/**
 * A small typed flag parser: `--name value`, `--name=value`, boolean `--name` / `--name=false`.
 * Unknown flags and missing values are errors that name the flag, so a typo never goes unnoticed.
 */
import { parsePrometheusDurationMs } from './duration.js';

/** `seconds`: a number of seconds or a Prometheus duration (`90`, `1.5`, `2m`, `500ms`), read as seconds. */
export type FlagKind = 'string' | 'number' | 'seconds' | 'boolean' | 'list';

export interface FlagSpec {
  kind: FlagKind;
  help: string;
  default?: string | number | boolean | string[];
}

export type FlagSpecs = Record<string, FlagSpec>;

export type FlagValues<S extends FlagSpecs> = {
  [K in keyof S]: S[K]['kind'] extends 'number' | 'seconds'
    ? number | undefined
    : S[K]['kind'] extends 'boolean'
      ? boolean
      : S[K]['kind'] extends 'list'
        ? string[]
        : string | undefined;
};

export class FlagError extends Error {
  override name = 'FlagError';
}

export function parseFlags<S extends FlagSpecs>(argv: readonly string[], specs: S): FlagValues<S> & { help: boolean } {
  const out: Record<string, unknown> = { help: false };
  for (const [name, spec] of Object.entries(specs)) {
    out[name] = spec.kind === 'boolean' ? (spec.default ?? false) : spec.kind === 'list' ? [...((spec.default as string[]) ?? [])] : spec.default;
  }
  const seenLists = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') {
      out.help = true;
      continue;
    }
    if (!arg.startsWith('--')) throw new FlagError(`unexpected argument '${arg}'`);
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const spec = specs[name];
    if (!spec) throw new FlagError(`unknown flag --${name}`);
    let value: string | undefined = eq < 0 ? undefined : arg.slice(eq + 1);
    if (spec.kind === 'boolean') {
      if (value === undefined || value === 'true') out[name] = true;
      else if (value === 'false') out[name] = false;
      else throw new FlagError(`--${name} takes true or false, not '${value}'`);
      continue;
    }
    if (value === undefined) {
      value = argv[++i];
      if (value === undefined) throw new FlagError(`--${name} needs a value`);
    }
    if (spec.kind === 'number') {
      const n = Number(value);
      if (value.trim() === '' || !Number.isFinite(n)) throw new FlagError(`--${name} takes a number, not '${value}'`);
      out[name] = n;
    } else if (spec.kind === 'seconds') {
      const n = /^\d+(\.\d+)?$/.test(value) ? Number(value) : (parsePrometheusDurationMs(value) ?? NaN) / 1000;
      if (!Number.isFinite(n)) throw new FlagError(`--${name} takes seconds or a duration such as 30s, 2m or 500ms, not '${value}'`);
      out[name] = n;
    } else if (spec.kind === 'list') {
      // A list flag given on the command line replaces its default; repeats and commas both add.
      if (!seenLists.has(name)) {
        seenLists.add(name);
        out[name] = [];
      }
      (out[name] as string[]).push(...value.split(',').map((s) => s.trim()).filter((s) => s !== ''));
    } else {
      out[name] = value;
    }
  }
  return out as FlagValues<S> & { help: boolean };
}

export function flagsHelp(command: string, specs: FlagSpecs): string {
  const rows = Object.entries(specs).map(([name, s]) => {
    const def = s.default === undefined || (Array.isArray(s.default) && s.default.length === 0) ? '' : ` (default ${Array.isArray(s.default) ? s.default.join(',') : String(s.default)})`;
    return `  --${name}${s.kind === 'boolean' ? '' : ' ' + (s.kind === 'list' ? 'A,B' : s.kind === 'seconds' ? 'DURATION' : s.kind.toUpperCase())}\n      ${s.help}${def}`;
  });
  return `usage: hcp-metrics-proxy ${command} [flags]\n\nflags:\n${rows.join('\n')}`;
}

/**
 * A command's flags, or undefined after printing the help for `--help`. A flag error carries the help
 * so the operator sees the valid flags next to the mistake.
 */
export function commandFlags<S extends FlagSpecs>(command: string, argv: readonly string[], specs: S): (FlagValues<S> & { help: boolean }) | undefined {
  let flags: FlagValues<S> & { help: boolean };
  try {
    flags = parseFlags(argv, specs);
  } catch (err) {
    if (err instanceof FlagError) throw new Error(`${err.message}\n\n${flagsHelp(command, specs)}`);
    throw err;
  }
  if (flags.help) {
    console.log(flagsHelp(command, specs));
    return undefined;
  }
  return flags;
}
