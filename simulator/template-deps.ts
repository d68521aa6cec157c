/**
 * Builds the repair templates' dependencies for the live demo pipeline — from a running handle
 * (same process: restarts go straight to the supervisor) or from the pipeline directory (another
 * process, e.g. a worker next to `homeostat demo`: restarts go through the host's request queue).
 */
import Database from 'better-sqlite3';
import { FileCheckpointStore } from '../bindings/checkpoints';
import { openLog } from '../bindings/log';
import type { Log } from '../bindings/log/types';
import type { Orchestrator } from '../bindings/orchestration/types';
import { modelRegistryFor } from '../bindings/model-registry';
import { openRegistries, type ModelRegistry } from '../bindings/registries';
import type { ActuationRecord, ActuatorLog, DataProfileView, PipelineBinding, TemplateDeps } from '../activities/templates/deps';
import { COMPONENTS, groupId, INPUT_TOPIC, pipelineConfigSchema, pipelinePaths, topicName, type PipelineConfig } from './config';
import { EVENT_SUBJECT } from './events';
import type { PipelineHandle } from './pipeline';
import { ENRICH_STREAM } from './processes/enrich';
import { MODEL_NAME } from './processes/score';
import { RemotePipelineOrchestrator } from './remote-orchestrator';
import { checkSinkIntegrity } from './sink-store';
import { PipelineState } from './state';
import fs from 'node:fs';
import path from 'node:path';

/**
 * Actuator log in a SQLite file (the pipeline's knowledge file by default). Stands in for the
 * knowledge base's actuator log until the worker passes that one in: same contract, get/put by key.
 */
export class SqliteActuatorLog implements ActuatorLog {
  private readonly db: Database.Database;

