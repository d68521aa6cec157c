/**
 * `homeostat bench loop`: how many incidents per second the loop closes end to end, with 1 and
 * with 3 worker processes, on the Temporal dev server and on the real Temporal server (on
 * PostgreSQL), side by side in one run. Every incident's repair is a no-op and its probes pass at
 * once, so what is measured is the loop itself: workflow tasks, activities, knowledge-base writes
 * (one shared PostgreSQL knowledge base, fresh schema per row) and the 1 ms settle timer.
 *
 * Per row: a warm-up batch (not counted), then N incidents opened as fast as the client can
 * (up to 32 starts in flight) on N distinct components, then 10 incidents one at a time (the
 * loop's own overhead, without queueing: overheadP50Ms); figures come from the incidents'
 * histories. `--json` prints one line: {"rows":[{server,workers,incidentsPerSecond,p50Ms,p99Ms,overheadP50Ms},…]}.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import { HomeostatError } from '../common/errors';
import { REPO_ROOT } from '../common/paths';
import { startDevServer } from '../infra/dev-server';
import { startPostgres, type PostgresHandle } from '../infra/postgres';
import { log } from '../infra/step';
import { startTemporalServer } from '../infra/temporal-server';
import { PostgresKnowledgeBase } from '../knowledge/postgres';
import { WORKFLOWS_PATH } from '../workers/worker';
import { incidentWorkflowId, INCIDENT_WORKFLOW_TYPE, type IncidentInput } from '../workflows/shared';
import { BENCH_PIPELINE, componentName } from './loop/deps';
import { fetchIncidentTimes, percentile, type IncidentTimes } from './loop/history';
import type { LoopWorkerConfig } from './loop/worker';

export interface LoopRow {
  server: 'dev' | 'server';
  workers: 1 | 3;
  incidentsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  overheadP50Ms: number;
}

/** Where the time of one row went, per incident (means), for the table people read. */
export interface LoopBreakdown {
  row: LoopRow;
  /** Loop overhead p50 of the saturated batch (queueing behind the other incidents included). */
  loadedOverheadP50Ms: number;
  workflowTasks: number;
  workflowTaskQueueMs: number;
  workflowTaskRunMs: number;
  activities: Record<string, { queueMs: number; runMs: number }>;
  timerMs: number;
  kbMsPerIncident: number;
  kbCallsPerIncident: number;
}

const WORKER_ENTRY = path.join(__dirname, 'loop', 'worker.ts');
const START_CONCURRENCY = 32;
/** Incidents run one at a time after the batch: the loop's own overhead, without queueing. */
const ALONE = 10;

function startWorker(config: LoopWorkerConfig): Promise<{ child: ChildProcess; stats: Promise<{ kbCalls: number; kbMs: number }> }> {
  const child = spawn(process.execPath, ['--require', require.resolve('tsx/cjs'), WORKER_ENTRY, JSON.stringify(config)], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => (out += c.toString('utf8')));
  const stats = new Promise<{ kbCalls: number; kbMs: number }>((resolve, reject) => {
    child.once('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('stats '));
      if (line) resolve(JSON.parse(line.slice('stats '.length)) as { kbCalls: number; kbMs: number });
      else reject(new Error(`bench worker ${config.identity} exited (${code}) without stats:\n${out}`));
    });
  });
  stats.catch(() => undefined);
  const ready = new Promise<void>((resolve, reject) => {
    const check = (): void => {
      if (out.includes(`ready ${config.identity}`)) resolve();
    };
    child.stdout.on('data', check);
    child.once('exit', (code) => reject(new Error(`bench worker ${config.identity} exited (${code}) before it was ready:\n${out}`)));
  });
  return ready.then(() => ({ child, stats }));
}

/** Runs `fn` over `items` with at most `limit` in flight. */
async function pool<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i] as T);
      }
    }),
  );
  return out;
}

function incidentInput(component: string): IncidentInput {
  const at = new Date().toISOString();
  return {
    pipeline: BENCH_PIPELINE,
    component,
    trigger: { kind: 'hard-fault', detail: `${component} crashed (benchmark)`, at },
    evidence: [{ at, source: 'bench', summary: `${component} crashed`, hardFault: true, faultHint: 'crash' }],
    faultClass: 'crash',
    severity: 'medium',
  };
}

