/**
 * Loads a NAB corpus directory (`data/<group>/<file>.csv`, `labels/combined_windows.json`,
 * `config/profiles.json`) into typed arrays. Everything read from disk is validated: a malformed
 * file names itself and the offending line instead of producing a silently wrong score.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { HomeostatError } from '../../common/errors';
import { formatZodIssues } from '../../common/zod-errors';

export const PROFILE_NAMES = ['standard', 'reward_low_FP_rate', 'reward_low_FN_rate'] as const;
export type ProfileName = (typeof PROFILE_NAMES)[number];

export interface CostProfile {
  tpWeight: number;
  fnWeight: number;
  fpWeight: number;
}

export interface NabFile {
  /** `group/file.csv`, the key used by NAB's label files. */
  key: string;
  group: string;
  /** File name without `.csv`. */
  name: string;
  /** Timestamps exactly as written in the file (for the results layout). */
  timestampText: string[];
  /** Epoch milliseconds, UTC. */
  timestamps: Float64Array;
  values: Float64Array;
  /** Anomaly windows as inclusive row ranges [first, last]. */
  windows: [number, number][];
  /** Rows before this index are the probation period: not scored. */
  probation: number;
}

export interface NabCorpus {
  files: NabFile[];
  profiles: Record<ProfileName, CostProfile>;
  windowCount: number;
  rowCount: number;
}

const windowsSchema = z.record(z.string(), z.array(z.tuple([z.string(), z.string()])));
const costMatrixSchema = z.object({
  tpWeight: z.number().positive(),
  fnWeight: z.number().nonnegative(),
  fpWeight: z.number().nonnegative(),
});
const profilesSchema = z.object(
  Object.fromEntries(PROFILE_NAMES.map((p) => [p, z.object({ CostMatrix: costMatrixSchema })])) as Record<
    ProfileName,
    z.ZodObject<{ CostMatrix: typeof costMatrixSchema }>
  >,
);

/** NAB rule 1: the first min(floor(0.15 · rows), 750) rows are probation. */
export function probationRows(rows: number): number {
  return Math.min(Math.floor(0.15 * rows), 750);
}

const TS_RE = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?$/;

/** Parses NAB's `YYYY-MM-DD HH:MM:SS[.ffffff]` as UTC; returns NaN when it does not match. */
export function parseNabTimestamp(text: string): number {
  const m = TS_RE.exec(text.trim());
  if (!m) return Number.NaN;
  const ms = m[7] ? Number(`0.${m[7]}`) * 1000 : 0;
  return Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) + ms;
}

