/**
 * Data faults on the live pipeline: injected at the source (or in the checkpoint store), seen in
 * telemetry (schema records, data profiles, errors, crash events), repaired by the matching
 * template with real bindings, verified by probes — and the sink exactly-once at the end.
 */
import { runProbes } from '../../activities/probes';
import { compensate } from '../../activities/templates/compensation';
import type { TemplateDeps } from '../../activities/templates/deps';
import type { RepairAction } from '../../policies/taxonomy';
import { pipelinePaths } from '../../simulator/config';
import { clearFaults, injectFault, type FaultContext } from '../../simulator/faults';
import type { PipelineHandle } from '../../simulator/pipeline';
import { SinkStore } from '../../simulator/sink-store';
import type { TelemetryRecord } from '../../sentinel/telemetry';
import { isEvent, isMetric, repairContext, type TelemetryTap, waitUntil } from '../simulator/support';
import { repairAndVerifyWith, template, useLivePipeline } from './support';

jest.setTimeout(300_000);

const enrichProfile = (pred: (nullRates: Record<string, number>, r: TelemetryRecord) => boolean) => (r: TelemetryRecord): boolean =>
  r.kind === 'profile' && r.component === 'enrich' && r.count > 20 && pred(r.nullRates, r);

describe('data faults → templates', () => {
  let dir: string;
  let p: PipelineHandle;
  let tap: TelemetryTap;
  let deps: TemplateDeps;
  let faults: FaultContext;
  useLivePipeline('data', (live) => ({ dir, p, tap, deps, faults } = live));

  const repairAndVerify = (action: RepairAction, target: string, key: string, params: Record<string, unknown> = {}) =>
    repairAndVerifyWith(deps, action, target, key, params, true);

  it('schema drift (rename) → new schema fingerprint, null field downstream → schema-rollback pins the previous version', async () => {
    const since = await tap.mark();
    const before = tap.records.filter((r) => r.kind === 'schema').pop();
    await injectFault(faults, { fault: 'schema-drift', mode: 'rename', field: 'amount', to: 'amt' });
    const drifted = await tap.waitFor('a new schema version', (r) => r.kind === 'schema' && r.version === 2, since);
    expect(drifted.kind === 'schema' && drifted.fingerprint).not.toBe(before?.kind === 'schema' && before.fingerprint);
    expect(drifted.kind === 'schema' && drifted.fields.map((f) => f.name)).toContain('amt');
    await tap.waitFor('amount missing at enrich', enrichProfile((n) => n.amount > 0.9), since);

    const { result } = await repairAndVerify('schema-rollback', 'source', 'inc-schema:execute:schema-rollback:1');
    expect(result.impact).toMatchObject({ from: 2, to: 1, pinned: true, mapping: 'amt → amount' });
    await tap.waitFor('schema v1 again', (r) => r.kind === 'schema' && r.version === 1, tap.records.length);
    const again = await template('schema-rollback').execute(repairContext('source', 'inc-schema:execute:schema-rollback:1'), deps);
    expect(again.alreadyApplied).toBe(true);
    expect((await p.registries.schemaPinHistory('events')).filter((h) => h.idempotencyKey === 'inc-schema:execute:schema-rollback:1#pin')).toHaveLength(1);
  });

  it('null spike → null rate jumps in the profiles → quarantine keeps the flowing data clean', async () => {
    const since = await tap.mark();
    const fault = await injectFault(faults, { fault: 'null-spike', field: 'amount', rate: 0.6 });
    await tap.waitFor('null rate of amount ≈ 0.6 at the source', (r) => r.kind === 'profile' && r.component === 'source' && r.count > 20 && r.nullRates.amount > 0.4, since);
    await tap.waitFor('null rate of amount ≈ 0.6 at enrich', enrichProfile((n) => n.amount > 0.4), since);
    expect((await runProbes(['data-checks-pass'], 'source', deps, { since: Date.now() - 1_500 })).result).not.toBe('pass');
    await repairAndVerify('quarantine', 'source', 'inc-null:execute:quarantine:1');
    clearFaults(faults, { id: fault.id });
    await compensate(template('quarantine'), repairContext('source', 'inc-null:execute:quarantine:1'), deps);
  });

  it('poison records → enrich stalls with errors → quarantine lets the rest flow', async () => {
    const since = await tap.mark();
    const fault = await injectFault(faults, { fault: 'poison-records', rate: 0.05 });
    await tap.waitFor('enrich errors', isMetric('enrich', 'errors', (v) => v > 0), since);
    await tap.waitFor('enrich lag growing', isMetric('enrich', 'lag', (v) => v > 200), since);
    const { result } = await repairAndVerify('quarantine', 'source', 'inc-poison:execute:quarantine:1');
    expect(result.impact.stage).toBe('enrich');
    await waitUntil('poison quarantined', () => p.integrity().quarantined > 0);
    const dlq = await p.log.latestOffsets(`${p.topic('events')}.dlq`);
    expect(dlq.reduce((s, o) => s + o.offset, 0)).toBeGreaterThan(0);
    // Quarantine stays on: poison records still in the backlog would stall enrich again without it.
    clearFaults(faults, { id: fault.id });
  });

  it('corrupted latest checkpoint → enrich refuses to start → checkpoint-restore skips it', async () => {
    await waitUntil('enrich checkpoints', async () => (await p.checkpoints.list('enrich')).length >= 2);
    const since = await tap.mark();
    const injected = await injectFault(faults, { fault: 'corrupt-checkpoint' });
    const crash = await tap.waitFor('enrich CRASHED on the checkpoint', (r) => isEvent('enrich', 'CRASHED')(r) && r.kind === 'event' && /corrupt-checkpoint|checksum/.test(r.message ?? ''), since);
    expect(crash.kind === 'event' && crash.message).toMatch(/checksum mismatch/);
    // Microreboot would restart onto the same corrupt checkpoint: its precondition says so.
    const mr = await template('microreboot').preconditions(repairContext('enrich', 'x'), deps);
    expect(mr.find((c) => c.name === 'latest-checkpoint-valid')?.holds).toBe(false);

    const { result } = await repairAndVerify('checkpoint-restore', 'enrich', 'inc-ckpt:execute:checkpoint-restore:1');
    expect(result.impact.corruptSetAside).toBe(1);
    const corruptId = /ckpt-[\w-]+/.exec(injected.detail)?.[0];
    expect(corruptId).toBeDefined();
    expect(result.summary).toContain(`skipping 1 corrupt checkpoint(s) (${corruptId}: checksum mismatch`);
  });

  it('lost sink rows → replay-from-checkpoint restores them, once, even when the first attempt dies mid-way', async () => {
    await waitUntil('a few seconds of checkpoints', async () => (await p.checkpoints.list('enrich')).length >= 3);
    const cutoff = Date.now() - 3_000;
    const sink = new SinkStore(pipelinePaths(dir).sink);
    // On a loaded machine the sink can trail the source by seconds: wait until it holds events from
    // past the cutoff, so there is something to lose.
    await waitUntil('the sink to reach the cutoff', () => sink.newestTs() >= cutoff, 60_000);
    const deleted = sink.deleteWhere({ sinceTs: cutoff - 2_000 });
    sink.close();
    expect(deleted).toBeGreaterThan(0);
    expect((await runProbes(['sink-integrity'], 'sink', deps, { inFlightMs: 0 })).result).toBe('fail');

    const key = 'inc-replay:execute:replay-from-checkpoint:1';
    const params = { since: cutoff - 4_000, drainTimeoutMs: 3_000 };
    // First attempt: rewinds, then gives up waiting for the drain (enrich is slowed down meanwhile),
    // as an activity whose worker died mid-replay.
    const slow = await injectFault(faults, { fault: 'slow-down', target: 'enrich', delayMs: 30 });
    await expect(template('replay-from-checkpoint').execute(repairContext('enrich', key, params), deps)).rejects.toThrow(/timed out/);
    clearFaults(faults, { id: slow.id });
    const pidAfterFirst = (await p.supervisor.status('enrich')).instances[0].pid;
    // Retry with the same key: the rewind step is recorded, so it only waits for the drain.
    const r = await template('replay-from-checkpoint').execute(repairContext('enrich', key, { ...params, drainTimeoutMs: 120_000 }), deps);
    expect(r.alreadyApplied).toBe(false);
    expect((await p.supervisor.status('enrich')).instances[0].pid).toBe(pidAfterFirst);
    expect(Number(r.impact.recordsReplayed)).toBeGreaterThan(0);
    await waitUntil('sink integrity restored', async () => (await runProbes(['sink-integrity'], 'sink', deps)).result === 'pass', 90_000);
  });

  it('after every repair the sink holds each event exactly once', async () => {
    const integrity = await p.quiesce(120_000);
    expect(integrity).toMatchObject({ lost: 0, duplicates: 0, unexpected: 0, mismatched: 0 });
    expect(integrity.checksum).toBe(integrity.expectedChecksum);
    expect(integrity.quarantined).toBeGreaterThan(0);
    expect(tap.invalid).toEqual([]);
  });
});
