/**
 * Replay from checkpoint into the idempotent sink: rewind the stateful stage to a checkpoint taken
 * before the damage (by id, or the newest valid one created before `since`) and let the pipeline
 * reprocess everything after it. Downstream stages need no reset: they see the re-emitted records
 * as new input and the sink upserts them by id, so the replay repairs without duplicating.
 * With `backfillShed`, ids shed earlier count as expected again and are replayed too.
 *
 * Long: it heartbeats its progress, and a retry after a worker crash resumes waiting for the
 * drain instead of rewinding a second time (the rewind is a recorded step).
 */
import { z } from 'zod';
import { HomeostatError } from '../../common/errors';
import type { StepUndos } from './compensation';
import type { TemplateDeps } from './deps';
import { offsetsRetained, pastTarget, RESTORE_SETTING, rewindStage } from './checkpoint-restore';
import { stageOf } from './stages';
import { holds, once, parseParams, waitFor, waitHealthy } from './steps';
import type { RepairTemplate } from './template';

const paramsSchema = z.object({
  checkpointId: z.string().optional(),
  /** Replay from the newest valid checkpoint created before this time (epoch ms or ISO-8601). */
  since: z.union([z.number(), z.string()]).optional(),
  backfillShed: z.boolean().default(false),
  /** The stateful stage to rewind (default: the target, or the pipeline's first stateful stage). */
  stage: z.string().optional(),
  drainTimeoutMs: z.number().int().positive().default(120_000),
});

async function pick(deps: TemplateDeps, stream: string, p: z.infer<typeof paramsSchema>): Promise<{ id: string; createdAt: number; offsets: { topic: string; partition: number; offset: number }[] } | undefined> {
  const sinceMs = p.since === undefined ? undefined : typeof p.since === 'number' ? p.since : Date.parse(p.since);
  for (const meta of await deps.checkpoints.list(stream)) {
    if (p.checkpointId && meta.id !== p.checkpointId) continue;
    if (sinceMs !== undefined && meta.createdAt > sinceMs) continue;
    if (!(await deps.checkpoints.verify(stream, meta.id)).valid) continue;
    const c = await deps.checkpoints.load(stream, meta.id);
    return { id: meta.id, createdAt: meta.createdAt, offsets: c.offsets };
  }
  return undefined;
}

const undo: StepUndos<TemplateDeps> = {
  // The rewound stage keeps the records it already reprocessed (the sink is idempotent); only the pending restore point goes.
  rewind: async (ctx, deps, out) => {
    deps.pipeline.deleteSetting(String(out.stage ?? ctx.target), RESTORE_SETTING);
  },
};

export const replayFromCheckpoint: RepairTemplate<TemplateDeps> = {
  action: 'replay-from-checkpoint',
  description: 'rewind the stateful stage to a checkpoint and reprocess into the idempotent sink',
  probes: ['sink-integrity', 'lag-drained'],

  async preconditions(ctx, deps) {
    const p = parseParams(paramsSchema, ctx);
    const stage = stageOf(deps.pipeline, ctx.target, 'stateful', p.stage);
    const stream = stage ? deps.pipeline.checkpointStream(stage) : undefined;
    if (!stage || !stream) return [holds('stateful-stage', false, 'no stage of this pipeline keeps checkpoints')];
    const chosen = await pick(deps, stream, p);
    const out = [
      holds('sink-idempotent', deps.pipeline.sinkIdempotent, deps.pipeline.sinkIdempotent ? 'the sink upserts by event id' : 'the sink is not idempotent: a replay would duplicate'),
      holds('valid-checkpoint-exists', chosen !== undefined, chosen ? `${chosen.id} (${new Date(chosen.createdAt).toISOString()})` : 'no valid checkpoint matches'),
    ];
    if (chosen) {
      const r = await offsetsRetained(deps, chosen.offsets);
      out.push(holds('offsets-retained', r.ok, r.reason));
    }
    return out;
  },

  async execute(ctx, deps) {
    const p = parseParams(paramsSchema, ctx);
    const stage = stageOf(deps.pipeline, ctx.target, 'stateful', p.stage);
    const stream = stage ? deps.pipeline.checkpointStream(stage) : undefined;
    if (!stage || !stream) throw new HomeostatError('HS_PRECONDITION_FAILED', 'no stateful stage to replay from');
    return once(ctx, deps, 'replay-from-checkpoint', async (steps) => {
      const chosen = await steps.step('choose', async () => {
        const c = await pick(deps, stream, p);
        if (!c) throw new HomeostatError('HS_PRECONDITION_FAILED', `no valid checkpoint of ${stream} matches`);
        const records = await Promise.all(c.offsets.map(async (o) => ((await deps.log.latestOffsets(o.topic)).find((l) => l.partition === o.partition)?.offset ?? o.offset) - o.offset));
        return { checkpoint: c.id, createdAt: c.createdAt, toReplay: records.reduce((a, b) => a + b, 0) };
      });
      const backfilled = await steps.step('backfill-shed', async () => ({ unaccounted: p.backfillShed ? deps.pipeline.unaccountShed() : 0 }));
      const rewound = await steps.step('rewind', async () => ({ ...(await rewindStage(deps, ctx, stage, String(chosen.checkpoint))), stage }));
      await waitHealthy(deps, ctx, stage);
      // Drained: the rewound stage is past where its input ended at rewind time, and every stage's lag is back to normal.
      const started = Date.now();
      const target = rewound.target as { topic: string; partition: number; offset: number }[];
      await waitFor(deps, ctx, 'the replay to drain', async () => {
        const lags = await Promise.all(deps.pipeline.components().filter((c) => deps.pipeline.inputTopic(c)).map((c) => deps.pipeline.lag(c)));
        const total = lags.reduce((a, b) => a + b, 0);
        ctx.heartbeat({ phase: 'draining', checkpoint: chosen.checkpoint, lag: total });
        return (await pastTarget(deps, stage, target)) && lags.every((l) => l <= Math.max(50, deps.pipeline.sourceRate())) ? total : undefined;
      }, p.drainTimeoutMs);
      return {
        summary: `replayed ${stage} from ${chosen.checkpoint} (${chosen.toReplay} input records) into the idempotent sink${Number(backfilled.unaccounted) > 0 ? `, backfilling ${backfilled.unaccounted} shed records` : ''}`,
        impact: { checkpoint: String(chosen.checkpoint), recordsReplayed: Number(chosen.toReplay), backfilled: Number(backfilled.unaccounted), drainMs: Date.now() - started },
      };
    }, undo);
  },
  undo,
};