function readJson(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new HomeostatError('HS_NOT_FOUND', `nab: cannot read ${file}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new HomeostatError('HS_INVALID_INPUT', `nab: ${file} is not valid JSON: ${(err as Error).message}`);
  }
}

export function loadProfiles(dir: string): Record<ProfileName, CostProfile> {
  const file = path.join(dir, 'config', 'profiles.json');
  const parsed = profilesSchema.safeParse(readJson(file));
  if (!parsed.success) throw new HomeostatError('HS_INVALID_INPUT', `nab: ${file}: ${formatZodIssues(parsed.error).join('; ')}`);
  const out = {} as Record<ProfileName, CostProfile>;
  for (const p of PROFILE_NAMES) out[p] = parsed.data[p].CostMatrix;
  return out;
}

export function parseNabCsv(file: string, text: string): { timestampText: string[]; timestamps: Float64Array; values: Float64Array } {
  const lines = text.split(/\r?\n/);
  if (lines[0]?.trim() !== 'timestamp,value') {
    throw new HomeostatError('HS_INVALID_INPUT', `nab: ${file}:1: header must be "timestamp,value", got "${lines[0] ?? ''}"`);
  }
  const timestampText: string[] = [];
  const ts: number[] = [];
  const vs: number[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    if (line.trim() === '') continue;
    const comma = line.indexOf(',');
    const t = comma < 0 ? '' : line.slice(0, comma);
    const v = comma < 0 ? Number.NaN : Number(line.slice(comma + 1));
    const when = parseNabTimestamp(t);
    if (!Number.isFinite(when) || !Number.isFinite(v) || line.slice(comma + 1).trim() === '') {
      throw new HomeostatError('HS_INVALID_INPUT', `nab: ${file}:${i + 1}: expected "timestamp,number", got "${line}"`);
    }
    timestampText.push(t);
    ts.push(when);
    vs.push(v);
  }
  if (ts.length === 0) throw new HomeostatError('HS_INVALID_INPUT', `nab: ${file} has no rows`);
  return { timestampText, timestamps: Float64Array.from(ts), values: Float64Array.from(vs) };
}

/** Maps timestamp windows to inclusive row ranges: first row at or after start, last row at or before end. */
export function windowRows(timestamps: Float64Array, windows: [string, string][], key: string): [number, number][] {
  return windows.map(([a, b]) => {
    const start = parseNabTimestamp(a);
    const end = parseNabTimestamp(b);
    if (!Number.isFinite(start) || !Number.isFinite(end) || end < start) {
      throw new HomeostatError('HS_INVALID_INPUT', `nab: window [${a}, ${b}] of ${key} is not a valid timestamp range`);
    }
    let first = -1;
    let last = -1;
    for (let i = 0; i < timestamps.length; i++) {
      if (timestamps[i] >= start && first < 0) first = i;
      if (timestamps[i] <= end) last = i;
    }
    if (first < 0 || last < first) {
      throw new HomeostatError('HS_INVALID_INPUT', `nab: window [${a}, ${b}] of ${key} contains no row`);
    }
    return [first, last];
  });
}

/** Loads every `data/<group>/*.csv` under `dir`, sorted by key so runs are reproducible. */
export function loadCorpus(dir: string, only?: (key: string) => boolean): NabCorpus {
  const dataDir = path.join(dir, 'data');
  if (!fs.existsSync(dataDir)) throw new HomeostatError('HS_NOT_FOUND', `nab: ${dataDir} does not exist (expected <dir>/data/<group>/<file>.csv)`);
  const windowsFile = path.join(dir, 'labels', 'combined_windows.json');
  const windowsParsed = windowsSchema.safeParse(readJson(windowsFile));
  if (!windowsParsed.success) {
    throw new HomeostatError('HS_INVALID_INPUT', `nab: ${windowsFile}: ${formatZodIssues(windowsParsed.error).join('; ')}`);
  }
  const labelWindows = windowsParsed.data;
  const profiles = loadProfiles(dir);
  const files: NabFile[] = [];
  const groups = fs
    .readdirSync(dataDir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
  for (const group of groups) {
    const names = fs
      .readdirSync(path.join(dataDir, group))
      .filter((f) => f.endsWith('.csv'))
      .sort();
    for (const f of names) {
      const key = `${group}/${f}`;
      if (only && !only(key)) continue;
      const windows = labelWindows[key];
      if (windows === undefined) throw new HomeostatError('HS_INVALID_INPUT', `nab: ${key} has no entry in ${windowsFile}`);
      const full = path.join(dataDir, group, f);
      const parsed = parseNabCsv(full, fs.readFileSync(full, 'utf8'));
      files.push({
        key,
        group,
        name: f.replace(/\.csv$/, ''),
        ...parsed,
        windows: windowRows(parsed.timestamps, windows, key),
        probation: probationRows(parsed.values.length),
      });
    }
  }
  if (files.length === 0) throw new HomeostatError('HS_NOT_FOUND', `nab: no data files under ${dataDir}`);
  return {
    files,
    profiles,
    windowCount: files.reduce((n, f) => n + f.windows.length, 0),
    rowCount: files.reduce((n, f) => n + f.values.length, 0),
  };
}
