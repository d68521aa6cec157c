/**
 * Bookkeeping shared by the streaming detector classes: the drift / warning / score flags and
 * their getters (`driftDetected` stays in each class, see below), the skipped-input counter,
 * the cold path of `update` for rejected input, the flag part of `reset`, and the trailing
 * `drift`, `warning`, `score`, `skipped` fields of every snapshot's `state`.
 *
 * The hot path stays in each detector: `update` keeps its own inline input check and only calls
 * {@link DetectorBase.rejectInput} / {@link DetectorBase.rejectBinaryInput} for input that
 * failed it.
 */
import { type DetectorName, type SnapshotValue, acceptBinaryInput, acceptInput, decodeBoolean, decodeNumber } from './detector';

type SnapshotState = { readonly [key: string]: SnapshotValue };

export abstract class DetectorBase {
  abstract readonly name: DetectorName;
  abstract readonly skipInvalid: boolean;

  protected drift = false;
  protected lastScore = 0;
  protected nSkipped = 0;

  /** Implemented in each class (hot path: one map per getter keeps the property load monomorphic). */
  abstract get driftDetected(): boolean;

  get score(): number {
    return this.lastScore;
  }

  get skipped(): number {
    return this.nSkipped;
  }

  /** Restarts the running state; runs on the update (valid or skipped) after a detection. */
  protected abstract reset(): void;

  /** Clears the per-update flags; the last step of every `reset`. */
  protected clearFlags(): void {
    this.drift = false;
    this.lastScore = 0;
  }

  /** Cold path of `update` for input that is not a finite number: throws, or counts and skips it. */
  protected rejectInput(x: unknown): this {
    acceptInput(x, this.skipInvalid, this.name);
    return this.skipInput();
  }

  /** Cold path of `update` for input outside [0, 1] in a 0/1 detector: throws, or counts and skips it. */
  protected rejectBinaryInput(x: unknown): this {
    acceptBinaryInput(x, this.skipInvalid, this.name);
    return this.skipInput();
  }

  private skipInput(): this {
    this.nSkipped++;
    if (this.drift) this.reset();
    return this;
  }

  /** The trailing flag fields of a snapshot's `state`. */
  protected flagState(): { [key: string]: SnapshotValue } {
    return { drift: this.drift, score: this.lastScore, skipped: this.nSkipped };
  }

  /** Inverse of {@link flagState}; the last step of every `fromSnapshot`. */
  protected restoreFlags(state: SnapshotState): void {
    this.drift = decodeBoolean(state.drift, 'state.drift');
    this.lastScore = decodeNumber(state.score, 'state.score');
    this.nSkipped = decodeNumber(state.skipped, 'state.skipped');
  }
}

/** {@link DetectorBase} plus the warning flag of DDM, EDDM and HDDM. */
export abstract class WarningDetectorBase extends DetectorBase {
  protected warning = false;

  get warningDetected(): boolean {
    return this.warning;
  }

  protected override clearFlags(): void {
    this.drift = false;
    this.warning = false;
    this.lastScore = 0;
  }

  protected override flagState(): { [key: string]: SnapshotValue } {
    return { drift: this.drift, warning: this.warning, score: this.lastScore, skipped: this.nSkipped };
  }

  protected override restoreFlags(state: SnapshotState): void {
    this.drift = decodeBoolean(state.drift, 'state.drift');
    this.warning = decodeBoolean(state.warning, 'state.warning');
    this.lastScore = decodeNumber(state.score, 'state.score');
    this.nSkipped = decodeNumber(state.skipped, 'state.skipped');
  }
}
