/**
 * The whole loop on real observability and a real model registry: the live pipeline reports its
 * metrics only to Prometheus (processes serve /metrics; nothing of them reaches the telemetry
 * topic except through the sentinel's PromQL source), Alertmanager routes the shipped alert rules
 * to the sentinel's webhook, and the score stage serves `models:/score-model@champion` from MLflow.
 *  - a bad model promoted in MLflow is rolled back by moving MLflow's alias;
 *  - a crash seen only through a Prometheus alert heals, under an Alertmanager silence that the
 *    incident creates and expires;
 *  - a throughput drop seen only through PromQL heals;
 *  - concept drift retrains, validates and promotes a new MLflow version.
 * Assertions read MLflow's and Alertmanager's own records, not only Homeostat's.
 */
import type { Client } from '@temporalio/client';
import { fromTags, MlflowClient } from '../../bindings/mlflow-client';
import { VALIDATION_TAG } from '../../bindings/mlflow-registry';
import type { TelemetryRecord } from '../../sentinel/telemetry';
import { MODEL_NAME } from '../../simulator/processes/score';
import type { PipelineHandle } from '../../simulator/pipeline';
import { explanationQuery, timelineQuery, type Explanation, type IncidentInput, type TimelineEntry } from '../../workflows/shared';
import { expectExactlyOnce, expectHealed, playbookCase, useHealingLoop, type HealingCase } from './healing-loop';

jest.setTimeout(20 * 60_000);

const BAD_MODEL = playbookCase('accuracy-drop', { name: 'a bad model promoted in MLflow' });
const CRASH = playbookCase('crash', { name: 'a crash seen only through a Prometheus alert' });
const DRIFT = playbookCase('concept-drift', { name: 'concept drift' });
const SLOW = playbookCase('slow-down', { name: 'a throughput drop seen only through PromQL' });
// The throughput drop last: its repair (a scale-out, then the backlog draining) keeps score busy
// for a while, and a model fault injected during that aftermath would be mistaken for part of it.
// Steps are 15 s apart: a freshly promoted model's first accuracy figures wobble, and an incident
// opened on that wobble would be taken for the next fault's.
const CASES: HealingCase[] = [BAD_MODEL, CRASH, DRIFT, SLOW];
const STEP_GAP_MS = 15_000;

async function startInput(client: Client, incidentId: string, runId?: string): Promise<IncidentInput> {
  const history = await client.workflow.getHandle(incidentId, runId).fetchHistory();
  const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
  return JSON.parse(Buffer.from(started?.input?.payloads?.[0]?.data ?? []).toString()) as IncidentInput;
}

/**
 * The run of an incident id that handled a fault injected at `injectedAt`: ids repeat (one per
 * component), so later faults on the same component are later runs.
 */
async function runFor(client: Client, incidentId: string, injectedAt: string): Promise<string> {
  const runs: { runId: string; start: number }[] = [];
  for await (const w of client.workflow.list({ query: `WorkflowId = '${incidentId}'` })) runs.push({ runId: w.runId, start: w.startTime.getTime() });
  runs.sort((a, b) => a.start - b.start);
  const at = Date.parse(injectedAt);
  const run = runs.find((r) => r.start >= at - 1_000) ?? runs.filter((r) => r.start < at).at(-1);
  if (!run) throw new Error(`no run of ${incidentId} around ${injectedAt}`);
  return run.runId;
}

async function incidentRecord(client: Client, o: { incidentId: string | null; injectedAt: string }): Promise<{ input: IncidentInput; explanation: Explanation; timeline: TimelineEntry[] }> {
  const runId = await runFor(client, o.incidentId!, o.injectedAt);
  const handle = client.workflow.getHandle(o.incidentId!, runId);
  return { input: await startInput(client, o.incidentId!, runId), explanation: await handle.query(explanationQuery), timeline: await handle.query(timelineQuery) };
}

/** Every telemetry record on the log (the Prometheus source publishes arrays of records). */
async function telemetryOnLog(p: PipelineHandle): Promise<TelemetryRecord[]> {
  const topic = p.topic('telemetry');
  const out: TelemetryRecord[] = [];
  for (const { partition, offset: end } of await p.log.latestOffsets(topic)) {
    for (let from = 0; from < end; ) {
      const batch = await p.log.read(topic, partition, from, 5_000);
      if (batch.length === 0) break;
      for (const r of batch) {
        const v = JSON.parse(r.value.toString('utf8')) as TelemetryRecord | TelemetryRecord[];
        out.push(...(Array.isArray(v) ? v : [v]));
      }
      from = batch[batch.length - 1]!.offset + 1;
    }
  }
  return out;
}

