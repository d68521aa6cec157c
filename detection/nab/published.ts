/**
 * NAB's own published detector outputs, scored with Homeostat's scorer (`homeostat nab --published
 * <NAB checkout>`): the check that `scorer.ts` is NAB's scorer. A local checkout of the numenta/NAB
 * repository holds, besides the corpus, `results/<detector>/<group>/<detector>_<file>.csv` (one
 * `anomaly_score` per row) and `results/final_results.json` (NAB's normalised figures per
 * profile). Nothing of NAB's is stored in this repository: the checkout is read where it lies.
 *
 * `sliceFixture` extracts, for a few files, what a scorer needs to reproduce NAB's per-file
 * figures at NAB's chosen thresholds (`<detector>_<profile>_scores.csv`): the file's geometry
 * (rows, probation, windows as rows) and the rows whose score reaches the lowest of those
 * thresholds, no others — the test that keeps a slice of the check reads that fixture.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { HomeostatError } from '../../common/errors';
import { formatZodIssues } from '../../common/zod-errors';
import { type NabCorpus, type NabFile, PROFILE_NAMES, type ProfileName, loadCorpus } from './corpus';
import { PythonRandom } from '../python-random';
import { type NabScores, type ScoredFile, scoreAtThreshold, sweepAll } from './scorer';

export const PUBLISHED_DEFAULT = ['numenta', 'ARTime', 'random'] as const;

const finalSchema = z.record(z.string(), z.object(Object.fromEntries(PROFILE_NAMES.map((p) => [p, z.number()])) as Record<ProfileName, z.ZodNumber>));

function readText(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    throw new HomeostatError('HS_NOT_FOUND', `nab published: cannot read ${file}`);
  }
}

function readJsonFile<T>(file: string, schema: z.ZodType<T>): T {
  let json: unknown;
  try {
    json = JSON.parse(readText(file));
  } catch (err) {
    if (err instanceof HomeostatError) throw err;
    throw new HomeostatError('HS_INVALID_INPUT', `nab published: ${file} is not valid JSON`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new HomeostatError('HS_INVALID_INPUT', `nab published: ${file}: ${formatZodIssues(parsed.error).join('; ')}`);
  return parsed.data;
}

/** NAB's `results/final_results.json`: detector → profile → normalised score. */
export function readFinalResults(checkout: string): Record<string, Record<ProfileName, number>> {
  return readJsonFile(path.join(checkout, 'results', 'final_results.json'), finalSchema);
}

/** The `anomaly_score` column of one results file, checked row for row against the corpus file. */
export function readResultScores(file: string, data: NabFile): Float64Array {
  const lines = readText(file).split(/\r?\n/).filter((l) => l.trim() !== '');
  const header = lines[0].split(',');
  const col = header.indexOf('anomaly_score');
  if (header[0] !== 'timestamp' || col < 0) throw new HomeostatError('HS_INVALID_INPUT', `nab published: ${file}:1: expected a header "timestamp,…,anomaly_score,…"`);
  if (lines.length - 1 !== data.values.length) {
    throw new HomeostatError('HS_INVALID_INPUT', `nab published: ${file} has ${lines.length - 1} rows, ${data.key} has ${data.values.length}`);
  }
  const out = new Float64Array(data.values.length);
  for (let i = 1; i < lines.length; i++) {
    const cells = lines[i].split(',');
    if (cells[0] !== data.timestampText[i - 1]) throw new HomeostatError('HS_INVALID_INPUT', `nab published: ${file}:${i + 1}: timestamp ${cells[0]} does not match ${data.key}`);
    const s = Number(cells[col]);
    if (cells[col] === undefined || cells[col].trim() === '' || !Number.isFinite(s)) throw new HomeostatError('HS_INVALID_INPUT', `nab published: ${file}:${i + 1}: anomaly_score is not a number`);
    out[i - 1] = s;
  }
  return out;
}

export function resultFile(checkout: string, detector: string, file: NabFile): string {
  return path.join(checkout, 'results', detector, file.group, `${detector}_${file.name}.csv`);
}

