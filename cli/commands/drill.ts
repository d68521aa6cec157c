import { localSigner } from '../../common/decision-keys';
import fs from 'node:fs';
import path from 'node:path';
import { type Command } from 'commander';
import { z } from 'zod';
import { stateDir } from '../../common/paths';
import { freePort } from '../../infra/ports';
import { FAULT_KINDS, type FaultKind } from '../../simulator/faults';
import { PLAYBOOK } from '../../simulator/playbook';
import { formatSummary } from '../../workers/demo-scenario';
import { runLoopDrill } from '../../workers/loop-drill';
import { startLocalEnv } from '../../workers/local-env';
import { onShutdownSignal } from '../../workers/stack';
import { parseFlags } from '../flags';

const DrillFlags = z.object({
  faults: z
    .string()
    .default('all')
    .transform((v) => (v === 'all' ? [...FAULT_KINDS] : v.split(',').map((s) => s.trim())))
    .pipe(z.array(z.enum(FAULT_KINDS as [FaultKind, ...FaultKind[]], { error: `must be a comma-separated list of ${FAULT_KINDS.join(', ')} (or all)` })).min(1)),
  kafka: z.boolean().default(false),
  rate: z.coerce.number().int().min(1).max(2000).default(100),
  summaryJson: z.string().optional(),
  approveAs: z.string().min(1).default('oncall-lead'),
});

const say = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

export function register(program: Command): void {
  program
    .command('drill')
    .description('fault-injection drill: inject each playbook fault into a fresh live pipeline, let the loop heal it, print the scorecard')
    .option('--faults <list>', `comma-separated fault kinds, or all (${FAULT_KINDS.join(', ')})`, 'all')
    .option('--kafka', 'run the pipeline on a local Kafka broker (KAFKA_BROKERS, or one started here) instead of the embedded log')
    .option('--rate <events/s>', 'source rate', '100')
    .option('--summary-json <file>', 'write the per-fault outcomes and the sink integrity as JSON')
    .option('--approve-as <identity>', 'approve plans that need a human as this identity', 'oncall-lead')
    .action(async (raw: unknown) => {
      const f = parseFlags(DrillFlags, raw);
      const dir = path.join(stateDir(), `drill-${new Date().toISOString().replace(/[:.]/g, '-')}`);
      say(`Homeostat drill — ${f.faults.length} fault(s) on the ${f.kafka ? 'Kafka' : 'embedded'} log (files in ${dir})`);
      const startedAt = Date.now();
      const env = await startLocalEnv({ dir, port: await freePort(), uiPort: await freePort(), pipeline: true, kafka: f.kafka, rate: f.rate, settleMs: 6_000, drill: true });
      onShutdownSignal(env.stop);
      try {
        say(`Web UI: ${env.stack.temporal.uiUrl ?? '(remote server)'}`);
        const result = await runLoopDrill({
          startedAt,
          client: env.client,
          pipeline: env.pipeline!,
          steps: f.faults.map((kind) => [{ label: kind, spec: PLAYBOOK[kind].fault, watch: [PLAYBOOK[kind].component] }]),
          ...(env.healthUrl ? { healthUrl: env.healthUrl, healthToken: env.sentinelToken } : {}),
          approveAs: localSigner(f.approveAs, env.keysFile),
          say,
        });
        say(`\n${formatSummary(result.faults, result.sink)}`);
        if (f.summaryJson) {
          fs.writeFileSync(f.summaryJson, `${JSON.stringify(result, null, 2)}\n`);
          say(`summary written to ${f.summaryJson}`);
        }
        process.exitCode = result.faults.every((o) => o.verified) && result.sink.ok ? 0 : 1;
      } finally {
        await env.stop();
      }
    });
}
