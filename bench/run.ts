/**
 * `npm run bench`: the engine, fan-out, concurrency, authentication, endpoint-resolver, invalid-token flood and slowloris benchmarks, printed and recorded in BENCHMARKS.md.
 * `node build/bench/run.js engine|fanout|concurrency|auth|resolver|flood|slowloris` runs some of them and only prints.
 */
import { fileURLToPath } from 'node:url';
import { AUTH_DEFAULTS, runAuthBench } from './auth.js';
import { CONCURRENCY_DEFAULTS, runConcurrencyBench } from './concurrency.js';
import { ENGINE_DEFAULTS, runEngineBench } from './engine.js';
import { FANOUT_DEFAULTS, runFanoutBench } from './fanout.js';
import { FLOOD_DEFAULTS, runFloodBench } from './flood.js';
import { RESOLVER_DEFAULTS, runResolverBench } from './resolver.js';
import { runSlowlorisBench, SLOWLORIS_DEFAULTS } from './slowloris.js';
import { describeMachine, renderMachine, renderSection, writeBenchmarksFile, type Section } from './report.js';

const BENCHMARKS_FILE = fileURLToPath(new URL('../../BENCHMARKS.md', import.meta.url));
const NAMES = ['engine', 'fanout', 'concurrency', 'auth', 'resolver', 'flood', 'slowloris'] as const;

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const unknown = only.filter((a) => !(NAMES as readonly string[]).includes(a));
  if (unknown.length > 0) throw new Error(`unknown benchmark(s) ${unknown.join(', ')}; choose from ${NAMES.join(', ')}`);
  const selected = only.length === 0 ? NAMES : NAMES.filter((n) => only.includes(n));
  const log = (line: string) => console.error(`[bench] ${line}`);
  const machine = describeMachine();
  const started = Date.now();

  const sections: Section[] = [];
  for (const name of selected) {
    const section =
      name === 'engine'
        ? runEngineBench({ ...ENGINE_DEFAULTS, log })
        : name === 'fanout'
          ? await runFanoutBench({ ...FANOUT_DEFAULTS, log })
          : name === 'concurrency'
            ? await runConcurrencyBench({ ...CONCURRENCY_DEFAULTS, log })
            : name === 'auth'
              ? await runAuthBench({ ...AUTH_DEFAULTS, log })
              : name === 'resolver'
                ? await runResolverBench({ ...RESOLVER_DEFAULTS, log })
                : name === 'flood'
                  ? await runFloodBench({ ...FLOOD_DEFAULTS, log })
                  : await runSlowlorisBench({ ...SLOWLORIS_DEFAULTS, log });
    sections.push(section);
    console.log(`\n${renderSection(section)}`);
  }
  console.log(renderMachine(machine));
  log(`done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  if (selected.length === NAMES.length) {
    writeBenchmarksFile(BENCHMARKS_FILE, machine, sections);
    log(`wrote ${BENCHMARKS_FILE}`);
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exitCode = 1;
});
