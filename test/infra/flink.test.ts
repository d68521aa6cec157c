import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { isHomeostatError } from '../../common/errors';
import { ensureFlink, flinkOverview, startFlink, type FlinkHandle } from '../../infra/flink';
import { VERSIONS } from '../../infra/versions';

jest.setTimeout(300_000);

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('Flink session cluster (PyPI distribution + Maven Central connector)', () => {
  let flink: FlinkHandle | undefined;
  afterAll(async () => {
    await flink?.stop();
  });

  it('provisions the pinned distribution and connector, idempotently', async () => {
    const dist = await ensureFlink();
    expect(fs.existsSync(path.join(dist.home, 'lib', `flink-dist-${VERSIONS.flink}.jar`))).toBe(true);
    expect(dist.connectorJars.some((j) => j.includes(`flink-connector-kafka-${VERSIONS.flinkKafkaConnector}.jar`))).toBe(true);
    expect(dist.javaOpts).toContain('--add-opens=java.base/java.util=ALL-UNNAMED');
    const started = performance.now();
    await ensureFlink();
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it('starts one JobManager and one TaskManager on loopback, state in its directory, and survives a TaskManager crash', async () => {
    flink = await startFlink({ slots: 3 });
    expect(flink.restUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const overview = await flinkOverview(flink.restUrl);
    expect(overview).toEqual({ taskmanagers: 1, slotsTotal: 3, version: VERSIONS.flink });
    const config = (await (await fetch(`${flink.restUrl}/jobmanager/config`)).json()) as { key: string; value: string }[];
    const get = (key: string): string | undefined => config.find((e) => e.key === key)?.value;
    expect(get('execution.checkpointing.dir')).toBe(`file://${flink.checkpointDir}`);
    expect(get('execution.checkpointing.savepoint-dir')).toBe(`file://${flink.savepointDir}`);
    expect(get('execution.checkpointing.externalized-checkpoint-retention')).toBe('RETAIN_ON_CANCELLATION');
    expect(get('rest.bind-address')).toBe('127.0.0.1');
    expect(flink.startupMs).toBeGreaterThan(0);
    process.stderr.write(`Flink start-up: ${(flink.startupMs / 1000).toFixed(1)} s\n`);

    // SIGKILL: the JobManager notices the lost TaskManager by its heartbeat timeout (10 s).
    await flink.killTaskManager();
    expect(flink.taskManager().exitStatus()).toBe('SIGKILL');
    await until('the TaskManager to be declared lost', async () => ((await flinkOverview(flink!.restUrl)).taskmanagers === 0 ? true : undefined), 40_000);
    await flink.startTaskManager();
    expect((await flinkOverview(flink.restUrl)).slotsTotal).toBe(3);

    const stopStarted = performance.now();
    await flink.stop();
    process.stderr.write(`Flink stop: ${((performance.now() - stopStarted) / 1000).toFixed(1)} s\n`);
    expect(flink.jobManager.exitStatus()).toBeDefined();
    expect(fs.existsSync(flink.stateDir)).toBe(false);
    flink = undefined;
  });

  it('fails loudly, with the JobManager output, when its REST port is taken', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const err = await startFlink({ restPort: port, readyTimeoutMs: 60_000 }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isHomeostatError(err) && err.code === 'HS_SERVICE_UNAVAILABLE').toBe(true);
      expect((err as Error).message).toMatch(/Flink/);
    } finally {
      blocker.close();
    }
  });
});
