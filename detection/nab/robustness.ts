/**
 * How much a NAB figure can be trusted, beside the figure itself:
 * - a bootstrap 95 % interval over files: the corpus is resampled file by file with replacement
 *   and each replicate gets its own threshold sweep (percentiles of the replicates' normalised
 *   scores, per profile);
 * - the mean over block alignments: a configuration with block scales is rerun with its blocks
 *   shifted by 0, 0.1, …, 0.9 of a block; a figure that holds only at one alignment was fitted to it;
 * - a 2-fold split of the files (alternating within each group, in corpus order) for held-out
 *   figures of a tuned configuration (`bench/nab/tune.ts`).
 */
import { HomeostatError } from '../../common/errors';
import { RandomState } from '../random';
import { type CostProfile, type NabCorpus, type NabFile, PROFILE_NAMES, type ProfileName } from './corpus';
import { type NabDetectorFactory } from './detector';
import { scoreRows } from './run';
import { type ScoredFile, prepareSweep, sweepPrepared } from './scorer';

export interface Interval {
  low: number;
  high: number;
}

/** Percentile bootstrap over files; `replicates` resamples of the corpus, deterministic per seed. */
export function bootstrapFiles(
  scored: readonly ScoredFile[],
  profiles: Record<ProfileName, CostProfile>,
  replicates = 1000,
  seed = 17,
  /** Score every replicate at this threshold (a detector's own decisions) instead of sweeping. */
  fixedThreshold?: number,
): Record<ProfileName, Interval> {
  if (!(Number.isInteger(replicates) && replicates >= 10)) throw new HomeostatError('HS_INVALID_INPUT', `nab bootstrap: replicates must be an integer ≥ 10, got ${replicates}`);
  const prep = prepareSweep(scored);
  if (!scored.some((f) => f.file.windows.length > 0)) throw new HomeostatError('HS_INVALID_INPUT', 'nab bootstrap: the corpus has no anomaly window');
  const rng = new RandomState(seed);
  const n = scored.length;
  const draws = new Float64Array(n);
  const samples = Object.fromEntries(PROFILE_NAMES.map((p) => [p, new Float64Array(replicates)])) as Record<ProfileName, Float64Array>;
  for (let r = 0; r < replicates; r++) {
    // A replicate without any window has no normalised score (0 / 0): draw it again.
    do {
      draws.fill(0);
      for (let i = 0; i < n; i++) draws[rng.randint(n)]++;
    } while (!scored.some((f, i) => draws[i] > 0 && f.file.windows.length > 0));
    for (const p of PROFILE_NAMES) samples[p][r] = sweepPrepared(prep, profiles[p], draws, fixedThreshold).score;
  }
  const out = {} as Record<ProfileName, Interval>;
  for (const p of PROFILE_NAMES) {
    const v = samples[p].sort();
    out[p] = { low: quantile(v, 0.025), high: quantile(v, 0.975) };
  }
  return out;
}

/** Linear-interpolation quantile of sorted values. */
function quantile(sorted: Float64Array, q: number): number {
  const at = q * (sorted.length - 1);
  const lo = Math.floor(at);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo] + (at - lo) * (sorted[hi] - sorted[lo]);
}

export const ALIGNMENTS = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9] as const;

export interface AlignmentResult {
  alignment: number;
  scores: Record<ProfileName, number>;
}

/** The configuration at every alignment (null when it has no block scales to shift). */
export function alignmentSpread(
  detector: NabDetectorFactory,
  corpus: NabCorpus,
  onProgress?: (alignment: number) => void,
): { runs: AlignmentResult[]; mean: Record<ProfileName, number> } | null {
  if (!detector.aligned) return null;
  const runs = ALIGNMENTS.map((alignment) => {
    onProgress?.(alignment);
    const d = alignment === 0 ? detector : detector.aligned?.(alignment) ?? detector;
    const prep = prepareSweep(corpus.files.map((file) => ({ file, scores: scoreRows(d, file) })));
    const scores = Object.fromEntries(PROFILE_NAMES.map((p) => [p, sweepPrepared(prep, corpus.profiles[p]).score])) as Record<ProfileName, number>;
    return { alignment, scores };
  });
  const mean = Object.fromEntries(PROFILE_NAMES.map((p) => [p, runs.reduce((s, r) => s + r.scores[p], 0) / runs.length])) as Record<ProfileName, number>;
  return { runs, mean };
}

/** Fold 0 / fold 1: files alternating within each group, in corpus (sorted) order. */
export function twoFold(files: readonly NabFile[]): [NabFile[], NabFile[]] {
  const folds: [NabFile[], NabFile[]] = [[], []];
  const seen = new Map<string, number>();
  for (const f of files) {
    const k = seen.get(f.group) ?? 0;
    seen.set(f.group, k + 1);
    folds[k % 2].push(f);
  }
  return folds;
}
