/**
 * Model rollback: pin the model version that served before the current one. Serving stages
 * follow the pin within a second. For an accuracy drop after a model deploy.
 */
import { previousPin } from '../../bindings/registries';
import { HomeostatError } from '../../common/errors';
import type { StepUndos } from './compensation';
import type { TemplateDeps } from './deps';
import { holds, once } from './steps';
import type { RepairTemplate } from './template';

const undo: StepUndos<TemplateDeps> = {
  // Pin again the version that served before the rollback.
  pin: async (ctx, deps, out) => {
    await deps.models.pinModel(deps.pipeline.modelName, String(out.from), { reason: `compensation of ${ctx.idempotencyKey}`, idempotencyKey: `${ctx.idempotencyKey}#compensate`, fence: ctx.fence });
  },
};

export const modelRollback: RepairTemplate<TemplateDeps> = {
  action: 'model-rollback',
  description: 'pin the previously served model version',
  probes: ['model-accuracy-restored'],

  async preconditions(_ctx, deps) {
    const model = deps.pipeline.modelName;
    const history = await deps.models.modelPinHistory(model);
    const prev = previousPin(history);
    return [holds('previous-version-exists', prev !== undefined, prev ? `${model}@${prev.version} served before ${history[0]?.version}` : `${model} has no earlier version`)];
  },

  async execute(ctx, deps) {
    const model = deps.pipeline.modelName;
    return once(ctx, deps, 'model-rollback', async (steps) => {
      const plan = await steps.step('plan', async () => {
        const history = await deps.models.modelPinHistory(model);
        const prev = previousPin(history);
        if (!prev || !history[0]) throw new HomeostatError('HS_PRECONDITION_FAILED', `${model}: no previous version to roll back to`);
        return { from: history[0].version, to: prev.version };
      });
      await steps.step('pin', async () => ({
        ...(await deps.models.pinModel(model, String(plan.to), { reason: `model-rollback (${ctx.incidentId})`, idempotencyKey: `${ctx.idempotencyKey}#pin`, fence: ctx.fence })),
        from: String(plan.from),
      }));
      return { summary: `pinned ${model}@${plan.to} (was ${plan.from})`, impact: { from: String(plan.from), to: String(plan.to) } };
    }, undo);
  },
  undo,
};
