/**
 * The enrich stage as a real Flink job on the real cluster and the suite's real Kafka: exactly
 * once through a TaskManager crash (the job's own restart strategy restores the last checkpoint
 * and the transactional sink's aborted transactions are written again), and the quarantine rule
 * routing unparseable records to the dead-letter topic with the project's DLQ headers.
 */
import { FlinkBinding } from '../../bindings/flink';
import { parseDeadLetter } from '../../bindings/log/dead-letter';
import { ENRICH_JOB_MAIN, ensureEnrichJobJar, jobJarPath, jobSourceHash } from '../../infra/flink-job';
import { startFlink, type FlinkHandle } from '../../infra/flink';
import { createTopics, judgeSink, produceEvents, readCommitted } from '../support/flink-stage';
import { testKafkaBrokers, uniqueName } from '../support/services';

jest.setTimeout(600_000);

describe('the enrich stage as a Flink job (exactly once, keyed state, quarantine)', () => {
  let flink: FlinkHandle;
  let jar: string;
  const brokers = (): string[] => testKafkaBrokers();

  beforeAll(async () => {
    jar = await ensureEnrichJobJar();
    flink = await startFlink({ slots: 4 });
  });
  afterAll(async () => {
    await flink?.stop();
  });

  it('builds the job jar once per source hash', async () => {
    expect(jar).toBe(jobJarPath(jobSourceHash()));
    const started = performance.now();
    expect(await ensureEnrichJobJar()).toBe(jar);
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it('delivers every event exactly once to a read_committed consumer, through a TaskManager SIGKILL', async () => {
    const t = uniqueName('fj');
    const topics = { input: `${t}-events`, output: `${t}-enriched` };
    await createTopics(brokers(), [
      { topic: topics.input, numPartitions: 2 },
      { topic: topics.output, numPartitions: 2 },
      { topic: `${topics.input}.dlq`, numPartitions: 1 },
    ]);
    const stage = `enrich-${t}`;
    const binding = new FlinkBinding(flink.restUrl, { stage, jar, entryClass: ENRICH_JOB_MAIN });
    const produced = await produceEvents(brokers(), topics.input, 0, 400);
    const { jobId } = await binding.submit('initial', {
      args: { brokers: brokers().join(','), input: topics.input, output: topics.output, group: stage, 'checkpoint-interval-ms': '1000', 'slow-ms-per-record': '5' },
      parallelism: 2,
    });
    await binding.probeHealthy(jobId);
    await binding.checkTransactional(jobId);
    produced.push(...(await produceEvents(brokers(), topics.input, 400, 400)));

    await flink.killTaskManager();
    produced.push(...(await produceEvents(brokers(), topics.input, 800, 400)));
    await flink.startTaskManager();
    const healthy = await binding.probeHealthy(jobId, 180_000, true);
    expect(healthy.restarts).toBeGreaterThanOrEqual(1);

    const output = await readCommitted(brokers(), topics.output, 1200, 180_000);
    const verdict = judgeSink(produced, output);
    process.stderr.write(`exactly once through a TaskManager SIGKILL: ${JSON.stringify(verdict)}\n`);
    expect(verdict).toMatchObject({ expected: 1200, received: 1200, lost: 0, duplicated: 0, mismatched: 0 });
    expect(verdict.checksum).toBe(verdict.expectedChecksum);
    // Keyed state: the rolling features of the last record of a key saw that key's earlier ones.
    const last = JSON.parse(output[output.length - 1].value) as { features: Record<string, number> };
    expect(Object.keys(last.features).sort()).toEqual(['amount_norm', 'amount_z', 'cat_a', 'cat_b', 'x1', 'x2']);
    await binding.cancelAndWait(jobId);
  });

  it('routes unparseable records to <input>.dlq when quarantine is on, and loses nothing else', async () => {
    const t = uniqueName('fq');
    const topics = { input: `${t}-events`, output: `${t}-enriched` };
    await createTopics(brokers(), [
      { topic: topics.input, numPartitions: 1 },
      { topic: topics.output, numPartitions: 1 },
      { topic: `${topics.input}.dlq`, numPartitions: 1 },
    ]);
    const stage = `enrich-${t}`;
    const binding = new FlinkBinding(flink.restUrl, { stage, jar, entryClass: ENRICH_JOB_MAIN });
    const produced = await produceEvents(brokers(), topics.input, 0, 200, [50, 150]);
    const { jobId } = await binding.submit('initial', {
      args: { brokers: brokers().join(','), input: topics.input, output: topics.output, group: stage, quarantine: 'true', 'checkpoint-interval-ms': '1000' },
      parallelism: 1,
    });
    await binding.probeHealthy(jobId);
    const verdict = judgeSink(produced, await readCommitted(brokers(), topics.output, 198));
    expect(verdict).toMatchObject({ expected: 198, received: 198, lost: 0, duplicated: 0 });
    const dead = await readCommitted(brokers(), `${topics.input}.dlq`, 2);
    expect(dead).toHaveLength(2);
    const entries = dead.map((d) => parseDeadLetter({ topic: `${topics.input}.dlq`, partition: 0, offset: 0, key: d.key, value: Buffer.from(d.value), headers: d.headers, timestamp: 0 }));
    expect(entries.map((e) => e.rule)).toEqual(['parse', 'parse']);
    expect(entries.map((e) => e.source?.offset)).toEqual([50, 150]);
    expect(entries[0].reason).toMatch(/not JSON/);
    await binding.cancelAndWait(jobId);
  });
});
