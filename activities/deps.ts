/**
 * What the incident activities stand on, injected at worker start-up: the policy, the knowledge
 * base, the repair templates with their bindings, and the verification probes. Tests and the
 * demo build the same object with their own bindings.
 */
import type { AlertmanagerClient } from '../bindings/alertmanager';
import type { KnowledgeBase } from '../knowledge/types';
import type { PolicyConfig } from '../policies/schema';
import type { RepairAction } from '../policies/taxonomy';
import type { ExecuteInput, ProbeOutcome } from './contracts';
import type { TelemetryReading } from './outcome-measure';
import type { EscalateDeps } from './templates/escalate';
import type { ProbeName, RepairTemplate } from './templates/template';

export interface ProbeRequest {
  incidentId: string;
  pipeline: string;
  component: string;
  action: RepairAction;
}

/** Runs one named verification probe; an unknown probe answers `inconclusive`, never `pass`. */
export type ProbeRunner = (name: ProbeName, req: ProbeRequest) => Promise<ProbeOutcome>;

/** Fraction of healthy components, in a pipeline and across the fleet (blast-radius input). */
export type HealthFractions = (pipeline: string) => Promise<{ pipeline: number; fleet: number }>;

export interface IncidentDeps<TemplateDeps extends EscalateDeps = EscalateDeps> {
  /** The current policy (re-read by the caller when the file changes). */
  policy(): PolicyConfig;
  /** Its version in the knowledge base's policy store, named in the audit row of every repair. */
  policyVersion?: number;
  kb: KnowledgeBase;
  templates: Partial<Record<RepairAction, RepairTemplate<TemplateDeps>>>;
  templateDeps: TemplateDeps;
  probes: ProbeRunner;
  health?: HealthFractions;
  /** Components of `pipeline` the sentinel sees as anomalous right now (lineage walks through them). */
  anomalous?: (pipeline: string) => Promise<string[]>;
  /**
   * Tells the sentinel that a repair of the component was verified, so it re-arms the component's
   * detection (sentinel `POST /repaired`). Best effort: a sentinel that cannot be told only risks
   * a second incident on stale detector state.
   */
  announceRepair?: (req: ProbeRequest) => Promise<void>;
  /**
   * Telemetry readings of a component over a time range (health index, latency, quality, loss),
   * from which learn measures what each repair cost in SLO terms. Without it, learn measures
   * durations from the actuator log and health from the evidence only.
   */
  outcomeTelemetry?: (q: { pipeline: string; component: string; from: number; to: number }) => Promise<TelemetryReading[]>;
  now?: () => Date;
  /** How long a remediation lease lasts before it can be taken over (renewed by long repairs). */
  leaseTtlMs?: number;
  /** Overrides the policy's settle window (tests and the demo shorten it). */
  settleMs?: number;
  /**
   * This worker heals injected faults (`homeostat drill`): the engine may explore there, as in
   * shadow mode, since the incidents are experiments. Never set on a production worker.
   */
  drill?: boolean;
  /** Identity recorded in the audit log for the worker's own actions. */
  actor?: string;
  /** Alertmanager, when one routes this pipeline's alerts: silences during repairs, alerts as verification evidence. */
  alertmanager?: () => AlertmanagerClient | undefined;
  /**
   * Fault injection, set only by test workers: called at each point inside execute, where the
   * test makes the worker crash (throw, or kill its own process) to prove the repair still
   * lands exactly once. Production never sets it.
   */
  faultHook?: (point: ExecutePoint, input: ExecuteInput) => void | Promise<void>;
}

export const DEFAULT_LEASE_TTL_MS = 15 * 60 * 1000;

/** The points inside execute where a test can make the worker crash (IncidentDeps.faultHook). */
export const EXECUTE_POINTS = ['before-record', 'after-record', 'after-effect', 'in-commit', 'after-commit'] as const;
export type ExecutePoint = (typeof EXECUTE_POINTS)[number];
