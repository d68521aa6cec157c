/**
 * Repairs that throw, on the real dev server. Errors cross the activity boundary with their
 * catalogue code as type: a non-retryable one (HS_INVALID_INPUT) is not retried, a retryable
 * one (HS_SERVICE_UNAVAILABLE) is. A failed repair is counted for cooldown, rate-limit and loop
 * rules and audited, and the explanation says it failed. A template that fails part-way undoes
 * its done steps in reverse order, and the explanation says so.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { RepairTemplate } from '../../activities/templates/template';
import { once } from '../../activities/templates/steps';
import { HomeostatError } from '../../common/errors';
import { resourceOf } from '../../policies/safety';
import type { RepairAction } from '../../policies/taxonomy';
import type { FileActuatorDeps } from '../fixtures/templates/file-actuator';
import { manualInput, uniqueName } from './helpers';
import { applications, closeIncident, expectCompleteExplanation, recordHistory, startIncident, useIncidentEnv, withWorker, type ClosedIncident } from './incident-harness';
import type { Lab } from './lab';
import { createLab } from './lab';

jest.setTimeout(90_000);

const env = useIncidentEnv();

/** A scale-out that calls `body` each time it runs, counting its calls. */
function scriptedScaleOut(body: (call: number, ctx: Parameters<RepairTemplate<FileActuatorDeps>['execute']>[0], deps: FileActuatorDeps) => Promise<void>): {
  template: RepairTemplate<FileActuatorDeps>;
  calls: () => number;
} {
  let calls = 0;
  return {
    calls: () => calls,
    template: {
      action: 'scale-out',
      description: 'scripted scale-out',
      probes: ['health-recovered'],
      async preconditions() {
        return [{ name: 'always', holds: true, reason: 'test' }];
      },
      async execute(ctx, deps) {
        calls += 1;
        await body(calls, ctx, deps);
        return { summary: 'scaled out', impact: { applied: true }, alreadyApplied: false };
      },
    },
  };
}

/**
 * Each execute activity of the incident as its history tells it: the attempt that ran last, the
 * type of the failure that made the server retry it, and how it ended (a failure's type, or ok).
 * (Retries happen inside the server: history shows only the last attempt and its last failure.)
 */
interface ExecuteRun {
  attempt: number;
  retriedAfter?: string;
  ended: string;
}

async function runLag(lab: Lab, pipeline: string, fixture?: string): Promise<{ closed: ClosedIncident; executes: ExecuteRun[] }> {
  return withWorker(env.conn.native, lab, async (taskQueue) => {
    const handle = await startIncident(env.conn.client, taskQueue, manualInput(pipeline, 'sink'));
    const closed = await closeIncident(handle, lab);
    const events = (await handle.fetchHistory()).events ?? [];
    const id = (x: { toString(): string } | null | undefined): string => x?.toString() ?? '';
    const executes = events
      .filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'execute')
      .map((scheduled): ExecuteRun => {
        const started = events.find((e) => id(e.activityTaskStartedEventAttributes?.scheduledEventId) === id(scheduled.eventId))?.activityTaskStartedEventAttributes;
        const failed = events.find((e) => id(e.activityTaskFailedEventAttributes?.scheduledEventId) === id(scheduled.eventId))?.activityTaskFailedEventAttributes;
        const retriedAfter = started?.lastFailure?.applicationFailureInfo?.type;
        return { attempt: started?.attempt ?? 0, ...(retriedAfter ? { retriedAfter } : {}), ended: failed ? (failed.failure?.applicationFailureInfo?.type ?? 'failed') : 'ok' };
      });
    if (fixture) await recordHistory(env.conn.client, handle, fixture);
    return { closed, executes };
  });
}

test('a non-retryable error (HS_INVALID_INPUT) is not retried; the failed repair is counted, audited and explained, and the ladder moves on', async () => {
  const pipeline = uniqueName('invalid');
  const scripted = scriptedScaleOut(async () => {
    throw new HomeostatError('HS_INVALID_INPUT', 'repair parameters for sink: by: must be at least 1');
  });
  const lab = env.track(await createLab({ pipeline, templates: { 'scale-out': scripted.template } }));

  const { closed, executes } = await runLag(lab, pipeline, 'execute-throws');

  expect(scripted.calls()).toBe(1);
  // scale-out failed on its first attempt and was not retried; load-shedding then ran.
  expect(executes).toEqual([
    { attempt: 1, ended: 'HS_INVALID_INPUT' },
    { attempt: 1, ended: 'ok' },
  ]);
  expect(closed.result.outcome).toBe('healed');
  expect(applications(lab)).toEqual({ 'load-shedding': 1 });
  // Counted where cooldown, rate-limit and loop rules look, once, and audited with its code.
  const history = await lab.kb.recentActions({ since: 0, resource: resourceOf(pipeline, 'sink') });
  expect(history.map((h) => h.action)).toEqual(['scale-out', 'load-shedding']);
  const failed = (await lab.kb.listAudit({ subject: closed.id })).filter((a) => a.action === 'execute.scale-out.failed');
  expect(failed).toHaveLength(1);
  expect(failed[0]!.detail).toMatchObject({ code: 'HS_INVALID_INPUT', error: 'repair parameters for sink: by: must be at least 1' });
  expect(closed.explanation.impact).toContain('scale-out on sink failed: repair parameters for sink: by: must be at least 1');
  expect(closed.cases[0]).toMatchObject({ attempts: [{ action: 'scale-out', verification: 'fail' }, { action: 'load-shedding', verification: 'pass' }] });
  expectCompleteExplanation(closed);
});

