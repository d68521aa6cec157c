/**
 * Sentinel configuration: which detectors watch which signal, fusion thresholds, snapshot and
 * evidence cadence. The pipeline policy file (`policies/schema.ts`) has no detector section, so
 * the sentinel reads its own `sentinel:` section from a YAML/JSON file (the top-level object
 * itself, or under a `sentinel` key so it can sit in the policy file), with defaults for all.
 *
 * Detectors are chosen per *signal class*: a metric signal, a model's 0/1 error stream, a model's
 * accuracy, and the numbers derived from batch profiles (volume and null rate). `signals` rules
 * override the class defaults for matching pipeline / component / signal names (`*` globs).
 */
import fs from 'node:fs';
import YAML from 'yaml';
import { z } from 'zod';
import { ALL_DETECTOR_NAMES } from '../detection/detector';
import { HomeostatError } from '../common/errors';
import { formatZodIssues } from '../common/zod-errors';
import { LAYERS, type Layer } from '../policies/taxonomy';
import { dispatchSettings, evictionSettings, httpSettings, LIMIT_DEFAULTS, limitsSettings, retentionSettings } from './config-limits';

export const SIGNAL_CLASSES = ['metric', 'model.error', 'model.accuracy', 'profile.count', 'profile.nullRate'] as const;
export type SignalClass = (typeof SIGNAL_CLASSES)[number];

const detectorSpec = z.strictObject({
  detector: z.enum(ALL_DETECTOR_NAMES),
  params: z.record(z.string(), z.unknown()).default({}),
  weight: z.number().nonnegative().default(1),
});
export type DetectorSpec = z.output<typeof detectorSpec>;

const glob = z.string().min(1).default('*');

const signalRule = z.strictObject({
  pipeline: glob,
  component: glob,
  signal: glob,
  layer: z.enum(LAYERS).optional(),
  detectors: z.array(detectorSpec).min(1).optional(),
});

/**
 * Fusion is a weighted *mean* (Σ w_i a_i with Σ w_i = 1), so one alarming input among m moves
 * the level to about 1/m. The default open threshold, 0.15, lets one held detection open a
 * component of up to six inputs (a component with more needs weights or its own threshold);
 * stationary noise stays far below it because scores between detections are damped (`scoring`).
 */
const fusionSettings = z.strictObject({
  alpha: z.number().gt(0).max(1).default(0.3),
  open: z.number().gt(0).max(1).default(0.15),
  close: z.number().min(0).lt(1).default(0.05),
});

/**
 * Defaults: the EWMA control chart is scale-free (its limit is in units of the stream's own
 * standard deviation), so one setting suits latencies in ms and rates in [0, 1] alike. For a 0/1
 * error stream a Bernoulli CUSUM against the rate of its first 400 predictions, kept after a
 * detection: River's detectors relearn their reference after each detection, so a model that
 * stays bad reads as normal a few seconds later, while this chart keeps detecting (every
 * `holdOff` updates) until the error rate is back — the incident gets evidence for as long as
 * the model is degraded. Designed for a fourfold rise in the odds of an error; threshold 10 nats
 * keeps its in-control run length in the tens of thousands of predictions. It weighs three
 * detector inputs: a model's error stream is the model layer's primary signal.
 */
const EWMA = { detector: 'ewma', params: { alpha: 0.1, threshold: 5, minInstances: 30 } } as const;
const defaultDetectors: Record<SignalClass, z.input<typeof detectorSpec>[]> = {
  metric: [EWMA],
  'model.error': [{ detector: 'bernoulli-cusum', params: { reference: 400, oddsRatio: 4, threshold: 10, holdOff: 20 }, weight: 3 }],
  'model.accuracy': [EWMA],
  'profile.count': [EWMA],
  'profile.nullRate': [EWMA],
};

