/**
 * The drift suite's frozen settings: each detector's sensitivity knob (the setting
 * `calibration.ts` names for it: a threshold, a confidence, a significance level) calibrated on
 * streams without any drift — bench/drift/calibration.jsonl.gz, other seeds and concepts of the
 * same generators, never a scored stream — for a target of at most `target` false alarms per
 * 10,000 samples over all calibration streams of the detector's kind; every other setting stays as
 * `SUITE_DETECTORS` fixes it. The result is written once (`homeostat bench drift-suite
 * --calibrate`) to bench/drift/frozen-settings.json and read by every scoring run, including runs
 * on external streams (`--streams`): nothing is tuned on the streams being scored.
 *
 * The search: bisection over the knob's range (geometric for probabilities) for the most sensitive
 * value whose false-alarm rate meets the target, 30 steps. A detector that cannot meet it anywhere
 * in its range keeps its least sensitive value and is flagged `met: false`.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import { z } from 'zod';
import { HomeostatError } from '../../common/errors';
import { formatZodIssues } from '../../common/zod-errors';
import { DEFAULT_KNOBS } from '../calibration';
import { ALL_DETECTOR_NAMES } from '../detector';
import { type DriftStream, STREAM_KINDS } from './stream-file';
import { type FrozenDetector, SUITE_DETECTORS, type SuiteDetectorSpec, detectionsOf } from './suite';

export const DEFAULT_TARGET_PER_10K = 1;

const frozenSchema = z.object({
  targetFalseAlarmsPer10k: z.number().positive(),
  calibration: z.object({ file: z.string(), sha256: z.string(), streams: z.number().int(), samples: z.record(z.string(), z.number().int()) }),
  detectors: z.array(
    z.object({
      name: z.string().min(1),
      kind: z.enum(STREAM_KINDS),
      detector: z.enum(ALL_DETECTOR_NAMES),
      params: z.record(z.string(), z.unknown()),
      invert: z.boolean().optional(),
      knob: z.object({ param: z.string(), value: z.number() }),
      calibrationFalseAlarmsPer10k: z.number(),
      met: z.boolean(),
    }),
  ),
});
export type FrozenSettings = z.infer<typeof frozenSchema>;

function falseAlarmsPer10k(spec: FrozenDetector, streams: readonly DriftStream[]): number {
  let alarms = 0;
  let samples = 0;
  for (const s of streams) {
    alarms += detectionsOf(spec, s.values).length;
    samples += s.values.length;
  }
  return (1e4 * alarms) / samples;
}

/** The most sensitive knob value of one detector that meets the target on the no-drift streams. */
export function calibrateDetector(spec: SuiteDetectorSpec, streams: readonly DriftStream[], target: number, iterations = 30): FrozenSettings['detectors'][number] {
  const knob = DEFAULT_KNOBS[spec.detector];
  const own = streams.filter((s) => s.kind === spec.kind);
  const at = (value: number): FrozenDetector => ({ ...spec, params: { ...spec.params, [knob.param]: value } });
  const rate = (value: number): number => falseAlarmsPer10k(at(value), own);
  // t ∈ [0, 1] from least to most sensitive.
  const [lo, hi] = knob.range;
  const least = knob.lessSensitive === 'up' ? hi : lo;
  const most = knob.lessSensitive === 'up' ? lo : hi;
  const value = (t: number): number => (knob.log ? Math.exp(Math.log(least) + t * (Math.log(most) - Math.log(least))) : least + t * (most - least));
  const done = (v: number, met: boolean): FrozenSettings['detectors'][number] => {
    const d = at(Number(v.toPrecision(6)));
    return { ...d, knob: { param: knob.param, value: d.params[knob.param] as number }, calibrationFalseAlarmsPer10k: rate(d.params[knob.param] as number), met };
  };
  if (rate(least) > target) return done(least, false);
  if (rate(most) <= target) return done(most, true);
  let ok = 0;
  let bad = 1;
  for (let i = 0; i < iterations; i++) {
    const mid = 0.5 * (ok + bad);
    if (rate(value(mid)) <= target) ok = mid;
    else bad = mid;
  }
  // Rounded to 6 significant digits, then checked again: the frozen value itself must meet it.
  let v = value(ok);
  if (rate(Number(v.toPrecision(6))) > target) v = value(Math.max(0, ok - 1e-6));
  return done(v, rate(Number(v.toPrecision(6))) <= target);
}

export function calibrateSuite(streams: readonly DriftStream[], file: string, target = DEFAULT_TARGET_PER_10K, onDetector?: (name: string) => void): FrozenSettings {
  const drifting = streams.find((s) => s.changePoints.length > 0);
  if (drifting) throw new HomeostatError('HS_INVALID_INPUT', `drift calibration: ${drifting.name} has change points; calibration streams must have none`);
  const samples: Record<string, number> = {};
  for (const s of streams) samples[s.kind] = (samples[s.kind] ?? 0) + s.values.length;
  const detectors = SUITE_DETECTORS.map((spec) => {
    onDetector?.(`${spec.kind}/${spec.name}`);
    return calibrateDetector(spec, streams, target);
  });
  const sha256 = crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
  return { targetFalseAlarmsPer10k: target, calibration: { file, sha256, streams: streams.length, samples }, detectors };
}

export function readFrozen(file: string): FrozenSettings {
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    throw new HomeostatError('HS_NOT_FOUND', `drift suite: cannot read the frozen settings ${file} (run homeostat bench drift-suite --calibrate)`);
  }
  const parsed = frozenSchema.safeParse(json);
  if (!parsed.success) throw new HomeostatError('HS_INVALID_INPUT', `drift suite: ${file}: ${formatZodIssues(parsed.error).join('; ')}`);
  return parsed.data;
}
