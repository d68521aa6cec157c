import path from 'node:path';
import { type Command } from 'commander';
import { HomeostatError } from '../../common/errors';
import { stateDir } from '../../common/paths';
// Static on purpose: under tsx/cjs a dynamic import() goes through Node's ESM loader, which does not
// resolve extensionless TypeScript paths. Loading the modules opens nothing.
import { clearFaults, injectFault, openFaultContext } from '../../simulator/faults';

/**
 * `homeostat inject <fault> --target <component> [options]` — injects a fault into a running live
 * pipeline (the demo's, or one started with simulator/pipeline.ts) through its control channel,
 * `<dir>/pipeline.db`. `inject list` shows injected faults, `inject clear` lifts them.
 * Flags are turned into the fault spec and validated by the injector's zod schema.
 */
interface InjectFlags {
  dir?: string;
  target?: string;
  rate?: string;
  field?: string;
  to?: string;
  mode?: string;
  signal?: string;
  delayMs?: string;
  mbPerSec?: string;
  shift?: string;
  rampMs?: string;
  severity?: string;
  duration?: string;
  restart: boolean;
  id?: string;
  json: boolean;
}

const num = (v: string | undefined): number | undefined => (v === undefined ? undefined : Number(v));

export function defaultPipelineDir(): string {
  return process.env.HOMEOSTAT_PIPELINE_DIR ?? path.join(stateDir(), 'pipeline');
}

export function register(program: Command): void {
  program
    .command('inject')
    .description('inject a fault into the running live pipeline (or: inject list | inject clear)')
    .argument('<fault>', 'crash | hang | slow-down | memory-growth | schema-drift | null-spike | distribution-shift | poison-records | concept-drift | accuracy-drop | corrupt-checkpoint | list | clear')
    .option('--dir <dir>', 'pipeline directory (default: $HOMEOSTAT_PIPELINE_DIR or .homeostat/pipeline)')
    .option('-t, --target <component>', 'source | enrich | score | sink')
    .option('--rate <fraction>', 'null-spike / poison-records: fraction of events affected')
    .option('--field <name>', 'schema-drift / null-spike: field concerned (default amount)')
    .option('--to <name>', 'schema-drift rename: new field name (default amt)')
    .option('--mode <mode>', 'schema-drift: rename|drop|type; distribution-shift: abrupt|gradual; crash: signal|exit')
    .option('--signal <signal>', 'crash: SIGKILL (default) | SIGSEGV | SIGABRT | SIGTERM')
    .option('--delay-ms <ms>', 'slow-down: per-record delay')
    .option('--mb-per-sec <mb>', 'memory-growth: leak rate')
    .option('--shift <sigmas>', 'distribution-shift: shift of x1 in standard deviations')
    .option('--ramp-ms <ms>', 'distribution-shift gradual: ramp duration')
    .option('--severity <0..1>', 'concept-drift: how far the concept moves')
    .option('--duration <ms>', 'data faults and slow-down: lift automatically after this long')
    .option('--no-restart', 'corrupt-checkpoint: only corrupt, do not kill and restart enrich')
    .option('--id <faultId>', 'clear: only this fault')
    .option('--json', 'print the result as JSON', false)
    .action(async (fault: string, flags: InjectFlags) => {
      const dir = path.resolve(flags.dir ?? defaultPipelineDir());
      const ctx = openFaultContext(dir);
      try {
        if (fault === 'list') {
          const rows = ctx.state.allFaults();
          process.stdout.write(flags.json ? `${JSON.stringify(rows)}\n` : rows.map((r) => `${r.id}  ${r.kind.padEnd(18)} ${r.component.padEnd(7)} ${r.clearedAt ? 'cleared' : 'active '}  ${JSON.stringify(r.params)}`).join('\n') + '\n');
          return;
        }
        if (fault === 'clear') {
          const n = clearFaults(ctx, { id: flags.id, component: flags.target });
          process.stdout.write(flags.json ? `${JSON.stringify({ cleared: n })}\n` : `cleared ${n} fault(s)\n`);
          return;
        }
        const spec: Record<string, unknown> = { fault };
        const set = (k: string, v: unknown): void => {
          if (v !== undefined) spec[k] = v;
        };
        set('target', flags.target);
        set('rate', num(flags.rate));
        set('field', flags.field);
        set('to', flags.to);
        set('mode', flags.mode);
        set('signal', flags.signal);
        set('delayMs', num(flags.delayMs));
        set('mbPerSec', num(flags.mbPerSec));
        set('shift', num(flags.shift));
        set('rampMs', num(flags.rampMs));
        set('severity', num(flags.severity));
        set('durationMs', num(flags.duration));
        if (fault === 'corrupt-checkpoint') spec.restart = flags.restart;
        const injected = await injectFault(ctx, spec);
        process.stdout.write(flags.json ? `${JSON.stringify(injected)}\n` : `injected ${injected.fault} into ${injected.target} (${injected.id}): ${injected.detail}\n`);
      } catch (err) {
        if (err instanceof HomeostatError) throw err;
        throw new HomeostatError('HS_INTERNAL', `inject ${fault}: ${(err as Error).message}`);
      } finally {
        await ctx.close();
      }
    });
}
