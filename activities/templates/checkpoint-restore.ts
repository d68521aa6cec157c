/**
 * Checkpoint restore: find the newest checkpoint of the component that verifies, move every newer
 * corrupt one aside (kept for forensics), point the component at the valid one and restart it.
 * The component then reprocesses from that checkpoint's offsets; the idempotent sink absorbs the
 * repeats. For a corrupted latest checkpoint (the component refuses to start from it).
 */
import { HomeostatError, isHomeostatError } from '../../common/errors';
import type { StepUndos } from './compensation';
import type { TemplateDeps } from './deps';
import { holds, once, waitFor, waitHealthy } from './steps';
import type { RepairContext, RepairTemplate } from './template';

export const RESTORE_SETTING = 'restoreFrom';

const undo: StepUndos<TemplateDeps> = {
  // Nothing destructive was done: corrupt checkpoints were moved, not deleted. Only drop the pending restore point.
  rewind: async (ctx, deps) => {
    deps.pipeline.deleteSetting(ctx.target, RESTORE_SETTING);
  },
};

export const checkpointRestore: RepairTemplate<TemplateDeps> = {
  action: 'checkpoint-restore',
  description: 'restart the component from its newest valid checkpoint, skipping corrupt ones',
  probes: ['process-running', 'lag-drained', 'sink-integrity'],

  async preconditions(ctx, deps) {
    const stream = deps.pipeline.checkpointStream(ctx.target);
    if (!stream) return [holds('stateful-component', false, `${ctx.target} keeps no checkpoints`)];
    const { checkpoint, skipped } = await deps.checkpoints.latestValid(stream);
    const out = [
      holds('valid-checkpoint-exists', checkpoint !== undefined, checkpoint ? `${checkpoint.meta.id} verifies${skipped.length ? `; ${skipped.length} newer corrupt one(s) will be skipped` : ''}` : 'no checkpoint verifies'),
      holds('sink-idempotent', deps.pipeline.sinkIdempotent, deps.pipeline.sinkIdempotent ? 'the sink upserts by event id: reprocessing is safe' : 'the sink is not idempotent'),
    ];
    if (checkpoint) {
      const retained = await offsetsRetained(deps, checkpoint.offsets);
      out.push(holds('offsets-retained', retained.ok, retained.reason));
    }
    return out;
  },

  async execute(ctx, deps) {
    const stream = deps.pipeline.checkpointStream(ctx.target) ?? ctx.target;
    return once(ctx, deps, 'checkpoint-restore', async (steps) => {
      const chosen = await steps.step('choose', async () => {
        const { checkpoint, skipped } = await deps.checkpoints.latestValid(stream);
        if (!checkpoint) throw new HomeostatError('HS_PRECONDITION_FAILED', `no valid checkpoint of ${stream}`);
        return { checkpoint: checkpoint.meta.id, createdAt: checkpoint.meta.createdAt, skipped: skipped.map((s) => `${s.id}: ${s.reason}`) };
      });
      const moved = await steps.step('set-aside-corrupt', async () => {
        let n = 0;
        for (const s of chosen.skipped as string[]) {
          const id = s.split(':')[0];
          if (await deps.checkpoints.markCorrupt(stream, id, `skipped by checkpoint-restore (${ctx.incidentId})`)) n++;
        }
        return { moved: n };
      });
      await steps.step('rewind', async () => rewindStage(deps, ctx, ctx.target, String(chosen.checkpoint)));
      await waitHealthy(deps, ctx, ctx.target);
      return {
        summary: `restored ${ctx.target} from ${chosen.checkpoint}${(chosen.skipped as string[]).length ? `, skipping ${(chosen.skipped as string[]).length} corrupt checkpoint(s) (${(chosen.skipped as string[]).join('; ')})` : ''}`,
        impact: { checkpoint: String(chosen.checkpoint), corruptSetAside: Number(moved.moved), checkpointAgeMs: Date.now() - Number(chosen.createdAt) },
      };
    }, undo);
  },
  undo,
};

/**
 * Moves a stateful stage back to a checkpoint: stop it, move its group's committed offsets to the
 * checkpoint's (so its lag tells the truth about the replay), point it at the checkpoint, start it.
 * Returns the input's end offsets at rewind time: the replay is done when the stage is past them.
 */
export async function rewindStage(deps: TemplateDeps, ctx: RepairContext, stage: string, checkpointId: string): Promise<{ checkpoint: string; target: { topic: string; partition: number; offset: number }[]; groupReset: boolean }> {
  const stream = deps.pipeline.checkpointStream(stage) ?? stage;
  const checkpoint = await deps.checkpoints.load(stream, checkpointId);
  const desired = Math.max(1, (await deps.orchestrator.status(stage)).desiredReplicas);
  await deps.orchestrator.stop(stage, { fence: ctx.fence });
  const group = deps.pipeline.groupId(stage);
  const topics = [...new Set(checkpoint.offsets.map((o) => o.topic))];
  // The log refuses a reset while the group has members; a member that crashed without leaving may
  // keep its seat. Then the stage still resumes from the checkpoint (it returns the checkpoint's
  // offsets on assignment) and commits them with its first batch: only the lag reads stale until then.
  let reset = false;
  try {
    await waitFor(deps, ctx, `${group} to have no members`, async () => {
      try {
        for (const topic of topics) {
          await deps.log.resetGroup(group, topic, { to: 'offsets', offsets: checkpoint.offsets.filter((o) => o.topic === topic).map((o) => ({ partition: o.partition, offset: o.offset })) });
        }
        return true;
      } catch (err) {
        if (isHomeostatError(err) && err.code === 'HS_REFUSED') return undefined;
        throw err;
      }
    }, 3_000);
    reset = true;
  } catch (err) {
    if (!(isHomeostatError(err) && err.code === 'HS_SERVICE_UNAVAILABLE')) throw err;
  }
  const target: { topic: string; partition: number; offset: number }[] = [];
  for (const topic of topics) for (const l of await deps.log.latestOffsets(topic)) target.push({ topic, partition: l.partition, offset: l.offset });
  deps.pipeline.setSetting(stage, RESTORE_SETTING, checkpointId);
  await deps.orchestrator.start(stage, desired, { fence: ctx.fence });
  return { checkpoint: checkpointId, target, groupReset: reset };
}

/** True once the stage's group has committed past `target` on every partition. */
export async function pastTarget(deps: TemplateDeps, stage: string, target: readonly { topic: string; partition: number; offset: number }[]): Promise<boolean> {
  const group = deps.pipeline.groupId(stage);
  for (const topic of new Set(target.map((t) => t.topic))) {
    const committed = await deps.log.committed(group, topic);
    for (const t of target.filter((x) => x.topic === topic)) {
      if ((committed.find((c) => c.partition === t.partition)?.offset ?? 0) < t.offset) return false;
    }
  }
  return true;
}

export async function offsetsRetained(deps: TemplateDeps, offsets: readonly { topic: string; partition: number; offset: number }[]): Promise<{ ok: boolean; reason: string }> {
  for (const o of offsets) {
    const earliest = (await deps.log.earliestOffsets(o.topic)).find((e) => e.partition === o.partition)?.offset ?? 0;
    if (earliest > o.offset) return { ok: false, reason: `${o.topic}/${o.partition}: offset ${o.offset} is no longer retained (earliest ${earliest})` };
  }
  return { ok: true, reason: `the log still holds every record from the checkpoint's offsets on (${offsets.length} partitions)` };
}
