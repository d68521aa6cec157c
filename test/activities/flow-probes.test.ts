/**
 * The lag-drained probe on a scripted pipeline view (lags per call, in order): drained lag
 * passes at once; a backlog shrinking fast enough to be gone within the drain budget passes, one
 * shrinking too slowly is inconclusive, one not shrinking fails. And throughput-restored: a stage
 * below the source's rate passes only when nothing waits at its input.
 */
import { lagDrained, throughputRestored } from '../../activities/probes';
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

/** The stage's throughput and lag as scripted; its one instance started `ageMs` ago. */
function flowing(throughput: number, lag: number, ageMs = 600_000): ProbeDeps {
  const deps = scripted([lag], ageMs);
  (deps.pipeline as { throughput: TemplateDeps['pipeline']['throughput'] }).throughput = async () => throughput;
  return deps;
}

describe('throughput-restored', () => {
  it('passes at the source rate, and below it when the stage keeps up with what reaches it', async () => {
    expect((await throughputRestored(flowing(95, 500), 'score')).result).toBe('pass');
    // Upstream quarantines 60 % of events: 40/s arrive, all are taken, nothing waits.
    const r = await throughputRestored(flowing(40, 10), 'score');
    expect(r.result).toBe('pass');
    expect(r.detail).toMatch(/keeping up with its input \(lag 10/);
  });

  it('fails when the stage is slow and its input waits; is inconclusive right after a restart', async () => {
    expect((await throughputRestored(flowing(40, 900), 'score')).result).toBe('fail');
    expect((await throughputRestored(flowing(40, 900, 5_000), 'score')).result).toBe('inconclusive');
  });
});
