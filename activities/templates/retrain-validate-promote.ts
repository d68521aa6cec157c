/**
 * Retrain, validate, promote: train a candidate on the most recent labelled window, register it
 * (a registry that tracks runs logs the training run with its parameters and metrics), evaluate
 * it and the serving model on a chronological holdout (the newest examples, never trained on),
 * record the validation on the candidate, and pin it only if it beats the serving model by
 * `minGain`. A rejected candidate stays registered, marked rejected; serving does not change and
 * the result says so (verification then fails and the ladder moves on). For concept drift.
 */
import { z } from 'zod';
import { accuracy, modelSchema, trainLogistic } from '../../simulator/model';
import { HomeostatError } from '../../common/errors';
import type { StepUndos } from './compensation';
import type { TemplateDeps } from './deps';
import { holds, once, parseParams } from './steps';
import type { RepairContext, RepairTemplate } from './template';

const paramsSchema = z.object({
  window: z.number().int().min(50).max(20_000).default(600),
  holdoutFraction: z.number().min(0.1).max(0.5).default(0.25),
  minGain: z.number().min(0).max(1).default(0.02),
  minExamples: z.number().int().min(20).default(200),
  /**
   * Only examples labelled after this time (epoch ms). Defaults to the incident's first anomaly:
   * labels from before it follow the concept the drift replaced, and a candidate trained on them
   * learns the old concept again.
   */
  since: z.number().optional(),
  /** How long to wait for `minExamples` labels after `since` to arrive before giving up. */
  labelWaitMs: z.number().int().min(0).max(600_000).default(60_000),
});

const LABEL_POLL_MS = 500;

type Examples = ReturnType<TemplateDeps['pipeline']['recentExamples']>;

/**
 * The training window: the newest `window` examples labelled at or after `since`. Detection fires
 * soon after the drift begins, so few labels of the new concept may exist yet; they arrive with
 * the traffic, and waiting a few seconds for them beats training on the old concept.
 */
async function labelledSince(deps: TemplateDeps, ctx: RepairContext, p: { window: number; minExamples: number; labelWaitMs: number }, since: number | undefined): Promise<Examples> {
  const read = (): Examples => deps.pipeline.recentExamples(p.window).filter((e) => since === undefined || e.labelledAt >= since);
  const deadline = Date.now() + p.labelWaitMs;
  let examples = read();
  while (examples.length < p.minExamples && Date.now() < deadline) {
    ctx.heartbeat();
    await new Promise((resolve) => setTimeout(resolve, LABEL_POLL_MS));
    examples = read();
  }
  return examples;
}

const undo: StepUndos<TemplateDeps> = {
  // Pin again the version that served before the promotion (when there was one).
  promote: async (ctx, deps, out) => {
    if (out.serving === 'none') return;
    await deps.models.pinModel(deps.pipeline.modelName, String(out.serving), { reason: `compensation of ${ctx.idempotencyKey}`, idempotencyKey: `${ctx.idempotencyKey}#compensate`, fence: ctx.fence });
  },
};

