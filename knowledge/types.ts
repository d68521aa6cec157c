/**
 * The knowledge base's records and its interface. The SQLite backend (knowledge/sqlite/) is the
 * embedded default; the PostgreSQL backend (knowledge/postgres/) implements the same interface
 * for several workers sharing one knowledge base, hence every method is asynchronous even where
 * SQLite answers synchronously. Times are epoch milliseconds.
 */
import type { ActionRecord } from '../policies/safety';
import type { PastCase } from '../policies/case-based';
import type { OutcomeSample, OutcomeSampleInput } from '../policies/outcomes';
import type { QEntry } from '../policies/q-learning';
import type { ShadowRecord } from '../policies/promotion';
import type { FaultClass, Layer, Mode, RepairAction, Severity, UNKNOWN_FAULT, Verdict } from '../policies/taxonomy';
import type { Explanation, Outcome } from '../workflows/shared';

export type { ActionRecord, OutcomeSample, OutcomeSampleInput, PastCase, QEntry, ShadowRecord, Verdict };

export interface FaultSignature {
  pipeline: string;
  component: string;
  faultClass: FaultClass | typeof UNKNOWN_FAULT;
  layer?: Layer;
  severity: Severity;
}

/** One rung tried during an incident, with what verification said about it. */
export interface CaseAttempt {
  action: RepairAction;
  verification: Verdict;
  durationMs?: number;
  /** Normalised cost in [0, 1] (downtime, resources, side effects), when measured. */
  cost?: number;
  /** Health recovered, ΔH in [0, 1], when measured. */
  recovery?: number;
  latencyMs?: number;
  loss?: number;
  /** From the end of the repair to the verdict of its verification (ms): learns the next deadline. */
  verifyMs?: number;
  /** Probe rounds the verification ran. */
  probeRounds?: number;
  /** Times a passing probe round was followed by a failing one: learns how many passes in a row to ask for. */
  flaps?: number;
}

export interface CaseInput {
  incidentId: string;
  /**
   * The incident run this case closes (`<incident id>@<first run id>`): a case is recorded once
   * per run, however often the learn activity is retried.
   */
  runKey?: string;
  signature: FaultSignature;
  mode: Mode;
  evidence: unknown;
  /** The plan as chosen, with its alternatives and scores. */
  plan: unknown;
  alternatives: unknown;
  /** The final action (the last attempt, or escalate). */
  action: RepairAction;
  attempts: CaseAttempt[];
  outcome: Outcome;
  ttdMs?: number;
  mttmMs?: number;
  mttrMs?: number;
  explanation: Explanation;
}

export interface CaseRecord extends CaseInput {
  id: number;
  createdAt: number;
}

export interface Lease {
  resource: string;
  pipeline: string;
  holder: string;
  /** Fencing token: strictly increases each time the lease changes hands. */
  token: number;
  acquiredAt: number;
  expiresAt: number;
}

export type LeaseResult = { acquired: true; lease: Lease } | { acquired: false; heldBy: Lease };

export interface ActuationInput {
  /** Unique per incident, step and attempt, e.g. `incident/demo/enrich:execute:microreboot:1`. */
  idempotencyKey: string;
  incidentId: string;
  step: string;
  attempt: number;
  action: RepairAction;
  resource: string;
  detail?: unknown;
}

export interface Actuation extends ActuationInput {
  status: 'started' | 'done';
  result?: unknown;
  recordedAt: number;
  completedAt?: number;
}

/** A repair that ran (or was attempted), as cooldown, rate-limit and loop rules read it. */
export interface ActionInput extends ActionRecord {
  /** The execute attempt's idempotency key: one row per key, whatever the retries. */
  idempotencyKey?: string;
}

export interface SchemaVersion {
  subject: string;
  version: number;
  schema: unknown;
  fingerprint?: string;
  createdAt: number;
}

export interface ModelVersion {
  name: string;
  version: number;
  uri: string;
  metrics?: Record<string, number>;
  createdAt: number;
}

export interface StoredPolicy {
  version: number;
  sha256: string;
  source: string;
  text: string;
  createdAt: number;
}

export interface LineageEdge {
  from: string;
  to: string;
  kind?: string;
}

export interface AuditInput {
  actor: string;
  action: string;
  subject: string;
  detail?: unknown;
}

export interface AuditRow extends AuditInput {
  seq: number;
  at: string;
  prevHash: string;
  hash: string;
}

export interface AuditVerification {
  ok: boolean;
  rows: number;
  /** seq of the first row whose hash or link does not verify. */
  firstBrokenRow?: number;
  reason?: string;
}

export interface ModeRecord {
  pipeline: string;
  faultClass: FaultClass;
  mode: Mode;
  reason: string;
  updatedAt: number;
}

export interface KnowledgeBase {
  /**
   * Runs `fn` inside one transaction: every read and write made through `tx` sees and lands
   * together, or not at all (fn throwing rolls back and rethrows). `tx.transaction(f)` runs f(tx)
   * inside the same transaction.
   */
  transaction<T>(fn: (tx: KnowledgeBase) => Promise<T>): Promise<T>;
  /**
   * Inside `transaction`: waits until no other transaction, in any process sharing this knowledge
   * base, holds `scope`, then holds it until this transaction ends. Check-then-act decisions
   * (safety admission before taking a lease) call it so that two workers cannot both pass a limit
   * that only one of them may use. Throws outside a transaction.
   */
  serialiseOn(scope: string): Promise<void>;

