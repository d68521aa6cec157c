/**
 * The MLflow model registry binding against a real MLflow 3.17 server (SQLite backend, proxied
 * artifacts): registration logs a run with params, metrics and the artefact; the alias is the pin
 * and its moves are idempotent per key; validation outcomes are version tags; the rollback target
 * is the newest validated version other than the alias's; stopping the server stops its group.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TEMPLATES } from '../../activities/templates';
import type { PipelineBinding, TemplateDeps } from '../../activities/templates/deps';
import { fromTags } from '../../bindings/mlflow-client';
import { MlflowModelRegistry, VALIDATION_TAG } from '../../bindings/mlflow-registry';
import { startMlflow, type MlflowHandle } from '../../infra/mlflow';
import { FEATURE_NAMES, trainLogistic } from '../../simulator/model';
import { seededRng } from '../../common/rng';
import { SqliteActuatorLog } from '../../simulator/template-deps';
import { repairContext } from '../simulator/support';

// A cold run installs MLflow into the cache first (minutes of pip).
jest.setTimeout(20 * 60_000);

/** Labelled examples of a fixed linear concept (what the score stage's state would hold). */
function examples(n: number, seed: number): { id: string; features: number[]; label: number; labelledAt: number }[] {
  const rnd = seededRng(seed);
  return Array.from({ length: n }, (_, i) => {
    const features = FEATURE_NAMES.map(() => rnd() * 2 - 1);
    return { id: `e${i}`, features, label: features[0]! + 0.5 * features[1]! > 0 ? 1 : 0, labelledAt: 1_000 + i };
  });
}

/**
 * The model templates read only the registry, the labelled examples and the actuator log; the
 * rest of a pipeline binding is not reached (a call would throw).
 */
function modelTemplateDeps(models: MlflowModelRegistry, model: string, dir: string): TemplateDeps {
  const data = examples(800, 3);
  const pipeline = new Proxy({ modelName: model, recentExamples: (n: number) => data.slice(-n) } as Partial<PipelineBinding>, {
    get: (target, key) => {
      if (key in target) return target[key as keyof PipelineBinding];
      throw new Error(`pipeline.${String(key)} is not available to model templates in this test`);
    },
  }) as PipelineBinding;
  return { models, pipeline, actuations: new SqliteActuatorLog(path.join(dir, 'actuations.db')) } as Pick<TemplateDeps, 'models' | 'pipeline' | 'actuations'> as TemplateDeps;
}

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

  it('model rollback moves the alias to the last validated version, tags both versions, and is idempotent', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'homeostat-mlflow-tpl-'));
    const deps = modelTemplateDeps(reg, 'tm', dir);
    const good = await reg.registerModel('tm', trainLogistic(examples(400, 1).map((e) => e.features), examples(400, 1).map((e) => e.label)), { holdoutAccuracy: 0.95 });
    await reg.recordValidation('tm', good.version, { passed: true, metrics: { holdoutAccuracy: 0.95 }, reason: 'holdout' });
    await reg.pinModel('tm', good.version, { reason: 'first' });
    const bad = await reg.registerModel('tm', { kind: 'logistic-regression', features: [...FEATURE_NAMES], weights: FEATURE_NAMES.map(() => -1), bias: 0 }, {});
    await reg.pinModel('tm', bad.version, { reason: 'a deploy that skipped validation' });
    const ctx = repairContext('score', 'inc-mlflow:execute:model-rollback:1', {}, 'accuracy-drop');
    const t = TEMPLATES['model-rollback']!;
    expect((await t.preconditions(ctx, deps)).every((p) => p.holds)).toBe(true);
    const r = await t.execute(ctx, deps);
    expect(r.impact).toEqual({ from: bad.version, to: good.version });
    expect(r.summary).toContain(`moved the MLflow alias of tm to ${good.version} (was ${bad.version})`);
    expect((await reg.client.versionByAlias('tm', 'champion'))?.version).toBe(good.version);
    expect(fromTags((await reg.client.modelVersion('tm', bad.version))!.tags)['homeostat.rolled_back_by']).toBe(ctx.incidentId);
    expect(fromTags((await reg.client.modelVersion('tm', good.version))!.tags)['homeostat.restored_by']).toBe(ctx.incidentId);
    const pins = (await reg.modelPinHistory('tm')).length;
    expect((await t.execute(ctx, deps)).alreadyApplied).toBe(true);
    // A retried activity whose template record was lost still moves nothing twice: the pin key is on MLflow.
    expect(await reg.pinModel('tm', good.version, { reason: 'retry', idempotencyKey: `${ctx.idempotencyKey}#pin` })).toEqual({ applied: false });
    expect((await reg.modelPinHistory('tm')).length).toBe(pins);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('retrain–validate–promote logs a run, and a candidate that fails validation stays registered, tagged rejected', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'homeostat-mlflow-tpl-'));
    const deps = modelTemplateDeps(reg, 'tm', dir);
    const serving = (await reg.pinnedModel('tm'))!.version;
    const before = (await reg.modelVersions('tm')).length;
    // The serving model already fits the concept: demanding a 20-point gain, the candidate cannot pass.
    const ctx = repairContext('score', 'inc-mlflow:execute:retrain-validate-promote:1', { minGain: 0.2, window: 800 }, 'concept-drift');
    const r = await TEMPLATES['retrain-validate-promote']!.execute(ctx, deps);
    expect(r.impact.promoted).toBe(false);
    const versions = await reg.modelVersions('tm');
    expect(versions).toHaveLength(before + 1);
    const candidate = versions.at(-1)!;
    expect(candidate.tags).toMatchObject({ [VALIDATION_TAG]: 'rejected', 'homeostat.incident_id': ctx.incidentId });
    expect((await reg.client.versionByAlias('tm', 'champion'))?.version).toBe(serving);
    const trainingRun = await reg.client.getRun(candidate.runId!);
    expect(fromTags(trainingRun.data.params)).toMatchObject({ minGain: '0.2', window: '800', servingVersion: serving });
    expect(trainingRun.data.metrics.map((m) => m.key).sort()).toEqual(['holdoutAccuracy', 'servingAccuracyOnHoldout', 'trainedOn']);
    // A rejected candidate is no rollback target either.
    expect((await reg.rollbackTarget('tm'))?.version).not.toBe(candidate.version);
    fs.rmSync(dir, { recursive: true, force: true });
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
