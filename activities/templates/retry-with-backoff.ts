/**
 * Retry with backoff: for transient failures. Checks the component; if it is not running it
 * starts it again, then waits with exponential backoff (base·2^i, capped) until it runs, heartbeats
 * and makes progress, up to `attempts` times. Resumes from the attempt recorded in the last
 * heartbeat after a worker crash.
 */
import { z } from 'zod';
import type { TemplateDeps } from './deps';
import { holds, once, parseParams, sleeper } from './steps';
import type { RepairTemplate } from './template';

const paramsSchema = z.object({
  attempts: z.number().int().min(1).max(10).default(4),
  baseMs: z.number().int().min(10).max(60_000).default(500),
  capMs: z.number().int().min(10).max(300_000).default(8_000),
});

export const retryWithBackoff: RepairTemplate<TemplateDeps> = {
  action: 'retry-with-backoff',
  description: 'start the component again if needed and wait, with exponential backoff, for it to recover',
  probes: ['process-running', 'lag-drained'],

  async preconditions(ctx, deps) {
    const known = (await deps.orchestrator.components()).includes(ctx.target);
    return [holds('component-known', known, known ? `${ctx.target} is managed` : `${ctx.target} is not a managed component`)];
  },

  async execute(ctx, deps) {
    const p = parseParams(paramsSchema, ctx);
    const sleep = sleeper(deps);
    return once(ctx, deps, 'retry-with-backoff', async () => {
      const resume = z.object({ attempt: z.number().int() }).safeParse(ctx.resumeFrom);
      let starts = 0;
      for (let attempt = resume.success ? resume.data.attempt : 0; attempt < p.attempts; attempt++) {
        ctx.heartbeat({ attempt });
        const st = await deps.orchestrator.status(ctx.target);
        if (st.readyReplicas < Math.max(1, st.desiredReplicas)) {
          await deps.orchestrator.start(ctx.target, undefined, { fence: ctx.fence });
          starts++;
        }
        await sleep(Math.min(p.capMs, p.baseMs * 2 ** attempt));
        const age = await deps.pipeline.heartbeatAgeMs(ctx.target);
        const t = await deps.pipeline.throughput(ctx.target);
        const healthy = age !== undefined && age < 1_500 && (deps.pipeline.inputTopic(ctx.target) === undefined || (t ?? 0) > 0);
        if (healthy) return { summary: `${ctx.target} recovered after ${attempt + 1} attempt(s)${starts ? `, ${starts} start(s)` : ''}`, impact: { attempts: attempt + 1, starts } };
      }
      throw new Error(`${ctx.target} did not recover after ${p.attempts} attempts`);
    });
  },
};
