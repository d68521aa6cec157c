/**
 * The `flink` binding: repairs with Flink semantics on a job of one pipeline stage, through
 * Flink's REST API (bindings/flink/rest.ts) and the cluster's retained state (retained.ts).
 *
 * Idempotent under activity retries: every submission carries the repair's request id in its job
 * name (`<stage>@<request>`), so a retried step first looks for the job its earlier attempt
 * submitted and, when it exists, only probes it. A stage never runs twice: before submitting, any
 * other live job of the stage is cancelled (its transactions abort; the new job restores from
 * retained state and writes them again). Preconditions: a completed, readable checkpoint or
 * savepoint exists, and the job checkpoints exactly once into transactional sinks. Probes: the job
 * is RUNNING, a checkpoint completes after the repair, and no restart happened in between.
 */
import { HomeostatError } from '../../common/errors';
import { fileUrlToPath, inspectMetadata, listRetained, type RetainedState } from './retained';
import { FlinkRest, TERMINAL_STATES, type JobOverview } from './rest';

export interface FlinkStageSpec {
  /** Base job name of the stage (the job's `--job-name`). */
  stage: string;
  /** Local path of the job jar (infra/flink-job.ts). */
  jar: string;
  entryClass: string;
}

export interface FlinkBindingOptions {
  /** How long a probe waits for RUNNING and a completed checkpoint (default 120 s). */
  probeTimeoutMs?: number;
}

export interface StageStatus {
  jobId: string;
  name: string;
  state: string;
  parallelism: number;
  restarts: number;
  checkpoints: { completed: number; failed: number; latestCompletedId?: number; latestCompletedPath?: string; restoredFrom?: string };
  args: Record<string, string>;
}

export interface RepairOutcome {
  jobId: string;
  restoredFrom?: string;
  parallelism: number;
  /** States tried before one restored (the repair of corrupt state). */
  skipped: { path: string; reason: string }[];
  /** False when the job already existed: a retried step that only probed. */
  submitted: boolean;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const live = (j: JobOverview): boolean => !(TERMINAL_STATES as readonly string[]).includes(j.state);

export class FlinkBinding {
  readonly rest: FlinkRest;
  private jarId: string | undefined;
  private readonly probeTimeoutMs: number;

  constructor(restUrl: string, readonly spec: FlinkStageSpec, options: FlinkBindingOptions = {}) {
    this.rest = new FlinkRest(restUrl);
    this.probeTimeoutMs = options.probeTimeoutMs ?? 120_000;
  }

  /** Jobs of this stage, newest first. */
  async stageJobs(): Promise<JobOverview[]> {
    const jobs = await this.rest.jobs();
    return jobs.filter((j) => j.name === this.spec.stage || j.name.startsWith(`${this.spec.stage}@`)).sort((a, b) => b['start-time'] - a['start-time']);
  }

  async currentJob(): Promise<JobOverview | undefined> {
    const jobs = await this.stageJobs();
    return jobs.find(live) ?? jobs[0];
  }

  async status(jobId?: string): Promise<StageStatus> {
    const id = jobId ?? (await this.currentJob())?.jid;
    if (!id) throw new HomeostatError('HS_NOT_FOUND', `no Flink job of stage ${this.spec.stage}`);
    const [job, ckpts, metrics, args] = await Promise.all([this.rest.job(id), this.rest.checkpoints(id), this.rest.jobMetrics(id, ['numRestarts']).catch(() => ({}) as Record<string, number>), this.rest.userConfig(id)]);
    return {
      jobId: id,
      name: job.name,
      state: job.state,
      parallelism: Math.max(1, ...job.vertices.map((v) => v.parallelism)),
      restarts: metrics.numRestarts ?? 0,
      checkpoints: {
        completed: ckpts.counts.completed,
        failed: ckpts.counts.failed,
        latestCompletedId: ckpts.latest.completed?.id,
        latestCompletedPath: ckpts.latest.completed?.external_path,
        restoredFrom: ckpts.latest.restored?.external_path,
      },
      args,
    };
  }

