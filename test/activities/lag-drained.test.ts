/**
 * The lag-drained probe on a scripted pipeline view (lags per call, in order): drained lag
 * passes at once; a backlog shrinking fast enough to be gone within the drain budget passes, one
 * shrinking too slowly is inconclusive, one not shrinking fails.
 */
import { lagDrained } from '../../activities/probes';
import type { TemplateDeps } from '../../activities/templates/deps';

type ProbeDeps = Pick<TemplateDeps, 'orchestrator' | 'pipeline' | 'models'>;

/** A pipeline view whose only consuming stage answers the scripted lags in turn; its one instance started `ageMs` ago. */
function scripted(lags: number[], ageMs = 600_000): ProbeDeps {
  const queue = [...lags];
  const pipeline: Partial<TemplateDeps['pipeline']> = {
    components: () => ['source', 'score'],
    inputTopic: (c: string) => (c === 'score' ? 'enriched' : undefined),
    sourceRate: () => 100,
    lag: async () => (queue.length > 1 ? queue.shift()! : queue[0]!),
  };
  const orchestrator: Partial<TemplateDeps['orchestrator']> = {
    status: async (component: string) => ({ component, desiredReplicas: 1, readyReplicas: 1, instances: [{ id: `${component}-0`, state: 'running' as const, restarts: 0, startedAt: Date.now() - ageMs }] }),
  };
  return { pipeline: pipeline as TemplateDeps['pipeline'], orchestrator: orchestrator as TemplateDeps['orchestrator'], models: {} as TemplateDeps['models'] };
}

const opts = { sampleGapMs: 100, drainWithinMs: 30_000 };

describe('lag-drained', () => {
  it('passes on a lag within one second of input', async () => {
    expect((await lagDrained(scripted([40]), 'score', opts)).result).toBe('pass');
  });

  it('passes on a backlog that will drain within the budget', async () => {
    // 900 → 880 in 100 ms: 0.2 records/ms, (880 − 100) / 0.2 = 3.9 s.
    const r = await lagDrained(scripted([900, 880]), 'score', opts);
    expect(r.result).toBe('pass');
    expect(r.detail).toMatch(/backlog shrinking, drained in ≈ 4 s \(within 30 s\)/);
  });

  it('is inconclusive on a backlog shrinking too slowly, fails on one that does not shrink', async () => {
    expect((await lagDrained(scripted([900, 899]), 'score', opts)).result).toBe('inconclusive');
    const growing = await lagDrained(scripted([900, 950]), 'score', opts);
    expect(growing.result).toBe('fail');
    expect(growing.detail).toMatch(/not shrinking \(900 → 950/);
  });

  it('is inconclusive, not failed, while a just-restarted consumer may still be joining its group', async () => {
    const r = await lagDrained(scripted([900, 950], 5_000), 'score', opts);
    expect(r.result).toBe('inconclusive');
    expect(r.detail).toMatch(/score started 5 s ago: too early to tell/);
  });
});
