/**
 * The sentinel's PSI input compares a window of recent profile batches with the longer run of
 * batches just before it: second-sized batches of the same distribution stay far below the
 * alarm level, a shifted population crosses it within a few batches, and a population that has
 * stayed shifted becomes the new normal.
 */
import { parseSentinelConfig } from '../../sentinel/config';
import { PSI_HOLD_MAX_MS, SignalMemory } from '../../sentinel/memory';
import { lcg } from './streams';

const EDGES = [-4, -3, -2, -1, -0.5, 0, 0.5, 1, 2, 3, 4];

/** A 100-row histogram of N(mean, 1) on the fixed edges. */
function batch(rnd: () => number, mean: number): number[] {
  const counts = new Array<number>(EDGES.length - 1).fill(0);
  for (let r = 0; r < 100; r++) {
    const v = mean + (rnd() + rnd() + rnd() + rnd() - 2) * Math.sqrt(3);
    let i = EDGES.findIndex((e, j) => j > 0 && v < e) - 1;
    if (i < 0) i = v < EDGES[0]! ? 0 : counts.length - 1;
    counts[i]++;
  }
  return counts;
}

describe('PSI against a learned reference', () => {
  const config = parseSentinelConfig({});
  const monitor = (): { psi(key: string, counts: number[]): number; memory: SignalMemory } => {
    const memory = new SignalMemory();
    let ts = 0;
    return { memory, psi: (key, counts) => memory.psi(key, counts, config.psiReferenceBatches, config.psiWindowBatches, (ts += 1000)) };
  };

  it('is 0 until both windows fill, stays under a quarter of the alarm on one distribution, crosses it on a 2.5σ shift, then settles', () => {
    const m = monitor();
    const rnd = lcg(11);
    for (let b = 1; b < config.psiReferenceBatches + config.psiWindowBatches; b++) expect(m.psi('x1', batch(rnd, 0))).toBe(0);
    const healthy = Array.from({ length: 120 }, () => m.psi('x1', batch(rnd, 0)));
    expect(Math.max(...healthy)).toBeLessThan(config.psiAlarm / 4);
    const shifted = Array.from({ length: 80 }, () => m.psi('x1', batch(rnd, 2.5)));
    expect(shifted[2]).toBeGreaterThan(config.psiAlarm);
    // Once reference and window both hold the shifted population, it is the new normal.
    expect(Math.max(...shifted.slice(config.psiReferenceBatches + config.psiWindowBatches))).toBeLessThan(config.psiAlarm / 4);
  });

  it('survives a snapshot: the restored monitor continues with the same reference and window', () => {
    const a = monitor();
    const rnd = lcg(5);
    const batches = Array.from({ length: 60 }, (_, i) => batch(rnd, i >= 45 ? 2 : 0));
    for (const b of batches.slice(0, 40)) a.psi('x1', b);
    const restored = SignalMemory.restore(JSON.parse(JSON.stringify(a.memory.snapshot())));
    for (const h of batches.slice(40)) expect(restored.psi('x1', h, config.psiReferenceBatches, config.psiWindowBatches, 0)).toBe(a.psi('x1', h));
  });

  /** 80 s of one distribution, then the component's anomaly opens: the memory holds its references. */
  const openAfterHealthy = (seed: number): { memory: SignalMemory; rnd: () => number; psi(mean: number): number; now(): number; tick(): number } => {
    const memory = new SignalMemory();
    const rnd = lcg(seed);
    let ts = 0;
    const psi = (mean: number): number => memory.psi('x1', batch(rnd, mean), config.psiReferenceBatches, config.psiWindowBatches, (ts += 1000));
    for (let b = 0; b < 80; b++) psi(0);
    memory.holdReferences(ts);
    return { memory, rnd, psi, now: () => ts, tick: () => (ts += 1000) };
  };

  it('while an anomaly is open, a population that moved and stayed keeps alarming: the reference is held, up to PSI_HOLD_MAX_MS', () => {
    const { memory, rnd, psi, now, tick } = openAfterHealthy(23);
    const openedAt = now();
    // Twice the time after which the unheld reference had absorbed the shift (first test).
    const held = Array.from({ length: 2 * (config.psiReferenceBatches + config.psiWindowBatches) }, () => psi(2.5));
    expect(now() - openedAt).toBeLessThan(PSI_HOLD_MAX_MS);
    expect(Math.min(...held.slice(config.psiWindowBatches))).toBeGreaterThan(config.psiAlarm);

    // The hold survives a snapshot.
    const restored = SignalMemory.restore(JSON.parse(JSON.stringify(memory.snapshot())));
    const h = batch(rnd, 2.5);
    const at = tick();
    expect(restored.psi('x1', h, config.psiReferenceBatches, config.psiWindowBatches, at)).toBe(memory.psi('x1', h, config.psiReferenceBatches, config.psiWindowBatches, at));

    // Past the longest hold the shifted population becomes the new normal, as without a hold.
    while (now() - openedAt <= PSI_HOLD_MAX_MS) psi(2.5);
    const after = Array.from({ length: 2 * (config.psiReferenceBatches + config.psiWindowBatches) }, () => psi(2.5));
    expect(Math.max(...after.slice(config.psiReferenceBatches + config.psiWindowBatches))).toBeLessThan(config.psiAlarm / 4);
  });

  it('a repair ends the hold: the memory starts over and learns the population it finds', () => {
    const { memory, psi } = openAfterHealthy(29);
    for (let b = 0; b < 10; b++) psi(2.5);
    memory.clearAfterRepair();
    expect(memory.snapshot().psiHeldSince).toBeNull();
    const settled = Array.from({ length: 2 * (config.psiReferenceBatches + config.psiWindowBatches) }, () => psi(2.5));
    expect(Math.max(...settled)).toBeLessThan(config.psiAlarm / 4);
  });
});
