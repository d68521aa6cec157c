/**
 * The MLflow model registry binding against a real MLflow 3.17 server (SQLite backend, proxied
 * artifacts): registration logs a run with params, metrics and the artefact; the alias is the pin
 * and its moves are idempotent per key; validation outcomes are version tags; the rollback target
 * is the newest validated version other than the alias's; stopping the server stops its group.
 */
import { fromTags } from '../../bindings/mlflow-client';
import { MlflowModelRegistry, VALIDATION_TAG } from '../../bindings/mlflow-registry';
import { startMlflow, type MlflowHandle } from '../../infra/mlflow';

jest.setTimeout(300_000);

describe('MLflow model registry binding', () => {
  let server: MlflowHandle | undefined;
  let reg: MlflowModelRegistry;

  beforeAll(async () => {
    server = await startMlflow();
    process.stdout.write(`start-up: MLflow ${Math.round(server.startupMs)} ms\n`);
    reg = new MlflowModelRegistry({ trackingUri: server.url });
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('registers a version as a run with params, metrics and the artefact, and loads it back', async () => {
    const v = await reg.registerModel('m', { kind: 'test', w: [1, 2] }, { holdoutAccuracy: 0.91 }, { runName: 'train-1', params: { window: 600 }, tags: { origin: 'test' } });
    expect(v.version).toBe('1');
    expect(v.runId).toMatch(/^[0-9a-f]{32}$/);
    const run = await reg.client.getRun(v.runId!);
    expect(run.info.status).toBe('FINISHED');
    expect(fromTags(run.data.params)).toEqual({ window: '600' });
    expect(run.data.metrics.find((m) => m.key === 'holdoutAccuracy')?.value).toBeCloseTo(0.91);
    // A fresh binding (no cache) reads the artefact through MLflow's artifact proxy.
    const fresh = new MlflowModelRegistry({ trackingUri: server!.url });
    const loaded = await fresh.getModel('m', '1');
    expect(loaded?.artifact).toEqual({ kind: 'test', w: [1, 2] });
    expect(loaded?.metrics.holdoutAccuracy).toBeCloseTo(0.91);
    expect(loaded?.tags?.origin).toBe('test');
  });

  it('the pin is the alias; a move with a key seen before is not applied again; history keeps reasons', async () => {
    await reg.pinModel('m', '1', { reason: 'bootstrap', idempotencyKey: 'k-1' });
    expect((await reg.client.versionByAlias('m', 'champion'))?.version).toBe('1');
    await reg.registerModel('m', { kind: 'test', w: [3] }, {});
    expect(await reg.pinModel('m', '2', { reason: 'deploy', idempotencyKey: 'k-2' })).toEqual({ applied: true });
    expect(await reg.pinModel('m', '2', { reason: 'deploy', idempotencyKey: 'k-2' })).toEqual({ applied: false });
    expect((await reg.pinnedModel('m'))?.version).toBe('2');
    const history = await reg.modelPinHistory('m');
    expect(history.map((h) => [h.version, h.reason])).toEqual([
      ['2', 'deploy'],
      ['1', 'bootstrap'],
    ]);
    await expect(reg.pinModel('m', '99', { reason: 'x' })).rejects.toThrow(/not registered/);
  });

  it('records validation as version tags and rolls back to the newest validated version other than the alias', async () => {
    expect(await reg.rollbackTarget('m')).toBeUndefined(); // nothing validated yet
    await reg.recordValidation('m', '1', { passed: true, metrics: { holdoutAccuracy: 0.91 }, reason: 'bootstrap holdout' });
    await reg.recordValidation('m', '2', { passed: false, metrics: { holdoutAccuracy: 0.4 }, reason: 'below serving', incidentId: 'incident/demo/score' });
    const v2 = await reg.client.modelVersion('m', '2');
    expect(fromTags(v2!.tags)).toMatchObject({ [VALIDATION_TAG]: 'rejected', 'validation.holdoutAccuracy': '0.4', 'homeostat.incident_id': 'incident/demo/score' });
    const target = await reg.rollbackTarget('m');
    expect(target?.version).toBe('1');
    expect(target?.reason).toMatch(/newest version whose recorded validation passed/);
    // Someone moves the alias by hand in MLflow's UI: the target follows MLflow's records, not a pin history.
    await reg.client.setAlias('m', 'champion', '1');
    expect(await reg.rollbackTarget('m')).toBeUndefined();
  });

  it('lists versions oldest first with their tags', async () => {
    const versions = await reg.modelVersions('m');
    expect(versions.map((v) => v.version)).toEqual(['1', '2']);
    expect(versions[0]?.tags?.[VALIDATION_TAG]).toBe('passed');
    expect(await reg.modelVersions('never-registered')).toEqual([]);
  });

  it('stops the server and every process of its group', async () => {
    const pgid = server!.pid;
    await server!.stop();
    server = undefined;
    const alive = (): boolean => {
      try {
        process.kill(-pgid, 0);
        return true;
      } catch {
        return false;
      }
    };
    expect(alive()).toBe(false);
  });
});
