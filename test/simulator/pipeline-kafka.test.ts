/**
 * The same pipeline and the same replay template on the suite's real Kafka broker: every event
 * exactly once in the sink (count and checksum) across SIGKILLs and a replay from a checkpoint.
 */
import fs from 'node:fs';
import { runProbes } from '../../activities/probes';
import { TEMPLATES } from '../../activities/templates';
import { pipelinePaths } from '../../simulator/config';
import { startPipeline, type PipelineHandle } from '../../simulator/pipeline';
import { SinkStore } from '../../simulator/sink-store';
import { templateDepsForPipeline } from '../../simulator/template-deps';
import { testKafkaBrokers, uniqueName } from '../support/services';
import { repairContext, tempPipelineDir, waitUntil } from './support';

jest.setTimeout(300_000);

describe('live pipeline on Kafka', () => {
  let dir: string;
  let p: PipelineHandle;

  beforeAll(async () => {
    dir = tempPipelineDir('kafka');
    p = await startPipeline({ dir, rate: 100, log: 'kafka', brokers: testKafkaBrokers(), topicPrefix: `${uniqueName('sim')}.` });
  });
  afterAll(async () => {
    await p?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('flows end to end and survives SIGKILLs of every consuming stage exactly once', async () => {
    await waitUntil('an enrich checkpoint', async () => (await p.checkpoints.list('enrich')).length > 0, 120_000);
    for (const c of ['enrich', 'score', 'sink'] as const) {
      process.kill((await p.supervisor.status(c)).instances[0].pid as number, 'SIGKILL');
      await waitUntil(`${c} down`, async () => (await p.supervisor.status(c)).readyReplicas === 0);
      await p.supervisor.start(c);
      await waitUntil(`${c} heartbeating`, async () => ((await p.status())[c].heartbeatAgeMs ?? 1e9) < 1_000, 120_000);
    }
    await waitUntil('the sink to move on', () => p.integrity().stored > 500, 120_000);
  });

  it('replays lost sink rows from a checkpoint with the same template as on the embedded log', async () => {
    const deps = templateDepsForPipeline(p);
    await waitUntil('a few checkpoints', async () => (await p.checkpoints.list('enrich')).length >= 3, 120_000);
    const cutoff = Date.now() - 3_000;
    const sink = new SinkStore(pipelinePaths(dir).sink);
    // The sink can trail the source by seconds under load: wait until there is something to lose.
    await waitUntil('the sink to reach the cutoff', () => sink.newestTs() >= cutoff, 60_000);
    expect(sink.deleteWhere({ sinceTs: cutoff - 2_000 })).toBeGreaterThan(0);
    sink.close();
    const r = await TEMPLATES['replay-from-checkpoint']?.execute(repairContext('enrich', 'kafka-replay:1', { since: cutoff - 4_000 }), deps);
    expect(Number(r?.impact.recordsReplayed)).toBeGreaterThan(0);
    await waitUntil('sink integrity', async () => (await runProbes(['sink-integrity'], 'sink', deps)).result === 'pass', 120_000, 1_000);
  });

  it('ends with every event exactly once (count and checksum)', async () => {
    const integrity = await p.quiesce(180_000);
    expect(integrity).toMatchObject({ lost: 0, duplicates: 0, unexpected: 0, mismatched: 0 });
    expect(integrity.checksum).toBe(integrity.expectedChecksum);
    expect(integrity.expected).toBeGreaterThan(500);
  });
});
