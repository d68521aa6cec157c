/**
 * The flink binding's repairs on the real cluster and the suite's real Kafka, asserting on
 * Flink's own REST answers and on the sink (read_committed: every event once, 0 lost, 0
 * duplicated, checksum equal): a TaskManager SIGKILL with the restart strategy exhausted →
 * restart from the latest checkpoint; rescale through a savepoint; a poison record fail-loop →
 * quarantine; the latest checkpoint corrupted → restore from the previous one. Each repair is
 * called twice with the same request id: the retry submits nothing and finds the same job. A
 * running sentinel with the Flink source configured (`homeostat sentinel --flink`) sees the job
 * fail and opens the incident from the job's FAILED event.
 */
import fs from 'node:fs';
import path from 'node:path';
import { FlinkBinding } from '../../bindings/flink';
import { FlinkSource } from '../../sentinel/sources/flink';
import { telemetryRecord } from '../../sentinel/telemetry';
import { ENRICH_JOB_MAIN, ensureEnrichJobJar } from '../../infra/flink-job';
import { startFlink, type FlinkHandle } from '../../infra/flink';
import { runSentinel } from '../../workers/sentinel';
import { CountingOpener, tempDir } from '../sentinel/harness';
import { createTopics, judgeSink, produceEvents, readCommitted, type Produced } from '../support/flink-stage';
import { testKafkaBrokers, uniqueName } from '../support/services';

jest.setTimeout(600_000);

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

