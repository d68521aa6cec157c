/**
 * Infrastructure faults on the live pipeline: each is injected, its telemetry signature observed,
 * and the matching template (real bindings, no Temporal) repairs it; probes confirm. One pipeline
 * for the file, healed fault after fault like the demo; the sink stays exactly-once throughout.
 */
import { runProbes } from '../../activities/probes';
import { TEMPLATES } from '../../activities/templates';
import { compensate } from '../../activities/templates/compensation';
import type { TemplateDeps } from '../../activities/templates/deps';
import type { RepairAction } from '../../policies/taxonomy';
import { clearFaults, injectFault, type FaultContext } from '../../simulator/faults';
import type { PipelineHandle } from '../../simulator/pipeline';
import { isEvent, isMetric, repairContext, type TelemetryTap } from '../simulator/support';
import { repairAndVerifyWith, template, useLivePipeline } from './support';

jest.setTimeout(240_000);

describe('infrastructure faults → templates', () => {
  let p: PipelineHandle;
  let tap: TelemetryTap;
  let deps: TemplateDeps;
  let faults: FaultContext;
  useLivePipeline('infra', (live) => ({ p, tap, deps, faults } = live));

  const repairAndVerify = (action: RepairAction, target: string, key: string, params: Record<string, unknown> = {}) =>
    repairAndVerifyWith(deps, action, target, key, params, false);

  it('crash → CRASHED event → microreboot, applied once per idempotency key', async () => {
    const since = await tap.mark();
    await injectFault(faults, { fault: 'crash', target: 'enrich' });
    const e = await tap.waitFor('enrich CRASHED', isEvent('enrich', 'CRASHED'), since);
    expect(e.kind === 'event' && e.osSignal).toBe('SIGKILL');
    expect((await runProbes(['process-running'], 'enrich', deps)).result).toBe('fail');

    const { result } = await repairAndVerify('microreboot', 'enrich', 'inc-crash:execute:microreboot:1');
    expect(result.impact.restarted).toBe(1);
    const pid = (await p.supervisor.status('enrich')).instances[0].pid;
    // Same key again (an activity retry): nothing restarts.
    const again = await template('microreboot').execute(repairContext('enrich', 'inc-crash:execute:microreboot:1'), deps);
    expect(again.alreadyApplied).toBe(true);
    expect((await p.supervisor.status('enrich')).instances[0].pid).toBe(pid);
  });

  it('hang → HUNG event and growing lag → microreboot kills the hung process', async () => {
    const since = await tap.mark();
    await injectFault(faults, { fault: 'hang', target: 'score' });
    await tap.waitFor('score HUNG', isEvent('score', 'HUNG'), since);
    await tap.waitFor('score lag growing', isMetric('score', 'lag', (v) => v > 150), since);
    const { result } = await repairAndVerify('microreboot', 'score', 'inc-hang:execute:microreboot:1', { graceMs: 500 });
    expect(result.impact.killed).toBe(1);
  });

  it('memory growth → rising heap, then OOMKilled → microreboot', async () => {
    const since = await tap.mark();
    await injectFault(faults, { fault: 'memory-growth', target: 'sink', mbPerSec: 40 });
    await tap.waitFor('sink heap above 40 MB', isMetric('sink', 'heap_used_mb', (v) => v > 40), since);
    const oom = await tap.waitFor('sink OOMKilled', isEvent('sink', 'OOMKilled'), since, 90_000);
    expect(oom.kind === 'event' && oom.message).toMatch(/out of memory/);
    await repairAndVerify('microreboot', 'sink', 'inc-oom:execute:microreboot:1');
  });

  it('slow-down → lag builds up → scale-out drains it; compensation scales back', async () => {
    const since = await tap.mark();
    const fault = await injectFault(faults, { fault: 'slow-down', target: 'score', delayMs: 14 });
    await tap.waitFor('score lag above 300', isMetric('score', 'lag', (v) => v > 300), since, 90_000);
    const { result, ctx } = await repairAndVerify('scale-out', 'score', 'inc-slow:execute:scale-out:1');
    expect(result.impact).toMatchObject({ from: 1, to: 2 });
    expect((await p.supervisor.status('score')).readyReplicas).toBe(2);
    // Enrich is stateful: scale-out refuses it.
    const pre = await template('scale-out').preconditions(repairContext('enrich', 'x'), deps);
    expect(pre.find((c) => c.name === 'stateless')?.holds).toBe(false);
    await compensate(template('scale-out'), ctx, deps);
    expect((await p.supervisor.status('score')).desiredReplicas).toBe(1);
    clearFaults(faults, { id: fault.id });
  });

  it('slow-down → load-shedding drops low-priority events, with an account of what was shed', async () => {
    const since = await tap.mark();
    const fault = await injectFault(faults, { fault: 'slow-down', target: 'score', delayMs: 14 });
    await tap.waitFor('score lag above 300', isMetric('score', 'lag', (v) => v > 300), since, 90_000);
    const { result } = await repairAndVerify('load-shedding', 'score', 'inc-shed:execute:load-shedding:1', { mode: 'priority', durationMs: 60_000 });
    expect(result.impact.mode).toBe('priority');
    const integrity = p.integrity();
    expect(integrity.shed).toBeGreaterThan(0);
    clearFaults(faults, { id: fault.id });
    await compensate(template('load-shedding'), repairContext('score', 'inc-shed:execute:load-shedding:1'), deps);
  });

  it('a crashed stage → retry-with-backoff starts it and waits for progress', async () => {
    const since = await tap.mark();
    await injectFault(faults, { fault: 'crash', target: 'sink', signal: 'SIGSEGV' });
    await tap.waitFor('sink CRASHED', isEvent('sink', 'CRASHED'), since);
    const ctx = repairContext('sink', 'inc-retry:execute:retry-with-backoff:1', { baseMs: 300 });
    const r = await TEMPLATES['retry-with-backoff']?.execute(ctx, deps);
    expect(r?.impact.starts).toBe(1);
    expect(ctx.beats).toContainEqual({ attempt: 0 });
  });

  it('after every repair the sink holds each event exactly once', async () => {
    const integrity = await p.quiesce(120_000);
    expect(integrity).toMatchObject({ lost: 0, duplicates: 0, unexpected: 0, mismatched: 0 });
    expect(integrity.checksum).toBe(integrity.expectedChecksum);
    expect(tap.invalid).toEqual([]);
  });
});