export const sentinelConfigSchema = z.strictObject({
  /** How often detector state and offsets are snapshotted, in ms of wall time. */
  snapshotIntervalMs: z.number().int().positive().default(5_000),
  fusion: fusionSettings.default(fusionSettings.parse({})),
  /** Per-component fusion overrides. */
  components: z
    .array(z.strictObject({ pipeline: glob, component: glob, fusion: fusionSettings.partial() }))
    .default([]),
  detectors: z
    .strictObject(Object.fromEntries(SIGNAL_CLASSES.map((c) => [c, z.array(detectorSpec).min(1).optional()])) as Record<SignalClass, z.ZodOptional<z.ZodArray<typeof detectorSpec>>>)
    .default({}),
  signals: z.array(signalRule).default([]),
  /**
   * How a detector's score enters fusion. After a detection the score is held at 1 for
   * `holdUpdates` observations of its signal; otherwise it is the detector's score raised to
   * `preAlarmPower`, which damps the mid-range scores stationary noise produces (with the raw
   * score, a noise-only stream's EWMA level reaches 0.8 within ~90k samples; with power 8, 0.08).
   */
  scoring: z
    .strictObject({
      holdUpdates: z.number().int().nonnegative().default(20),
      preAlarmPower: z.number().min(1).default(8),
      /** Between detections an input never scores above this, so only a detection can open a component (keep it below `fusion.open`). */
      preAlarmCap: z.number().min(0).max(1).default(0.1),
    })
    .default({ holdUpdates: 20, preAlarmPower: 8, preAlarmCap: 0.1 }),
  /** Layer of metric signals unless a rule says otherwise. */
  metricLayer: z.enum(LAYERS).default('infrastructure'),
  /** PSI between a profile histogram and the first one seen that scores 1 (0.25 = "major shift"). */
  psiAlarm: z.number().positive().default(0.25),
  /** Profile batches summed into each histogram's PSI reference: the ones just before the window. */
  psiReferenceBatches: z.number().int().positive().default(30),
  /**
   * Weight of each data-quality input (schema change, null-rate rise, PSI) in fusion, in units of
   * one detector input. They are facts about the data rather than noisy process metrics: at 1,
   * one alarming quality input among a component's eight or twelve signals could never lift the
   * fused health to the open threshold on its own.
   */
  qualityInputWeight: z.number().nonnegative().default(3),
  /** A model's reported accuracy this far (fraction) below its trailing level scores 1. */
  accuracyDropAlarm: z.number().positive().max(1).default(0.2),
  /** A field's null rate this far above its trailing level (fraction of rows) scores 1. */
  nullRateAlarm: z.number().positive().max(1).default(0.2),
  /**
   * Consumer lag (a metric named `lag` or `backlog`) this many seconds of the component's own
   * trailing `throughput` above its trailing level scores 1. A control chart sees a lag that grows
   * steadily only once (then relearns the slope); measured in seconds of work, a stage falling
   * behind alarms for as long as it falls behind, whatever its rate.
   */
  lagAlarmSeconds: z.number().positive().default(5),
  /** Most recent profile batches whose null rates are compared with the trailing level. */
  nullRateWindowBatches: z.number().int().positive().default(3),
  /** Most recent profile batches summed into the histogram compared with the reference. */
  psiWindowBatches: z.number().int().positive().default(10),
  evidence: z
    .strictObject({
      /** Further anomalies on an open component are sent at most once per this many ms of record time. */
      debounceMs: z.number().int().nonnegative().default(2_000),
      /** Recent records attached to evidence. */
      samples: z.number().int().min(0).max(50).default(5),
      /** Instant anomaly s_t at or above which a record of an open component counts as further evidence; default: the open threshold. */
      minScore: z.number().min(0).max(1).optional(),
    })
    .default({ debounceMs: 2_000, samples: 5 }),
  /** A hard fault (CRASHED, OOMKilled…) keeps the component open this long (record time) unless fusion says otherwise. */
  hardFaultHoldMs: z.number().int().nonnegative().default(60_000),
  /**
   * Evidence of an anomaly still alarming this long (record time) after the component's last
   * incident was opened is marked persistent: if that incident has closed — escalated, or healed
   * while a second fault began — it opens a new incident instead of being dropped.
   */
  reopenAfterMs: z.number().int().positive().default(30_000),
  /** Time window and caps of one record (see `config-limits.ts`). */
  limits: limitsSettings.default(LIMIT_DEFAULTS.limits),
  /** When silent components, signals and series are forgotten. */
  eviction: evictionSettings.default(LIMIT_DEFAULTS.eviction),
  /** Bounded queue, back-pressure and retries of incident actions. */
  dispatch: dispatchSettings.default(LIMIT_DEFAULTS.dispatch),
  /** Retention of the telemetry and dead-letter topics. */
  retention: retentionSettings.default(LIMIT_DEFAULTS.retention),
  /** Caps and debouncing of the HTTP inputs. */
  http: httpSettings.default(LIMIT_DEFAULTS.http),
  /**
   * Sensitivity tags (PII, PHI, PCI…) of components whose raw samples must not leave the
   * sentinel. The pipeline policy's own `sensitivity` tags are added when the config is read
   * from a policy file.
   */
  sensitivity: z
    .array(z.strictObject({ pipeline: glob, component: glob, tags: z.array(z.string().regex(/^[A-Z][A-Z0-9_-]*$/)).min(1) }))
    .default([]),
  /** Tags whose components' samples are redacted. */
  redactTags: z.array(z.string().regex(/^[A-Z][A-Z0-9_-]*$/)).default(['PII', 'PHI', 'PCI']),
});
export type SentinelConfig = z.output<typeof sentinelConfigSchema>;
export type SentinelConfigInput = z.input<typeof sentinelConfigSchema>;

