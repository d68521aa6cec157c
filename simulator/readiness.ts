/**
 * When a pipeline is warm enough for every repair template to have what it needs: enrich has at
 * least two checkpoints (so checkpoint restore can skip a corrupted latest one) and the model has
 * enough labelled examples for retraining. Drills wait for it before each fault; a fault injected
 * into a cold pipeline would test the warm-up, not the repair.
 */
import type { PipelineHandle } from './pipeline';

export const WARM = { checkpoints: 2, labelledExamples: 300 } as const;

export async function isWarm(p: PipelineHandle): Promise<boolean> {
  const checkpoints = await p.checkpoints.list('enrich');
  return checkpoints.length >= WARM.checkpoints && p.state.recentExamples(WARM.labelledExamples).length >= WARM.labelledExamples;
}

/** Resolves once `isWarm`; after `timeoutMs` resolves false rather than failing (the drill reports what follows). */
export async function waitForRepairPreconditions(p: PipelineHandle, timeoutMs = 60_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await isWarm(p).catch(() => false)) return true;
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}
