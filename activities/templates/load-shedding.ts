/**
 * Load shedding: the overloaded stage drops part of its input for a bounded time — a
 * deterministic sample by id hash, or every low-priority event — and writes every shed id to
 * the ledger: the account of what was shed, which a later replay with `backfillShed` can restore.
 * The setting carries its own expiry, so shedding ends by itself even if nobody lifts it.
 */
import { z } from 'zod';
import type { StepUndos } from './compensation';
import type { TemplateDeps } from './deps';
import { holds, once, parseParams } from './steps';
import type { RepairTemplate } from './template';

const paramsSchema = z.object({
  mode: z.enum(['sample', 'priority']).default('priority'),
  /** sample: fraction kept. */
  keep: z.number().min(0.05).max(1).default(0.5),
  durationMs: z.number().int().positive().max(3_600_000).default(30_000),
});

export const SHED_SETTING = 'shed';

const undo: StepUndos<TemplateDeps> = {
  // Back to the shedding setting in force before (usually none).
  install: async (ctx, deps, out) => {
    if (out.previous === null || out.previous === undefined) deps.pipeline.deleteSetting(ctx.target, SHED_SETTING);
    else deps.pipeline.setSetting(ctx.target, SHED_SETTING, out.previous);
  },
};

export const loadShedding: RepairTemplate<TemplateDeps> = {
  action: 'load-shedding',
  description: 'drop low-priority events or keep a sample, for a bounded time, with an account of what was shed',
  probes: ['lag-drained', 'throughput-restored'],

  async preconditions(ctx, deps) {
    const input = deps.pipeline.inputTopic(ctx.target);
    return [holds('consumer-stage', input !== undefined, input ? `${ctx.target} consumes ${input}` : `${ctx.target} has no input to shed`)];
  },

  async execute(ctx, deps) {
    const p = parseParams(paramsSchema, ctx);
    return once(ctx, deps, 'load-shedding', async (steps) => {
      const applied = await steps.step('install', async () => {
        const until = Date.now() + p.durationMs;
        const previous = deps.pipeline.setting(ctx.target, SHED_SETTING) ?? null;
        const setting = p.mode === 'sample' ? { mode: 'sample', keep: p.keep, until } : { mode: 'priority', drop: ['low'], until };
        deps.pipeline.setSetting(ctx.target, SHED_SETTING, setting);
        return { until, previous, shedBefore: deps.pipeline.integrity().shed };
      });
      return {
        summary: `${ctx.target} sheds ${p.mode === 'sample' ? `all but a ${Math.round(p.keep * 100)} % sample` : 'low-priority events'} until ${new Date(Number(applied.until)).toISOString()}; shed ids are recorded in the ledger`,
        impact: { mode: p.mode, keep: p.mode === 'sample' ? p.keep : 0, until: Number(applied.until), shedBefore: Number(applied.shedBefore) },
      };
    }, undo);
  },
  undo,
};
