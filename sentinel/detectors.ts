/**
 * How the sentinel builds, snapshots and restores detectors.
 *
 * A streaming detector reports score 1 for exactly the one update on which it detects, then
 * resets. Fused through an EWMA (α ≈ 0.3) a one-update spike can never lift a component's level
 * to the open threshold, so the sentinel wraps each detector in a `HeldDetector`: after a
 * detection its score stays at 1 for `holdUpdates` further observations of that signal (a
 * deterministic, count-based hold — record time, not wall time — so replays match). Between
 * detections the score is damped (raised to a power) so noise does not accumulate in the EWMA.
 * The wrapper's snapshot embeds the detector's own snapshot; `restore` undoes both.
 */
import { z } from 'zod';
import { HomeostatError } from '../common/errors';
import { type DetectorName } from '../detection/detector';
import { type FusableDetector } from '../detection/fusion';

/** A detector that fusion can drive and the sentinel can snapshot. */
export interface SnapshotableDetector extends FusableDetector {
  readonly driftDetected?: boolean;
  snapshot(): unknown;
}

/** Where detectors come from: `detection/registry` in production (see `registry-factory.ts`). */
export interface DetectorFactory {
  create(name: DetectorName, params: Record<string, unknown>): SnapshotableDetector;
  restore(snapshot: unknown): SnapshotableDetector;
}

export const HELD_SNAPSHOT_TYPE = 'homeostat.sentinel.held';

const heldSnapshot = z.object({
  type: z.literal(HELD_SNAPSHOT_TYPE),
  version: z.literal(1),
  holdUpdates: z.number().int().nonnegative(),
  power: z.number().min(1),
  cap: z.number().min(0).max(1),
  hold: z.number().int().nonnegative(),
  score: z.number().min(0).max(1),
  inner: z.unknown(),
});

export class HeldDetector implements SnapshotableDetector {
  private hold = 0;
  private current = 0;

  constructor(
    readonly inner: SnapshotableDetector,
    readonly holdUpdates: number,
    readonly power = 1,
    readonly cap = 1,
  ) {}

  update(x: number): this {
    this.inner.update(x);
    if (this.inner.driftDetected === true) this.hold = this.holdUpdates + 1;
    if (this.hold > 0) {
      this.hold--;
      this.current = 1;
    } else {
      const a = this.inner.score;
      const damped = this.power === 1 ? a : a ** this.power;
      this.current = damped < this.cap ? damped : this.cap;
    }
    return this;
  }

  get score(): number {
    return this.current;
  }

  /**
   * Re-arms after a verified repair when the inner detector can restart without relearning its
   * reference (it has a `rearm`): the held alarm ends and the detector's statistic restarts.
   * False when it cannot: the caller replaces it with a fresh detector instead.
   */
  rearm(): boolean {
    const inner = this.inner as SnapshotableDetector & { rearm?: () => void };
    if (typeof inner.rearm !== 'function') return false;
    inner.rearm();
    this.hold = 0;
    this.current = 0;
    return true;
  }

  get driftDetected(): boolean {
    return this.inner.driftDetected === true;
  }

  snapshot(): z.infer<typeof heldSnapshot> {
    return { type: HELD_SNAPSHOT_TYPE, version: 1, holdUpdates: this.holdUpdates, power: this.power, cap: this.cap, hold: this.hold, score: this.current, inner: this.inner.snapshot() };
  }

  static restore(snapshot: unknown, factory: DetectorFactory): HeldDetector {
    const parsed = heldSnapshot.safeParse(snapshot);
    if (!parsed.success) throw new HomeostatError('HS_SNAPSHOT_MISMATCH', `sentinel: not a held-detector snapshot: ${parsed.error.issues[0]?.message}`);
    const d = new HeldDetector(factory.restore(parsed.data.inner), parsed.data.holdUpdates, parsed.data.power, parsed.data.cap);
    d.hold = parsed.data.hold;
    d.current = parsed.data.score;
    return d;
  }
}

/** The restore function fusion needs: held wrappers and plain detectors alike. */
export function restoreAny(factory: DetectorFactory): (snapshot: unknown) => FusableDetector {
  return (snapshot) => {
    if (typeof snapshot === 'object' && snapshot !== null && (snapshot as { type?: unknown }).type === HELD_SNAPSHOT_TYPE) {
      return HeldDetector.restore(snapshot, factory);
    }
    return factory.restore(snapshot);
  };
}
