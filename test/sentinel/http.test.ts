/**
 * The HTTP inputs and outputs: an Alertmanager payload opens an incident in real Temporal; an
 * OpenLineage run event writes lineage edges to a real knowledge base; bad bodies get 400 with
 * the field and rule and are dead-lettered; health and metrics report the component; a verified
 * repair announced on POST /repaired reaches the component through the log and re-arms it.
 */
import path from 'node:path';
import type { Client, Connection } from '@temporalio/client';
import { deadLetterTopic, EmbeddedLog, parseDeadLetter, partitionFor } from '../../bindings/log';
import { openKnowledgeBase } from '../../knowledge/open';
import { parseSentinelConfig } from '../../sentinel/config';
import { startHealthServer, type HealthServer } from '../../sentinel/http';
import { TemporalIncidentOpener } from '../../sentinel/incidents';
import { SentinelMetrics } from '../../sentinel/metrics';
import { registryFactory } from '../../sentinel/registry-factory';
import { Sentinel } from '../../sentinel/sentinel';
import { incidentWorkflowId } from '../../workflows/shared';
import { announceRepairTo } from '../../activities/probes';
import { uniqueName } from '../support/services';
import { asMessages, incidentRuns, temporalClient, tempDir, waitFor } from './harness';
import { metricStream } from './streams';

let client: Client;
let connection: Connection;
const dir = tempDir('http');
const topic = 'telemetry';
let log: EmbeddedLog;
let kb: ReturnType<typeof openKnowledgeBase>;
let sentinel: Sentinel;
let metrics: SentinelMetrics;
let server: HealthServer;
let base: string;
const pipeline = uniqueName('web');

beforeAll(async () => {
  ({ client, connection } = await temporalClient());
  log = new EmbeddedLog({ file: path.join(dir, 'log.db') });
  kb = openKnowledgeBase(path.join(dir, 'kb.db'));
  const opener = new TemporalIncidentOpener(client, { taskQueue: uniqueName('http') });
  sentinel = new Sentinel({ log, config: parseSentinelConfig({}), factory: registryFactory, opener, stateFile: path.join(dir, 'state.db'), topic, lineage: kb, consumer: { pollMs: 10 } });
  await sentinel.start();
  metrics = new SentinelMetrics(sentinel);
  server = await startHealthServer({ views: () => sentinel.engine.monitors().map((m) => m.view()), metrics, opener, lineage: kb, log, topic }, 0);
  base = `http://127.0.0.1:${server.port}`;
});

afterAll(async () => {
  await server?.close();
  await sentinel?.stop();
  metrics?.close();
  await log?.close();
  await kb?.close();
  for (const c of ['api', 'enrich']) await client.workflow.getHandle(incidentWorkflowId(pipeline, c)).terminate('test over').catch(() => undefined);
  await connection?.close();
});

const post = (url: string, body: string): Promise<Response> => fetch(`${base}${url}`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });

test('an Alertmanager alert with pipeline/component labels opens that incident', async () => {
  const payload = {
    version: '4',
    status: 'firing',
    receiver: 'homeostat',
    groupLabels: { alertname: 'HighLag' },
    commonLabels: { alertname: 'HighLag', pipeline },
    alerts: [
      { status: 'firing', labels: { component: 'api', fault: 'lag', severity: 'page' }, annotations: { summary: 'consumer lag above 10k' }, startsAt: new Date().toISOString() },
      { status: 'firing', labels: { alertname: 'Unrouted' }, annotations: {} },
    ],
  };
  const res = await post('/alertmanager', JSON.stringify(payload));
  expect(res.status).toBe(200);
  const body = (await res.json()) as { opened: string[]; ignored: { alert: string }[] };
  expect(body.opened).toEqual([`${pipeline}/api`]);
  expect(body.ignored.map((i) => i.alert)).toEqual(['Unrouted']);
  const runs = await incidentRuns(client, incidentWorkflowId(pipeline, 'api'));
  expect(runs).toHaveLength(1);
  expect(runs[0].signals).toBe(1);
  const history = await client.workflow.getHandle(incidentWorkflowId(pipeline, 'api')).fetchHistory();
  const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
  const input = JSON.parse(Buffer.from(started?.input?.payloads?.[0]?.data ?? []).toString()) as { trigger: { kind: string }; faultClass: string };
  expect(input.trigger.kind).toBe('alert');
  expect(input.faultClass).toBe('lag');
});

test('an OpenLineage run event adds input → job → output edges to the knowledge base', async () => {
  const event = {
    eventType: 'COMPLETE',
    eventTime: new Date().toISOString(),
    producer: 'https://example.com/producer',
    run: { runId: 'run-1' },
    job: { namespace: pipeline, name: 'enrich' },
    inputs: [{ namespace: 'kafka', name: 'events.raw' }],
    outputs: [{ namespace: 'kafka', name: 'events.enriched' }],
  };
  const res = await post('/openlineage', JSON.stringify(event));
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({
    edges: [
      { from: 'kafka:events.raw', to: 'enrich' },
      { from: 'enrich', to: 'kafka:events.enriched' },
    ],
  });
  const edges = await kb.lineageEdges();
  expect(edges).toEqual(expect.arrayContaining([expect.objectContaining({ from: 'kafka:events.raw', to: 'enrich' })]));
  expect(await kb.upstreamOf('kafka:events.enriched')).toEqual(expect.arrayContaining(['enrich', 'kafka:events.raw']));
});

