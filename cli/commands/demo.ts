import { localSigner } from '../../common/decision-keys';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { type Command } from 'commander';
import { z } from 'zod';
import { stateDir } from '../../common/paths';
import { freePort } from '../../infra/ports';
import { runApprovalWalkthrough } from '../../workers/demo-approval';
import { DEMO_SCRIPT, formatSummary, medianTimes } from '../../workers/demo-scenario';
import { runLoopDrill } from '../../workers/loop-drill';
import { startLocalEnv } from '../../workers/local-env';
import { onShutdownSignal } from '../../workers/stack';
import { parseFlags } from '../flags';
import { addObservabilityOptions, observabilityFlags, observabilityLabel, observabilityLinks } from './demo-observability';
import { webUiLink } from '../incident-view';

const DemoFlags = z.object({
  duration: z.coerce.number().min(0, 'must be ≥ 0 seconds').optional(),
  summaryJson: z.string().optional(),
  kafka: z.boolean().default(false),
  port: z.coerce.number().int().min(1).max(65535).optional(),
  uiPort: z.coerce.number().int().min(1).max(65535).optional(),
  rate: z.coerce.number().int().min(1).max(2000).default(100),
  ...observabilityFlags,
});

const say = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

/** The well-known port when free, so the Web UI link is the usual one; a free one otherwise. */
async function pickPort(preferred: number): Promise<number> {
  const free = await new Promise<boolean>((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(preferred, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
  return free ? preferred : freePort();
}

export function register(program: Command): void {
  addObservabilityOptions(program.command('demo'))
    .description('start the stack and a live pipeline, inject one fault per layer and two at once, heal them, print a summary')
    .option('--duration <seconds>', 'exit this many seconds after the scripted faults (default: keep running until Ctrl-C)')
    .option('--summary-json <file>', 'write the per-fault summary and the sink integrity as JSON')
    .option('--kafka', 'run the pipeline on a local Kafka broker instead of the embedded log')
    .option('--rate <events/s>', 'source rate', '100')
    .option('--port <port>', 'Temporal gRPC port (default 7233, or a free one)')
    .option('--ui-port <port>', 'Web UI port (default 8233, or a free one)')
    .action(async (raw: unknown) => {
      const f = parseFlags(DemoFlags, raw);
      const dir = path.join(stateDir(), `demo-${new Date().toISOString().replace(/[:.]/g, '-')}`);
      say(`Homeostat demo — starting Temporal, ${f.kafka ? 'Kafka, ' : ''}${observabilityLabel(f)}the live pipeline, a sentinel and a worker (files in ${dir})`);
      const startedAt = Date.now();
      const env = await startLocalEnv({
        dir,
        port: f.port ?? (await pickPort(7233)),
        uiPort: f.uiPort ?? (await pickPort(8233)),
        pipeline: true,
        kafka: f.kafka,
        rate: f.rate,
        settleMs: 8_000,
        observability: f.observability,
        models: f.models,
      });
      onShutdownSignal(env.stop);
      const ui = env.stack.temporal.uiUrl;
      const ns = env.stack.temporal.namespace;
      say(`Web UI: ${ui ?? '(remote server)'}\n${observabilityLinks(env).map((l) => `${l}\n`).join('')}`);

      say('1. An operator opens an incident that needs approval, and approves it.');
      const walk = await runApprovalWalkthrough(env.client, { pipeline: 'demo', component: 'sink', approver: localSigner('oncall-lead', env.keysFile), say });
      say(`   ${walk.id}: ${walk.state.outcome}`);
      for (const [k, v] of Object.entries(walk.state.explanation)) say(`     ${k.padEnd(12)} ${v}`);
      const walkLink = webUiLink(ui, ns, walk.id);
      if (walkLink) say(`   Web UI: ${walkLink}`);

      say(`\n2. Faults are injected into the live pipeline: ${DEMO_SCRIPT.length} steps, one per layer, then two at once.`);
      const result = await runLoopDrill({
        startedAt,
        client: env.client,
        pipeline: env.pipeline!,
        steps: DEMO_SCRIPT,
        ...(env.healthUrl ? { healthUrl: env.healthUrl, healthToken: env.sentinelToken } : {}),
        // Plans the policy reserves for a lead (checkpoint restore…) are approved the way the lead would.
        approveAs: localSigner('oncall-lead', env.keysFile),
        say,
      });
      say(`\n${formatSummary(result.faults, result.sink)}`);
      for (const fault of result.faults) {
        const link = fault.incidentId ? webUiLink(ui, ns, fault.incidentId) : undefined;
        if (link) say(`  ${fault.label}: ${link}`);
      }
      if (f.summaryJson) {
        const faults = result.faults.map(({ fault, target, injectedAt, detectedAt, incidentId, action, healedAt, verified, reopenedAt, reopenedBy }) => ({
          fault,
          target,
          injectedAt,
          detectedAt,
          incidentId,
          action,
          healedAt,
          verified,
          ...(reopenedAt ? { reopenedAt } : {}),
          ...(reopenedBy ? { reopenedBy } : {}),
        }));
        const { expected, stored, lost, duplicates } = result.sink;
        const medians = medianTimes(result.faults);
        fs.writeFileSync(
          f.summaryJson,
          `${JSON.stringify({ faults, medianDetectSeconds: medians.detectSeconds, medianHealSeconds: medians.healSeconds, sink: { expected, stored, lost, duplicates }, approval: { incidentId: walk.id, outcome: walk.state.outcome } }, null, 2)}\n`,
        );
        say(`\nsummary written to ${f.summaryJson}`);
      }

      if (f.duration !== undefined) {
        if (f.duration > 0) say(`\nKeeping everything up for ${f.duration} s…`);
        await new Promise((r) => setTimeout(r, f.duration! * 1000));
        await env.stop();
        process.exit(0);
      }
      say('\nEverything keeps running with the Web UI available. Press Ctrl-C to stop.');
      await env.stack.running;
    });
}