describe('healing on Prometheus + Alertmanager + MLflow', () => {
  const run = useHealingLoop('embedded', CASES, { env: { observability: 'prometheus', models: 'mlflow' }, stepGapMs: STEP_GAP_MS });
  const outcome = (name: string) => run.result?.faults.find((f) => f.label === name);
  const mlflow = (): MlflowClient => new MlflowClient(run.env!.mlflow!.url);

  it.each(CASES)('$name heals', (c) => expectHealed(run, c));

  it('the rollback moved MLflow\'s alias to the last validated version and tagged both versions', async () => {
    const o = outcome(BAD_MODEL.name)!;
    const versions = await mlflow().modelVersions(MODEL_NAME);
    const bad = versions.find((v) => fromTags(v.tags)['homeostat.rolled_back_by'] === o.incidentId);
    expect(bad).toBeDefined();
    expect(fromTags(bad!.tags)[VALIDATION_TAG]).toBeUndefined(); // deployed without validation
    const restored = versions.find((v) => fromTags(v.tags)['homeostat.restored_by'] === o.incidentId);
    expect(fromTags(restored!.tags)[VALIDATION_TAG]).toBe('passed');
    expect(Number(restored!.version)).toBeLessThan(Number(bad!.version));
    // The explanation tells the same story as MLflow's records.
    const { explanation } = await incidentRecord(run.env!.client, o);
    expect(explanation.action).toContain(`MLflow alias of ${MODEL_NAME} to ${restored!.version} (was ${bad!.version})`);
  });

  it('the crash was known only from Alertmanager, and repaired under a silence the incident created and expired', async () => {
    const o = outcome(CRASH.name)!;
    const { input, explanation, timeline } = await incidentRecord(run.env!.client, o);
    // Downstream stages' throughput drop (PromQL) may open their incident first and hand it over
    // to the crashed stage; either way the only report of the crash itself is the alert.
    expect(['alert', 'hand-over']).toContain(input.trigger.kind);
    expect(o.faultClass).toBe('crash');
    const reported = input.trigger.kind === 'alert' ? input.trigger.detail : timeline.find((t) => t.event === 'evidence' && (t.detail ?? '').startsWith('alertmanager:'))?.detail;
    expect(reported).toMatch(/stopped answering Prometheus scrapes/);
    const silences = await run.env!.observability!.alertmanager.silences([{ name: 'component', value: o.target }]);
    // This run's silences: created between the injection and the healing (a later incident on the
    // same component may hold one of its own).
    const ours = silences.filter(
      (s) => s.createdBy === 'homeostat' && s.comment.includes(`[${o.incidentId}]`) && Date.parse(s.startsAt) >= Date.parse(o.injectedAt) && Date.parse(s.startsAt) <= Date.parse(o.healedAt!),
    );
    expect(ours.length).toBeGreaterThan(0);
    expect(ours.map((s) => [s.id, s.status.state])).toEqual(ours.map((s) => [s.id, 'expired']));
    expect(explanation.action).toMatch(new RegExp(`Alertmanager silence ${ours[0]!.id} holds the alerts of demo/${o.target}`));
    expect(explanation.verification).toContain('alerts-resolved');
  });

  it('no metric reached the telemetry topic except through the PromQL source (and no supervisor event)', async () => {
    const records = await telemetryOnLog(run.env!.pipeline!);
    const metrics = records.filter((r) => r.kind === 'metric');
    expect(metrics.length).toBeGreaterThan(100);
    expect(metrics.filter((r) => r.labels?.source !== 'prometheus')).toEqual([]);
    expect(records.filter((r) => r.kind === 'event' && r.event === 'CRASHED')).toEqual([]);
    // The source reports on itself beside the sentinel's other metrics.
    const text = await (await fetch(`${run.env!.healthUrl}/metrics`, { headers: { authorization: `Bearer ${run.env!.sentinelToken}` } })).text();
    expect(Number(/^homeostat_sentinel_prometheus_records_total (\d+)/m.exec(text)?.[1])).toBeGreaterThan(100);
    const o = outcome(SLOW.name)!;
    expect((await incidentRecord(run.env!.client, o)).input.trigger.kind).toBe('health');
  });

  it('concept drift registered, validated and promoted a new MLflow version through a logged run', async () => {
    const o = outcome(DRIFT.name)!;
    const champion = await mlflow().versionByAlias(MODEL_NAME, 'champion');
    const tags = fromTags(champion!.tags);
    expect(tags[VALIDATION_TAG]).toBe('passed');
    expect(tags['homeostat.incident_id']).toBe(o.incidentId);
    const trainingRun = await mlflow().getRun(champion!.run_id);
    expect(fromTags(trainingRun.data.params)).toMatchObject({ incidentId: o.incidentId });
    expect(trainingRun.data.metrics.map((m) => m.key)).toEqual(expect.arrayContaining(['holdoutAccuracy', 'servingAccuracyOnHoldout']));
    const { explanation } = await incidentRecord(run.env!.client, o);
    expect(explanation.action).toContain(`promoted ${MODEL_NAME}@${champion!.version} (training run ${champion!.run_id})`);
    // The score stage noticed the alias move: what it serves, as Prometheus sees it, is MLflow's champion.
    const res = await fetch(`${run.env!.observability!.prometheusUrl}/api/v1/query?query=${encodeURIComponent('homeostat_pipeline_model_info{component="score"}')}`);
    const served = ((await res.json()) as { data: { result: { metric: Record<string, string> }[] } }).data.result.map((r) => r.metric);
    // Every instance (score was scaled out by the throughput repair) serves the same version.
    expect([...new Set(served.map((m) => `${m.version} ${m.source}`))]).toEqual([`${champion!.version} models:/${MODEL_NAME}@champion`]);
  });

  it('the sink holds every event exactly once', () => expectExactlyOnce(run));
});