const thresholdsSchema = z.record(
  z.string(),
  z.object(Object.fromEntries(PROFILE_NAMES.map((p) => [p, z.object({ threshold: z.number() })])) as Record<ProfileName, z.ZodObject<{ threshold: z.ZodNumber }>>),
);

/** NAB's `config/thresholds.json`: detector → profile → the threshold its runner scores at. */
export function readNabThresholds(checkout: string): Record<string, Record<ProfileName, number>> {
  const parsed = readJsonFile(path.join(checkout, 'config', 'thresholds.json'), thresholdsSchema);
  const out: Record<string, Record<ProfileName, number>> = {};
  for (const [d, byProfile] of Object.entries(parsed)) {
    out[d] = Object.fromEntries(PROFILE_NAMES.map((p) => [p, byProfile[p].threshold])) as Record<ProfileName, number>;
  }
  return out;
}

export interface PublishedRow {
  detector: string;
  /** NAB's `final_results.json` figures. */
  nab: Record<ProfileName, number>;
  /** Homeostat's scorer at NAB's stored thresholds: how NAB's runner computes `final_results.json`. */
  atNabThreshold: Record<ProfileName, number>;
  /** Homeostat's exact corpus-wide sweep: the best threshold under NAB's rules. */
  sweep: NabScores;
  /** atNabThreshold − nab and sweep − nab, per profile. */
  differenceAtNab: Record<ProfileName, number>;
  differenceSweep: Record<ProfileName, number>;
}

/** Scores each detector's published outputs both ways and sets them beside NAB's final figures. */
export function scorePublishedFiles(
  detector: string,
  scored: readonly ScoredFile[],
  profiles: NabCorpus['profiles'],
  nab: Record<ProfileName, number>,
  thresholds: Record<ProfileName, number>,
): PublishedRow {
  const sweep = sweepAll(scored, profiles);
  const atNabThreshold = {} as Record<ProfileName, number>;
  const differenceAtNab = {} as Record<ProfileName, number>;
  const differenceSweep = {} as Record<ProfileName, number>;
  for (const p of PROFILE_NAMES) {
    atNabThreshold[p] = scoreAtThreshold(scored, profiles[p], thresholds[p]).score;
    differenceAtNab[p] = atNabThreshold[p] - nab[p];
    differenceSweep[p] = sweep[p].score - nab[p];
  }
  return { detector, nab, atNabThreshold, sweep, differenceAtNab, differenceSweep };
}

/** `homeostat nab --published`: the named detectors' results files in a NAB checkout, scored. */
export function scorePublished(checkout: string, detectors: readonly string[] = PUBLISHED_DEFAULT, corpus: NabCorpus = loadCorpus(checkout)): PublishedRow[] {
  const finals = readFinalResults(checkout);
  const thresholds = readNabThresholds(checkout);
  return detectors.map((detector) => {
    const nab = finals[detector];
    if (!nab) throw new HomeostatError('HS_NOT_FOUND', `nab published: ${detector} has no entry in results/final_results.json`);
    const thr = thresholds[detector];
    if (!thr) throw new HomeostatError('HS_NOT_FOUND', `nab published: ${detector} has no entry in config/thresholds.json`);
    const scored: ScoredFile[] = corpus.files.map((file) => ({ file, scores: readResultScores(resultFile(checkout, detector, file), file) }));
    return scorePublishedFiles(detector, scored, corpus.profiles, nab, thr);
  });
}

/**
 * NAB's `random` detector, reproduced: `random.seed(42)` at the start of every file, then
 * `random.uniform(0, 1)` per row, written by NAB with 12 significant digits. It regenerates every
 * one of the published 365,558 scores exactly, so the whole-corpus check needs no NAB file.
 */
export function nabRandomScores(rows: number): Float64Array {
  const rng = new PythonRandom(42);
  const out = new Float64Array(rows);
  for (let i = 0; i < rows; i++) out[i] = Number(rng.random().toPrecision(12));
  return out;
}

