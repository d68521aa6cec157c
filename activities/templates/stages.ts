import type { PipelineBinding } from './deps';

/** What a repair needs of the stage it acts on: an input it consumes, or checkpoints it keeps. */
export type StageKind = 'consumer' | 'stateful';

const has = (pipeline: PipelineBinding, component: string, kind: StageKind): boolean =>
  kind === 'consumer' ? pipeline.inputTopic(component) !== undefined : pipeline.checkpointStream(component) !== undefined;

/**
 * The stage a repair of `target` acts on: `explicit` when the parameters name one, else the
 * target itself when it is of the kind needed, else the pipeline's first stage that is (a data
 * fault at the source is quarantined by the first consumer; a replay rewinds the first stateful
 * stage). Undefined when the pipeline has no such stage.
 */
export function stageOf(pipeline: PipelineBinding, target: string, kind: StageKind, explicit?: string): string | undefined {
  if (explicit) return explicit;
  if (has(pipeline, target, kind)) return target;
  return pipeline.components().find((c) => has(pipeline, c, kind));
}
