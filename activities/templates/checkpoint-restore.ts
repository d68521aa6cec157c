/**
 * Checkpoint restore: find the newest checkpoint of the component that verifies, move every newer
 * corrupt one aside (kept for forensics), point the component at the valid one and restart it.
 * The component then reprocesses from that checkpoint's offsets; the idempotent sink absorbs the
 * repeats. For a corrupted latest checkpoint (the component refuses to start from it).
 */
import type { TemplateDeps } from './deps';
import { holds, once, waitHealthy } from './steps';
import type { RepairTemplate } from './template';

export const RESTORE_SETTING = 'restoreFrom';

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
        if (!checkpoint) throw new Error(`no valid checkpoint of ${stream}`);
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
      await steps.step('point-and-restart', async () => {
        deps.pipeline.setSetting(ctx.target, RESTORE_SETTING, chosen.checkpoint);
        const st = await deps.orchestrator.status(ctx.target);
        if (st.instances.some((i) => i.state === 'running')) await deps.orchestrator.restart(ctx.target, { graceMs: 2_000 });
        else await deps.orchestrator.start(ctx.target);
        return { restarted: true };
      });
      await waitHealthy(deps, ctx, ctx.target);
      return {
        summary: `restored ${ctx.target} from ${chosen.checkpoint}${(chosen.skipped as string[]).length ? `, skipping ${(chosen.skipped as string[]).length} corrupt checkpoint(s) (${(chosen.skipped as string[]).join('; ')})` : ''}`,
        impact: { checkpoint: String(chosen.checkpoint), corruptSetAside: Number(moved.moved), checkpointAgeMs: Date.now() - Number(chosen.createdAt) },
      };
    });
  },

  async compensate(ctx, deps) {
    // Nothing destructive was done: corrupt checkpoints were moved, not deleted. Only drop a pending restore point.
    deps.pipeline.deleteSetting(ctx.target, RESTORE_SETTING);
  },
};

export async function offsetsRetained(deps: TemplateDeps, offsets: readonly { topic: string; partition: number; offset: number }[]): Promise<{ ok: boolean; reason: string }> {
  for (const o of offsets) {
    const earliest = (await deps.log.earliestOffsets(o.topic)).find((e) => e.partition === o.partition)?.offset ?? 0;
    if (earliest > o.offset) return { ok: false, reason: `${o.topic}/${o.partition}: offset ${o.offset} is no longer retained (earliest ${earliest})` };
  }
  return { ok: true, reason: `the log still holds every record from the checkpoint's offsets on (${offsets.length} partitions)` };
}
