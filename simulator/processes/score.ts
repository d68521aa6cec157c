/**
 * Score: serves the model pinned in the model registry (re-read every second, so a rollback or a
 * promotion takes effect without a restart), writes predictions to the scored topic, and joins
 * the late labels with its earlier predictions into the 0/1 error stream and a rolling accuracy.
 * With no model registered yet it trains v1 in-process on a bootstrap sample of the source's
 * original distribution.
 */
import { groupId } from '../config';
import type { EmbeddedConsumerOptions } from '../../bindings/log/embedded-consumer';
import type { LogBatch } from '../../bindings/log/types';
import type { ModelRegistry } from '../../bindings/registries';
import { generateEvent } from '../events';
import { accuracy, FEATURE_NAMES, modelSchema, predictProba, trainLogistic, type LogisticModel } from '../model';
import { seededRng } from '../../common/rng';
import { shedDecision, shedSettingSchema } from '../shedding';
import { features, parseEvent, type EnrichState } from './enrich';
import { runMain, STAGE_BATCH_RECORDS, type Runtime } from './runtime';

export const MODEL_NAME = 'score-model';
const ACCURACY_WINDOW = 200;

/** The first version: trained on 2,000 events of the original concept, 25 % held out. */
export async function ensureBootstrapModel(registry: ModelRegistry, seed: number): Promise<void> {
  if (await registry.pinnedModel(MODEL_NAME)) return;
  const state: EnrichState = { keys: {} };
  const X: number[][] = [];
  const y: number[] = [];
  for (let seq = 0; seq < 2_000; seq++) {
    const e = generateEvent(seededRng(seed * 7919 + seq), seq, 1, {});
    const parsed = parseEvent(Buffer.from(e.bytes), {}, {});
    if (!parsed.ok) continue;
    const f = features(parsed.row, state);
    X.push(FEATURE_NAMES.map((n) => f[n]));
    y.push(e.label);
  }
  const cut = Math.floor(X.length * 0.75);
  const model = trainLogistic(X.slice(0, cut), y.slice(0, cut));
  const holdout = accuracy(model, X.slice(cut), y.slice(cut));
  const v = await registry.registerModel(MODEL_NAME, model, { holdoutAccuracy: holdout, trainedOn: cut }, { runName: 'bootstrap', params: { examples: X.length, holdoutFraction: 0.25, seed } });
  await registry.recordValidation(MODEL_NAME, v.version, { passed: true, metrics: { holdoutAccuracy: holdout }, reason: `bootstrap: holdout of ${X.length - cut} events of the original concept` });
  await registry.pinModel(MODEL_NAME, v.version, { reason: 'bootstrap model', idempotencyKey: `bootstrap/${MODEL_NAME}` });
}

