import fs from 'node:fs';
import path from 'node:path';
import { type Command } from 'commander';
import { Client, Connection } from '@temporalio/client';
import { z } from 'zod';
import { createActivities } from '../../activities';
import { freePort } from '../../infra/ports';
import { buildWorkerDeps } from '../../workers/activity-deps';
import { runApprovalWalkthrough } from '../../workers/demo-approval';
import { onShutdownSignal, startStack } from '../../workers/stack';
import { parseFlags } from '../flags';
import { webUiLink } from '../incident-view';

const DemoFlags = z.object({
  duration: z.coerce.number().min(0, 'must be ≥ 0 seconds').optional(),
  summaryJson: z.string().optional(),
  kafka: z.boolean().default(false),
  port: z.coerce.number().int().min(1).max(65535).optional(),
  uiPort: z.coerce.number().int().min(1).max(65535).optional(),
});

const say = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

/** The well-known ports when free, so the Web UI link is the usual one; free ports otherwise. */
async function pickPort(preferred: number): Promise<number> {
  const net = await import('node:net');
  const free = await new Promise<boolean>((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(preferred, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
  return free ? preferred : freePort();
}

export function register(program: Command): void {
  program
    .command('demo')
    .description('start the stack, open and heal incidents live, print what happened at each stage')
    .option('--duration <seconds>', 'exit this many seconds after the scenario (default: run until Ctrl-C)')
    .option('--summary-json <file>', 'write a JSON summary of the run')
    .option('--kafka', 'use a local Kafka broker instead of the embedded log')
    .option('--port <port>', 'Temporal gRPC port (default 7233, or a free one)')
    .option('--ui-port <port>', 'Web UI port (default 8233, or a free one)')
    .action(async (raw: unknown) => {
      const f = parseFlags(DemoFlags, raw);
      const deps = await buildWorkerDeps();
      say('Homeostat demo — starting the local stack');
      const stack = await startStack({
        port: f.port ?? (await pickPort(7233)),
        uiPort: f.uiPort ?? (await pickPort(8233)),
        dbFile: path.join(process.env.HOMEOSTAT_STATE_DIR ?? path.join(process.cwd(), '.homeostat'), 'demo-temporal.db'),
        activities: createActivities(deps),
      });
      const shutdown = async (): Promise<void> => {
        await stack.stop();
        await deps.close();
      };
      onShutdownSignal(shutdown);
      const ui = stack.temporal.uiUrl;
      say(`Web UI: ${ui ?? '(remote server)'}`);

      const connection = await Connection.connect({ address: stack.temporal.address });
      try {
        const client = new Client({ connection, namespace: stack.temporal.namespace });
        const pipeline = 'demo';
        const run = await runApprovalWalkthrough(client, { pipeline, component: `sink-${Date.now().toString(36)}`, approver: 'oncall-lead', say });
        say('');
        say(`Incident ${run.id}: outcome ${run.state.outcome}`);
        for (const e of run.timeline) say(`  ${e.at}  ${e.stage.padEnd(8)}  ${e.event}${e.detail ? ` — ${e.detail}` : ''}`);
        say('');
        for (const [k, v] of Object.entries(run.state.explanation)) say(`  ${k.padEnd(12)} ${v}`);
        const link = webUiLink(ui, stack.temporal.namespace, run.id);
        if (link) say(`\nOpen it in the Web UI: ${link}`);
        if (f.summaryJson) {
          fs.writeFileSync(
            f.summaryJson,
            `${JSON.stringify({ incidents: [{ id: run.id, outcome: run.state.outcome, stage: run.state.stage, explanation: run.state.explanation, webUi: link }] }, null, 2)}\n`,
          );
        }
      } finally {
        await connection.close();
      }

      if (f.duration !== undefined) {
        say(`\nKeeping the stack up for ${f.duration} s…`);
        await new Promise((r) => setTimeout(r, f.duration! * 1000));
        await shutdown();
        return;
      }
      say('\nThe stack keeps running with the Web UI available. Press Ctrl-C to stop.');
      await stack.running;
    });
}
