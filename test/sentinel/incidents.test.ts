/**
 * Real Kafka, real Temporal, the real incident workflow: anomalies on one signal open exactly one
 * incident; later anomalies on the same component arrive as evidence signals; a crash event on
 * another component opens its own incident at once.
 */
import path from 'node:path';
import { bundleWorkflowCode, NativeConnection, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { KafkaLog } from '../../bindings/log';
import { parseSentinelConfig } from '../../sentinel/config';
import { TemporalIncidentOpener } from '../../sentinel/incidents';
import { registryFactory } from '../../sentinel/registry-factory';
import { Sentinel } from '../../sentinel/sentinel';
import { incidentWorkflowId, stateQuery } from '../../workflows/shared';
import { testKafkaBrokers, testTemporalAddress, uniqueName } from '../support/services';
import { asMessages, incidentRuns, temporalClient, tempDir, waitFor } from './harness';
import { metricStream } from './streams';
import type { Client, Connection } from '@temporalio/client';

let bundle: WorkflowBundleWithSourceMap;
let client: Client;
let connection: Connection;
let nativeConnection: NativeConnection;

beforeAll(async () => {
  ({ client, connection } = await temporalClient());
  nativeConnection = await NativeConnection.connect({ address: testTemporalAddress() });
  bundle = await bundleWorkflowCode({ workflowsPath: path.resolve(__dirname, '../../workflows/index.ts'), logger: { info() {}, warn() {}, error() {}, debug() {}, trace() {}, log() {} } });
});

afterAll(async () => {
  await nativeConnection?.close();
  await connection?.close();
});

test('one incident per component: the first anomaly starts it, later ones are evidence', async () => {
  const taskQueue = uniqueName('sentinel-incidents');
  const pipeline = uniqueName('pipe');
  const topic = uniqueName('telemetry');
  // No activities registered: the workflow waits in diagnose, which is all this test needs to observe.
  const worker = await Worker.create({ connection: nativeConnection, taskQueue, workflowBundle: bundle });
  const log = new KafkaLog({ brokers: testKafkaBrokers() });
  const sentinel = new Sentinel({
    log,
    config: parseSentinelConfig({ evidence: { debounceMs: 0 } }),
    factory: registryFactory,
    opener: new TemporalIncidentOpener(client, { taskQueue }),
    stateFile: path.join(tempDir('incidents'), 'state.db'),
    topic,
    groupId: uniqueName('group'),
    partitions: 2,
    snapshotIntervalMs: 500,
    logger: (line) => lines.push(line),
  });
  const lines: string[] = [];

  try {
    await worker.runUntil(async () => {
      await sentinel.start();
      // Two level shifts on `enrich` (two anomaly episodes), and an OOM kill of `score`.
      const first = metricStream({ pipeline, component: 'enrich', n: 300, stepAt: 150, shift: 20 });
      const second = metricStream({ pipeline, component: 'enrich', n: 300, stepAt: 100, shift: -25, t0: first[first.length - 1].ts + 100, seed: 11 });
      await log.append(topic, asMessages(first));
      await log.append(topic, asMessages(second));
      await log.append(topic, [
        { key: pipeline, value: JSON.stringify({ kind: 'event', v: 1, ts: Date.now(), pipeline, component: 'score', signal: 'process', event: 'OOMKilled', exitCode: 137 }) },
      ]);
      const enrichId = incidentWorkflowId(pipeline, 'enrich');
      await waitFor(async () => sentinel.engine.counters.records === 601 && sentinel.dispatcher.queued === 0, 'all records processed and actions sent').catch((err: Error) => {
        throw new Error(`${err.message}; stats ${JSON.stringify(sentinel.dispatcher.stats)}, records ${sentinel.engine.counters.records}; log:\n${lines.slice(-10).join('\n')}`);
      });
      const handle = client.workflow.getHandle(enrichId);
      await waitFor(async () => (await handle.query(stateQuery)).evidenceCount >= 2, 'evidence from the second episode');

      const runs = await incidentRuns(client, enrichId);
      expect(runs).toHaveLength(1);
      const state = await handle.query(stateQuery);
      expect(state.pipeline).toBe(pipeline);
      expect(state.component).toBe('enrich');
      // The second episode re-opened the component in the sentinel (an `open` action), but the
      // running incident absorbed it: still one run, with every action as one signal on it.
      const { opened, evidence, evidenceDropped } = sentinel.dispatcher.stats;
      expect(opened).toBeGreaterThanOrEqual(3);
      expect(evidence).toBeGreaterThanOrEqual(1);
      expect(evidenceDropped).toBe(0);
      const scoreRuns = await incidentRuns(client, incidentWorkflowId(pipeline, 'score'));
      expect(scoreRuns).toHaveLength(1);
      expect(scoreRuns[0].signals).toBe(1);
      expect(runs[0].signals).toBe(opened + evidence - 1);
      const scoreState = await client.workflow.getHandle(incidentWorkflowId(pipeline, 'score')).query(stateQuery);
      expect(scoreState.evidenceCount).toBe(1);
    });
  } finally {
    await sentinel.stop();
    await log.close();
    for (const id of [incidentWorkflowId(pipeline, 'enrich'), incidentWorkflowId(pipeline, 'score')]) {
      await client.workflow.getHandle(id).terminate('test over').catch(() => undefined);
    }
  }
});