describe('flink binding: repairs with Flink semantics', () => {
  let flink: FlinkHandle;
  let jar: string;
  const brokers = (): string[] => testKafkaBrokers();

  beforeAll(async () => {
    jar = await ensureEnrichJobJar();
    // One restart only: a lost TaskManager or a poison record exhausts it quickly.
    flink = await startFlink({ slots: 4, restartAttempts: 1, restartDelayMs: 1_000 });
  });
  afterAll(async () => {
    await flink?.stop();
  });

  async function stage(partitions: number, extra: Record<string, string> = {}, parallelism = 1): Promise<{ binding: FlinkBinding; input: string; output: string; jobId: string; produced: Produced[] }> {
    const t = uniqueName('fb');
    const input = `${t}-events`;
    const output = `${t}-enriched`;
    await createTopics(brokers(), [
      { topic: input, numPartitions: partitions },
      { topic: output, numPartitions: partitions },
      { topic: `${input}.dlq`, numPartitions: 1 },
    ]);
    const binding = new FlinkBinding(flink.restUrl, { stage: `enrich-${t}`, jar, entryClass: ENRICH_JOB_MAIN });
    const produced = await produceEvents(brokers(), input, 0, 300);
    const { jobId } = await binding.submit('initial', {
      args: { brokers: brokers().join(','), input, output, group: `enrich-${t}`, 'checkpoint-interval-ms': '1000', ...extra },
      parallelism,
    });
    await binding.probeHealthy(jobId);
    return { binding, input, output, jobId, produced };
  }

  async function expectSinkIntact(what: string, produced: Produced[], output: string): Promise<void> {
    const expected = produced.filter((p) => !p.poison).length;
    const verdict = judgeSink(produced, await readCommitted(brokers(), output, expected, 180_000));
    process.stderr.write(`${what}: sink ${JSON.stringify(verdict)}\n`);
    expect(verdict).toMatchObject({ expected, received: expected, lost: 0, duplicated: 0, mismatched: 0 });
    expect(verdict.checksum).toBe(verdict.expectedChecksum);
  }

  it('TaskManager SIGKILL, restart strategy exhausted → restarted from the latest completed checkpoint', async () => {
    const s = await stage(2);
    const before = await s.binding.status(s.jobId);
    expect(before.checkpoints.completed).toBeGreaterThan(0);
    // The sentinel as deployed: the Flink source reads the stage's job and publishes telemetry.
    const dir = tempDir('flink-sentinel');
    const sourceFile = path.join(dir, 'flink.yaml');
    fs.writeFileSync(sourceFile, `flink:\n  url: ${flink.restUrl}\n  intervalMs: 500\n  jobs:\n    - { pipeline: demo, component: enrich, job: ${s.binding.spec.stage} }\n`);
    const opener = new CountingOpener();
    const sentinel = await runSentinel(
      { log: 'embedded', logFile: path.join(dir, 'log.db'), db: path.join(dir, 'state.db'), topic: 't', kb: null, httpPort: null, statusEveryMs: 0, flink: sourceFile },
      { opener, print: () => undefined },
    );
    const faultAt = Date.now();
    await flink.killTaskManager();
    await until('the job to fail for good', async () => ((await s.binding.status(s.jobId)).state === 'FAILED' ? true : undefined), 180_000);
    const detectedMs = Date.now() - faultAt;
    const opened = await until('the sentinel to open an incident on enrich', async () => opener.opens.find((o) => o.input.component === 'enrich'), 60_000);
    await sentinel.stop();
    fs.rmSync(dir, { recursive: true, force: true });
    expect(opened.input.trigger.kind).toBe('hard-fault');
    expect(opened.input.trigger.detail).toContain('FAILED');
    expect(sentinel.flink?.stats.records).toBeGreaterThan(0);
    await flink.startTaskManager();
    s.produced.push(...(await produceEvents(brokers(), s.input, 300, 300)));
    const healStarted = Date.now();
    const outcome = await s.binding.restartFromLatestCheckpoint('heal-tm');
    const healMs = Date.now() - healStarted;
    process.stderr.write(`TaskManager kill: FAILED after ${detectedMs} ms, healed in ${healMs} ms\n`);
    expect(outcome.submitted).toBe(true);
    expect(outcome.restoredFrom).toMatch(new RegExp(`${s.jobId}/chk-\\d+$`));
    const after = await s.binding.status(outcome.jobId);
    expect(after).toMatchObject({ state: 'RUNNING', parallelism: 1 });
    expect(after.checkpoints.restoredFrom).toContain(s.jobId);
    const retry = await s.binding.restartFromLatestCheckpoint('heal-tm');
    expect(retry).toMatchObject({ jobId: outcome.jobId, submitted: false });
    await expectSinkIntact('TaskManager kill', s.produced, s.output);
    await s.binding.cancelAndWait(outcome.jobId);
  });

  it('backpressure → rescaled through a savepoint to a higher parallelism', async () => {
    const s = await stage(4, { 'slow-ms-per-record': '20' });
    s.produced.push(...(await produceEvents(brokers(), s.input, 300, 600)));
    // What the sentinel sees: a saturated operator (busy time), backpressure and lag per poll.
    const source = new FlinkSource(s.binding, { pipeline: 'demo', component: 'enrich' });
    const seen = await until('backpressure and lag in the telemetry', async () => {
      const records = await source.poll();
      for (const r of records) telemetryRecord.parse(r);
      const metric = (signal: string): number[] => records.flatMap((r) => (r.kind === 'metric' && r.signal === signal ? [r.value] : []));
      // The slow operator saturated (busy most of each second) while its input waits.
      return Math.max(0, ...metric('flink.busy_ms_per_s')) > 500 && metric('lag').length > 0 ? records : undefined;
    });
    const signals = new Set(seen.map((r) => r.signal));
    for (const sig of ['flink.restarts', 'flink.checkpoints.failed', 'flink.checkpoint.duration_ms', 'flink.busy_ms_per_s', 'flink.backpressured_ms_per_s', 'records_in', 'records_out', 'lag']) expect(signals).toContain(sig);
    process.stderr.write(`telemetry before the rescale: ${JSON.stringify(seen.filter((r) => r.kind === 'metric').map((r) => [r.signal, r.labels?.vertex, r.kind === 'metric' ? Math.round(r.value) : 0]))}\n`);
    const healStarted = Date.now();
    const outcome = await s.binding.rescale('heal-rescale', 2);
    process.stderr.write(`rescale 1 → 2 through a savepoint: ${Date.now() - healStarted} ms\n`);
    expect(outcome.restoredFrom).toMatch(/savepoint-/);
    expect((await s.binding.rest.job(s.jobId)).state).toBe('FINISHED');
    const job = await s.binding.rest.job(outcome.jobId);
    expect(job.state).toBe('RUNNING');
    expect(Math.max(...job.vertices.map((v) => v.parallelism))).toBe(2);
    expect((await s.binding.rescale('heal-rescale', 2)).submitted).toBe(false);
    await expectSinkIntact('rescale', s.produced, s.output);
    await s.binding.cancelAndWait(outcome.jobId);
  });

  it('a poison record fail-loops the job → cancelled and resubmitted with quarantine', async () => {
    const s = await stage(1);
    const poisonAt = Date.now();
    s.produced.push(...(await produceEvents(brokers(), s.input, 300, 100, [350])));
    await until('the job to fail on the poison record', async () => ((await s.binding.status(s.jobId)).state === 'FAILED' ? true : undefined));
    const detectedMs = Date.now() - poisonAt;
    const exceptions = await s.binding.rest.exceptions(s.jobId);
    expect(exceptions.some((e) => /cannot parse record at .*@350/.test(e.trace))).toBe(true);
    const healStarted = Date.now();
    const outcome = await s.binding.quarantine('heal-poison');
    process.stderr.write(`poison: FAILED after ${detectedMs} ms, quarantined in ${Date.now() - healStarted} ms\n`);
    expect((await s.binding.status(outcome.jobId)).args.quarantine).toBe('true');
    await expectSinkIntact('quarantine', s.produced, s.output);
    const dead = await readCommitted(brokers(), `${s.input}.dlq`, 1);
    expect(dead.map((d) => d.headers['hs-dlq-source-offset'])).toEqual(['350']);
    await s.binding.cancelAndWait(outcome.jobId);
  });

  it('the latest checkpoint corrupt → restored from the previous one', async () => {
    const s = await stage(2);
    // Everything processed and two more checkpoints on top: the last two hold the same offsets.
    await readCommitted(brokers(), s.output, 300);
    const done = (await s.binding.status(s.jobId)).checkpoints.completed;
    await until('two more checkpoints', async () => ((await s.binding.status(s.jobId)).checkpoints.completed >= done + 2 ? true : undefined));
    await s.binding.cancelAndWait(s.jobId);
    const retained = (await s.binding.retained()).filter((r) => r.kind === 'checkpoint');
    expect(retained.length).toBeGreaterThanOrEqual(2);
    fs.writeFileSync(path.join(retained[0].path, '_metadata'), 'corrupted by the test');
    s.produced.push(...(await produceEvents(brokers(), s.input, 300, 200)));
    const healStarted = Date.now();
    const outcome = await s.binding.restoreFromRetained('heal-corrupt');
    process.stderr.write(`corrupt latest checkpoint: restored from the previous one in ${Date.now() - healStarted} ms\n`);
    expect(outcome.skipped.map((k) => k.path)).toEqual([retained[0].path]);
    expect(outcome.restoredFrom).toBe(retained[1].path);
    expect((await s.binding.status(outcome.jobId)).checkpoints.restoredFrom).toContain(path.basename(retained[1].path));
    expect((await s.binding.restoreFromRetained('heal-corrupt')).submitted).toBe(false);
    await expectSinkIntact('corrupt checkpoint', s.produced, s.output);
    await s.binding.cancelAndWait(outcome.jobId);
  });
});
