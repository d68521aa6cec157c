/**
 * Runs a detector configuration over a NAB corpus, row by row and file by file, and scores it.
 * Optionally writes NAB's results layout so NAB's own scorer can cross-check the figures:
 * `<out>/<detector>/<group>/<detector>_<file>.csv` with `timestamp,value,anomaly_score,label`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type NabCorpus, type NabFile, PROFILE_NAMES, loadCorpus } from './corpus';
import { type NabDetectorFactory } from './detector';
import { type NabScores, type ScoredFile, scoreAtThreshold, sweepAll } from './scorer';

export interface NabProgress {
  file: string;
  index: number;
  total: number;
  rows: number;
}

export interface NabRunOptions {
  detector: NabDetectorFactory;
  /** A corpus already in memory (tests, tuning) … */
  corpus?: NabCorpus;
  /** … or the directory to load it from. */
  dataDir?: string;
  outDir?: string;
  onProgress?: (p: NabProgress) => void;
}

export interface NabRunResult {
  detector: string;
  scores: NabScores;
  /** For a detector that decides by itself: the corpus scored at its own decisions. */
  atDecision?: NabScores;
  /** The scored files, for bootstrap intervals. */
  scored: ScoredFile[];
  files: number;
  rows: number;
  windows: number;
}

/** Scores one file's rows in order; the detector never sees a row before it has scored the previous ones. */
export function scoreRows(detector: NabDetectorFactory, file: NabFile): Float64Array {
  const stream = detector.create({ probation: file.probation });
  const out = new Float64Array(file.values.length);
  for (let i = 0; i < file.values.length; i++) {
    const s = stream.next(file.values[i], file.timestamps[i]);
    out[i] = s > 1 ? 1 : s > 0 ? s : 0;
  }
  return out;
}

function writeResults(outDir: string, detector: string, file: NabFile, scores: Float64Array): void {
  const dir = path.join(outDir, detector, file.group);
  fs.mkdirSync(dir, { recursive: true });
  const label = new Uint8Array(file.values.length);
  for (const [a, b] of file.windows) label.fill(1, a, b + 1);
  const lines = ['timestamp,value,anomaly_score,label'];
  for (let i = 0; i < file.values.length; i++) {
    lines.push(`${file.timestampText[i]},${file.values[i]},${scores[i]},${label[i]}`);
  }
  fs.writeFileSync(path.join(dir, `${detector}_${file.name}.csv`), `${lines.join('\n')}\n`);
}

export function runNab(options: NabRunOptions): NabRunResult {
  const corpus = options.corpus ?? loadCorpus(options.dataDir ?? '.');
  const scored = corpus.files.map((file, index) => {
    options.onProgress?.({ file: file.key, index, total: corpus.files.length, rows: file.values.length });
    const scores = scoreRows(options.detector, file);
    if (options.outDir) writeResults(options.outDir, options.detector.name, file, scores);
    return { file, scores };
  });
  const decision = options.detector.decisionThreshold;
  const atDecision =
    decision === undefined ? undefined : (Object.fromEntries(PROFILE_NAMES.map((p) => [p, scoreAtThreshold(scored, corpus.profiles[p], decision)])) as NabScores);
  return {
    detector: options.detector.name,
    scores: sweepAll(scored, corpus.profiles),
    ...(atDecision ? { atDecision } : {}),
    scored,
    files: corpus.files.length,
    rows: corpus.rowCount,
    windows: corpus.windowCount,
  };
}
