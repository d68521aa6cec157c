import { type Command } from 'commander';
import { z } from 'zod';
import { buildWorkerDeps } from '../../workers/activity-deps';
import { createActivities } from '../../activities';
import { onShutdownSignal, startStack } from '../../workers/stack';
import { parseFlags } from '../flags';

const DevFlags = z.object({
  port: z.coerce.number().int().min(1).max(65535).default(7233),
  uiPort: z.coerce.number().int().min(1).max(65535).default(8233),
  db: z.string().optional(),
});

export function register(program: Command): void {
  program
    .command('dev')
    .description('run the local stack in the foreground: Temporal dev server + Web UI, search attributes, a Homeostat worker')
    .option('--port <port>', 'Temporal gRPC port', '7233')
    .option('--ui-port <port>', 'Web UI port', '8233')
    .option('--db <file>', 'dev-server SQLite file (default .homeostat/temporal.db)')
    .action(async (raw: unknown) => {
      const f = parseFlags(DevFlags, raw);
      const deps = await buildWorkerDeps();
      const stack = await startStack({ port: f.port, uiPort: f.uiPort, dbFile: f.db, activities: createActivities(deps) });
      onShutdownSignal(async () => {
        await stack.stop();
        await deps.close();
      });
      const ui = stack.temporal.uiUrl;
      process.stdout.write(
        [
          '',
          `Homeostat is running.`,
          `  Temporal      ${stack.temporal.address} (namespace ${stack.temporal.namespace})`,
          `  Web UI        ${ui ?? '(not started here: TEMPORAL_ADDRESS points at an existing server)'}`,
          ui ? `  Incidents     ${ui}/namespaces/${stack.temporal.namespace}/workflows?query=${encodeURIComponent("WorkflowType='incidentWorkflow'")}` : '',
          `  Try           npx homeostat incidents open --pipeline demo --component sink --fault lag --require-approval`,
          'Press Ctrl-C to stop.',
          '',
        ]
          .filter((l) => l !== '')
          .join('\n') + '\n',
      );
      await stack.running;
    });
}
