/**
 * Scale out: add instances of a stateless stage; the consumer group spreads the input partitions
 * over them. Capped by the partition count (more members than partitions would idle). Stateful
 * stages are refused: their single checkpoint stream cannot be split here. For lag / overload.
 */
import { z } from 'zod';
import type { StepUndos } from './compensation';
import type { TemplateDeps } from './deps';
import { holds, once, parseParams, waitHealthy } from './steps';
import type { RepairTemplate } from './template';

const paramsSchema = z.object({ by: z.number().int().min(1).max(8).default(1), max: z.number().int().min(1).max(16).optional() });

async function limits(target: string, deps: TemplateDeps): Promise<{ current: number; partitions: number }> {
  const st = await deps.orchestrator.status(target);
  const topic = deps.pipeline.inputTopic(target);
  const partitions = topic ? await deps.log.partitions(topic) : 1;
  return { current: Math.max(1, st.desiredReplicas), partitions };
}

const undo: StepUndos<TemplateDeps> = {
  // Back to the instance count it had before the repair.
  scale: async (ctx, deps, out) => {
    await deps.orchestrator.scale(ctx.target, Number(out.from), { fence: ctx.fence });
  },
};

export const scaleOut: RepairTemplate<TemplateDeps> = {
  action: 'scale-out',
  description: 'add instances of a stateless stage, up to its input partition count',
  probes: ['lag-drained', 'throughput-restored'],

  async preconditions(ctx, deps) {
    const stateless = deps.pipeline.checkpointStream(ctx.target) === undefined;
    const out = [holds('stateless', stateless, stateless ? `${ctx.target} keeps no state of its own` : `${ctx.target} is stateful (one checkpoint stream): scale-out would split its state`)];
    const topic = deps.pipeline.inputTopic(ctx.target);
    out.push(holds('consumer-stage', topic !== undefined, topic ? `${ctx.target} consumes ${topic}` : `${ctx.target} has no input to share`));
    if (topic) {
      const { current, partitions } = await limits(ctx.target, deps);
      out.push(holds('headroom', current < partitions, `${current} instance(s) for ${partitions} partitions`));
    }
    return out;
  },

  async execute(ctx, deps) {
    const p = parseParams(paramsSchema, ctx);
    return once(ctx, deps, 'scale-out', async (steps) => {
      const plan = await steps.step('plan', async () => {
        const { current, partitions } = await limits(ctx.target, deps);
        return { from: current, to: Math.min(partitions, p.max ?? partitions, current + p.by) };
      });
      await steps.step('scale', async () => {
        await deps.orchestrator.scale(ctx.target, Number(plan.to), { fence: ctx.fence });
        return { from: Number(plan.from), to: Number(plan.to) };
      });
      await waitHealthy(deps, ctx, ctx.target);
      return { summary: `scaled ${ctx.target} from ${plan.from} to ${plan.to} instance(s)`, impact: { from: Number(plan.from), to: Number(plan.to) } };
    }, undo);
  },
  undo,
};
