/**
 * The live pipeline: source → events → enrich → enriched → score → scored → sink, each a real OS
 * process under the local supervisor, all on one log (embedded SQLite file or Kafka).
 *
 * The host (the process calling `startPipeline`) also publishes what a dead or hung process
 * cannot say about itself, as an outside observer would (kubelet events, a lag exporter):
 * process events from the supervisor (started, crashed, oom-killed…), `unresponsive` when a
 * running process stops heartbeating, and consumer lag per group every second.
 */
import fs from 'node:fs';
import path from 'node:path';
import { FileCheckpointStore } from '../bindings/checkpoints';
import { openLog } from '../bindings/log';
import type { Log } from '../bindings/log/types';
import { LocalSupervisor } from '../bindings/orchestration/local';
import type { ComponentStatus } from '../bindings/orchestration/types';
import { modelRegistryFor } from '../bindings/model-registry';
import { openRegistries, type KnowledgeRegistries, type ModelRegistry } from '../bindings/registries';
import {
  COMPONENTS,
  CONFIG_ENV,
  groupId,
  INPUT_TOPIC,
  PARTITIONS,
  pipelineConfigSchema,
  pipelinePaths,
  TOPICS,
  topicName,
  type Component,
  type PipelineConfig,
} from './config';
import { INSTANCE_ENV } from './processes/runtime';
import { ObserverMetrics, writeTargets } from './prometheus-targets';
import { checkSinkIntegrity, SinkStore, type SinkIntegrity } from './sink-store';
import { PipelineState } from './state';
import { TelemetryEmitter } from './telemetry';

export interface StartPipelineOptions {
  dir: string;
  log?: 'embedded' | 'kafka';
  brokers?: string[];
  rate?: number;
  pipeline?: string;
  topicPrefix?: string;
  labelDelayMs?: number;
  checkpointEveryMs?: number;
  seed?: number;
  /** Wait until every process heartbeats and the sink has stored something. Default true. */
  waitReady?: boolean;
  /** `prometheus`: metrics and what the host observes go to /metrics only (see PipelineConfig.metrics). */
  metrics?: PipelineConfig['metrics'];
  /** Where the score stage's model lives (default: the embedded registry). */
  models?: PipelineConfig['models'];
}

export interface ComponentHealth extends ComponentStatus {
  /** Age of the freshest heartbeat of a live instance, ms (undefined: none). */
  heartbeatAgeMs?: number;
  /** Consumer lag (records) of the component's group on its input topic. */
  lag?: number;
}

export interface PipelineHandle {
  readonly config: PipelineConfig;
  readonly dir: string;
  readonly log: Log;
  readonly state: PipelineState;
  readonly supervisor: LocalSupervisor;
  readonly registries: KnowledgeRegistries;
  /** The model registry the pipeline serves from (the embedded registries, or MLflow). */
  readonly models: ModelRegistry;
  readonly checkpoints: FileCheckpointStore;
  topic(name: keyof typeof TOPICS): string;
  status(): Promise<Record<Component, ComponentHealth>>;
  lag(component: Exclude<Component, 'source'>): Promise<number>;
  integrity(): SinkIntegrity;
  /** Stops the source and waits until every consumer group has caught up (then integrity is final). */
  quiesce(timeoutMs?: number): Promise<SinkIntegrity>;
  stop(): Promise<void>;
}

export const PROCESS_FILES: Record<Component, string> = {
  source: path.join(__dirname, 'processes', 'source.ts'),
  enrich: path.join(__dirname, 'processes', 'enrich.ts'),
  score: path.join(__dirname, 'processes', 'score.ts'),
  sink: path.join(__dirname, 'processes', 'sink.ts'),
};

const UNRESPONSIVE_AFTER_MS = 3_000;

