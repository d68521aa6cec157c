/**
 * A drill without the incident loop: for each fault of the playbook, inject it into a live
 * pipeline, wait for its telemetry signature, run the playbook's repair template directly, and
 * wait until its probes pass. Prints one JSON line per fault (time to signature, repair time,
 * time to verified) and the sink's integrity at the end. Figures, not assertions.
 *
 *   node -r tsx/cjs simulator/drill.ts [--kafka <brokers>] [--rate 100] [--only crash,hang]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runProbes } from '../activities/probes';
import { TEMPLATES } from '../activities/templates';
import { compensate } from '../activities/templates/compensation';
import { telemetryRecord, type TelemetryRecord } from '../sentinel/telemetry';
import { clearFaults, faultContextOf, injectFault } from './faults';
import type { FaultKind } from './faults/spec';
import { startPipeline, type PipelineHandle } from './pipeline';
import { PLAYBOOK } from './playbook';
import { waitForRepairPreconditions } from './readiness';
import { templateDepsForPipeline } from './template-deps';

export interface DrillFigure {
  fault: FaultKind;
  action: string;
  signatureMs: number;
  repairMs: number;
  verifiedMs: number;
  verified: boolean;
  summary: string;
}

async function until<T>(check: () => Promise<T | undefined>, timeoutMs: number): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const v = await check().catch(() => undefined);
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 200));
  }
  return undefined;
}

async function tail(p: PipelineHandle, positions: Map<number, number>): Promise<TelemetryRecord[]> {
  const topic = p.topic('telemetry');
  const out: TelemetryRecord[] = [];
  for (const { partition, offset: end } of await p.log.latestOffsets(topic)) {
    let from = positions.get(partition) ?? end;
    while (from < end) {
      const batch = await p.log.read(topic, partition, from, 5_000);
      if (batch.length === 0) break;
      for (const r of batch) {
        const parsed = telemetryRecord.safeParse(JSON.parse(r.value.toString('utf8')));
        if (parsed.success) out.push(parsed.data);
      }
      from = batch[batch.length - 1].offset + 1;
    }
    positions.set(partition, from);
  }
  return out;
}

export async function runDrill(p: PipelineHandle, faults: readonly FaultKind[], log: (f: DrillFigure) => void = () => undefined): Promise<DrillFigure[]> {
  const deps = templateDepsForPipeline(p);
  const ctxFaults = faultContextOf(p);
  const figures: DrillFigure[] = [];
  for (const kind of faults) {
    const entry = PLAYBOOK[kind];
    await waitForRepairPreconditions(p);
    const positions = new Map<number, number>();
    await tail(p, positions);
    const injectedAt = Date.now();
    const injected = await injectFault(ctxFaults, entry.fault);
    const seen = await until(async () => ((await tail(p, positions)).some(entry.observe) ? Date.now() : undefined), 90_000);
    const signatureAt = seen ?? Date.now();
    const template = TEMPLATES[entry.repair.action];
    if (!template) throw new Error(`no template for ${entry.repair.action}`);
    const params = { ...(entry.repair.params ?? {}), ...(entry.repair.action === 'retrain-validate-promote' ? { since: injectedAt + 2_000, window: 2_000 } : {}) };
    if (entry.repair.action === 'retrain-validate-promote') await until(async () => (p.state.recentExamples(2_000).filter((e) => e.labelledAt > injectedAt + 2_000).length >= 300 ? true : undefined), 60_000);
    const ctx = { incidentId: `drill/${kind}`, pipeline: p.config.pipeline, target: entry.repair.target, faultClass: entry.faultClass, attempt: 1, idempotencyKey: `drill/${kind}/${injectedAt}`, params, heartbeat: () => undefined };
    const repairStart = Date.now();
    const result = await template.execute(ctx, deps);
    const repaired = Date.now();
    const verdict = await until(async () => ((await runProbes(template.probes, entry.repair.target, deps, { since: repaired })).result === 'pass' ? Date.now() : undefined), 90_000);
    if (entry.clearAfter) clearFaults(ctxFaults, { id: injected.id });
    if (entry.undoAfter) await compensate(template, ctx, deps);
    const f: DrillFigure = {
      fault: kind,
      action: entry.repair.action,
      signatureMs: signatureAt - injectedAt,
      repairMs: repaired - repairStart,
      verifiedMs: (verdict ?? Date.now()) - injectedAt,
      verified: verdict !== undefined,
      summary: result.summary,
    };
    figures.push(f);
    log(f);
  }
  return figures;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const opt = (name: string): string | undefined => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const brokers = opt('--kafka');
  const only = opt('--only');
  const order: FaultKind[] = ['crash', 'hang', 'memory-growth', 'slow-down', 'schema-drift', 'null-spike', 'poison-records', 'corrupt-checkpoint', 'accuracy-drop', 'distribution-shift', 'concept-drift'];
  const faults = only ? order.filter((f) => only.split(',').includes(f)) : order;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hs-drill-'));
  const p = await startPipeline({ dir, rate: Number(opt('--rate') ?? 100), log: brokers ? 'kafka' : 'embedded', brokers: brokers?.split(','), topicPrefix: brokers ? `drill-${Date.now().toString(36)}.` : undefined });
  try {
    await runDrill(p, faults, (f) => process.stdout.write(`${JSON.stringify(f)}\n`));
    process.stdout.write(`${JSON.stringify({ sink: await p.quiesce(180_000) })}\n`);
  } finally {
    await p.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`${String(err)}\n`);
    process.exit(1);
  });
}