/** Opens `count` incidents on components [from, from + count) and waits for every one to close. */
async function openAndClose(client: Client, taskQueue: string, from: number, count: number): Promise<string[]> {
  const ids = Array.from({ length: count }, (_, i) => incidentWorkflowId(BENCH_PIPELINE, componentName(from + i)));
  const handles = await pool(ids, START_CONCURRENCY, (workflowId) => {
    const component = workflowId.split('/').at(-1) as string;
    return client.workflow.start(INCIDENT_WORKFLOW_TYPE, { workflowId, taskQueue, args: [incidentInput(component)] });
  });
  const outcomes = await Promise.all(handles.map((h) => h.result() as Promise<{ outcome?: string }>));
  const bad = outcomes.filter((o) => o?.outcome !== 'healed');
  if (bad.length > 0) throw new Error(`${bad.length} benchmark incident(s) did not heal: ${JSON.stringify(bad[0])}`);
  return ids;
}

async function measureRow(o: {
  server: LoopRow['server'];
  workers: LoopRow['workers'];
  address: string;
  postgres: PostgresHandle;
  bundlePath: string;
  incidents: number;
  warmup: number;
}): Promise<LoopBreakdown> {
  const schema = `bench_${o.server}_${o.workers}_${Date.now().toString(36)}`;
  const kbUrl = new URL(o.postgres.url);
  kbUrl.searchParams.set('schema', schema);
  await (await PostgresKnowledgeBase.open(kbUrl.toString())).close();
  const taskQueue = `bench-loop-${schema}`;
  const components = o.warmup + o.incidents + ALONE;
  const workers = await Promise.all(
    Array.from({ length: o.workers }, (_, i) =>
      startWorker({ temporalAddress: o.address, taskQueue, bundlePath: o.bundlePath, identity: `bench-${o.server}-${i + 1}`, kbUrl: kbUrl.toString(), components }),
    ),
  );
  const connection = await Connection.connect({ address: o.address });
  try {
    const client = new Client({ connection });
    await openAndClose(client, taskQueue, 0, o.warmup);
    const ids = await openAndClose(client, taskQueue, o.warmup, o.incidents);
    const aloneIds: string[] = [];
    for (let i = 0; i < ALONE; i++) aloneIds.push(...(await openAndClose(client, taskQueue, o.warmup + o.incidents + i, 1)));
    const times = await pool(ids, 16, (id) => fetchIncidentTimes(client, id));
    const alone = await pool(aloneIds, 4, (id) => fetchIncidentTimes(client, id));
    for (const w of workers) w.child.kill('SIGTERM');
    const stats = await Promise.all(workers.map((w) => w.stats));
    return breakdown(o.server, o.workers, times, alone, stats, components);
  } finally {
    for (const w of workers) if (w.child.exitCode === null) w.child.kill('SIGKILL');
    await connection.close();
  }
}

function breakdown(
  server: LoopRow['server'],
  workers: LoopRow['workers'],
  times: IncidentTimes[],
  alone: IncidentTimes[],
  stats: { kbCalls: number; kbMs: number }[],
  allIncidents: number,
): LoopBreakdown {
  const n = times.length;
  const span = Math.max(...times.map((t) => t.closeMs)) - Math.min(...times.map((t) => t.startMs));
  const mean = (f: (t: IncidentTimes) => number): number => times.reduce((s, t) => s + f(t), 0) / n;
  const activityTypes = [...new Set(times.flatMap((t) => Object.keys(t.activities)))].sort();
  const kbMs = stats.reduce((s, x) => s + x.kbMs, 0);
  const kbCalls = stats.reduce((s, x) => s + x.kbCalls, 0);
  return {
    row: {
      server,
      workers,
      incidentsPerSecond: round(n / (span / 1000), 1),
      p50Ms: round(percentile(times.map((t) => t.e2eMs), 50)),
      p99Ms: round(percentile(times.map((t) => t.e2eMs), 99)),
      overheadP50Ms: round(percentile(alone.map((t) => t.overheadMs), 50)),
    },
    loadedOverheadP50Ms: round(percentile(times.map((t) => t.overheadMs), 50)),
    workflowTasks: mean((t) => t.workflowTasks),
    workflowTaskQueueMs: mean((t) => t.workflowTaskQueueMs),
    workflowTaskRunMs: mean((t) => t.workflowTaskRunMs),
    activities: Object.fromEntries(
      activityTypes.map((type) => [type, { queueMs: mean((t) => t.activities[type]?.queueMs ?? 0), runMs: mean((t) => t.activities[type]?.runMs ?? 0) }]),
    ),
    timerMs: mean((t) => t.timerMs),
    // Worker-side counters cover the warm-up too: per incident of the whole run.
    kbMsPerIncident: kbMs / allIncidents,
    kbCallsPerIncident: kbCalls / allIncidents,
  };
}

const round = (v: number, digits = 0): number => Math.round(v * 10 ** digits) / 10 ** digits;