export async function startPipeline(options: StartPipelineOptions): Promise<PipelineHandle> {
  const config = pipelineConfigSchema.parse({
    pipeline: options.pipeline,
    dir: path.resolve(options.dir),
    log: options.log,
    brokers: options.brokers,
    rate: options.rate,
    topicPrefix: options.topicPrefix,
    labelDelayMs: options.labelDelayMs,
    checkpointEveryMs: options.checkpointEveryMs,
    seed: options.seed,
    metrics: options.metrics,
    models: options.models,
  });
  if (config.log === 'kafka' && config.brokers.length === 0) throw new Error('startPipeline: log "kafka" needs brokers');
  const paths = pipelinePaths(config.dir);
  fs.mkdirSync(config.dir, { recursive: true });
  fs.writeFileSync(path.join(config.dir, 'pipeline.json'), JSON.stringify(config, null, 2));
  const log = config.log === 'kafka' ? openLog({ kind: 'kafka', brokers: config.brokers, clientId: 'homeostat-sim-host' }) : openLog({ kind: 'embedded', file: paths.log });
  for (const t of Object.values(TOPICS)) await log.createTopic(topicName(config, t), { partitions: PARTITIONS });
  await log.createTopic(topicName(config, `${TOPICS.events}.dlq`), { partitions: PARTITIONS });
  const state = new PipelineState(paths.state);
  // The sink's table exists before anyone checks integrity (the sink process creates it too).
  new SinkStore(paths.sink).close();
  const registries = openRegistries(paths.knowledge);
  const models = modelRegistryFor(config.models, registries, 'pipeline-host');
  const observerMetrics = new ObserverMetrics(config.pipeline);
  await observerMetrics.start(config.dir);
  const checkpoints = new FileCheckpointStore(paths.checkpoints);
  const emitters = new Map<string, TelemetryEmitter>();
  const emitterFor = (component: string, instance: string): TelemetryEmitter => {
    const k = `${component}/${instance}`;
    let e = emitters.get(k);
    if (!e) {
      e = new TelemetryEmitter(log, topicName(config, TOPICS.telemetry), config.pipeline, { component, instance }, config.telemetryEveryMs);
      emitters.set(k, e);
    }
    return e;
  };
  /**
   * What the host observes (lag, supervisor events, missed heartbeats) as an outside observer
   * would. With metrics on Prometheus it publishes nothing to the log: lag is on the host's
   * /metrics, and a dead or hung process shows as a target that stopped answering.
   */
  const hostEmitter = (component: string): Pick<TelemetryEmitter, 'emit'> =>
    config.metrics === 'prometheus' ? { emit: () => undefined } : emitterFor(component, 'observer');

  const env = { ...process.env, [CONFIG_ENV]: JSON.stringify(config) };
  const supervisor = new LocalSupervisor({
    logDir: paths.logs,
    instanceEnv: INSTANCE_ENV,
    specs: Object.fromEntries(
      COMPONENTS.map((c) => [c, { command: process.execPath, args: [`--max-old-space-size=${config.maxOldSpaceMb}`, '--require', require.resolve('tsx/cjs'), PROCESS_FILES[c]], env, cwd: config.dir }]),
    ),
    onEvent: (e) => {
      if (e.event === 'started') return; // the process says so itself, with its pid
      hostEmitter(e.component).emit({ kind: 'process', event: e.event, pid: e.pid, exitCode: e.exitCode, signal: e.signal, reason: e.reason });
    },
  });

  const lag = async (component: Exclude<Component, 'source'>): Promise<number> => {
    const topic = topicName(config, INPUT_TOPIC[component]);
    const [latest, committed] = await Promise.all([log.latestOffsets(topic), log.committed(groupId(config, component), topic)]);
    return latest.reduce((sum, l) => sum + Math.max(0, l.offset - (committed.find((c) => c.partition === l.partition)?.offset ?? 0)), 0);
  };

  const unresponsive = new Set<string>();
  let observing = true;
  const observe = async (): Promise<void> => {
    for (const c of ['enrich', 'score', 'sink'] as const) {
      // One group's failed read (Kafka: NOT_COORDINATOR while a coordinator moves) must not hide the others.
      const value = await lag(c).catch(() => undefined);
      if (value !== undefined) {
        hostEmitter(c).emit({ kind: 'metric', name: 'lag', value, unit: 'records' });
        observerMetrics.setLag(c, value);
      }
    }
    writeTargets(config.dir, config.pipeline, await Promise.all(COMPONENTS.map((c) => supervisor.status(c))));
    const now = Date.now();
    for (const c of COMPONENTS) {
      const st = await supervisor.status(c);
      const beats = state.statuses(c);
      for (const inst of st.instances.filter((i) => i.state === 'running')) {
        const beat = beats.find((b) => b.instance === inst.id && b.pid === inst.pid);
        const stale = beat !== undefined && now - beat.heartbeatAt > UNRESPONSIVE_AFTER_MS;
        const k = `${inst.id}:${inst.pid}`;
        if (stale && !unresponsive.has(k)) {
          unresponsive.add(k);
          hostEmitter(c).emit({ kind: 'process', event: 'unresponsive', pid: inst.pid, reason: `no heartbeat for ${now - (beat?.heartbeatAt ?? now)} ms` });
        } else if (!stale) unresponsive.delete(k);
      }
    }
  };
  const observer = setInterval(() => {
    if (observing) void observe().catch(() => undefined);
  }, 1_000);
  // Orchestration requests from other processes (CLI, a worker elsewhere): see simulator/remote-orchestrator.ts.
  let serving = false;
  const serveRequests = async (): Promise<void> => {
    if (serving || !observing) return;
    serving = true;
    try {
      for (const r of state.pendingRequests()) {
        try {
          const replicas = typeof r.args.replicas === 'number' ? r.args.replicas : undefined;
          const graceMs = typeof r.args.graceMs === 'number' ? r.args.graceMs : undefined;
          let result: Record<string, unknown>;
          if (r.op === 'restart') result = { ...(await supervisor.restart(r.component, { graceMs })) };
          else if (r.op === 'scale') result = { ...(await supervisor.scale(r.component, replicas ?? 1)) };
          else if (r.op === 'start') result = { ...(await supervisor.start(r.component, replicas)) };
          else result = { stopped: (await supervisor.stop(r.component), true) };
          state.completeRequest(r.id, { ok: true, ...result });
        } catch (err) {
          state.completeRequest(r.id, { ok: false, error: (err as Error).message });
        }
      }
    } finally {
      serving = false;
    }
  };
  const requestTimer = setInterval(() => void serveRequests(), 300);

  for (const c of ['sink', 'score', 'enrich', 'source'] as const) await supervisor.start(c, 1);

  const status = async (): Promise<Record<Component, ComponentHealth>> => {
    const out = {} as Record<Component, ComponentHealth>;
    const now = Date.now();
    for (const c of COMPONENTS) {
      const st = await supervisor.status(c);
      const live = new Set(st.instances.filter((i) => i.state === 'running').map((i) => i.pid));
      const beats = state.statuses(c).filter((b) => live.has(b.pid));
      const freshest = beats.length > 0 ? Math.max(...beats.map((b) => b.heartbeatAt)) : undefined;
      // Lag is best effort: a fresh Kafka broker answers NOT_COORDINATOR for a while.
      out[c] = { ...st, heartbeatAgeMs: freshest === undefined ? undefined : now - freshest, lag: c === 'source' ? undefined : await lag(c).catch(() => undefined) };
    }
    return out;
  };

  const handle: PipelineHandle = {
    config,
    dir: config.dir,
    log,
    state,
    supervisor,
    registries,
    models,
    checkpoints,
    topic: (name) => topicName(config, TOPICS[name]),
    status,
    lag,
    integrity: () => checkSinkIntegrity(state, paths.sink),
    async quiesce(timeoutMs = 60_000): Promise<SinkIntegrity> {
      await supervisor.stop('source');
      const deadline = Date.now() + timeoutMs;
      let settled = 0;
      while (Date.now() < deadline) {
        const lags = await Promise.all((['enrich', 'score', 'sink'] as const).map((c) => lag(c).catch(() => Number.POSITIVE_INFINITY)));
        settled = lags.every((l) => l === 0) ? settled + 1 : 0;
        if (settled >= 3) break;
        await new Promise((r) => setTimeout(r, 500));
      }
      return checkSinkIntegrity(state, paths.sink);
    },
    async stop(): Promise<void> {
      observing = false;
      clearInterval(observer);
      clearInterval(requestTimer);
      await supervisor.close(5_000);
      for (const e of emitters.values()) await e.close();
      await observerMetrics.close();
      await log.close().catch(() => undefined);
      await registries.close();
      state.close();
    },
  };

  if (options.waitReady !== false) {
    const deadline = Date.now() + 90_000;
    try {
      for (;;) {
        const st = await status();
        const allBeating = COMPONENTS.every((c) => st[c].heartbeatAgeMs !== undefined && st[c].heartbeatAgeMs < 2_000 && (c === 'source' || st[c].lag !== undefined));
        if (allBeating && handle.integrity().stored > 0) break;
        if (Date.now() > deadline) throw new Error(`pipeline did not become ready within 90 s; see ${paths.logs}`);
        await new Promise((r) => setTimeout(r, 250));
      }
    } catch (err) {
      // Never leave processes behind a failed start.
      await handle.stop();
      throw err;
    }
  }
  return handle;
}