/** NAB's per-file figures at its chosen threshold: `results/<d>/<d>_<profile>_scores.csv`. */
export interface NabFileFigure {
  threshold: number;
  score: number;
  /** Detections (rows) inside windows and outside them, as NAB counts them. */
  tpRows: number;
  fpRows: number;
}

export function readPerFileScores(checkout: string, detector: string, profile: ProfileName): Map<string, NabFileFigure> {
  const file = path.join(checkout, 'results', detector, `${detector}_${profile}_scores.csv`);
  const lines = readText(file).split(/\r?\n/).filter((l) => l.trim() !== '');
  const header = lines[0].split(',');
  const at = (name: string): number => {
    const k = header.indexOf(name);
    if (k < 0) throw new HomeostatError('HS_INVALID_INPUT', `nab published: ${file}:1: no column ${name}`);
    return k;
  };
  const [fileCol, thrCol, scoreCol, tpCol, fpCol] = ['File', 'Threshold', 'Score', 'TP', 'FP'].map(at);
  const out = new Map<string, NabFileFigure>();
  for (const line of lines.slice(1)) {
    const c = line.split(',');
    if (c[0] === 'Totals') continue;
    out.set(c[fileCol], { threshold: Number(c[thrCol]), score: Number(c[scoreCol]), tpRows: Number(c[tpCol]), fpRows: Number(c[fpCol]) });
  }
  return out;
}

/** One file of the slice: geometry, the scores that can matter at NAB's thresholds, NAB's figures. */
export interface SliceFile {
  detector: string;
  key: string;
  rows: number;
  probation: number;
  windows: [number, number][];
  /** [row, score] for every row whose score reaches the lowest threshold in `nab`. */
  detections: [number, number][];
  nab: Record<ProfileName, NabFileFigure>;
}

export function sliceFixture(checkout: string, picks: readonly { detector: string; key: string }[], corpus: NabCorpus = loadCorpus(checkout)): SliceFile[] {
  return picks.map(({ detector, key }) => {
    const file = corpus.files.find((f) => f.key === key);
    if (!file) throw new HomeostatError('HS_NOT_FOUND', `nab published: no corpus file ${key}`);
    const nab = {} as Record<ProfileName, NabFileFigure>;
    for (const p of PROFILE_NAMES) {
      const fig = readPerFileScores(checkout, detector, p).get(key);
      if (!fig) throw new HomeostatError('HS_NOT_FOUND', `nab published: ${detector}_${p}_scores.csv has no row for ${key}`);
      nab[p] = fig;
    }
    const floor = Math.min(...PROFILE_NAMES.map((p) => nab[p].threshold));
    const scores = readResultScores(resultFile(checkout, detector, file), file);
    const detections: [number, number][] = [];
    scores.forEach((s, i) => {
      if (s >= floor) detections.push([i, s]);
    });
    return { detector, key, rows: file.values.length, probation: file.probation, windows: file.windows, detections, nab };
  });
}

/** The check kept in the repository: per-file slices, and every file's geometry for the random detector. */
export interface PublishedFixture {
  source: string;
  nab: Record<string, Record<ProfileName, number>>;
  thresholds: Record<string, Record<ProfileName, number>>;
  /** Every corpus file: rows and windows (inclusive row ranges); probation follows from rows. */
  geometry: { key: string; rows: number; windows: [number, number][] }[];
  slice: SliceFile[];
}

export function publishedFixture(checkout: string, picks: readonly { detector: string; key: string }[], source: string): PublishedFixture {
  const corpus = loadCorpus(checkout);
  const finals = readFinalResults(checkout);
  const thresholds = readNabThresholds(checkout);
  const detectors = [...new Set([...PUBLISHED_DEFAULT, ...picks.map((p) => p.detector)])];
  return {
    source,
    nab: Object.fromEntries(detectors.map((d) => [d, finals[d]])),
    thresholds: Object.fromEntries(detectors.map((d) => [d, thresholds[d]])),
    geometry: corpus.files.map((f) => ({ key: f.key, rows: f.values.length, windows: f.windows })),
    slice: sliceFixture(checkout, picks, corpus),
  };
}
