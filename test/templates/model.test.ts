/**
 * Model faults on the live pipeline: a bad model deploy (accuracy drop) is rolled back; concept
 * drift is retrained, validated and promoted; a covariate shift shows in the profiles and a
 * retrain is promoted only if it beats the serving model.
 */
import { runProbes } from '../../activities/probes';
import { TEMPLATES } from '../../activities/templates';
import type { TemplateDeps } from '../../activities/templates/deps';
import { clearFaults, injectFault, type FaultContext } from '../../simulator/faults';
import type { PipelineHandle } from '../../simulator/pipeline';
import { MODEL_NAME } from '../../simulator/processes/score';
import type { TelemetryRecord } from '../../sentinel/telemetry';
import { repairContext, type TelemetryTap, waitUntil } from '../simulator/support';
import { useLivePipeline } from './support';

jest.setTimeout(300_000);

const accuracy = (pred: (a: number, version: string) => boolean) => (r: TelemetryRecord): boolean =>
  r.kind === 'model' && r.accuracy !== undefined && (r.n ?? 0) >= 50 && pred(r.accuracy, r.modelVersion ?? '');

describe('model faults → templates', () => {
  let p: PipelineHandle;
  let tap: TelemetryTap;
  let deps: TemplateDeps;
  let faults: FaultContext;
  useLivePipeline('model', async (live) => {
    ({ p, tap, deps, faults } = live);
    await waitUntil('labelled examples', () => p.state.recentExamples(300).length >= 300);
  });

  async function verified(action: 'model-rollback' | 'retrain-validate-promote', since: number): Promise<void> {
    const t = TEMPLATES[action];
    await waitUntil(`${action} to verify`, async () => (await runProbes(t?.probes ?? [], 'score', deps, { since })).result === 'pass', 90_000, 500);
  }

  it('accuracy drop after a bad model deploy → error stream of 1s → model-rollback', async () => {
    const serving = (await p.registries.pinnedModel(MODEL_NAME))?.version;
    const since = await tap.mark();
    const injected = await injectFault(faults, { fault: 'accuracy-drop' });
    const bad = (await p.registries.pinnedModel(MODEL_NAME))?.version as string;
    expect(bad).not.toBe(serving);
    await tap.waitFor('accuracy of the bad version below 40 %', accuracy((a, v) => v === bad && a < 0.4), since);
    const errors = tap.records.slice(since).filter((r) => r.kind === 'model' && r.error !== undefined && r.modelVersion === bad);
    expect(errors.filter((r) => r.kind === 'model' && r.error === 1).length / errors.length).toBeGreaterThan(0.6);
    expect(injected.detail).toContain(bad);

    const ctx = repairContext('score', 'inc-acc:execute:model-rollback:1');
    expect((await TEMPLATES['model-rollback']?.preconditions(ctx, deps))?.every((c) => c.holds)).toBe(true);
    const r = await TEMPLATES['model-rollback']?.execute(ctx, deps);
    expect(r?.impact).toEqual({ from: bad, to: serving });
    const repairedAt = Date.now();
    await verified('model-rollback', repairedAt);
    // Same key again: no second pin.
    const pins = (await p.registries.modelPinHistory(MODEL_NAME)).length;
    expect((await TEMPLATES['model-rollback']?.execute(ctx, deps))?.alreadyApplied).toBe(true);
    expect((await p.registries.modelPinHistory(MODEL_NAME)).length).toBe(pins);
  });

  it('distribution shift → profiles move; a retrain that does not beat the serving model is not promoted', async () => {
    // The serving model (rolled back above) fits the concept, which a covariate shift does not change.
    const since = await tap.mark();
    const fault = await injectFault(faults, { fault: 'distribution-shift', shift: 2.5, mode: 'abrupt' });
    const shifted = await tap.waitFor('mean of x1 above 1.5 at the source', (r) => r.kind === 'profile' && r.component === 'source' && r.count > 20 && (r.means?.x1 ?? 0) > 1.5, since);
    const counts = shifted.kind === 'profile' ? (shifted.histograms?.x1?.counts ?? []) : [];
    // Most of the mass now sits in the bins above 1 (edges …, 1, 2, 3, 4).
    expect(counts.slice(7).reduce((a, b) => a + b, 0)).toBeGreaterThan(counts.slice(0, 7).reduce((a, b) => a + b, 0));
    const serving = (await p.registries.pinnedModel(MODEL_NAME))?.version;
    // Demand a large gain: the serving model is still right about the concept, so the candidate cannot show it.
    const ctx = repairContext('score', 'inc-shift:execute:retrain-validate-promote:1', { minGain: 0.2, window: 400 });
    const r = await TEMPLATES['retrain-validate-promote']?.execute(ctx, deps);
    expect(r?.impact.promoted).toBe(false);
    expect(r?.summary).toMatch(/^kept /);
    expect((await p.registries.pinnedModel(MODEL_NAME))?.version).toBe(serving);
    clearFaults(faults, { id: fault.id });
  });

  it('concept drift → accuracy collapses → retrain-validate-promote waits for post-drift labels and promotes', async () => {
    const since = await tap.mark();
    const servingBefore = (await p.registries.pinnedModel(MODEL_NAME))?.version;
    const fault = await injectFault(faults, { fault: 'concept-drift', severity: 1 });
    await tap.waitFor('accuracy below 40 %', accuracy((a) => a < 0.4), since);
    // As the incident workflow does: the repair runs right after detection with the first
    // anomaly as its onset and no window of its own; few labels of the new concept exist yet,
    // and the template must wait for them rather than train on the old concept.
    const anomalySince = Date.now();
    const ctx = { ...repairContext('score', 'inc-drift:execute:retrain-validate-promote:1'), anomalySince };
    expect((await TEMPLATES['retrain-validate-promote']?.preconditions(ctx, deps))?.every((c) => c.holds)).toBe(true);
    const r = await TEMPLATES['retrain-validate-promote']?.execute(ctx, deps);
    expect(r?.impact.promoted).toBe(true);
    expect(Number(r?.impact.candidateAccuracy)).toBeGreaterThan(Number(r?.impact.servingAccuracy));
    expect(ctx.beats.length).toBeGreaterThan(0);
    expect((await p.registries.pinnedModel(MODEL_NAME))?.version).not.toBe(servingBefore);
    await verified('retrain-validate-promote', Date.now());
    clearFaults(faults, { id: fault.id });
  });

  it('keeps the sink exactly-once through model changes', async () => {
    const integrity = await p.quiesce(120_000);
    expect(integrity).toMatchObject({ lost: 0, duplicates: 0, unexpected: 0, mismatched: 0 });
    expect(tap.invalid).toEqual([]);
  });
});
