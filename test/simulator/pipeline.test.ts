/**
 * The live pipeline on the embedded log: real processes, telemetry in the sentinel's schema, and
 * the sink holding every event exactly once (count and checksum) across crashes of every stage.
 */
import fs from 'node:fs';
import { startPipeline, type PipelineHandle } from '../../simulator/pipeline';
import { isEvent, tempPipelineDir, TelemetryTap, waitUntil } from './support';

describe('live pipeline (embedded log)', () => {
  let dir: string;
  let p: PipelineHandle;
  let tap: TelemetryTap;

  beforeAll(async () => {
    dir = tempPipelineDir('pipe');
    p = await startPipeline({ dir, rate: 100 });
    tap = new TelemetryTap(p);
  });
  afterAll(async () => {
    await p?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('runs four supervised processes that heartbeat', async () => {
    const st = await p.status();
    for (const c of ['source', 'enrich', 'score', 'sink'] as const) {
      expect(st[c].readyReplicas).toBe(1);
      expect(st[c].heartbeatAgeMs).toBeDefined();
    }
  });

  it('publishes every kind of telemetry, all valid against the sentinel schema', async () => {
    const expected = [
      'source:metric:throughput',
      'source:profile:profile.output',
      'source:schema:schema',
      'enrich:profile:profile.input',
      'enrich:metric:throughput',
      'enrich:metric:heartbeat',
      'enrich:metric:lag',
      'score:model:model.error',
      'score:model:model.accuracy',
      'sink:metric:throughput',
      'sink:metric:latency_ms',
      'source:event:process',
    ];
    const kinds = await waitUntil('every kind of telemetry', async () => {
      await tap.poll();
      const seen = new Set(tap.records.map((r) => `${r.component}:${r.kind}:${r.signal}`));
      return expected.every((k) => seen.has(k)) ? seen : undefined;
    });
    for (const k of expected) expect(kinds).toContain(k);
    expect(tap.invalid).toEqual([]);
    const profile = tap.records.find((r) => r.kind === 'profile' && r.component === 'source');
    expect(profile?.kind === 'profile' && profile.histograms?.x1?.counts.length).toBe(10);
    const acc = tap.records.filter((r) => r.kind === 'model' && r.accuracy !== undefined).pop();
    expect(acc?.kind === 'model' && acc.accuracy).toBeGreaterThan(0.75);
  });

  it('keeps exactly-once in the sink across SIGKILLs of enrich, score and sink', async () => {
    await waitUntil('a first enrich checkpoint', async () => (await p.checkpoints.list('enrich')).length > 0);
    for (const c of ['enrich', 'score', 'sink'] as const) {
      const since = await tap.mark();
      const pid = (await p.supervisor.status(c)).instances[0].pid as number;
      process.kill(pid, 'SIGKILL');
      const crash = await tap.waitFor(`${c} crashed`, isEvent(c, 'CRASHED'), since);
      expect(crash.kind === 'event' && crash.osSignal).toBe('SIGKILL');
      await p.supervisor.start(c);
      await waitUntil(`${c} heartbeating again`, async () => ((await p.status())[c].heartbeatAgeMs ?? 1e9) < 1_000);
    }
    const integrity = await p.quiesce();
    expect(integrity).toMatchObject({ lost: 0, duplicates: 0, unexpected: 0, mismatched: 0 });
    expect(integrity.checksum).toBe(integrity.expectedChecksum);
    expect(integrity.expected).toBeGreaterThan(0);
    // Enrich resumed from its checkpoint (records between it and the kill are processed again).
    expect(fs.readFileSync(`${dir}/logs/enrich-0.log`, 'utf8')).toMatch(/restored ckpt-/);
  });
});
