/**
 * The bindings repair templates act through. A worker builds one `TemplateDeps` at start-up
 * (for the live demo pipeline: `templateDepsForPipeline` in simulator/template-deps.ts) and the
 * `execute` activity hands it to whichever template the plan chose.
 */
import type { CheckpointStore } from '../../bindings/checkpoints';
import type { Log } from '../../bindings/log/types';
import type { Orchestrator } from '../../bindings/orchestration/types';
import type { ModelRegistry, SchemaRegistry } from '../../bindings/registries';

/** One recorded side effect, keyed by idempotency key (the knowledge base's actuator log). */
export interface ActuationRecord {
  key: string;
  action: string;
  target: string;
  status: 'started' | 'done';
  /** Whatever the step needs to resume or to answer a retry (JSON). */
  detail: Record<string, unknown>;
  at: number;
  /** Set by the step runner from the repair context (the knowledge base's actuator log wants them). */
  incidentId?: string;
  attempt?: number;
}

export interface ActuatorLog {
  get(key: string): Promise<ActuationRecord | undefined>;
  /** Inserts or updates the record of a key. */
  put(record: Omit<ActuationRecord, 'at'>): Promise<void>;
}

export interface SinkIntegrityView {
  expected: number;
  stored: number;
  lost: number;
  duplicates: number;
  unexpected: number;
  quarantined: number;
  shed: number;
  checksum: string;
  expectedChecksum: string;
  ok: boolean;
}

export interface DataProfileView {
  at: number;
  component: string;
  rows: number;
  schemaFingerprint: string;
  nullRates: Record<string, number>;
}

/**
 * The pipeline-specific facts and knobs a template needs beyond generic bindings: where a
 * component's state is checkpointed, its consumer lag, its control settings (quarantine, field
 * maps, shedding, restore point), the sink's integrity and the model's labelled examples.
 */
export interface PipelineBinding {
  readonly name: string;
  components(): readonly string[];
  /** Checkpoint stream of a stateful component; undefined for stateless ones. */
  checkpointStream(component: string): string | undefined;
  inputTopic(component: string): string | undefined;
  groupId(component: string): string;
  /** Topics, groups and settings of this pipeline. */
  readonly schemaSubject: string;
  readonly modelName: string;
  /** True when the sink upserts by id (replay is safe). */
  readonly sinkIdempotent: boolean;
  /** Events per second the source is configured to emit. */
  sourceRate(): number;
  lag(component: string): Promise<number>;
  /** Age of the freshest heartbeat of a live instance of the component; undefined when none. */
  heartbeatAgeMs(component: string): Promise<number | undefined>;
  /** Records per second the component processed over its last reporting second (from its heartbeat). */
  throughput(component: string): Promise<number | undefined>;
  setting(component: string, key: string): unknown;
  setSetting(component: string, key: string, value: unknown): void;
  deleteSetting(component: string, key: string): void;
  /** Integrity of the sink for events emitted before `before` (epoch ms; default: all). */
  integrity(options?: { before?: number }): SinkIntegrityView;
  /** Ids set aside as shed become expected again (before a backfill replay). */
  unaccountShed(): number;
  recentExamples(limit: number): { id: string; features: number[]; label: number; labelledAt: number }[];
  /** Accuracy of the last `limit` labelled predictions (of one model version, labelled since `since`). */
  recentAccuracy(limit: number, modelVersion?: string, since?: number): { n: number; accuracy: number };
  /** Newest data profile a component published (from the telemetry topic), if any since `since`. */
  latestProfile(component: string, since?: number): Promise<DataProfileView | undefined>;
}

export interface TemplateDeps {
  orchestrator: Orchestrator;
  log: Log;
  checkpoints: CheckpointStore;
  schemas: SchemaRegistry;
  models: ModelRegistry;
  actuations: ActuatorLog;
  pipeline: PipelineBinding;
  /** Injected so tests and the workflow's worker can shorten waits. */
  sleep?(ms: number): Promise<void>;
  /** Upper bound for a template's own readiness waits (ms). Default 60 s. */
  waitTimeoutMs?: number;
}