  // pipelines and policies
  savePolicy(text: string, source: string): Promise<StoredPolicy>;
  latestPolicy(): Promise<StoredPolicy | undefined>;
  upsertPipeline(name: string, definition: unknown): Promise<void>;
  getPipeline(name: string): Promise<unknown>;
  listPipelines(): Promise<string[]>;

  // cases
  recordCase(input: CaseInput): Promise<CaseRecord>;
  getCase(id: number): Promise<CaseRecord | undefined>;
  casesForIncident(incidentId: string): Promise<CaseRecord[]>;
  /** The case recorded for an incident run (`CaseInput.runKey`), if any. */
  caseForRun(runKey: string): Promise<CaseRecord | undefined>;
  /** Past attempts as the engine reads them, newest first; filter by pipeline and/or fault class. */
  pastCases(query: { pipeline?: string; faultClass?: FaultClass | typeof UNKNOWN_FAULT; limit?: number }): Promise<PastCase[]>;

  // outcome samples: what each attempted action measurably did (policies/outcomes.ts)
  /** Stores one sample per attempted action of a closed incident; call inside learn's transaction. */
  recordOutcomes(samples: readonly OutcomeSampleInput[]): Promise<OutcomeSample[]>;
  /** Samples newest first; filter by fault class and/or action. */
  outcomeSamples(query: { faultClass?: FaultClass | typeof UNKNOWN_FAULT; action?: RepairAction; limit?: number }): Promise<OutcomeSample[]>;

  // Q-table
  qTable(): Promise<QEntry[]>;
  putQEntry(entry: QEntry): Promise<void>;

  // leases
  acquireLease(req: { resource: string; pipeline: string; holder: string; ttlMs: number }): Promise<LeaseResult>;
  renewLease(req: { resource: string; holder: string; token: number; ttlMs: number }): Promise<Lease | undefined>;
  releaseLease(req: { resource: string; holder: string; token: number }): Promise<boolean>;
  /** Is `token` still the live fencing token for `resource`? Actuators check before acting. */
  checkFence(resource: string, token: number): Promise<boolean>;
  activeLeases(): Promise<Lease[]>;

  // actuator log and action history
  recordActuation(input: ActuationInput): Promise<{ alreadyRecorded: boolean; actuation: Actuation }>;
  completeActuation(idempotencyKey: string, result?: unknown): Promise<Actuation>;
  getActuation(idempotencyKey: string): Promise<Actuation | undefined>;
  listActuations(filter?: { incidentId?: string; resource?: string }): Promise<Actuation[]>;
  /**
   * The replica count a workload had before a repair changed it (a scale-out, a stop), keyed by
   * resource (`kubernetes:<namespace>/deployment/<name>`): a later start or scale-back restores
   * it, in whichever worker runs it, after any restart.
   */
  rememberReplicas(resource: string, replicas: number): Promise<void>;
  rememberedReplicas(resource: string): Promise<number | undefined>;
  /** Records a repair; false when a row with the same idempotency key was recorded before (nothing written). */
  recordAction(record: ActionInput): Promise<boolean>;
  recentActions(query: { since: number; pipeline?: string; resource?: string }): Promise<ActionRecord[]>;

  // shadow mode and progressive autonomy
  recordShadow(record: Omit<ShadowRecord, 'finalAction'>): Promise<void>;
  resolveShadow(incidentId: string, finalAction: RepairAction | null): Promise<number>;
  shadowRecords(pipeline: string, faultClass: FaultClass, limit?: number): Promise<ShadowRecord[]>;
  getMode(pipeline: string, faultClass: FaultClass): Promise<ModeRecord | undefined>;
  setMode(record: Omit<ModeRecord, 'updatedAt'>): Promise<void>;

  // registries
  registerSchemaVersion(input: { subject: string; schema: unknown; fingerprint?: string }): Promise<SchemaVersion>;
  getSchemaVersion(subject: string, version: number): Promise<SchemaVersion | undefined>;
  listSchemaVersions(subject: string): Promise<SchemaVersion[]>;
  pinSchema(subject: string, version: number): Promise<void>;
  getPinnedSchema(subject: string): Promise<SchemaVersion | undefined>;
  registerModelVersion(input: { name: string; uri: string; metrics?: Record<string, number> }): Promise<ModelVersion>;
  getModelVersion(name: string, version: number): Promise<ModelVersion | undefined>;
  listModelVersions(name: string): Promise<ModelVersion[]>;
  pinModel(name: string, version: number): Promise<void>;
  getPinnedModel(name: string): Promise<ModelVersion | undefined>;

  // lineage
  addLineageNode(id: string, kind: string, attrs?: unknown): Promise<void>;
  addLineageEdge(edge: LineageEdge): Promise<void>;
  lineageEdges(): Promise<LineageEdge[]>;
  /** Every node upstream of `node` (transitively), nearest first. */
  upstreamOf(node: string): Promise<string[]>;

  // audit
  appendAudit(input: AuditInput): Promise<AuditRow>;
  listAudit(query?: { subject?: string; limit?: number }): Promise<AuditRow[]>;
  verifyAuditChain(): Promise<AuditVerification>;

  close(): Promise<void>;
}
