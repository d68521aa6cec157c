/**
 * Compensation of a repair that failed part-way: the steps it had done are undone in reverse
 * order, newest first, each undo recorded in the actuator log (`<key>#undo:<step>`) so a retry or
 * a second compensation never undoes twice. A template declares an undo per step that changes
 * something, in the order its steps run; steps without one (a restart cannot be taken back) are
 * left as they are. Undo acts on the resource too, so it runs only under the repair's fence: a
 * repair whose lease was taken over leaves the resource to its new holder.
 */
import { HomeostatError, isHomeostatError, type ErrorCode } from '../../common/errors';
import type { ActuatorLog } from './deps';
import type { RepairContext } from './template';

type Output = Record<string, unknown>;

/**
 * Undoes one done step, given the output the step recorded. Must itself be idempotent. Declared
 * in method form so a template over richer deps still counts as a template over fewer (the
 * same bivariance the template's own methods have).
 */
export type StepUndo<D> = { undo(ctx: RepairContext, deps: D, output: Output): Promise<void> }['undo'];
/** Undo per step name, declared in the order the steps run. */
export type StepUndos<D> = Readonly<Record<string, StepUndo<D>>>;

export interface CompensationReport {
  /** Steps undone, in the order their undo ran: the reverse of the order they were done. */
  undone: string[];
  /** Undos that could not run, with why; the steps after them in the list were still tried. */
  failed: { step: string; error: string }[];
}

const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** One line for the explanation: what compensation did, in the order it did it. */
export function describeCompensation(r: CompensationReport): string {
  const parts = [
    ...(r.undone.length > 0 ? [`compensated in reverse order: ${r.undone.map((s) => `undid ${s}`).join(', then ')}`] : []),
    ...r.failed.map((f) => `could not undo ${f.step}: ${f.error}`),
  ];
  return parts.join('; ');
}

/**
 * A repair failed part-way and was compensated. Final for this rung: its steps are recorded done
 * and then undone, so a retry under the same key would skip them; the ladder's next rung (or a
 * human) takes over instead. Keeps the catalogue code of the failure that stopped the repair.
 */
export class RepairFailedError extends HomeostatError {
  readonly retryable = false;

  constructor(
    readonly failure: unknown,
    readonly compensation: CompensationReport,
  ) {
    const code: ErrorCode = isHomeostatError(failure) ? failure.code : 'HS_INTERNAL';
    super(code, `${messageOf(failure)}; ${describeCompensation(compensation)}`, { compensation });
    this.name = 'RepairFailedError';
  }
}

export async function undoSteps<D extends { actuations: ActuatorLog }>(
  ctx: RepairContext,
  deps: D,
  action: string,
  done: readonly { name: string; output: Output }[],
  undo: StepUndos<D>,
): Promise<CompensationReport> {
  const report: CompensationReport = { undone: [], failed: [] };
  const todo = [...done].reverse().filter((s) => undo[s.name] !== undefined);
  if (todo.length === 0) return report;
  try {
    await ctx.fence?.assert();
  } catch (err) {
    report.failed.push(...todo.map((s) => ({ step: s.name, error: `not undone: ${messageOf(err)}` })));
    return report;
  }
  for (const step of todo) {
    const key = `${ctx.idempotencyKey}#undo:${step.name}`;
    if ((await deps.actuations.get(key))?.status === 'done') {
      report.undone.push(step.name);
      continue;
    }
    try {
      await undo[step.name]!(ctx, deps, step.output);
      await deps.actuations.put({ key, action, target: ctx.target, status: 'done', detail: { undid: step.name }, incidentId: ctx.incidentId, attempt: ctx.attempt });
      report.undone.push(step.name);
    } catch (err) {
      report.failed.push({ step: step.name, error: messageOf(err) });
    }
  }
  return report;
}

/** What `once` throws when its body failed: the failure itself when nothing was undone, else a RepairFailedError. */
export async function compensateAfterFailure<D extends { actuations: ActuatorLog }>(
  failure: unknown,
  ctx: RepairContext,
  deps: D,
  action: string,
  done: readonly { name: string; output: Output }[],
  undo: StepUndos<D>,
): Promise<unknown> {
  const report = await undoSteps(ctx, deps, action, done, undo);
  return report.undone.length === 0 && report.failed.length === 0 ? failure : new RepairFailedError(failure, report);
}

/**
 * Undoes a repair that ran under `ctx.idempotencyKey` (a drill putting things back afterwards):
 * every step of the template recorded done, newest first.
 */
export async function compensate<D extends { actuations: ActuatorLog }>(
  template: { action: string; undo?: StepUndos<D> },
  ctx: RepairContext,
  deps: D,
): Promise<CompensationReport> {
  const undo = template.undo ?? {};
  const done: { name: string; output: Output }[] = [];
  for (const name of Object.keys(undo)) {
    const r = await deps.actuations.get(`${ctx.idempotencyKey}#${name}`);
    if (r?.status === 'done') done.push({ name, output: r.detail });
  }
  return undoSteps(ctx, deps, template.action, done, undo);
}