export const retrainValidatePromote: RepairTemplate<TemplateDeps> = {
  action: 'retrain-validate-promote',
  description: 'train on the recent window, validate on a holdout, promote only if better',
  probes: ['model-accuracy-restored'],

  async preconditions(ctx, deps) {
    const p = parseParams(paramsSchema, ctx);
    const n = deps.pipeline.recentExamples(p.window).filter((e) => p.since === undefined || e.labelledAt >= p.since).length;
    return [holds('enough-labels', n >= p.minExamples, `${n} labelled examples in the window (need ${p.minExamples})`)];
  },

  async execute(ctx, deps) {
    const p = parseParams(paramsSchema, ctx);
    const model = deps.pipeline.modelName;
    return once(ctx, deps, 'retrain-validate-promote', async (steps) => {
      const since = p.since ?? ctx.anomalySince;
      const evaluation = await steps.step('train-validate', async () => {
        const examples = await labelledSince(deps, ctx, p, since);
        if (examples.length < p.minExamples) {
          throw new HomeostatError('HS_PRECONDITION_FAILED', `only ${examples.length} labelled examples${since === undefined ? '' : ` since ${new Date(since).toISOString()}`} after waiting ${p.labelWaitMs} ms (need ${p.minExamples})`);
        }
        const cut = Math.floor(examples.length * (1 - p.holdoutFraction));
        const train = examples.slice(0, cut);
        const holdout = examples.slice(cut);
        const candidate = trainLogistic(train.map((e) => e.features), train.map((e) => e.label));
        const serving = await deps.models.pinnedModel(model);
        const servingModel = serving ? modelSchema.safeParse(serving.artifact) : undefined;
        const hx = holdout.map((e) => e.features);
        const hy = holdout.map((e) => e.label);
        const candidateAcc = accuracy(candidate, hx, hy);
        const servingAcc = servingModel?.success ? accuracy(servingModel.data, hx, hy) : 0;
        const better = candidateAcc >= servingAcc + p.minGain;
        // Registered inside this recorded step, passed or not: a retry after it completed reuses
        // the version, and a rejected candidate stays on the record (tagged as such) beside the
        // run that trained it.
        const registered = await deps.models.registerModel(
          model,
          candidate,
          { holdoutAccuracy: candidateAcc, trainedOn: train.length, servingAccuracyOnHoldout: servingAcc },
          {
            runName: `retrain ${model} (${ctx.incidentId})`,
            params: { window: p.window, holdoutFraction: p.holdoutFraction, minGain: p.minGain, since: since ?? 'none', examples: examples.length, holdout: holdout.length, servingVersion: serving?.version ?? 'none', incidentId: ctx.incidentId },
            tags: { 'homeostat.incident_id': ctx.incidentId, 'homeostat.trigger': ctx.faultClass },
          },
        );
        const why = better
          ? `holdout accuracy ${(candidateAcc * 100).toFixed(1)} % ≥ serving ${(servingAcc * 100).toFixed(1)} % + ${(p.minGain * 100).toFixed(1)} %`
          : `holdout accuracy ${(candidateAcc * 100).toFixed(1)} % < serving ${(servingAcc * 100).toFixed(1)} % + ${(p.minGain * 100).toFixed(1)} %`;
        await deps.models.recordValidation(model, registered.version, { passed: better, metrics: { holdoutAccuracy: candidateAcc, servingAccuracyOnHoldout: servingAcc, holdoutSize: holdout.length }, reason: why, incidentId: ctx.incidentId });
        const version = registered.version;
        return { version, runId: registered.runId ?? '', candidateAcc, servingAcc, serving: serving?.version ?? 'none', trained: train.length, holdout: holdout.length, better };
      });
      if (evaluation.better) {
        await steps.step('promote', async () => ({
          ...(await deps.models.pinModel(model, String(evaluation.version), { reason: `retrain-validate-promote (${ctx.incidentId})`, idempotencyKey: `${ctx.idempotencyKey}#pin`, fence: ctx.fence })),
          serving: String(evaluation.serving),
        }));
      }
      const pct = (x: unknown): string => `${(Number(x) * 100).toFixed(1)} %`;
      return {
        summary: evaluation.better
          ? `promoted ${model}@${evaluation.version}${evaluation.runId ? ` (training run ${String(evaluation.runId)})` : ''}: holdout accuracy ${pct(evaluation.candidateAcc)} vs ${pct(evaluation.servingAcc)} for ${evaluation.serving} (trained on ${evaluation.trained}, validated on ${evaluation.holdout})`
          : `kept ${evaluation.serving}: candidate ${model}@${evaluation.version} (registered, validation rejected) scored ${pct(evaluation.candidateAcc)}, not ${pct(p.minGain)} above ${pct(evaluation.servingAcc)}`,
        impact: {
          promoted: Boolean(evaluation.better),
          version: evaluation.better ? String(evaluation.version) : String(evaluation.serving),
          candidate: String(evaluation.version),
          candidateAccuracy: Number(evaluation.candidateAcc),
          servingAccuracy: Number(evaluation.servingAcc),
          trainedOn: Number(evaluation.trained),
        },
      };
    }, undo);
  },
  undo,
};
