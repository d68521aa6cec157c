import { type Command } from 'commander';
import { HomeostatError } from '../../common/errors';

/** Each benchmark lives in bench/<name>.ts and exports `run({ json })`; it prints its own figures. */
const BENCHES = {
  detectors: () => import('../../bench/detectors'),
  sentinel: () => import('../../bench/sentinel'),
} as const;
type BenchName = keyof typeof BENCHES;

export function register(program: Command): void {
  program
    .command('bench')
    .description(`run a benchmark and print its figures (${Object.keys(BENCHES).join(' | ')} | all)`)
    .argument('<name>', 'which benchmark')
    .option('--json', 'print one JSON object per benchmark', false)
    .action(async (name: string, opts: { json: boolean }) => {
      const names: BenchName[] = name === 'all' ? (Object.keys(BENCHES) as BenchName[]) : [name as BenchName];
      for (const n of names) {
        const load = BENCHES[n];
        if (!load) {
          throw new HomeostatError('HS_INVALID_INPUT', `unknown benchmark "${name}"; valid: ${Object.keys(BENCHES).join(', ')}, all`);
        }
        const mod = await load();
        await mod.run({ json: opts.json });
      }
    });
}
