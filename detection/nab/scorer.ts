/**
 * NAB scoring, reimplemented from the rules in the NAB README (/work/shared/nab/README.md):
 *
 * - rows in the probation period are never scored;
 * - a detection inside a window of width w whose right edge is row r, at row i, has relative
 *   position p = −(r − i + 1)/w and is worth tpWeight · S(p)/S(−1), with S(p) = 2·sigmoid(−5p) − 1;
 *   only the earliest (best) detection of a window counts, the others are free;
 * - a window without a detection costs −fnWeight;
 * - a detection outside every window is a false positive: −fpWeight when no window precedes it,
 *   otherwise fpWeight · S(|r' − i|/(w' − 1)) for the last preceding window (right edge r', width w'),
 *   and −fpWeight once that position exceeds 3;
 * - the threshold is chosen once per profile over the whole corpus to maximise the raw score, and
 *   the raw score is normalised against the null detector (every window missed) and the perfect one
 *   (tpWeight per window): 100 · (S − S_null)/(S_perfect − S_null).
 *
 * The sweep is exact and incremental: rows are visited by decreasing score and each candidate
 * threshold (every distinct score, plus "above every score" for the never-firing detector) gets its
 * corpus score in O(1) amortised, so a corpus of 365k rows is swept in well under a second.
 */
import { type CostProfile, type NabFile, PROFILE_NAMES, type ProfileName } from './corpus';

/** S(p) = 2·sigmoid(−5p) − 1, and −1 beyond 3 as NAB's rules say for false positives far from a window. */
export function scaledSigmoid(p: number): number {
  if (p > 3) return -1;
  return 2 / (1 + Math.exp(5 * p)) - 1;
}

const S_MINUS_ONE = scaledSigmoid(-1);

/**
 * Per scored row, the profile-independent part of its value if it were a detection:
 * `window[i] ≥ 0` → inside that window (corpus-wide window id), `unit[i]` = S(p)/S(−1) (× tpWeight);
 * `window[i] = −1` → outside every window, `unit[i]` = S(position) or −1 (× fpWeight).
 */
export interface RowValues {
  window: Int32Array;
  unit: Float64Array;
}

/** Row values of one file; `windowBase` offsets this file's window ids into the corpus numbering. */
export function rowValues(file: Pick<NabFile, 'values' | 'windows' | 'probation'>, windowBase = 0): RowValues {
  const n = file.values.length;
  const window = new Int32Array(n).fill(-1);
  const unit = new Float64Array(n);
  const wins = [...file.windows].sort((a, b) => a[0] - b[0]);
  let k = -1; // index of the last window whose left edge is ≤ i
  for (let i = 0; i < n; i++) {
    while (k + 1 < wins.length && wins[k + 1][0] <= i) k++;
    if (k >= 0 && i <= wins[k][1]) {
      const [l, r] = wins[k];
      const w = r - l + 1;
      window[i] = windowBase + file.windows.indexOf(wins[k]);
      unit[i] = scaledSigmoid(-(r - i + 1) / w) / S_MINUS_ONE;
    } else if (k >= 0) {
      const [l, r] = wins[k];
      const w = r - l + 1;
      // A one-row window has w' − 1 = 0: every later row is "far" from it.
      unit[i] = w > 1 ? scaledSigmoid(Math.abs(r - i) / (w - 1)) : -1;
    } else {
      unit[i] = -1;
    }
  }
  return { window, unit };
}

export interface FileScoreParts {
  tp: number;
  fp: number;
  fn: number;
  /** Raw score of the file: window values + false positives. */
  score: number;
}

/** Raw score of one file at one threshold (NAB rules 2–5). */
export function scoreFile(
  file: Pick<NabFile, 'values' | 'windows' | 'probation'>,
  scores: ArrayLike<number>,
  threshold: number,
  profile: CostProfile,
): FileScoreParts {
  const rv = rowValues(file);
  const best = new Float64Array(file.windows.length).fill(Number.NaN);
  let fpSum = 0;
  let fp = 0;
  for (let i = file.probation; i < file.values.length; i++) {
    if (!(scores[i] >= threshold)) continue;
    const w = rv.window[i];
    if (w >= 0) {
      if (Number.isNaN(best[w])) best[w] = rv.unit[i];
    } else {
      fp++;
      fpSum += profile.fpWeight * rv.unit[i];
    }
  }
  let tp = 0;
  let fn = 0;
  let windowSum = 0;
  for (const b of best) {
    if (Number.isNaN(b)) {
      fn++;
      windowSum -= profile.fnWeight;
    } else {
      tp++;
      windowSum += profile.tpWeight * b;
    }
  }
  return { tp, fp, fn, score: windowSum + fpSum };
}

export interface ProfileResult {
  /** Normalised score: 0 = null detector, 100 = perfect. */
  score: number;
  raw: number;
  threshold: number;
  nullRaw: number;
  perfectRaw: number;
  tp: number;
  fp: number;
  fn: number;
}

export type NabScores = Record<ProfileName, ProfileResult>;

export interface ScoredFile {
  file: Pick<NabFile, 'values' | 'windows' | 'probation'>;
  scores: ArrayLike<number>;
}

/**
 * The corpus's scored rows in decreasing score order, prepared once so that sweeps for several
 * profiles, or over resampled corpora (a bootstrap over files), need no further sorting.
 */
export interface PreparedSweep {
  score: Float64Array;
  window: Int32Array;
  unit: Float64Array;
  file: Int32Array;
  /** Windows per file. */
  windows: Int32Array;
  windowCount: number;
}

