/**
 * Quarantine: the consuming stage sends records that cannot be parsed or break the data contract
 * to the dead-letter topic (original bytes, reason in headers) and lets the rest flow on. Every
 * quarantined id is accounted in the ledger, so integrity checks see "set aside", not "lost".
 * For poison records, null spikes and type mismatches.
 */
import { z } from 'zod';
import type { StepUndos } from './compensation';
import type { TemplateDeps } from './deps';
import { stageOf } from './stages';
import { holds, once, parseParams, waitFor } from './steps';
import type { RepairTemplate } from './template';

const paramsSchema = z.object({ stage: z.string().optional() });

/** A data fault at the source is quarantined by the first consumer. */
const quarantiningStage = (target: string, deps: TemplateDeps, stage?: string): string => stageOf(deps.pipeline, target, 'consumer', stage) ?? target;

const undo: StepUndos<TemplateDeps> = {
  enable: async (_ctx, deps, out) => {
    deps.pipeline.setSetting(String(out.stage), 'quarantine', false);
  },
};

export const quarantine: RepairTemplate<TemplateDeps> = {
  action: 'quarantine',
  description: 'route bad records to the dead-letter topic and let the rest flow on',
  probes: ['data-checks-pass', 'lag-drained', 'throughput-restored'],

  async preconditions(ctx, deps) {
    const p = parseParams(paramsSchema, ctx);
    const stage = quarantiningStage(ctx.target, deps, p.stage);
    const input = deps.pipeline.inputTopic(stage);
    return [holds('consumer-stage', input !== undefined, input ? `${stage} reads ${input}; its dead-letter topic is ${input}.dlq` : `${stage} consumes nothing`)];
  },

  async execute(ctx, deps) {
    const p = parseParams(paramsSchema, ctx);
    const stage = quarantiningStage(ctx.target, deps, p.stage);
    return once(ctx, deps, 'quarantine', async (steps) => {
      const before = deps.pipeline.integrity().quarantined;
      await steps.step('enable', async () => {
        deps.pipeline.setSetting(stage, 'quarantine', true);
        return { stage };
      });
      // The stage polls its settings every 250 ms; wait until it moves again (a stalled consumer resumes).
      await waitFor(deps, ctx, `${stage} to process again`, async () => {
        const t = await deps.pipeline.throughput(stage);
        return t !== undefined && t > 0 ? t : undefined;
      });
      const after = deps.pipeline.integrity().quarantined;
      return {
        summary: `${stage} quarantines unparseable and contract-breaking records to ${deps.pipeline.inputTopic(stage)}.dlq; ${after - before} set aside so far`,
        impact: { stage, quarantinedSoFar: after, quarantinedNow: after - before },
      };
    }, undo);
  },
  undo,
};