/** The `--json` line: {"rows":[{server,workers,incidentsPerSecond,p50Ms,p99Ms,overheadP50Ms},…]}. */
export function loopJson(results: LoopBreakdown[]): string {
  return JSON.stringify({
    rows: results.map(({ row }) => ({
      server: row.server,
      workers: row.workers,
      incidentsPerSecond: row.incidentsPerSecond,
      p50Ms: row.p50Ms,
      p99Ms: row.p99Ms,
      overheadP50Ms: row.overheadP50Ms,
    })),
  });
}

export function formatLoopTable(results: LoopBreakdown[]): string {
  const head = ['server', 'workers', 'incidents/s', 'p50 ms', 'p99 ms', 'overhead p50 ms (alone)', 'overhead p50 ms (batch)', 'WFT n', 'WFT queue ms', 'WFT run ms', 'activities run ms', 'activities queue ms', 'KB ms (calls)', 'timer ms'];
  const lines = results.map((b) => {
    const acts = Object.values(b.activities);
    return [
      b.row.server === 'dev' ? 'dev server' : 'Temporal server',
      String(b.row.workers),
      b.row.incidentsPerSecond.toFixed(1),
      String(b.row.p50Ms),
      String(b.row.p99Ms),
      String(b.row.overheadP50Ms),
      String(b.loadedOverheadP50Ms),
      b.workflowTasks.toFixed(1),
      b.workflowTaskQueueMs.toFixed(0),
      b.workflowTaskRunMs.toFixed(0),
      acts.reduce((s, a) => s + a.runMs, 0).toFixed(0),
      acts.reduce((s, a) => s + a.queueMs, 0).toFixed(0),
      `${b.kbMsPerIncident.toFixed(0)} (${b.kbCallsPerIncident.toFixed(0)})`,
      b.timerMs.toFixed(0),
    ];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] as string).length)));
  const fmt = (cells: string[]): string => cells.map((c, i) => c.padStart(widths[i] as number)).join('  ');
  const activityLines = results.map(
    (b) =>
      `  ${b.row.server}/${b.row.workers}: ${Object.entries(b.activities)
        .map(([type, a]) => `${type} ${a.runMs.toFixed(0)}+${a.queueMs.toFixed(0)}q`)
        .join(', ')}`,
  );
  return [
    fmt(head),
    ...lines.map(fmt),
    '',
    `incidents/s, p50, p99 and the means: the batch of incidents opened together. Overhead = open → closed minus timers and probes; "alone": ${ALONE} incidents run one at a time after the batch (JSON overheadP50Ms), "batch": queueing behind the others included.`,
    'Per incident, means over the batch: WFT = workflow tasks; queue = scheduled → picked up by a worker; KB = time inside knowledge-base calls (worker side, warm-up included).',
    'Activities, run + queue ms:',
    ...activityLines,
  ].join('\n');
}

export async function runLoopBench(o: { incidents: number; warmup: number }): Promise<LoopBreakdown[]> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'homeostat-bench-loop-'));
  const results: LoopBreakdown[] = [];
  const postgres = await startPostgres({ maxConnections: 300 });
  try {
    log('[homeostat] bench loop: bundling the workflow code once for every worker');
    const quiet = (): void => undefined;
    const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: { trace: quiet, debug: quiet, info: quiet, warn: quiet, log: quiet, error: (m) => log(m) } });
    const bundlePath = path.join(tmp, 'workflows.js');
    fs.writeFileSync(bundlePath, code);
    const servers = [
      { name: 'dev' as const, start: async () => startDevServer({}) },
      { name: 'server' as const, start: async () => startTemporalServer({ postgres }) },
    ];
    for (const s of servers) {
      const server = await s.start();
      try {
        for (const workers of [1, 3] as const) {
          log(`[homeostat] bench loop: ${s.name}, ${workers} worker(s): ${o.warmup} warm-up + ${o.incidents} incidents`);
          const b = await measureRow({ server: s.name, workers, address: server.address, postgres, bundlePath, incidents: o.incidents, warmup: o.warmup });
          log(`[homeostat] bench loop: ${s.name}, ${workers} worker(s): ${b.row.incidentsPerSecond} incidents/s, p50 ${b.row.p50Ms} ms`);
          results.push(b);
        }
      } finally {
        await server.stop();
      }
    }
  } finally {
    await postgres.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return results;
}

export async function run(opts: { json: boolean; incidents?: number; warmup?: number }): Promise<void> {
  if (opts.incidents !== undefined && !(Number.isInteger(opts.incidents) && opts.incidents > 0)) {
    throw new HomeostatError('HS_INVALID_INPUT', '--incidents: must be a positive whole number');
  }
  const results = await runLoopBench({ incidents: opts.incidents ?? 200, warmup: opts.warmup ?? 20 });
  if (opts.json) process.stdout.write(`${loopJson(results)}\n`);
  else process.stdout.write(`${formatLoopTable(results)}\n`);
}
