/**
 * Idempotent steps for repair templates. Each step is recorded in the actuator log under
 * `<idempotencyKey>#<step>`: `started` with what the step is about to change, `done` with its
 * output. A retried activity (same key) skips `done` steps and returns their recorded output; a
 * step found `started` but not `done` (the worker died mid-step) is handed the recorded detail so
 * it can check whether its effect already happened before acting again. A step acts only under
 * the repair's fence (a live remediation lease), checked right before it runs.
 * The whole template's result is recorded under the bare key: a second execution returns it
 * with `alreadyApplied: true` and touches nothing. When the body fails part-way, the steps done
 * so far are undone in reverse order (compensation.ts) before the failure is reported.
 */
import type { z } from 'zod';
import { HomeostatError } from '../../common/errors';
import { formatZodIssues } from '../../common/zod-errors';
import { compensateAfterFailure, type StepUndos } from './compensation';
import type { ActuationRecord, ActuatorLog, TemplateDeps } from './deps';
import type { RepairContext, RepairResult } from './template';

export type Json = Record<string, unknown>;

/** What the step machinery needs of a template's dependencies: the actuator log. */
export interface StepDeps {
  actuations: ActuatorLog;
}

export class StepRunner {
  /** Steps done in this run of the body (including ones an earlier attempt finished), in order. */
  readonly done: { name: string; output: Json }[] = [];

  constructor(
    private readonly ctx: RepairContext,
    private readonly deps: StepDeps,
    private readonly action: string,
  ) {}

  /**
   * Runs `fn` once per idempotency key. `begin` is recorded before `fn` runs (use it to capture
   * the state that tells whether the effect happened); `fn` receives the interrupted attempt's
   * record, if any.
   */
  async step<T extends Json>(name: string, fn: (interrupted: ActuationRecord | undefined, begin: (detail: Json) => Promise<void>) => Promise<T>): Promise<T> {
    const key = `${this.ctx.idempotencyKey}#${name}`;
    const prior = await this.deps.actuations.get(key);
    if (prior?.status === 'done') {
      this.done.push({ name, output: prior.detail });
      return prior.detail as T;
    }
    await this.ctx.fence?.assert();
    this.ctx.heartbeat({ step: name });
    const begin = async (detail: Json): Promise<void> => {
      await this.deps.actuations.put({ key, action: this.action, target: this.ctx.target, status: 'started', detail, incidentId: this.ctx.incidentId, attempt: this.ctx.attempt });
    };
    const out = await fn(prior?.status === 'started' ? prior : undefined, begin);
    await this.deps.actuations.put({ key, action: this.action, target: this.ctx.target, status: 'done', detail: out, incidentId: this.ctx.incidentId, attempt: this.ctx.attempt });
    this.done.push({ name, output: out });
    return out;
  }
}

/**
 * Runs a template body once per idempotency key; a repeat returns the recorded result. When the
 * body throws after some steps were done, those steps' `undo` run in reverse order and the
 * failure thrown says what was undone (RepairFailedError).
 */
export async function once<D extends StepDeps>(
  ctx: RepairContext,
  deps: D,
  action: string,
  body: (steps: StepRunner) => Promise<Omit<RepairResult, 'alreadyApplied'>>,
  undo: StepUndos<D> = {},
): Promise<RepairResult> {
  const prior = await deps.actuations.get(ctx.idempotencyKey);
  if (prior?.status === 'done') {
    const r = prior.detail as { summary?: string; impact?: RepairResult['impact'] };
    return { summary: r.summary ?? `${action} already applied`, impact: r.impact ?? {}, alreadyApplied: true };
  }
  const steps = new StepRunner(ctx, deps, action);
  let result: Omit<RepairResult, 'alreadyApplied'>;
  try {
    result = await body(steps);
  } catch (err) {
    throw await compensateAfterFailure(err, ctx, deps, action, steps.done, undo);
  }
  // The execute activity records the result itself, in one transaction with the action history and the audit row.
  if (!ctx.resultRecordedByCaller) {
    await deps.actuations.put({ key: ctx.idempotencyKey, action, target: ctx.target, status: 'done', detail: { summary: result.summary, impact: result.impact }, incidentId: ctx.incidentId, attempt: ctx.attempt });
  }
  return { ...result, alreadyApplied: false };
}

export function sleeper(deps: Pick<TemplateDeps, 'sleep'>): (ms: number) => Promise<void> {
  return deps.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
}

/** Polls `check` until it returns a value; throws HS_SERVICE_UNAVAILABLE with `what` on timeout. */
export async function waitFor<T>(deps: TemplateDeps, ctx: RepairContext, what: string, check: () => Promise<T | undefined>, timeoutMs?: number): Promise<T> {
  const sleep = sleeper(deps);
  const deadline = Date.now() + (timeoutMs ?? deps.waitTimeoutMs ?? 60_000);
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new HomeostatError('HS_SERVICE_UNAVAILABLE', `${ctx.target}: timed out waiting for ${what}`);
    ctx.heartbeat({ waiting: what });
    await sleep(250);
  }
}

/** Waits until every instance of a component runs and heartbeats. */
export async function waitHealthy(deps: TemplateDeps, ctx: RepairContext, component: string, timeoutMs?: number): Promise<number> {
  return waitFor(deps, ctx, `${component} to run and heartbeat`, async () => {
    const st = await deps.orchestrator.status(component);
    const age = await deps.pipeline.heartbeatAgeMs(component);
    return st.desiredReplicas > 0 && st.readyReplicas >= st.desiredReplicas && age !== undefined && age < 1_500 ? st.readyReplicas : undefined;
  }, timeoutMs);
}

/** Template parameters come from the policy file: validated, with the rule broken in the error. */
export function parseParams<S extends z.ZodType>(schema: S, ctx: RepairContext): z.infer<S> {
  const parsed = schema.safeParse(ctx.params ?? {});
  if (!parsed.success) throw new HomeostatError('HS_INVALID_INPUT', `repair parameters for ${ctx.target}: ${formatZodIssues(parsed.error).join('; ')}`);
  return parsed.data;
}

export function holds(name: string, ok: boolean, reason: string): { name: string; holds: boolean; reason: string } {
  return { name, holds: ok, reason };
}
