/**
 * One reader per record kind that concerns a component. (Lineage records concern the graph, not
 * a component: the engine hands them to the lineage sink.)
 */
import type { TelemetryRecord } from '../telemetry';
import { readEvent } from './event';
import { readMetric } from './metric';
import { readModel } from './model';
import { readProfile } from './profile';
import { readSchema } from './schema';
import type { ReadContext } from './types';

export { faultOfEvent } from './event';
export type { FactSink, ReadContext } from './types';

export type ComponentRecord = Exclude<TelemetryRecord, { kind: 'lineage' }>;

/** Turns one record into facts for its component. */
export function readRecord(rec: ComponentRecord, ctx: ReadContext): void {
  switch (rec.kind) {
    case 'metric':
      return readMetric(rec, ctx);
    case 'event':
      return readEvent(rec, ctx);
    case 'profile':
      return readProfile(rec, ctx);
    case 'schema':
      return readSchema(rec, ctx);
    case 'model':
      return readModel(rec, ctx);
  }
}