  /** Retained checkpoints of every job of the stage and all savepoints, newest first. */
  async retained(): Promise<RetainedState[]> {
    const config = await this.rest.config();
    const checkpointRoot = config['execution.checkpointing.dir'] ?? config['state.checkpoints.dir'];
    const savepointRoot = config['execution.checkpointing.savepoint-dir'] ?? config['state.savepoints.dir'];
    if (!checkpointRoot) throw new HomeostatError('HS_PRECONDITION_FAILED', 'the Flink cluster has no checkpoint directory (execution.checkpointing.dir)');
    const jobIds = (await this.stageJobs()).map((j) => j.jid);
    return listRetained(fileUrlToPath(checkpointRoot), fileUrlToPath(savepointRoot ?? ''), jobIds);
  }

  /**
   * Submits the stage (idempotent by `requestId`): the job a previous attempt of this request
   * submitted is returned as it is; otherwise every other live job of the stage is cancelled first.
   */
  async submit(requestId: string, o: { args: Record<string, string>; parallelism: number; savepointPath?: string }): Promise<{ jobId: string; submitted: boolean }> {
    const name = `${this.spec.stage}@${requestId}`;
    const jobs = await this.stageJobs();
    const mine = jobs.find((j) => j.name === name && j.state !== 'FAILED' && j.state !== 'CANCELED');
    if (mine) return { jobId: mine.jid, submitted: false };
    for (const j of jobs.filter(live)) await this.cancelAndWait(j.jid);
    const jar = await this.ensureJar();
    const args = { ...o.args, 'job-name': name };
    const jobId = await this.rest.runJar(jar, {
      entryClass: this.spec.entryClass,
      programArgsList: Object.entries(args).flatMap(([k, v]) => [`--${k}`, v]),
      parallelism: o.parallelism,
      savepointPath: o.savepointPath,
      allowNonRestoredState: false,
    });
    return { jobId, submitted: true };
  }

  private async ensureJar(): Promise<string> {
    if (this.jarId) return this.jarId;
    this.jarId = await this.rest.uploadJar(this.spec.jar);
    return this.jarId;
  }

  async cancelAndWait(jobId: string): Promise<void> {
    const state = (await this.rest.job(jobId)).state;
    if (!(TERMINAL_STATES as readonly string[]).includes(state)) await this.rest.cancel(jobId).catch(() => undefined);
    await this.until(`job ${jobId} to be cancelled`, async () => ((TERMINAL_STATES as readonly string[]).includes((await this.rest.job(jobId)).state) ? true : undefined));
  }

