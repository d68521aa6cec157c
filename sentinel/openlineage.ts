/**
 * OpenLineage run events (https://openlineage.io/spec) → lineage edges in the knowledge base.
 * Only the parts the graph needs are required: the job, and the input and output datasets.
 * Facets are accepted and ignored.
 */
import { z } from 'zod';
import { recordLineage, type LineageSink } from './lineage';

const dataset = z.object({ namespace: z.string().min(1), name: z.string().min(1), facets: z.record(z.string(), z.unknown()).optional() });

export const openLineageRunEvent = z.object({
  eventType: z.enum(['START', 'RUNNING', 'COMPLETE', 'ABORT', 'FAIL', 'OTHER']).optional(),
  eventTime: z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'must be an ISO-8601 date-time'),
  producer: z.string().min(1),
  schemaURL: z.string().optional(),
  run: z.object({ runId: z.string().min(1), facets: z.record(z.string(), z.unknown()).optional() }),
  job: z.object({ namespace: z.string().min(1), name: z.string().min(1), facets: z.record(z.string(), z.unknown()).optional() }),
  inputs: z.array(dataset).default([]),
  outputs: z.array(dataset).default([]),
});
export type OpenLineageRunEvent = z.infer<typeof openLineageRunEvent>;

export async function handleOpenLineage(event: OpenLineageRunEvent, sink: LineageSink): Promise<{ edges: { from: string; to: string }[] }> {
  const edges = await recordLineage(sink, {
    job: event.job,
    inputs: event.inputs,
    outputs: event.outputs,
    attrs: { runId: event.run.runId, eventType: event.eventType ?? 'OTHER', producer: event.producer },
  });
  return { edges };
}
