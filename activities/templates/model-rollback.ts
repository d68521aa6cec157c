/**
 * Model rollback: point serving back at a known-good version — in the embedded registry the
 * version pinned before the current one; in MLflow the newest version whose recorded validation
 * passed (the registry binding decides, `rollbackTarget`). Serving stages follow the pin (or
 * alias) within a second. Both versions are tagged with the incident and the reason, so the
 * registry's own history says who moved it and why. For an accuracy drop after a model deploy.
 */
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
  description: 'pin the last known-good model version',
  probes: ['model-accuracy-restored'],

  async preconditions(_ctx, deps) {
    const model = deps.pipeline.modelName;
    const target = await deps.models.rollbackTarget(model);
    return [holds('previous-version-exists', target !== undefined, target ? target.reason : `${model} has no earlier known-good version`)];
  },

  async execute(ctx, deps) {
    const model = deps.pipeline.modelName;
    return once(ctx, deps, 'model-rollback', async (steps) => {
      const plan = await steps.step('plan', async () => {
        const target = await deps.models.rollbackTarget(model);
        const current = await deps.models.pinnedModel(model);
        if (!target || !current) throw new HomeostatError('HS_PRECONDITION_FAILED', `${model}: no known-good version to roll back to`);
        return { from: current.version, to: target.version, why: target.reason };
      });
      const reason = `model-rollback by ${ctx.incidentId} (${ctx.faultClass}): ${model}@${plan.from} → ${plan.to}`;
      await steps.step('pin', async () => ({
        ...(await deps.models.pinModel(model, String(plan.to), { reason, idempotencyKey: `${ctx.idempotencyKey}#pin`, fence: ctx.fence })),
        from: String(plan.from),
      }));
      // Tags are set values, so a retried step writes the same thing again.
      await steps.step('tag', async () => {
        await deps.models.tagVersion(model, String(plan.from), { 'homeostat.rolled_back_by': ctx.incidentId, 'homeostat.rollback_reason': `${ctx.faultClass}: replaced by ${plan.to}` });
        await deps.models.tagVersion(model, String(plan.to), { 'homeostat.restored_by': ctx.incidentId, 'homeostat.restore_reason': `${ctx.faultClass} on ${plan.from}: ${String(plan.why)}` });
        return {};
      });
      const where = deps.models.kind === 'mlflow' ? 'MLflow alias' : 'pin';
      return {
        summary: `moved the ${where} of ${model} to ${plan.to} (was ${plan.from}): ${String(plan.why)}`,
        impact: { from: String(plan.from), to: String(plan.to) },
      };
    }, undo);
  },
  undo,
};
