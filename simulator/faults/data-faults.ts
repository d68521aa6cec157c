/**
 * Data faults at the source. Schema drift is a producer deploy: a new schema version is
 * registered and pinned, and the source (which follows the pin) starts emitting it. The others
 * are control-channel rows the source reads every tick.
 */
import { applyDrift, BASE_SCHEMA, EVENT_SUBJECT, type SchemaDrift } from '../events';
import { done } from './process-faults';
import type { FaultContext } from './context';
import type { FaultSpec, InjectedFault } from './spec';

type Spec<K extends FaultSpec['fault']> = Extract<FaultSpec, { fault: K }>;

export async function injectSchemaDrift(ctx: FaultContext, spec: Spec<'schema-drift'>): Promise<InjectedFault> {
  const drift: SchemaDrift =
    spec.mode === 'rename' ? { mode: 'rename', from: spec.field, to: spec.to } : spec.mode === 'drop' ? { mode: 'drop', field: spec.field } : { mode: 'type', field: spec.field };
  const drifted = applyDrift(BASE_SCHEMA, drift);
  const version = await ctx.registries.registerSchema(EVENT_SUBJECT, { fields: drifted.fields, drift });
  await ctx.registries.pinSchema(EVENT_SUBJECT, version.version, { reason: `producer deploy (injected ${spec.mode} of ${spec.field})` });
  const row = ctx.state.addFault('schema-drift', 'source', { ...drift, version: version.version });
  return done(row.id, spec, `source now emits ${EVENT_SUBJECT} v${version.version} (${describe(drift)})`);
}

function describe(d: SchemaDrift): string {
  if (d.mode === 'rename') return `field ${d.from} renamed to ${d.to}`;
  if (d.mode === 'drop') return `field ${d.field} dropped`;
  return `field ${d.field} sent as a string`;
}

export async function injectNullSpike(ctx: FaultContext, spec: Spec<'null-spike'>): Promise<InjectedFault> {
  const row = ctx.state.addFault('null-spike', 'source', { field: spec.field, rate: spec.rate }, spec.durationMs);
  return done(row.id, spec, `${Math.round(spec.rate * 100)} % of events carry ${spec.field} = null`);
}

export async function injectDistributionShift(ctx: FaultContext, spec: Spec<'distribution-shift'>): Promise<InjectedFault> {
  const row = ctx.state.addFault('distribution-shift', 'source', { shift: spec.shift, rampMs: spec.mode === 'gradual' ? spec.rampMs : 0 }, spec.durationMs);
  return done(row.id, spec, `x1 shifts by ${spec.shift} σ (${spec.mode === 'gradual' ? `ramped over ${spec.rampMs} ms` : 'at once'})`);
}

export async function injectPoison(ctx: FaultContext, spec: Spec<'poison-records'>): Promise<InjectedFault> {
  const row = ctx.state.addFault('poison-records', 'source', { rate: spec.rate }, spec.durationMs);
  return done(row.id, spec, `${Math.round(spec.rate * 100)} % of events are truncated, unparseable bytes`);
}
