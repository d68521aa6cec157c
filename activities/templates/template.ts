/**
 * The contract every repair template implements. A template is plain code with injected
 * bindings, so the same template runs against local processes or Kubernetes, the embedded
 * log or Kafka. The `execute` activity of the incident workflow looks a template up by its
 * action name, checks its preconditions, runs its steps and, on failure, its compensation.
 */
import type { Fence } from '../../bindings/fence';
import type { RepairAction } from '../../policies/taxonomy';
import type { StepUndos } from './compensation';

export interface RepairContext {
  incidentId: string;
  pipeline: string;
  /** The component (resource) being repaired. */
  target: string;
  faultClass: string;
  /** Attempt number on the escalation ladder (1-based). */
  attempt: number;
  /**
   * Unique per incident, step and attempt. Templates pass it to every side effect so a
   * retried activity, or one re-run after a worker crash, applies the effect once.
   */
  idempotencyKey: string;
  /** Template-specific parameters from the policy file. */
  params: Record<string, unknown>;
  /** When the incident's first anomaly was observed (epoch ms), when the caller knows it. */
  anomalySince?: number;
  /** Called periodically by long steps; resumes from the last details after a crash. */
  heartbeat(details?: unknown): void;
  /** Details recorded by the last heartbeat of a previous attempt, if any. */
  resumeFrom?: unknown;
  /**
   * The remediation lease this repair holds on its target. Every recorded step checks it before
   * acting, and templates pass it to the bindings they change things through, which check it
   * too. The execute activity always sets it; drills and tools run by hand hold no lease.
   */
  fence?: Fence;
  /**
   * Set by the execute activity, which records the template's result itself (in one transaction
   * with the action history and the audit row); standalone runs leave it unset and `once`
   * records the result.
   */
  resultRecordedByCaller?: boolean;
}

export interface PreconditionResult {
  name: string;
  holds: boolean;
  reason: string;
}

export interface RepairResult {
  /** What was done, in words an operator reads in the explanation. */
  summary: string;
  /** Measured effect (records replayed, instances started, records shed…). */
  impact: Record<string, number | string | boolean>;
  /** True when an earlier attempt with the same idempotency key had already applied it. */
  alreadyApplied: boolean;
  /**
   * Other components of the pipeline the repair acted on (a node drain moves every workload on
   * the node): each counts as remediated too, for the cooldown, rate-limit and loop rules.
   */
  touched?: string[];
}

/** Names of the verification probes a template asks for after its settle window. */
export type ProbeName =
  | 'health-recovered'
  | 'process-running'
  | 'lag-drained'
  | 'throughput-restored'
  | 'data-checks-pass'
  | 'model-accuracy-restored'
  | 'sink-integrity';

export interface RepairTemplate<Deps> {
  action: RepairAction;
  description: string;
  preconditions(ctx: RepairContext, deps: Deps): Promise<PreconditionResult[]>;
  execute(ctx: RepairContext, deps: Deps): Promise<RepairResult>;
  /**
   * Undo of each step that changes something, by step name, in the order the steps run. When a
   * later step fails, the steps done so far are undone in reverse order (compensation.ts); a
   * drill undoes a whole repair the same way.
   */
  undo?: StepUndos<Deps>;
  probes: ProbeName[];
}