  private async until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = this.probeTimeoutMs): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let lastError = '';
    for (;;) {
      try {
        const v = await probe();
        if (v !== undefined) return v;
      } catch (err) {
        if (err instanceof HomeostatError && err.code === 'HS_PRECONDITION_FAILED') throw err;
        lastError = (err as Error).message;
      }
      if (Date.now() > deadline) throw new HomeostatError('HS_SERVICE_UNAVAILABLE', `timed out waiting for ${what}${lastError ? ` (last error: ${lastError})` : ''}`);
      await sleep(500);
    }
  }

  /**
   * Probe: RUNNING with every vertex running, then a checkpoint completes without a restart in
   * between. Fails as soon as the job is FAILED or restarts (a restore that cannot proceed);
   * with `tolerateRestarts` (a job recovering by itself) a restart only starts the wait again.
   */
  async probeHealthy(jobId: string, timeoutMs = this.probeTimeoutMs, tolerateRestarts = false): Promise<StageStatus> {
    let baseline: { completed: number; restarts: number } | undefined;
    return this.until(
      `job ${jobId} RUNNING with a new completed checkpoint`,
      async () => {
        const s = await this.status(jobId);
        if (tolerateRestarts && baseline && s.restarts > baseline.restarts) baseline = undefined;
        if (s.state === 'FAILED' || s.state === 'CANCELED' || (baseline && s.restarts > baseline.restarts)) {
          const ex = (await this.rest.exceptions(jobId).catch(() => []))[0];
          throw new HomeostatError('HS_PRECONDITION_FAILED', `job ${jobId} is ${s.state} after ${s.restarts} restarts: ${ex?.trace.split('\n')[0] ?? 'no exception recorded'}`);
        }
        if (s.state !== 'RUNNING') return undefined;
        const job = await this.rest.job(jobId);
        if (!job.vertices.every((v) => v.status === 'RUNNING')) return undefined;
        if (!baseline) {
          baseline = { completed: s.checkpoints.completed, restarts: s.restarts };
          return undefined;
        }
        return s.checkpoints.completed > baseline.completed ? s : undefined;
      },
      timeoutMs,
    );
  }

  /** Precondition: checkpointing exactly once, retained on cancel, sinks transactional (a Committer). */
  async checkTransactional(jobId: string): Promise<void> {
    const [config, job] = await Promise.all([this.rest.checkpointConfig(jobId), this.rest.job(jobId)]);
    if (config.mode.toLowerCase() !== 'exactly_once') throw new HomeostatError('HS_PRECONDITION_FAILED', `job ${jobId} checkpoints ${config.mode}, not exactly once`);
    if (config.externalization?.enabled === false) throw new HomeostatError('HS_PRECONDITION_FAILED', `job ${jobId} does not retain its checkpoints`);
    if (!job.vertices.some((v) => /Committer/.test(v.name))) throw new HomeostatError('HS_PRECONDITION_FAILED', `job ${jobId} has no transactional (two-phase commit) sink`);
  }

  /** The stage's latest job and the arguments and parallelism to resubmit it with. */
  private async previous(): Promise<StageStatus> {
    const job = await this.currentJob();
    if (!job) throw new HomeostatError('HS_PRECONDITION_FAILED', `no Flink job of stage ${this.spec.stage} to repair`);
    const s = await this.status(job.jid);
    await this.checkTransactional(job.jid);
    const args = { ...s.args };
    delete args['job-name'];
    return { ...s, args };
  }

  /** The newest readable retained state (a completed checkpoint or a savepoint). */
  private async latestReadable(): Promise<{ state: RetainedState; skipped: { path: string; reason: string }[] }> {
    const skipped: { path: string; reason: string }[] = [];
    for (const r of await this.retained()) {
      if (r.readable) return { state: r, skipped };
      skipped.push({ path: r.path, reason: r.reason ?? 'unreadable' });
    }
    throw new HomeostatError('HS_PRECONDITION_FAILED', `stage ${this.spec.stage} has no readable completed checkpoint or savepoint${skipped.length ? ` (${skipped.length} unreadable)` : ''}`);
  }

  /** Restart from the latest completed checkpoint (a FAILED job, or one restarting in a loop). */
  async restartFromLatestCheckpoint(requestId: string, overrides: { args?: Record<string, string>; parallelism?: number } = {}): Promise<RepairOutcome> {
    const existing = await this.ownJob(requestId);
    if (existing) return this.finish(existing, false, undefined, []);
    const prev = await this.previous();
    const { state, skipped } = await this.latestReadable();
    const { jobId, submitted } = await this.submit(requestId, { args: { ...prev.args, ...overrides.args }, parallelism: overrides.parallelism ?? prev.parallelism, savepointPath: state.path });
    return this.finish(jobId, submitted, state.path, skipped);
  }

  /** Rescale: stop with a savepoint, resubmit from it with a higher parallelism. */
  async rescale(requestId: string, parallelism: number): Promise<RepairOutcome> {
    const existing = await this.ownJob(requestId);
    if (existing) return this.finish(existing, false, undefined, []);
    const prev = await this.previous();
    if (parallelism <= prev.parallelism) throw new HomeostatError('HS_PRECONDITION_FAILED', `rescale to ${parallelism}: the job already runs with ${prev.parallelism}`);
    let savepoint: string | undefined;
    if (prev.state === 'RUNNING') {
      const config = await this.rest.config();
      const target = fileUrlToPath(config['execution.checkpointing.savepoint-dir'] ?? '');
      const trigger = await this.rest.stopWithSavepoint(prev.jobId, target);
      savepoint = await this.until(`the savepoint of job ${prev.jobId}`, async () => {
        const st = await this.rest.savepointStatus(prev.jobId, trigger);
        if (st.state !== 'COMPLETED') return undefined;
        if (!st.location) throw new HomeostatError('HS_PRECONDITION_FAILED', `stop-with-savepoint of job ${prev.jobId} failed: ${st.failure ?? 'no location'}`);
        return fileUrlToPath(st.location);
      });
    } else {
      // A retry after the stop succeeded: the job is FINISHED and its savepoint is the newest state.
      savepoint = (await this.latestReadable()).state.path;
    }
    if (!inspectMetadata(savepoint).readable) throw new HomeostatError('HS_PRECONDITION_FAILED', `savepoint ${savepoint} is not readable`);
    const { jobId, submitted } = await this.submit(requestId, { args: prev.args, parallelism, savepointPath: savepoint });
    return this.finish(jobId, submitted, savepoint, []);
  }

  /**
   * Restore past corrupt state: the newest readable retained state the job actually restores
   * from. Unreadable states are skipped; a state the job fails to restore from is skipped too (the
   * job is cancelled and the next older one tried), up to `maxAttempts` states.
   */
  async restoreFromRetained(requestId: string, o: { skipNewest?: number; maxAttempts?: number } = {}): Promise<RepairOutcome> {
    const existing = await this.ownJob(requestId);
    if (existing) return this.finish(existing, false, undefined, []);
    const prev = await this.previous();
    const skipped: { path: string; reason: string }[] = [];
    const candidates = (await this.retained()).slice(o.skipNewest ?? 0);
    let attempt = 0;
    for (const c of candidates) {
      if (!c.readable) {
        skipped.push({ path: c.path, reason: c.reason ?? 'unreadable' });
        continue;
      }
      if (attempt++ >= (o.maxAttempts ?? 3)) break;
      const sub = `${requestId}.${attempt}`;
      const { jobId, submitted } = await this.submit(sub, { args: prev.args, parallelism: prev.parallelism, savepointPath: c.path });
      try {
        return await this.finish(jobId, submitted, c.path, skipped);
      } catch (err) {
        skipped.push({ path: c.path, reason: (err as Error).message });
        await this.cancelAndWait(jobId);
      }
    }
    throw new HomeostatError('HS_PRECONDITION_FAILED', `stage ${this.spec.stage}: no retained state restored (${skipped.map((s) => `${s.path}: ${s.reason}`).join('; ')})`);
  }

  /** Cancel and resubmit from the latest checkpoint with the quarantine rule on (a poison record). */
  async quarantine(requestId: string): Promise<RepairOutcome> {
    return this.restartFromLatestCheckpoint(requestId, { args: { quarantine: 'true' } });
  }

  /** The job this request (or one of its restore attempts) already submitted, when alive. */
  private async ownJob(requestId: string): Promise<string | undefined> {
    const jobs = await this.stageJobs();
    return jobs.find((j) => (j.name === `${this.spec.stage}@${requestId}` || j.name.startsWith(`${this.spec.stage}@${requestId}.`)) && live(j))?.jid;
  }

  private async finish(jobId: string, submitted: boolean, restoredFrom: string | undefined, skipped: { path: string; reason: string }[]): Promise<RepairOutcome> {
    const s = await this.probeHealthy(jobId);
    return { jobId, restoredFrom: restoredFrom ?? s.checkpoints.restoredFrom, parallelism: s.parallelism, skipped, submitted };
  }
}
