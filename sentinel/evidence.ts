/**
 * What an incident action carries: the evidence built from a component's fused health (layer
 * vector, top contributors, recent records) and the fault class its alarming inputs point at.
 */
import type { ComponentHealth } from '../detection/fusion';
import { LAYERS, type FaultClass } from '../policies/taxonomy';
import type { Evidence } from '../workflows/shared';
import type { SignalClass } from './config';

/** A contributor scoring at least this is in alarm (detections are held at 1). */
const ALARM_SCORE = 0.5;
/** A record larger than this as JSON travels in evidence as a digest (kind, signal, ts, size). */
const MAX_SAMPLE_CHARS = 8_192;

/** Most specific first: when several signals alarm, the first hint here names the fault. */
const HINT_SPECIFICITY: readonly FaultClass[] = ['schema-drift', 'null-spike', 'poison-records', 'accuracy-drop', 'distribution-shift', 'late-data', 'hang', 'lag', 'oom'];

export function iso(ts: number): string {
  const d = new Date(ts);
  return Number.isNaN(d.getTime()) ? new Date(0).toISOString() : d.toISOString();
}

function hintFor(signal: string, cls: SignalClass | 'score' | undefined): FaultClass | undefined {
  if (signal.endsWith('.schema')) return 'schema-drift';
  if (signal.endsWith('.null_rate')) return 'null-spike';
  if (signal.endsWith('.psi')) return 'distribution-shift';
  if (signal.endsWith('.count')) return 'late-data';
  // A model's own quality signals. (Not every signal of a model-layer component: the lag or
  // latency of the process serving a model says nothing about its accuracy.)
  if (cls === 'model.error' || cls === 'model.accuracy' || (cls === 'score' && signal.endsWith('.accuracy'))) return 'accuracy-drop';
  // Records a stage cannot process (parse or validation errors) are what poison records look like.
  if (/(^|\.)(errors|parse_errors|rejected)$/i.test(signal)) return 'poison-records';
  if (/lag|backlog|queue/i.test(signal)) return 'lag';
  if (/heartbeat/i.test(signal)) return 'hang';
  if (/mem|rss|heap/i.test(signal)) return 'oom';
  return undefined;
}

/**
 * The fault class the alarming contributors point at. When several alarm at once, the most
 * specific explanation wins (a schema change explains null rates; a model metric explains
 * itself better than the memory of the process that serves it), else the strongest one.
 */
export function faultHint(health: ComponentHealth | null, classOf: (signal: string) => SignalClass | 'score' | undefined): FaultClass | undefined {
  // Inputs configured with weight 0 are shown, not trusted: they name no fault.
  const contributions = (health?.contributions() ?? []).filter((c) => c.weight > 0);
  const top = contributions[0];
  if (!top || top.score <= 0) return undefined;
  const alarming = contributions.filter((c) => c.score >= ALARM_SCORE);
  const hint = alarming
    .map((c) => hintFor(c.signal, classOf(c.signal)))
    .filter((h): h is FaultClass => h !== undefined)
    .sort((a, b) => HINT_SPECIFICITY.indexOf(a) - HINT_SPECIFICITY.indexOf(b))[0];
  // Nothing in alarm names a class (e.g. only latency rose): the strongest contributor that does.
  return hint ?? contributions.filter((c) => c.score > 0).map((c) => hintFor(c.signal, classOf(c.signal))).find((h) => h !== undefined);
}

/** A recent record as evidence carries it: itself, or a digest when it is large (a 1,000-field schema). */
export function compactSample(sample: unknown): unknown {
  let json: string;
  try {
    json = JSON.stringify(sample) ?? 'null';
  } catch {
    json = '';
  }
  if (json !== '' && json.length <= MAX_SAMPLE_CHARS) return sample;
  const r = (typeof sample === 'object' && sample !== null ? sample : {}) as Record<string, unknown>;
  return { kind: r.kind, signal: r.signal, ts: r.ts, truncated: true, chars: json.length };
}

export function buildEvidence(health: ComponentHealth | null, summary: string, ts: number, fault: FaultClass | undefined, hardFault: boolean, samples: unknown[]): Evidence {
  const vector = health?.vector();
  const layer = vector ? LAYERS.reduce((best, l) => (vector[l] > vector[best] ? l : best), LAYERS[0]) : undefined;
  return {
    at: iso(ts),
    source: 'sentinel',
    summary,
    ...(layer ? { layer } : {}),
    ...(fault ? { faultHint: fault } : {}),
    ...(health ? { health: health.health, anomalyVector: health.scoresByName() } : {}),
    detectors: (health?.contributions() ?? []).slice(0, 10).map((c) => ({
      name: c.name,
      score: c.score,
      detail: `signal ${c.signal} (${c.layer}), weight ${c.weight.toFixed(3)}, contribution ${c.contribution.toFixed(3)}`,
    })),
    samples: samples.map(compactSample),
    ...(hardFault ? { hardFault: true } : {}),
  };
}
