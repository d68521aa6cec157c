/**
 * What an injector acts on: the pipeline's state file (control channel), registries, checkpoint
 * store and an orchestrator. From a live handle in the same process, or opened from the pipeline
 * directory by the CLI in another terminal (restarts then go through the host's request queue).
 */
import fs from 'node:fs';
import { HomeostatError } from '../../common/errors';
import { FileCheckpointStore } from '../../bindings/checkpoints';
import type { Orchestrator } from '../../bindings/orchestration/types';
import { modelRegistryFor } from '../../bindings/model-registry';
import { openRegistries, type KnowledgeRegistries, type ModelRegistry } from '../../bindings/registries';
import { pipelineConfigSchema, pipelinePaths } from '../config';
import path from 'node:path';
import type { PipelineHandle } from '../pipeline';
import { RemotePipelineOrchestrator } from '../remote-orchestrator';
import { PipelineState } from '../state';

export interface FaultContext {
  dir: string;
  state: PipelineState;
  registries: KnowledgeRegistries;
  /** The model registry the pipeline serves from (model faults deploy there). */
  models: ModelRegistry;
  checkpoints: FileCheckpointStore;
  orchestrator: Orchestrator;
  close(): Promise<void>;
}

export function faultContextOf(handle: PipelineHandle): FaultContext {
  return { dir: handle.dir, state: handle.state, registries: handle.registries, models: handle.models, checkpoints: handle.checkpoints, orchestrator: handle.supervisor, close: async () => undefined };
}

export function openFaultContext(dir: string): FaultContext {
  const paths = pipelinePaths(dir);
  if (!fs.existsSync(paths.state)) throw new HomeostatError('HS_NOT_FOUND', `no live pipeline in ${dir} (start one with the demo, or pass --dir)`);
  const state = new PipelineState(paths.state);
  const registries = openRegistries(paths.knowledge);
  const configFile = path.join(dir, 'pipeline.json');
  const config = fs.existsSync(configFile) ? pipelineConfigSchema.safeParse(JSON.parse(fs.readFileSync(configFile, 'utf8'))) : undefined;
  return {
    dir,
    state,
    registries,
    models: modelRegistryFor(config?.success ? config.data.models : undefined, registries, 'homeostat-inject'),
    checkpoints: new FileCheckpointStore(paths.checkpoints),
    orchestrator: new RemotePipelineOrchestrator(state),
    close: async () => {
      await registries.close();
      state.close();
    },
  };
}

/** Live pids of a component, from the heartbeat table. */
export function livePids(ctx: FaultContext, component: string): number[] {
  const now = Date.now();
  return ctx.state.statuses(component).filter((s) => now - s.heartbeatAt < 5_000).map((s) => s.pid);
}
