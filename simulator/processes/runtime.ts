/**
 * What every pipeline process shares: configuration from the environment, the log, the state
 * file, telemetry, heartbeats, and the control channel — the process polls `faults` and
 * `settings` in `pipeline.db` and applies process-level faults itself (hang, memory growth,
 * slow-down, self-exit). Data faults are read by the stage they concern.
 */
import { openLog } from '../../bindings/log';
import type { Log } from '../../bindings/log/types';
import { modelRegistryFor } from '../../bindings/model-registry';
import { openRegistries, type KnowledgeRegistries, type ModelRegistry } from '../../bindings/registries';
import { CONFIG_ENV, pipelineConfigSchema, pipelinePaths, TOPICS, topicName, type Component, type PipelineConfig } from '../config';
import { PipelineState, type FaultRow } from '../state';
import { PipelineMetrics, readTargetFile, serveMetrics, writeTargetFile, metricsDir } from '../prometheus-exporter';
import { TelemetryEmitter, type SimSignal } from '../telemetry';
import path from 'node:path';

export const INSTANCE_ENV = 'HOMEOSTAT_SIM_INSTANCE';

export interface Runtime {
  config: PipelineConfig;
  component: Component;
  instance: string;
  log: Log;
  state: PipelineState;
  registries: KnowledgeRegistries;
  /** The model registry the pipeline is configured with (the embedded one, or MLflow). */
  models: ModelRegistry;
  /** This process's Prometheus metrics (served on /metrics). */
  metrics: PipelineMetrics;
  /** Per-record latency, ms: observed into the latency histogram. */
  recordLatency(ms: number): void;
  topic(name: keyof typeof TOPICS | string): string;
  emit(signal: SimSignal): void;
  /** Faults in force for this component (refreshed by the control poll). */
  faults(): FaultRow[];
  settings(): Record<string, unknown>;
  /** Per-record delay of an active slow-down fault, in ms. */
  delayMs(): number;
  /**
   * Works through `count` records at the slow-down's per-record cost: `work(from, to)` runs after
   * each slice of at most 200 ms of cost (at once, for all, when no slow-down is active). A slowed
   * stage so reports a steady low rate, not a whole batch every few seconds and zero in between.
   */
  paced(count: number, work: (from: number, to: number) => void | Promise<void>): Promise<void>;
  /** Extra per-process info written with each heartbeat (positions, counters). */
  setInfo(info: Record<string, unknown>): void;
  onStop(fn: () => Promise<void>): void;
  stopping(): boolean;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

const PACE_SLICE_MS = 200;

/**
 * Records a consuming stage takes per batch. A batch is committed whole, so at a slowed stage's
 * per-record cost 100 records stay a second or two of work: its committed offsets — the lag the
 * sentinel and the probes see — move steadily instead of jumping every few seconds.
 */
export const STAGE_BATCH_RECORDS = 100;

export async function startRuntime(component: Component): Promise<Runtime> {
  const raw = process.env[CONFIG_ENV];
  if (!raw) throw new Error(`${CONFIG_ENV} is not set: pipeline processes are started by simulator/pipeline.ts`);
  const config = pipelineConfigSchema.parse(JSON.parse(raw));
  const instance = `${component}-${process.env[INSTANCE_ENV] ?? '0'}`;
  const paths = pipelinePaths(config.dir);
  const log = config.log === 'kafka'
    ? openLog({ kind: 'kafka', brokers: config.brokers, clientId: `homeostat-sim-${instance}` })
    : openLog({ kind: 'embedded', file: paths.log });
  const state = new PipelineState(paths.state);
  const registries = openRegistries(paths.knowledge);
  const models = modelRegistryFor(config.models, registries, instance);
  const topic = (name: string): string => topicName(config, name in TOPICS ? TOPICS[name as keyof typeof TOPICS] : name);
  const telemetry = new TelemetryEmitter(log, topic('telemetry'), config.pipeline, { component, instance }, config.telemetryEveryMs);
  const metrics = new PipelineMetrics({ pipeline: config.pipeline, component, instance });
  // The port this slot had before a restart, so Prometheus keeps scraping one target.
  const previous = readTargetFile(path.join(metricsDir(config.dir), `${instance}.json`));
  const metricsServer = await serveMetrics(metrics.registry, previous?.port);
  writeTargetFile(config.dir, { port: metricsServer.port, pid: process.pid, component, instance });
  /** With metrics on Prometheus, metric samples go to /metrics only; everything else also goes to the log. */
  const emit = (s: SimSignal): void => {
    metrics.observe(s);
    if (!(config.metrics === 'prometheus' && (s.kind === 'metric' || s.kind === 'model-metric'))) telemetry.emit(s);
  };
  const startedAt = Date.now();
  let faults: FaultRow[] = [];
  let settings: Record<string, unknown> = {};
  let info: Record<string, unknown> = {};
  let stopping = false;
  const stopHooks: (() => Promise<void>)[] = [];
  const retained: number[][] = [];
  let leakTimer: NodeJS.Timeout | null = null;
  const delayMs = (): number =>
    faults.filter((f) => f.kind === 'slow-down').reduce((m, f) => Math.max(m, typeof f.params.delayMs === 'number' ? f.params.delayMs : 20), 0);

  const poll = (): void => {
    faults = state.activeFaults(component);
    settings = state.settings(component);
    for (const f of faults) {
      if (f.consumedBy) continue;
      if (f.kind === 'hang' && state.consumeFault(f.id, instance)) hang();
      if (f.kind === 'memory-growth' && state.consumeFault(f.id, instance)) {
        const mbPerSec = typeof f.params.mbPerSec === 'number' ? f.params.mbPerSec : 16;
        // Retained, touched buffers: RSS and heap grow until V8's heap limit kills the process.
        leakTimer = setInterval(() => {
          retained.push(new Array<number>(Math.floor((mbPerSec * 1024 * 1024) / 8 / 10)).fill(Math.random()));
        }, 100);
      }
      if (f.kind === 'crash' && f.params.mode === 'exit' && state.consumeFault(f.id, instance)) {
        process.stderr.write(`${instance}: injected crash (${f.id})\n`);
        process.exit(typeof f.params.exitCode === 'number' ? f.params.exitCode : 1);
      }
    }
  };
  poll();
  const pollTimer = setInterval(poll, 250);

  const beat = (): void => {
    const mem = process.memoryUsage();
    state.heartbeat({ component, instance, pid: process.pid, startedAt, heartbeatAt: Date.now(), info });
    emit({ kind: 'metric', name: 'heartbeat', value: 1 });
    emit({ kind: 'metric', name: 'rss_mb', value: Math.round(mem.rss / 1048576), unit: 'MB' });
    emit({ kind: 'metric', name: 'heap_used_mb', value: Math.round(mem.heapUsed / 1048576), unit: 'MB' });
  };
  beat();
  const beatTimer = setInterval(beat, 500);
  emit({ kind: 'process', event: 'started', pid: process.pid });

  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    clearInterval(pollTimer);
    clearInterval(beatTimer);
    if (leakTimer) clearInterval(leakTimer);
    for (const hook of stopHooks.reverse()) await hook().catch((e: unknown) => process.stderr.write(`${instance}: stop hook failed: ${String(e)}\n`));
    emit({ kind: 'process', event: 'stopped', pid: process.pid, reason: signal });
    await telemetry.close();
    // The target file stays: a restart of this slot binds the same port again, and the host
    // stops listing slots that were stopped on purpose.
    await metricsServer.close();
    state.removeStatus(component, instance);
    await log.close().catch(() => undefined);
    state.close();
    await registries.close();
    process.exit(0);
  };
  // Orphan guard: if the pipeline host dies without stopping us (a killed test worker), we go too.
  const parent = process.ppid;
  const orphanTimer = setInterval(() => {
    if (process.ppid !== parent) void stop('parent exited');
  }, 1_000);
  orphanTimer.unref();
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));

  return {
    config,
    component,
    instance,
    log,
    state,
    registries,
    models,
    metrics,
    recordLatency: (ms) => metrics.recordLatency(ms),
    topic,
    emit,
    faults: () => faults,
    settings: () => settings,
    delayMs,
    async paced(count, work) {
      const per = delayMs();
      if (per <= 0) return void (await work(0, count));
      const slice = Math.max(1, Math.floor(PACE_SLICE_MS / per));
      for (let from = 0; from < count; from += slice) {
        const to = Math.min(count, from + slice);
        await sleep((to - from) * per);
        await work(from, to);
      }
    },
    setInfo: (i) => {
      info = i;
    },
    onStop: (fn) => stopHooks.push(fn),
    stopping: () => stopping,
  };
}

/**
 * A real hang: the thread blocks in Atomics.wait, so no timer, no I/O and no signal handler runs
 * again (SIGTERM is queued for a JavaScript handler that never gets to run) — only SIGKILL ends it.
 * It costs no CPU, which matters on a shared two-core machine.
 */
function hang(): never {
  process.stderr.write(`hang injected: blocking the event loop of pid ${process.pid}\n`);
  const cell = new Int32Array(new SharedArrayBuffer(4));
  for (;;) Atomics.wait(cell, 0, 0);
}

/** Runs a process's main, turning a startup failure into a clear exit with a reason. */
export function runMain(component: Component, main: (rt: Runtime) => Promise<void>): void {
  startRuntime(component)
    .then(main)
    .catch((err: unknown) => {
      process.stderr.write(`${component}: fatal: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
      process.exit(typeof (err as { exitCode?: unknown }).exitCode === 'number' ? (err as { exitCode: number }).exitCode : 1);
    });
}