async function main(rt: Runtime): Promise<void> {
  const enriched = rt.topic('enriched');
  const labels = rt.topic('labels');
  const scored = rt.topic('scored');
  await ensureBootstrapModel(rt.models, rt.config.seed);
  let current: { version: string; model: LogisticModel } | null = null;
  // With MLflow the model is `models:/<name>@<alias>`: a moved alias is noticed at the next poll.
  const source = rt.config.models.kind === 'mlflow' ? `models:/${MODEL_NAME}@${rt.config.models.alias}` : `${MODEL_NAME} (pinned)`;
  const reload = async (): Promise<void> => {
    const pinned = await rt.models.pinnedModel(MODEL_NAME);
    if (!pinned || pinned.version === current?.version) return;
    const before = current?.version;
    current = { version: pinned.version, model: modelSchema.parse(pinned.artifact) };
    rt.metrics.serving(MODEL_NAME, pinned.version, source);
    process.stderr.write(`score: serving ${MODEL_NAME}@${pinned.version} from ${source}${before ? ` (moved from ${before})` : ''}\n`);
  };
  await reload();
  const modelTimer = setInterval(() => void reload().catch(() => undefined), 1_000);

  // Outcomes per serving version: accuracy is reported for the version serving now only.
  const window: { version: string; correct: number }[] = [];
  const PENDING_LABEL_TTL_MS = 60_000;
  let processed = 0;
  let shed = 0;
  let latencySum = 0;
  let latencyN = 0;
  let windowStart = Date.now();

  // Labels that arrived before their prediction — the pipeline ran further behind than the label
  // delay (a slow broker, a backlog) — wait here and are joined once the prediction exists; a
  // label still unmatched after a minute belongs to an event that was shed or set aside.
  const pendingLabels = new Map<string, { label: number; at: number }>();
  const joinLabels = (labelled: { id: string; label: number }[]): void => {
    const { joined, missing } = rt.state.joinLabels(labelled);
    for (const o of joined) {
      pendingLabels.delete(o.id);
      rt.emit({ kind: 'model-error', error: o.correct ? 0 : 1, modelVersion: o.modelVersion, eventId: o.id });
      window.push({ version: o.modelVersion, correct: o.correct ? 1 : 0 });
      if (window.length > ACCURACY_WINDOW) window.shift();
    }
    const now = Date.now();
    const byId = new Map(labelled.map((l) => [l.id, l.label]));
    for (const id of missing) if (!pendingLabels.has(id)) pendingLabels.set(id, { label: byId.get(id)!, at: now });
    for (const [id, p] of pendingLabels) if (now - p.at > PENDING_LABEL_TTL_MS) pendingLabels.delete(id);
  };

  const handle = async (batch: LogBatch): Promise<void> => {
    const model = current;
    if (!model) return;
    if (batch.topic === labels) {
      const parsed = batch.records.flatMap((r) => {
        try {
          const v = JSON.parse(r.value.toString('utf8')) as { id: string; label: number };
          return [{ id: v.id, label: v.label }];
        } catch {
          return [];
        }
      });
      joinLabels(parsed);
      return;
    }
    const shedSetting = shedSettingSchema.safeParse(rt.settings().shed);
    const out: { key: string | null; value: string }[] = [];
    const predictions: { id: string; features: number[]; p: number; modelVersion: string }[] = [];
    const shedIds: string[] = [];
    for (const record of batch.records) {
      const e = JSON.parse(record.value.toString('utf8')) as { id: string; key: string; ts: number; h: string; priority?: string; features: Record<string, number> };
      if (shedSetting.success && shedDecision(shedSetting.data, e.id, e.priority ?? 'low')) {
        shedIds.push(e.id);
        continue;
      }
      const x = FEATURE_NAMES.map((n) => e.features[n] ?? 0);
      const p = predictProba(model.model, x);
      out.push({ key: record.key, value: JSON.stringify({ id: e.id, key: e.key, ts: e.ts, h: e.h, p, modelVersion: model.version }) });
      predictions.push({ id: e.id, features: x, p, modelVersion: model.version });
      if (typeof e.ts === 'number') {
        latencySum += Date.now() - e.ts;
        latencyN++;
        rt.recordLatency(Date.now() - e.ts);
      }
    }
    // Shed records cost nothing: that is the point of shedding.
    await rt.paced(out.length, (from, to) => void (processed += to - from));
    if (predictions.length > 0) rt.state.recordPredictions(predictions);

    if (out.length > 0) await rt.log.append(scored, out);
    if (shedIds.length > 0) rt.state.recordAccounted(shedIds.map((id) => ({ id, kind: 'shed' as const, component: 'score', reason: 'load shedding' })));
    shed += shedIds.length;
  };

  const options: EmbeddedConsumerOptions = {
    groupId: groupId(rt.config, 'score'),
    topics: [enriched, labels],
    fromBeginning: true,
    autoCommit: true,
    maxBatchRecords: STAGE_BATCH_RECORDS,
    memberId: rt.instance,
    pollMs: 50,
  };
  const consumer = rt.log.consumer(options);
  rt.onStop(async () => {
    clearInterval(modelTimer);
    await consumer.stop();
  });
  await consumer.run(async (batch) => {
    if (!rt.stopping()) await handle(batch);
  });

  const report = setInterval(() => {
    // Retried here rather than per batch: another instance may have made the prediction.
    if (pendingLabels.size > 0) joinLabels([...pendingLabels].map(([id, p]) => ({ id, label: p.label })));
    const secs = (Date.now() - windowStart) / 1000;
    // Throughput counts consumed records (processed + shed); `shed` says how many of them were dropped.
    rt.emit({ kind: 'metric', name: 'throughput', value: (processed + shed) / secs, unit: 'records/s' });
    rt.emit({ kind: 'metric', name: 'shed', value: shed });
    if (latencyN > 0) rt.emit({ kind: 'metric', name: 'latency_ms', value: latencySum / latencyN, unit: 'ms' });
    const serving = current ? window.filter((w) => w.version === current?.version) : [];
    if (serving.length > 0 && current) {
      rt.emit({ kind: 'model-metric', name: 'accuracy', value: serving.reduce((a, b) => a + b.correct, 0) / serving.length, window: serving.length, modelVersion: current.version });
    }
    rt.setInfo({ modelVersion: current?.version, throughput: (processed + shed) / secs, shedPerSec: shed / secs });
    processed = shed = latencySum = latencyN = 0;
    windowStart = Date.now();
    rt.state.pruneModelMemory(5_000);
  }, 1_000);
  rt.onStop(async () => clearInterval(report));
}

if (require.main === module) runMain('score', main);
