/**
 * Schema rollback: pin the schema version that was in force before the drift (producers follow
 * the pin), and — for records already written in the drifted version — install a field map on the
 * consumers (renamed field back to its name, string back to number). `strategy: 'map-fields'`
 * keeps the new version and only maps. A dropped field cannot be mapped: that needs the pin.
 */
import { z } from 'zod';
import { previousPin } from '../../bindings/registries';
import { HomeostatError } from '../../common/errors';
import type { StepUndos } from './compensation';
import type { TemplateDeps } from './deps';
import { holds, once, parseParams } from './steps';
import type { RepairTemplate } from './template';

const paramsSchema = z.object({
  strategy: z.enum(['pin-previous', 'map-fields']).default('pin-previous'),
  /** Consumer stages that get the field map (default: every stage with an input topic). */
  consumers: z.array(z.string()).optional(),
});

const driftSchema = z.union([
  z.object({ mode: z.literal('rename'), from: z.string(), to: z.string() }),
  z.object({ mode: z.literal('drop'), field: z.string() }),
  z.object({ mode: z.literal('type'), field: z.string() }),
]);

interface Mapping {
  fieldMap: Record<string, string>;
  coerce: Record<string, string>;
  mappable: boolean;
  describe: string;
}

/** The consumer-side mapping that undoes a drift between two schema definitions. */
export function mappingFor(current: Record<string, unknown>, previous: Record<string, unknown>): Mapping {
  const drift = driftSchema.safeParse(current.drift);
  if (drift.success) {
    const d = drift.data;
    if (d.mode === 'rename') return { fieldMap: { [d.to]: d.from }, coerce: {}, mappable: true, describe: `${d.to} → ${d.from}` };
    if (d.mode === 'type') return { fieldMap: {}, coerce: { [d.field]: 'number' }, mappable: true, describe: `${d.field} string → number` };
    return { fieldMap: {}, coerce: {}, mappable: false, describe: `${d.field} was dropped` };
  }
  // No declared drift: infer renames by matching types of fields that appeared and disappeared.
  const cur = (current.fields ?? {}) as Record<string, string>;
  const prev = (previous.fields ?? {}) as Record<string, string>;
  const gone = Object.keys(prev).filter((f) => !(f in cur));
  const added = Object.keys(cur).filter((f) => !(f in prev));
  const fieldMap: Record<string, string> = {};
  for (const g of gone) {
    const match = added.find((a) => cur[a] === prev[g] && !(a in fieldMap));
    if (match) fieldMap[match] = g;
  }
  const coerce: Record<string, string> = {};
  for (const f of Object.keys(prev)) if (f in cur && cur[f] !== prev[f] && prev[f] === 'number') coerce[f] = 'number';
  const mappable = Object.keys(fieldMap).length === gone.length;
  return { fieldMap, coerce, mappable, describe: [...Object.entries(fieldMap).map(([a, b]) => `${a} → ${b}`), ...Object.keys(coerce).map((f) => `${f} → number`)].join(', ') || 'no changes' };
}

const undo: StepUndos<TemplateDeps> = {
  // Consumers read records as they come again.
  'map-fields': async (_ctx, deps, out) => {
    for (const c of (out.consumers as string[] | undefined) ?? []) {
      deps.pipeline.deleteSetting(c, 'fieldMap');
      deps.pipeline.deleteSetting(c, 'coerce');
    }
  },
  // Pin again the version that was in force before the rollback.
  pin: async (ctx, deps, out) => {
    await deps.schemas.pinSchema(deps.pipeline.schemaSubject, Number(out.from), { reason: `compensation of ${ctx.idempotencyKey}`, idempotencyKey: `${ctx.idempotencyKey}#compensate`, fence: ctx.fence });
  },
};

export const schemaRollback: RepairTemplate<TemplateDeps> = {
  action: 'schema-rollback',
  description: 'pin the previous schema version and map drifted fields for records already written',
  probes: ['data-checks-pass'],

  async preconditions(ctx, deps) {
    const p = parseParams(paramsSchema, ctx);
    const subject = deps.pipeline.schemaSubject;
    const history = await deps.schemas.schemaPinHistory(subject);
    const prev = previousPin(history);
    const current = await deps.schemas.pinnedSchema(subject);
    if (p.strategy === 'pin-previous') {
      return [holds('previous-version-exists', prev !== undefined, prev ? `${subject} v${prev.version} was pinned before v${history[0]?.version}` : `${subject} has no earlier pinned version`)];
    }
    const versions = await deps.schemas.schemaVersions(subject);
    const base = prev ? versions.find((v) => String(v.version) === prev.version) : undefined;
    const m = current && base ? mappingFor(current.definition, base.definition) : undefined;
    return [holds('drift-mappable', m?.mappable === true, m ? `mapping: ${m.describe}` : 'no earlier version to map to')];
  },

  async execute(ctx, deps) {
    const p = parseParams(paramsSchema, ctx);
    const subject = deps.pipeline.schemaSubject;
    return once(ctx, deps, 'schema-rollback', async (steps) => {
      const plan = await steps.step('plan', async () => {
        const history = await deps.schemas.schemaPinHistory(subject);
        const prev = previousPin(history);
        const current = await deps.schemas.pinnedSchema(subject);
        if (!prev || !current) throw new HomeostatError('HS_PRECONDITION_FAILED', `${subject}: no previous version to roll back to`);
        const base = (await deps.schemas.schemaVersions(subject)).find((v) => String(v.version) === prev.version);
        const m = mappingFor(current.definition, base?.definition ?? {});
        return { from: current.version, to: Number(prev.version), fieldMap: m.fieldMap, coerce: m.coerce, mappable: m.mappable, describe: m.describe };
      });
      const consumers = p.consumers ?? deps.pipeline.components().filter((c) => deps.pipeline.inputTopic(c) !== undefined).slice(0, 1);
      await steps.step('map-fields', async () => {
        for (const c of consumers) {
          deps.pipeline.setSetting(c, 'fieldMap', plan.fieldMap);
          deps.pipeline.setSetting(c, 'coerce', plan.coerce);
        }
        return { consumers };
      });
      let pinned = false;
      if (p.strategy === 'pin-previous') {
        const r = await steps.step('pin', async () => ({
          ...(await deps.schemas.pinSchema(subject, Number(plan.to), { reason: `schema-rollback (${ctx.incidentId})`, idempotencyKey: `${ctx.idempotencyKey}#pin`, fence: ctx.fence })),
          from: Number(plan.from),
        }));
        pinned = r.applied === true || (await deps.schemas.pinnedSchema(subject))?.version === Number(plan.to);
      }
      return {
        summary: `${p.strategy === 'pin-previous' ? `pinned ${subject} v${plan.to} (was v${plan.from}); ` : ''}consumers ${consumers.join(', ')} map ${plan.describe}`,
        impact: { from: Number(plan.from), to: p.strategy === 'pin-previous' ? Number(plan.to) : Number(plan.from), pinned, mapping: String(plan.describe) },
      };
    }, undo);
  },
  undo,
};
