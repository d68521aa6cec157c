/**
 * The load of an alert storm, shared by the storm benchmark and its end-to-end test: anomalies at
 * a fixed rate spread over many components — hard faults of mixed classes (crash loops, OOM
 * kills, hangs, stalls) and latency spikes — on top of one steady latency sample per component
 * per second. Deterministic for a seed.
 */
import type { AppendMessage } from '../bindings/log';

export interface StormSpec {
  pipelines: number;
  componentsPerPipeline: number;
  anomaliesPerMinute: number;
  seed?: number;
}

const FAULTS = ['CRASHED', 'CRASHED', 'OOMKilled', 'HUNG', 'STALLED'];

export function componentsOf(spec: StormSpec, prefix: string): { pipeline: string; component: string }[] {
  const out: { pipeline: string; component: string }[] = [];
  for (let p = 0; p < spec.pipelines; p++) for (let c = 0; c < spec.componentsPerPipeline; c++) out.push({ pipeline: `${prefix}-p${p}`, component: `c${c}` });
  return out;
}

/** Produces the messages of successive ticks: anomalies pro rata, and the steady samples once a second. */
export class StormLoad {
  private s: number;
  private carry = 0;
  private lastSteady = 0;
  readonly components: { pipeline: string; component: string }[];
  anomalies = 0;

  constructor(
    private readonly spec: StormSpec,
    prefix: string,
  ) {
    this.s = spec.seed ?? 7;
    this.components = componentsOf(spec, prefix);
  }

  private rnd(): number {
    this.s = (Math.imul(this.s, 1664525) + 1013904223) >>> 0;
    return this.s / 2 ** 32;
  }

  /** Messages for the `ms` that ended at `now`. */
  tick(now: number, ms: number): AppendMessage[] {
    const out: AppendMessage[] = [];
    this.carry += (this.spec.anomaliesPerMinute * ms) / 60_000;
    for (; this.carry >= 1; this.carry--) {
      const { pipeline, component } = this.components[Math.floor(this.rnd() * this.components.length)];
      const ts = now - Math.floor(this.rnd() * ms);
      const value =
        this.rnd() < 0.6
          ? { kind: 'event', v: 1, ts, pipeline, component, signal: 'process', event: FAULTS[Math.floor(this.rnd() * FAULTS.length)], exitCode: 1 }
          : { kind: 'metric', v: 1, ts, pipeline, component, signal: 'latency', value: 1_000 + this.rnd() * 500 };
      out.push({ key: pipeline, value: JSON.stringify(value) });
      this.anomalies++;
    }
    if (now - this.lastSteady >= 1_000) {
      this.lastSteady = now;
      for (const { pipeline, component } of this.components) {
        out.push({ key: pipeline, value: JSON.stringify({ kind: 'metric', v: 1, ts: now, pipeline, component, signal: 'latency', value: 40 + this.rnd() * 4 }) });
      }
    }
    return out;
  }
}