test('bad bodies: 400 with field and rule, and the bytes in the dead-letter topic', async () => {
  const raw = JSON.stringify({ version: '4', status: 'firing', alerts: [{ status: 'burning', labels: {} }] });
  const res = await post('/alertmanager', raw);
  expect(res.status).toBe(400);
  expect(await res.json()).toMatchObject({ field: 'alerts.0.status', rule: 'invalid_value' });
  const res2 = await post('/openlineage', '{"eventTime": ');
  expect(res2.status).toBe(400);
  expect(await res2.json()).toMatchObject({ field: '(root)', rule: 'json' });
  const dlq = deadLetterTopic(topic);
  const entries = (await log.read(dlq, partitionFor(null, await log.partitions(dlq)), 0, 10)).map(parseDeadLetter);
  expect(entries.map((e) => [e.source?.topic, e.field, e.rule, e.value.toString()])).toEqual([
    ['http:/alertmanager', 'alerts.0.status', 'invalid_value', raw],
    ['http:/openlineage', '(root)', 'json', '{"eventTime": '],
  ]);
});

test('health per component and per pipeline, and Prometheus metrics', async () => {
  await log.append(topic, asMessages(metricStream({ pipeline, component: 'enrich', n: 200, stepAt: 100, shift: 30 })));
  await waitFor(() => sentinel.engine.counters.records >= 200, 'the records to be processed');
  const one = (await (await fetch(`${base}/health/${pipeline}/enrich`)).json()) as { open: boolean; health: number; layers: Record<string, number>; detectors: { name: string }[]; recent: unknown[] };
  expect(one.detectors.map((d) => d.name)).toEqual(['latency#ewma']);
  expect(one.recent.length).toBeGreaterThan(0);
  expect(Object.keys(one.layers).sort()).toEqual(['data', 'infrastructure', 'model']);
  const all = (await (await fetch(`${base}/health/${pipeline}`)).json()) as { components: { component: string }[]; open: boolean };
  expect(all.components.map((c) => c.component)).toEqual(['enrich']);
  expect((await fetch(`${base}/health/${pipeline}/nope`)).status).toBe(404);
  const text = await (await fetch(`${base}/metrics`)).text();
  for (const name of ['records_total', 'invalid_records_total', 'dead_lettered_total', 'consumer_lag', 'incidents_opened_total', 'component_health', 'records_per_second']) {
    expect(text).toContain(`homeostat_sentinel_${name}`);
  }
  expect(text).toMatch(new RegExp(`homeostat_sentinel_component_health\\{pipeline="${pipeline}",component="enrich"\\}`));
  expect(text).toMatch(/homeostat_sentinel_dead_lettered_total 2/);
});

test("a verified repair announced by the worker reaches the component through the log and re-arms it", async () => {
  const before = (await (await fetch(`${base}/health/${pipeline}/enrich`)).json()) as { detectors: unknown[]; repairsSeen: number };
  expect(before.detectors.length).toBeGreaterThan(0);
  expect(before.repairsSeen).toBe(0);
  // What a worker's learn activity calls after a verified heal.
  await announceRepairTo(base, { incidentId: incidentWorkflowId(pipeline, 'enrich'), pipeline, component: 'enrich', action: 'microreboot' });
  await waitFor(async () => ((await (await fetch(`${base}/health/${pipeline}/enrich`)).json()) as { repairsSeen: number }).repairsSeen === 1, 'the REPAIRED event to be read');
  // Detection starts afresh: no detector state until the component's next record.
  const view = (await (await fetch(`${base}/health/${pipeline}/enrich`)).json()) as { fusionOpen: boolean; open: boolean; detectors: unknown[]; health: number };
  expect(view).toMatchObject({ fusionOpen: false, open: false, detectors: [], health: 0 });
  // The event is an ordinary telemetry record on the topic: a restarted sentinel replays it.
  const p = partitionFor(pipeline, await log.partitions(topic));
  const head = log.heads(topic).find((h) => h.partition === p);
  const recs = (await log.read(topic, p, 0, head?.next_offset ?? 1_000_000)).map((r) => JSON.parse(r.value.toString()) as { kind: string; event?: string; component: string; message?: string });
  expect(recs.filter((r) => r.event === 'REPAIRED')).toEqual([expect.objectContaining({ kind: 'event', component: 'enrich', message: `microreboot verified by ${incidentWorkflowId(pipeline, 'enrich')}` })]);
  expect(await (await fetch(`${base}/metrics`)).text()).toMatch(/homeostat_sentinel_repairs_announced_total 1/);
  // A body naming no valid component is refused.
  const bad = await post('/repaired', JSON.stringify({ pipeline, component: 'not a component' }));
  expect(bad.status).toBe(400);
  expect(await bad.json()).toMatchObject({ field: 'component' });
});
