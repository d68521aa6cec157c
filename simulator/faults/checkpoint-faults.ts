/**
 * A corrupted latest checkpoint: bytes of enrich's newest checkpoint are flipped, then enrich is
 * killed and started again (a crash after a bad write), so it meets the corruption on restore and
 * refuses to start.
 */
import { HomeostatError } from '../../common/errors';
import { ENRICH_STREAM } from '../processes/enrich';
import { done } from './process-faults';
import { livePids, type FaultContext } from './context';
import type { FaultSpec, InjectedFault } from './spec';

type Spec<K extends FaultSpec['fault']> = Extract<FaultSpec, { fault: K }>;

export async function injectCorruptCheckpoint(ctx: FaultContext, spec: Spec<'corrupt-checkpoint'>): Promise<InjectedFault> {
  let detail = '';
  if (spec.restart) {
    // Kill first: a live enrich would write a fresh checkpoint over the corrupt one.
    for (const pid of livePids(ctx, 'enrich')) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await waitForExit(ctx);
  }
  const [latest] = await ctx.checkpoints.list(ENRICH_STREAM);
  if (!latest) throw new HomeostatError('HS_NOT_FOUND', 'enrich has no checkpoint to corrupt yet');
  await ctx.checkpoints.corrupt(ENRICH_STREAM, latest.id);
  detail = `flipped bytes of ${latest.id}`;
  const row = ctx.state.addFault('corrupt-checkpoint', 'enrich', { checkpoint: latest.id });
  ctx.state.clearFaults({ id: row.id });
  if (spec.restart) {
    await ctx.orchestrator.start('enrich');
    detail += '; enrich killed and started again';
  }
  return done(row.id, spec, detail);
}

async function waitForExit(ctx: FaultContext): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const status = await ctx.orchestrator.status('enrich');
    if (status.instances.every((i) => i.state !== 'running')) return;
    if (Date.now() > deadline) throw new HomeostatError('HS_SERVICE_UNAVAILABLE', 'enrich did not exit after SIGKILL');
    await new Promise((r) => setTimeout(r, 50));
  }
}