test('a retryable error (HS_SERVICE_UNAVAILABLE) is retried and the repair then applies once', async () => {
  const pipeline = uniqueName('transient');
  const scripted = scriptedScaleOut(async (call, ctx, deps) => {
    if (call === 1) throw new HomeostatError('HS_SERVICE_UNAVAILABLE', 'orchestrator did not answer');
    fs.appendFileSync(path.join(deps.actuatorDir, 'scale-out.log'), `${ctx.idempotencyKey} ${ctx.target} ${ctx.fence?.token ?? '-'}\n`);
  });
  const lab = env.track(await createLab({ pipeline, templates: { 'scale-out': scripted.template } }));

  const { closed, executes } = await runLag(lab, pipeline);

  expect(scripted.calls()).toBe(2);
  expect(executes).toEqual([{ attempt: 2, retriedAfter: 'HS_SERVICE_UNAVAILABLE', ended: 'ok' }]);
  expect(closed.result.outcome).toBe('healed');
  expect(applications(lab)).toEqual({ 'scale-out': 1 });
  // One execute attempt of the ladder, counted once although it ran twice.
  expect(await lab.kb.recentActions({ since: 0, resource: resourceOf(pipeline, 'sink') })).toHaveLength(1);
  expectCompleteExplanation(closed);
});

test('a template that fails part-way undoes its done steps in reverse order, is not retried, and the explanation says so', async () => {
  const pipeline = uniqueName('compensate');
  const undone: string[] = [];
  const settings = new Map<string, string>();
  const undo = {
    reserve: async () => void (undone.push('reserve'), settings.delete('reserved')),
    apply: async () => void (undone.push('apply'), settings.delete('applied')),
  };
  let calls = 0;
  const stepped: RepairTemplate<FileActuatorDeps> = {
    action: 'scale-out',
    description: 'three recorded steps; the last one fails',
    probes: ['health-recovered'],
    async preconditions() {
      return [{ name: 'always', holds: true, reason: 'test' }];
    },
    async execute(ctx, deps) {
      calls += 1;
      return once(
        ctx,
        { actuations: deps.actuations! },
        'scale-out',
        async (steps) => {
          await steps.step('reserve', async () => (settings.set('reserved', ctx.idempotencyKey), { reserved: 1 }));
          await steps.step('apply', async () => (settings.set('applied', ctx.idempotencyKey), { applied: 1 }));
          await steps.step('wait-ready', async () => {
            throw new HomeostatError('HS_SERVICE_UNAVAILABLE', 'sink: timed out waiting for sink to run and heartbeat');
          });
          return { summary: 'never', impact: {} };
        },
        undo,
      );
    },
    undo,
  };
  const lab = env.track(await createLab({ pipeline, templates: { 'scale-out': stepped } }));

  const { closed, executes } = await runLag(lab, pipeline, 'execute-compensated');

  expect(calls).toBe(1); // compensated: final for this rung, although the code is retryable
  expect(undone).toEqual(['apply', 'reserve']);
  expect([...settings.keys()]).toEqual([]);
  expect(executes).toEqual([
    { attempt: 1, ended: 'HS_SERVICE_UNAVAILABLE' },
    { attempt: 1, ended: 'ok' },
  ]);
  expect(closed.explanation.impact).toContain(
    'scale-out on sink failed: sink: timed out waiting for sink to run and heartbeat; compensated in reverse order: undid apply, then undid reserve',
  );
  const failed = (await lab.kb.listAudit({ subject: closed.id })).find((a) => a.action === 'execute.scale-out.failed');
  expect(failed?.detail).toMatchObject({ compensation: { undone: ['apply', 'reserve'], failed: [] } });
  const undoRows = (await lab.kb.listActuations({ incidentId: closed.id })).map((a) => a.step).filter((s) => s.startsWith('undo:'));
  expect(undoRows).toEqual(['undo:apply', 'undo:reserve']);
  expect(closed.result.outcome).toBe('healed');
  expect(applications(lab)).toEqual({ 'load-shedding': 1 } satisfies Partial<Record<RepairAction, number>>);
  expectCompleteExplanation(closed);
});
