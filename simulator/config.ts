/**
 * Names, topics and settings of the live demo pipeline, shared by the pipeline host, its
 * processes, the fault injector, the repair templates and the probes.
 */
import path from 'node:path';
import { z } from 'zod';
import { modelRegistryBinding } from '../bindings/model-registry';

export const COMPONENTS = ['source', 'enrich', 'score', 'sink'] as const;
export type Component = (typeof COMPONENTS)[number];
export const componentSchema = z.enum(COMPONENTS);

export const TOPICS = {
  events: 'events',
  enriched: 'enriched',
  scored: 'scored',
  labels: 'labels',
  telemetry: 'telemetry',
} as const;
/** Small partition count: enough for scale-out to 2–3 instances, cheap on two cores. */
export const PARTITIONS = 2;

/** Consumer group of each consuming component (the group is the component's name). */
export const INPUT_TOPIC: Record<Exclude<Component, 'source'>, string> = {
  enrich: TOPICS.events,
  score: TOPICS.enriched,
  sink: TOPICS.scored,
};

/** The configuration a pipeline process receives (env HOMEOSTAT_SIM_CONFIG, JSON). */
export const pipelineConfigSchema = z.object({
  pipeline: z.string().min(1).default('demo'),
  dir: z.string().min(1),
  log: z.enum(['embedded', 'kafka']).default('embedded'),
  brokers: z.array(z.string()).default([]),
  /** Prefix for Kafka topic names so runs sharing a broker do not see each other. */
  topicPrefix: z.string().default(''),
  /** Events per second the source emits. */
  rate: z.number().positive().max(5_000).default(100),
  /** Labels arrive this long after their event. */
  labelDelayMs: z.number().int().nonnegative().default(1_000),
  /** Enrich checkpoints at most this often. */
  checkpointEveryMs: z.number().int().positive().default(2_000),
  /** Telemetry flush interval. */
  telemetryEveryMs: z.number().int().positive().default(500),
  seed: z.number().int().default(7),
  /** V8 heap limit of each process, so memory growth ends in an OOM within seconds. */
  maxOldSpaceMb: z.number().int().positive().default(96),
  /**
   * Where metrics and what the supervisor observes go. `log`: JSON telemetry records on the
   * telemetry topic (and `/metrics` besides). `prometheus`: only `/metrics` — the sentinel reads
   * them from Prometheus; data profiles, schemas and model records still go to the log.
   */
  metrics: z.enum(['log', 'prometheus']).default('log'),
  /** Where the score stage's model lives: the embedded registry, or MLflow (by alias). */
  models: modelRegistryBinding.default({ kind: 'embedded' }),
});
export type PipelineConfig = z.infer<typeof pipelineConfigSchema>;

export const CONFIG_ENV = 'HOMEOSTAT_SIM_CONFIG';

export function topicName(config: Pick<PipelineConfig, 'topicPrefix'>, topic: string): string {
  return `${config.topicPrefix}${topic}`;
}

/** Consumer group of a component; prefixed like topics so runs sharing a broker stay apart. */
export function groupId(config: Pick<PipelineConfig, 'topicPrefix'>, component: Component): string {
  return `${config.topicPrefix}${component}`;
}

export const pipelinePaths = (dir: string): {
  state: string;
  sink: string;
  log: string;
  knowledge: string;
  checkpoints: string;
  supervisor: string;
  logs: string;
} => ({
  /** Control channel, status, emission ledger, predictions and labelled examples. */
  state: path.join(dir, 'pipeline.db'),
  /** The idempotent sink: stands for an external database. */
  sink: path.join(dir, 'sink.db'),
  /** The embedded log. */
  log: path.join(dir, 'log.db'),
  /** Knowledge base holding the schema and model registries. */
  knowledge: path.join(dir, 'knowledge.db'),
  checkpoints: path.join(dir, 'checkpoints'),
  supervisor: path.join(dir, 'supervisor.db'),
  logs: path.join(dir, 'logs'),
});