export function parseSentinelConfig(value: unknown): SentinelConfig {
  const parsed = sentinelConfigSchema.safeParse(value ?? {});
  if (!parsed.success) throw new HomeostatError('HS_INVALID_INPUT', `sentinel config: ${formatZodIssues(parsed.error).join('; ')}`);
  return parsed.data;
}

/** Loads a YAML/JSON file holding the config, or a policy file with a `sentinel:` section. */
export function loadSentinelConfig(file: string | undefined): SentinelConfig {
  if (!file) return parseSentinelConfig({});
  let doc: unknown;
  try {
    doc = YAML.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new HomeostatError('HS_INVALID_INPUT', `sentinel config ${file}: ${(err as Error).message}`);
  }
  const section = typeof doc === 'object' && doc !== null && 'sentinel' in doc ? (doc as { sentinel: unknown }).sentinel : doc;
  const config = parseSentinelConfig(section);
  return { ...config, sensitivity: [...config.sensitivity, ...policySensitivity(doc)] };
}

const policyTags = z.object({
  pipelines: z.array(z.object({ name: z.string(), components: z.array(z.object({ name: z.string(), sensitivity: z.array(z.string()).optional() })) })),
});

/**
 * The `sensitivity` tags of a policy file's components, so a sentinel reading its section from
 * the policy redacts exactly what the policy calls sensitive. A file that is not a policy adds
 * nothing (the policy's own validation is `policy validate`'s job, not the sentinel's).
 */
function policySensitivity(doc: unknown): SentinelConfig['sensitivity'] {
  const parsed = policyTags.safeParse(doc);
  if (!parsed.success) return [];
  return parsed.data.pipelines.flatMap((p) =>
    p.components.filter((c) => (c.sensitivity ?? []).length > 0).map((c) => ({ pipeline: p.name, component: c.name, tags: c.sensitivity! })),
  );
}

/** `config` with the sensitivity tags of the policy file `policyFile` added. */
export function withPolicySensitivity(config: SentinelConfig, policyFile: string): SentinelConfig {
  let doc: unknown;
  try {
    doc = YAML.parse(fs.readFileSync(policyFile, 'utf8'));
  } catch (err) {
    throw new HomeostatError('HS_INVALID_INPUT', `policy ${policyFile}: ${(err as Error).message}`);
  }
  return { ...config, sensitivity: [...config.sensitivity, ...policySensitivity(doc)] };
}

/** Sensitivity tags of one component. */
export function sensitivityOf(config: SentinelConfig, pipeline: string, component: string): string[] {
  return [...new Set(config.sensitivity.filter((s) => globMatch(s.pipeline, pipeline) && globMatch(s.component, component)).flatMap((s) => s.tags))];
}

function globMatch(pattern: string, value: string): boolean {
  if (pattern === '*') return true;
  if (!pattern.includes('*')) return pattern === value;
  const re = new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\/]/g, '\\$&')).join('.*')}$`);
  return re.test(value);
}

/** Detectors and layer for one signal: first matching rule, else the class defaults. */
export function detectorsFor(
  config: SentinelConfig,
  cls: SignalClass,
  key: { pipeline: string; component: string; signal: string },
): { layer: Layer; detectors: DetectorSpec[] } {
  const defaultLayer: Layer = cls === 'metric' ? config.metricLayer : cls.startsWith('model') ? 'model' : 'data';
  const rule = config.signals.find(
    (r) => globMatch(r.pipeline, key.pipeline) && globMatch(r.component, key.component) && globMatch(r.signal, key.signal),
  );
  const detectors = rule?.detectors ?? config.detectors[cls] ?? defaultDetectors[cls].map((d) => detectorSpec.parse(d));
  return { layer: rule?.layer ?? defaultLayer, detectors };
}

export function fusionFor(config: SentinelConfig, pipeline: string, component: string): z.output<typeof fusionSettings> {
  const o = config.components.find((c) => globMatch(c.pipeline, pipeline) && globMatch(c.component, component));
  return { ...config.fusion, ...(o?.fusion ?? {}) };
}
