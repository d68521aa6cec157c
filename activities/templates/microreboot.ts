/**
 * Microreboot: replace the instances of one component (SIGTERM, SIGKILL after a grace period —
 * a hung process only dies by SIGKILL) and wait until they run and heartbeat again. Cheap and
 * local: the rest of the pipeline keeps running. For crash, hang and OOM.
 */
import { z } from 'zod';
import type { TemplateDeps } from './deps';
import { holds, once, parseParams, waitHealthy } from './steps';
import type { RepairTemplate } from './template';

const paramsSchema = z.object({ graceMs: z.number().int().min(0).max(60_000).default(2_000) });

export const microreboot: RepairTemplate<TemplateDeps> = {
  action: 'microreboot',
  description: 'restart the instances of the faulty component, nothing else',
  probes: ['process-running', 'lag-drained', 'throughput-restored'],

  async preconditions(ctx, deps) {
    const known = (await deps.orchestrator.components()).includes(ctx.target);
    const out = [holds('component-known', known, known ? `${ctx.target} is managed by the ${deps.orchestrator.kind} orchestrator` : `${ctx.target} is not a managed component`)];
    const stream = deps.pipeline.checkpointStream(ctx.target);
    if (known && stream) {
      // A stateful component restarts from its newest checkpoint: rebooting onto a corrupt one only crashes again.
      const [newest] = await deps.checkpoints.list(stream);
      const v = newest ? await deps.checkpoints.verify(stream, newest.id) : { valid: true as const };
      out.push(holds('latest-checkpoint-valid', v.valid, v.valid ? 'the state it restores from verifies' : `latest checkpoint ${newest?.id} is corrupt (${v.reason}): use checkpoint-restore`));
    }
    return out;
  },

  async execute(ctx, deps) {
    const { graceMs } = parseParams(paramsSchema, ctx);
    return once(ctx, deps, 'microreboot', async (steps) => {
      const restart = await steps.step('restart', async (interrupted, begin) => {
        const before = (await deps.orchestrator.status(ctx.target)).instances.map((i) => i.pid).filter((p): p is number => p !== undefined);
        if (interrupted) {
          // The previous attempt died mid-restart: if none of the pids it saw is still alive, it happened.
          const seen = (interrupted.detail.pids as number[] | undefined) ?? [];
          const now = (await deps.orchestrator.status(ctx.target)).instances;
          if (seen.length > 0 && now.every((i) => i.state === 'running' && !seen.includes(i.pid ?? -1))) return { restarted: now.length, killed: 0, resumed: true };
        }
        await begin({ pids: before });
        const r = await deps.orchestrator.restart(ctx.target, { graceMs, fence: ctx.fence });
        return { restarted: r.restarted, killed: r.killed };
      });
      const ready = await waitHealthy(deps, ctx, ctx.target);
      const st = await deps.orchestrator.status(ctx.target);
      return {
        summary: `restarted ${restart.restarted} instance(s) of ${ctx.target}${Number(restart.killed) > 0 ? ` (${restart.killed} ignored SIGTERM and were killed)` : ''}; ${ready} running again`,
        impact: { restarted: Number(restart.restarted), killed: Number(restart.killed), running: ready, pids: st.instances.map((i) => i.pid).join(',') },
      };
    });
  },
};