export function prepareSweep(files: readonly ScoredFile[]): PreparedSweep {
  let total = 0;
  let windowCount = 0;
  for (const f of files) {
    total += Math.max(0, f.file.values.length - f.file.probation);
    windowCount += f.file.windows.length;
  }
  const rawScore = new Float64Array(total);
  const rawWin = new Int32Array(total);
  const rawUnit = new Float64Array(total);
  const rawFile = new Int32Array(total);
  const windows = new Int32Array(files.length);
  let at = 0;
  let base = 0;
  files.forEach((f, fi) => {
    const rv = rowValues(f.file, base);
    for (let i = f.file.probation; i < f.file.values.length; i++) {
      const s = f.scores[i];
      // A missing or NaN score can never be a detection.
      rawScore[at] = Number.isFinite(s) ? s : Number.NEGATIVE_INFINITY;
      rawWin[at] = rv.window[i];
      rawUnit[at] = rv.unit[i];
      rawFile[at] = fi;
      at++;
    }
    windows[fi] = f.file.windows.length;
    base += f.file.windows.length;
  });
  const order = new Uint32Array(total);
  for (let i = 0; i < total; i++) order[i] = i;
  order.sort((a, b) => rawScore[b] - rawScore[a]);
  const score = new Float64Array(total);
  const window = new Int32Array(total);
  const unit = new Float64Array(total);
  const file = new Int32Array(total);
  for (let k = 0; k < total; k++) {
    const r = order[k];
    score[k] = rawScore[r];
    window[k] = rawWin[r];
    unit[k] = rawUnit[r];
    file[k] = rawFile[r];
  }
  return { score, window, unit, file, windows, windowCount };
}

/**
 * Corpus-wide threshold sweep for one profile (NAB rules 6–7). `fileWeights` counts each file that
 * many times (a bootstrap replicate draws files with replacement): copies of a file have the same
 * scores, so each copy's windows and false positives behave alike and simply add up.
 * `fixedThreshold` scores at that threshold instead of the best one (a detector's own decisions).
 */
export function sweepPrepared(prep: PreparedSweep, profile: CostProfile, fileWeights?: ArrayLike<number>, fixedThreshold?: number): ProfileResult {
  const total = prep.score.length;
  let windowCount = prep.windowCount;
  if (fileWeights) {
    windowCount = 0;
    for (let f = 0; f < prep.windows.length; f++) windowCount += fileWeights[f] * prep.windows[f];
  }
  const nullRaw = -profile.fnWeight * windowCount;
  const perfectRaw = profile.tpWeight * windowCount;
  const best = new Float64Array(prep.windowCount).fill(Number.NaN);
  let raw = nullRaw;
  let tp = 0;
  let fp = 0;
  let bestRaw = nullRaw;
  let bestThreshold = Number.POSITIVE_INFINITY;
  let bestTp = 0;
  let bestFp = 0;
  let k = 0;
  const { score, window: win, unit, file } = prep;
  while (k < total) {
    const thr = score[k];
    if (thr === Number.NEGATIVE_INFINITY || (fixedThreshold !== undefined && thr < fixedThreshold)) break;
    // Every row with exactly this score becomes a detection at this threshold.
    while (k < total && score[k] === thr) {
      const m = fileWeights ? fileWeights[file[k]] : 1;
      if (m !== 0) {
        const w = win[k];
        if (w >= 0) {
          const v = profile.tpWeight * unit[k];
          if (Number.isNaN(best[w])) {
            best[w] = v;
            raw += m * (profile.fnWeight + v);
            tp += m;
          } else if (v > best[w]) {
            raw += m * (v - best[w]);
            best[w] = v;
          }
        } else {
          raw += m * profile.fpWeight * unit[k];
          fp += m;
        }
      }
      k++;
    }
    // With a fixed threshold the score is the one of the lowest score still at or above it.
    if (raw > bestRaw || fixedThreshold !== undefined) {
      bestRaw = raw;
      bestThreshold = thr;
      bestTp = tp;
      bestFp = fp;
    }
  }
  return {
    score: (100 * (bestRaw - nullRaw)) / (perfectRaw - nullRaw),
    raw: bestRaw,
    threshold: bestThreshold,
    nullRaw,
    perfectRaw,
    tp: bestTp,
    fp: bestFp,
    fn: windowCount - bestTp,
  };
}

export function sweepProfile(files: readonly ScoredFile[], profile: CostProfile): ProfileResult {
  return sweepPrepared(prepareSweep(files), profile);
}

export function sweepAll(files: readonly ScoredFile[], profiles: Record<ProfileName, CostProfile>): NabScores {
  const prep = prepareSweep(files);
  const out = {} as NabScores;
  for (const p of PROFILE_NAMES) out[p] = sweepPrepared(prep, profiles[p]);
  return out;
}

/**
 * The corpus score at a given threshold, normalised like the sweep: what NAB's runner reports in
 * `final_results.json`, which scores every file at the threshold stored in `config/thresholds.json`.
 */
export function scoreAtThreshold(files: readonly ScoredFile[], profile: CostProfile, threshold: number): ProfileResult {
  let raw = 0;
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let windowCount = 0;
  for (const f of files) {
    const parts = scoreFile(f.file, f.scores, threshold, profile);
    raw += parts.score;
    tp += parts.tp;
    fp += parts.fp;
    fn += parts.fn;
    windowCount += f.file.windows.length;
  }
  const nullRaw = -profile.fnWeight * windowCount;
  const perfectRaw = profile.tpWeight * windowCount;
  return { score: (100 * (raw - nullRaw)) / (perfectRaw - nullRaw), raw, threshold, nullRaw, perfectRaw, tp, fp, fn };
}
