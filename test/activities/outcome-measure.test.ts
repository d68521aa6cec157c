import { measureOutcomes, timeWhere, type MeasureInput } from '../../activities/outcome-measure';
import type { Actuation } from '../../knowledge/types';

const T0 = Date.parse('2026-06-10T12:00:00.000Z');
const iso = (ms: number) => new Date(T0 + ms).toISOString();
const run = (action: Actuation['action'], attempt: number, from: number, to?: number, runId = 'r1'): Actuation => ({
  idempotencyKey: `incident/p/a@${runId}:execute:${action}:${attempt}`,
  incidentId: 'incident/p/a',
  step: 'execute',
  attempt,
  action,
  resource: 'p/a',
  status: to === undefined ? 'started' : 'done',
  recordedAt: T0 + from,
  ...(to === undefined ? {} : { completedAt: T0 + to }),
});

const input = (patch: Partial<MeasureInput> = {}): MeasureInput => ({
  incidentId: 'incident/p/a',
  runId: 'r1',
  pipeline: 'p',
  component: 'a',
  faultClass: 'lag',
  layer: 'infrastructure',
  attempts: [
    { action: 'microreboot', verdict: 'fail', verifyMs: 10_000 },
    { action: 'scale-out', verdict: 'pass', verifyMs: 20_000 },
  ],
  // An execute of an earlier run of the same workflow id, and revalidation rows, are not this incident's.
  actuations: [run('scale-out', 2, 40_000, 70_000), run('microreboot', 1, 10_000, 25_000), run('microreboot', 1, -500_000, -490_000, 'old'), { ...run('microreboot', 0, 9_000, 9_500), step: 'revalidate:microreboot' }],
  evidence: [
    { at: iso(0), source: 'sentinel', summary: 'lag', health: 0.7 }, // health index 0.3
    { at: iso(15_000), source: 'sentinel', summary: 'lag', health: 0.9 }, // 0.1, during the microreboot
    { at: iso(30_000), source: 'sentinel', summary: 'lag', health: 0.8 }, // 0.2, after it
    { at: iso(5_000), source: 'operator', summary: 'no health' },
  ],
  telemetry: [
    { at: T0 + 50_000, healthIndex: 0.5 }, // during the scale-out
    { at: T0 + 80_000, healthIndex: 0.95 }, // after it
    { at: T0 + 10_000, latencyMs: 70_000, loss: 0 },
    { at: T0 + 20_000, latencyMs: 40_000, loss: 0.1 },
    { at: T0 + 30_000, latencyMs: 80_000, quality: 0.5, loss: 0 },
    { at: T0 + 60_000, latencyMs: 1_000, quality: 0.9 },
  ],
  slo: { latencyMs: 60_000, qualityFloor: 0.8, maxLoss: 0.05 },
  openedAt: T0,
  closedAt: T0 + 100_000,
  ...patch,
});

describe('measuring what each attempt did', () => {
  it('integrates the time a condition held, each reading standing until the next', () => {
    const xs = [{ at: 0, v: 1 }, { at: 10, v: 0 }, { at: 30, v: 1 }];
    expect(timeWhere(xs, 5, 40, (v) => v === 1)).toBe(5 + 10);
    expect(timeWhere(xs, 12, 28, (v) => v === 1)).toBe(0);
    expect(timeWhere([], 0, 10, () => true)).toBeUndefined();
  });

  it('takes durations from the actuator log, health from evidence and telemetry, SLO time from telemetry', () => {
    const [micro, scale] = measureOutcomes(input());
    expect(micro).toEqual({
      incidentId: 'incident/p/a', runId: 'r1', pipeline: 'p', component: 'a', faultClass: 'lag', layer: 'infrastructure',
      action: 'microreboot', attempt: 1, verdict: 'fail', at: T0 + 25_000,
      durationMs: 15_000,
      healthBefore: expect.closeTo(0.3, 12),
      healthDuring: expect.closeTo(0.1, 12),
      healthAfter: expect.closeTo(0.2, 12),
      // window 10 s … 35 s: latency 70 s from 10 to 20 s and 80 s from 30 to 35 s; loss 0.1 from 20 to 30 s; quality 0.5 from 30 to 35 s
      sloLatencyMs: 15_000,
      sloLossMs: 10_000,
      sloQualityMs: 5_000,
      // latency 70 s when the microreboot began, 80 s at most meanwhile; loss 0 then, 0.1 at most
      latencyAddedMs: 10_000,
      lossAdded: expect.closeTo(0.1, 12),
    });
    expect(scale).toMatchObject({ action: 'scale-out', attempt: 2, verdict: 'pass', durationMs: 30_000, healthDuring: 0.5, healthAfter: 0.95, at: T0 + 70_000 });
    // latency was 80 s when the scale-out began and only fell: it added none (the fault's
    // latency is not charged to the repair); loss stayed 0
    // before the scale-out: the latest reading at or before 40 s is evidence at 30 s
    expect(scale!.healthBefore).toBeCloseTo(0.2, 12);
    // window 40 s … 90 s: latency 80 s until 60 s, quality 0.5 until 60 s
    expect(scale).toMatchObject({ sloLatencyMs: 20_000, sloQualityMs: 20_000, sloLossMs: 0, latencyAddedMs: 0, lossAdded: 0 });
  });

  it('a verification quicker than the readings takes the first health reading after it, never one past the next attempt', () => {
    const quick = input({
      attempts: [{ action: 'microreboot', verdict: 'pass', verifyMs: 500 }],
      actuations: [run('microreboot', 1, 10_000, 11_000)],
      evidence: [],
      telemetry: [{ at: T0 + 9_000, healthIndex: 0.4 }, { at: T0 + 12_000, healthIndex: 0.9 }, { at: T0 + 13_000, healthIndex: 0.7 }],
    });
    expect(measureOutcomes(quick)[0]).toMatchObject({ healthBefore: 0.4, healthAfter: 0.9 });
    // Two attempts: the first's verdict came before any reading, and the next reading is the second attempt's.
    const [first] = measureOutcomes({
      ...quick,
      attempts: [{ action: 'microreboot', verdict: 'fail', verifyMs: 500 }, { action: 'scale-out', verdict: 'pass', verifyMs: 500 }],
      actuations: [run('microreboot', 1, 10_000, 11_000), run('scale-out', 2, 11_600, 11_900)],
    });
    expect(first!.healthAfter).toBeUndefined();
  });

  it('leaves unmeasured what nothing measured', () => {
    const [only] = measureOutcomes(input({ attempts: [{ action: 'microreboot', verdict: 'pass' }], actuations: [run('microreboot', 1, 10_000)], telemetry: [] }));
    expect(only).toEqual({
      incidentId: 'incident/p/a', runId: 'r1', pipeline: 'p', component: 'a', faultClass: 'lag', layer: 'infrastructure',
      action: 'microreboot', attempt: 1, verdict: 'pass', at: T0 + 100_000, healthBefore: expect.closeTo(0.3, 12),
    });
  });
});
