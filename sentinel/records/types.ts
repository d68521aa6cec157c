/**
 * The contract between the record readers and the component monitor. A reader turns one record
 * of its kind, plus what the component's `SignalMemory` remembers, into facts; the monitor fuses
 * them and decides. Facts flow one way only: a reader never asks the monitor anything.
 */
import type { FaultClass, Layer } from '../../policies/taxonomy';
import type { SentinelConfig, SignalClass } from '../config';
import type { SignalMemory } from '../memory';
import type { TelemetryKind, TelemetryRecord } from '../telemetry';

export interface FactSink {
  /** A numeric observation for the detectors of `signal` (created on first sight, by its class). */
  sample(signal: string, cls: SignalClass, value: number): void;
  /** A score-only fusion input in [0, 1] (clamped): a schema change, a null-rate rise, a PSI. */
  score(name: string, layer: Layer, score: number): void;
  /** A fact that opens an incident at once (a crash, an OOM kill, a schema change). */
  hardFault(fault: FaultClass, detail: string): void;
  /** The record only shows the component alive (a heartbeat, a start). */
  alive(): void;
  /** The loop verified a repair of the component: re-arm its detection on what comes next. */
  repaired(detail: string): void;
}

/** What a reader gets besides its record. */
export interface ReadContext {
  memory: SignalMemory;
  facts: FactSink;
  config: SentinelConfig;
}

export type RecordOf<K extends TelemetryKind> = Extract<TelemetryRecord, { kind: K }>;

/** One module per record kind implements this. */
export type RecordReader<K extends TelemetryKind> = (rec: RecordOf<K>, ctx: ReadContext) => void;
