import { type Command } from 'commander';
import { HomeostatError } from '../../common/errors';

/** Each benchmark lives in bench/<name>.ts and exports `run({ json })`; it prints its own figures. */
// Loaded on demand (a bench pulls in Kafka clients and Python set-up), with require rather than
// import(): the CLI runs under tsx's CommonJS hook, which resolves .ts files only for require.
/* eslint-disable @typescript-eslint/no-require-imports */
const BENCHES = {
  detectors: (): BenchModule => require('../../bench/detectors') as BenchModule,
  sentinel: (): BenchModule => require('../../bench/sentinel') as BenchModule,
  'drift-suite': (): BenchModule => require('../../bench/drift-suite') as BenchModule,
  storm: (): BenchModule => require('../../bench/storm') as BenchModule,
  loop: (): BenchModule => require('../../bench/loop') as BenchModule,
} as const;
/* eslint-enable @typescript-eslint/no-require-imports */

interface BenchModule {
  run(opts: { json: boolean; streams?: string; calibrate?: boolean; incidents?: number }): Promise<void>;
}
type BenchName = keyof typeof BENCHES;

export function register(program: Command): void {
  program
    .command('bench')
    .description(`run a benchmark and print its figures (${Object.keys(BENCHES).join(' | ')} | all)`)
    .argument('<name>', 'which benchmark')
    .option('--json', 'print one JSON object per benchmark', false)
    .option('--streams <file>', 'drift-suite: score these streams (JSONL, one {"name","kind","values","changePoints","tolerance"?} per line) with the frozen settings')
    .option('--calibrate', 'drift-suite: choose the frozen settings again from the no-drift calibration streams', false)
    .option('--incidents <n>', 'loop: incidents per row (default 200)', (v) => Number.parseInt(v, 10))
    .action(async (name: string, opts: { json: boolean; streams?: string; calibrate: boolean; incidents?: number }) => {
      const names: BenchName[] = name === 'all' ? (Object.keys(BENCHES) as BenchName[]) : [name as BenchName];
      for (const n of names) {
        const load = BENCHES[n];
        if (!load) {
          throw new HomeostatError('HS_INVALID_INPUT', `unknown benchmark "${name}"; valid: ${Object.keys(BENCHES).join(', ')}, all`);
        }
        const mod = load();
        if ((opts.streams || opts.calibrate) && n !== 'drift-suite') throw new HomeostatError('HS_INVALID_INPUT', '--streams and --calibrate belong to the drift-suite benchmark');
        if (opts.incidents !== undefined && n !== 'loop') throw new HomeostatError('HS_INVALID_INPUT', '--incidents belongs to the loop benchmark');
        await mod.run({
          json: opts.json,
          ...(opts.streams ? { streams: opts.streams } : {}),
          calibrate: opts.calibrate,
          ...(opts.incidents !== undefined ? { incidents: opts.incidents } : {}),
        });
      }
    });
}