  constructor(file: string) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('busy_timeout = 10000');
    this.db.exec(`CREATE TABLE IF NOT EXISTS template_actuations (key TEXT PRIMARY KEY, action TEXT NOT NULL, target TEXT NOT NULL, status TEXT NOT NULL,
      detail TEXT NOT NULL, at INTEGER NOT NULL)`);
  }

  async get(key: string): Promise<ActuationRecord | undefined> {
    const row = this.db.prepare('SELECT * FROM template_actuations WHERE key = ?').get(key) as
      | { key: string; action: string; target: string; status: 'started' | 'done'; detail: string; at: number }
      | undefined;
    return row ? { ...row, detail: JSON.parse(row.detail) as Record<string, unknown> } : undefined;
  }

  async put(record: Omit<ActuationRecord, 'at'>): Promise<void> {
    this.db
      .prepare(`INSERT INTO template_actuations VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET status = excluded.status, detail = excluded.detail, at = excluded.at
        WHERE template_actuations.status <> 'done'`)
      .run(record.key, record.action, record.target, record.status, JSON.stringify(record.detail), Date.now());
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

export function pipelineBinding(config: PipelineConfig, state: PipelineState, log: Log, orchestrator: Orchestrator): PipelineBinding {
  const paths = pipelinePaths(config.dir);
  const consumers = new Set(Object.keys(INPUT_TOPIC));
  const liveBeats = async (component: string): Promise<ReturnType<PipelineState['statuses']>> => {
    const st = await orchestrator.status(component);
    const live = new Set(st.instances.filter((i) => i.state === 'running').map((i) => i.pid));
    return state.statuses(component).filter((b) => live.has(b.pid));
  };
  return {
    name: config.pipeline,
    components: () => COMPONENTS,
    checkpointStream: (c) => (c === 'enrich' ? ENRICH_STREAM : undefined),
    inputTopic: (c) => (consumers.has(c) ? topicName(config, INPUT_TOPIC[c as keyof typeof INPUT_TOPIC]) : undefined),
    groupId: (c) => groupId(config, c as (typeof COMPONENTS)[number]),
    schemaSubject: EVENT_SUBJECT,
    modelName: MODEL_NAME,
    sinkIdempotent: true,
    sourceRate: () => {
      const r = state.settings('source').rate;
      return typeof r === 'number' ? r : config.rate;
    },
    async lag(component) {
      if (!consumers.has(component)) return 0;
      const topic = topicName(config, INPUT_TOPIC[component as keyof typeof INPUT_TOPIC]);
      // Retried: Kafka answers NOT_COORDINATOR while a group's coordinator moves or starts.
      for (let attempt = 0; ; attempt++) {
        try {
          const [latest, committed] = await Promise.all([log.latestOffsets(topic), log.committed(groupId(config, component as (typeof COMPONENTS)[number]), topic)]);
          return latest.reduce((s, l) => s + Math.max(0, l.offset - (committed.find((c) => c.partition === l.partition)?.offset ?? 0)), 0);
        } catch (err) {
          if (attempt >= 4) throw err;
          await new Promise((r) => setTimeout(r, 250 * (attempt + 1)));
        }
      }
    },
    async heartbeatAgeMs(component) {
      const beats = await liveBeats(component);
      return beats.length === 0 ? undefined : Date.now() - Math.max(...beats.map((b) => b.heartbeatAt));
    },
    async throughput(component) {
      const beats = (await liveBeats(component)).filter((b) => Date.now() - b.heartbeatAt < 3_000);
      if (beats.length === 0) return undefined;
      return beats.reduce((s, b) => s + (typeof b.info.throughput === 'number' ? b.info.throughput : 0), 0);
    },
    setting: (c, k) => state.settings(c)[k],
    setSetting: (c, k, v) => state.setSetting(c, k, v),
    deleteSetting: (c, k) => state.deleteSetting(c, k),
    integrity: (o) => checkSinkIntegrity(state, paths.sink, o),
    unaccountShed: () => state.unaccount('shed'),
    recentExamples: (n) => state.recentExamples(n),
    recentAccuracy: (n, v, since) => state.recentAccuracy(n, v, since),
    async latestProfile(component, since): Promise<DataProfileView | undefined> {
      const views = state
        .statuses(component)
        .map((s) => s.info.profile as DataProfileView | undefined)
        .filter((p): p is DataProfileView => p !== undefined && (since === undefined || p.at >= since));
      const newest = views.sort((a, b) => b.at - a.at)[0];
      return newest ? { ...newest, component } : undefined;
    },
  };
}

/** Deps for templates acting on a pipeline started in this process. */
export function templateDepsForPipeline(handle: PipelineHandle, options: { actuations?: ActuatorLog; models?: ModelRegistry } = {}): TemplateDeps {
  return {
    orchestrator: handle.supervisor,
    log: handle.log,
    checkpoints: handle.checkpoints,
    schemas: handle.registries,
    models: options.models ?? handle.models,
    actuations: options.actuations ?? new SqliteActuatorLog(pipelinePaths(handle.dir).knowledge),
    pipeline: pipelineBinding(handle.config, handle.state, handle.log, handle.supervisor),
  };
}

/** Deps for templates acting on a pipeline whose host runs in another process. */
export function templateDepsForPipelineDir(dir: string, options: { actuations?: ActuatorLog } = {}): TemplateDeps & { close(): Promise<void> } {
  const config = pipelineConfigSchema.parse(JSON.parse(fs.readFileSync(path.join(dir, 'pipeline.json'), 'utf8')));
  const paths = pipelinePaths(config.dir);
  const state = new PipelineState(paths.state);
  const registries = openRegistries(paths.knowledge);
  const log = config.log === 'kafka' ? openLog({ kind: 'kafka', brokers: config.brokers, clientId: 'homeostat-templates' }) : openLog({ kind: 'embedded', file: paths.log });
  const orchestrator = new RemotePipelineOrchestrator(state);
  const actuations = options.actuations ?? new SqliteActuatorLog(paths.knowledge);
  return {
    orchestrator,
    log,
    checkpoints: new FileCheckpointStore(paths.checkpoints),
    schemas: registries,
    models: modelRegistryFor(config.models, registries, 'homeostat-templates'),
    actuations,
    pipeline: pipelineBinding(config, state, log, orchestrator),
    async close() {
      await log.close().catch(() => undefined);
      if (actuations instanceof SqliteActuatorLog) actuations.close();
      await registries.close();
      state.close();
    },
  };
}
