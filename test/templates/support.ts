/**
 * Setup shared by the live-pipeline template tests (data, infrastructure, model): one pipeline
 * per test file, and the repair-then-verify step that runs a template with real bindings and
 * waits for its probes to pass.
 */
import fs from 'node:fs';
import { runProbes } from '../../activities/probes';
import { TEMPLATES } from '../../activities/templates';
import type { TemplateDeps } from '../../activities/templates/deps';
import type { RepairAction } from '../../policies/taxonomy';
import { faultContextOf, type FaultContext } from '../../simulator/faults';
import { startPipeline, type PipelineHandle } from '../../simulator/pipeline';
import { templateDepsForPipeline } from '../../simulator/template-deps';
import { repairContext, tempPipelineDir, TelemetryTap, waitUntil } from '../simulator/support';

export interface LivePipeline {
  readonly dir: string;
  readonly p: PipelineHandle;
  readonly tap: TelemetryTap;
  readonly deps: TemplateDeps;
  readonly faults: FaultContext;
}

/**
 * Starts a pipeline (100 records/s, in a fresh `tempPipelineDir(prefix)`) in `beforeAll` and
 * hands it to `ready`, which may also wait for the pipeline to reach a state; `afterAll` stops
 * it and removes its directory.
 */
export function useLivePipeline(prefix: string, ready: (live: LivePipeline) => unknown): void {
  let dir: string;
  let p: PipelineHandle;
  beforeAll(async () => {
    dir = tempPipelineDir(prefix);
    p = await startPipeline({ dir, rate: 100 });
    const tap = new TelemetryTap(p);
    const deps = templateDepsForPipeline(p);
    const faults = faultContextOf(p);
    await ready({ dir, p, tap, deps, faults });
  });
  afterAll(async () => {
    await p?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });
}

export const template = (a: RepairAction) => {
  const t = TEMPLATES[a];
  if (!t) throw new Error(`no template ${a}`);
  return t;
};

/**
 * Runs `action` on `target` under idempotency key `key` (its preconditions must hold and it must
 * not be applied yet), then waits until its probes pass — counting only telemetry after the
 * repair when `sinceRepair` is set.
 */
export async function repairAndVerifyWith(
  deps: TemplateDeps,
  action: RepairAction,
  target: string,
  key: string,
  params: Record<string, unknown>,
  sinceRepair: boolean,
) {
  const t = template(action);
  const ctx = repairContext(target, key, params);
  const pre = await t.preconditions(ctx, deps);
  expect(pre.filter((c) => !c.holds)).toEqual([]);
  const result = await t.execute(ctx, deps);
  expect(result.alreadyApplied).toBe(false);
  const repairedAt = Date.now();
  const verdict = await waitUntil(`${action} on ${target} to verify`, async () => {
    const v = await runProbes(t.probes, target, deps, sinceRepair ? { since: repairedAt } : {});
    return v.result === 'pass' ? v : undefined;
  }, 90_000, 500);
  return { result, verdict, ctx };
}
