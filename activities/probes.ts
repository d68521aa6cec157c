/**
 * Verification probes against the running pipeline, one per ProbeName. Each samples the current
 * state once (the workflow has already waited its settle window) and answers pass, fail or
 * inconclusive with a detail an operator can read. `health-recovered` asks the sentinel's health
 * API over HTTP.
 */
import { z } from 'zod';
import type { TemplateDeps } from './templates/deps';
import type { ProbeName } from './templates/template';

import type { Verdict } from '../policies/taxonomy';
import type { ProbeOutcome } from './contracts';

export type { ProbeOutcome };

export interface ProbeOptions {
  /** Sentinel health API base URL, for `health-recovered`. */
  healthUrl?: string;
  /** How the health API is called: `fetch` with the sentinel's bearer token, when it needs one. */
  healthFetch?: typeof fetch;
  healthThreshold?: number;
  /** Lag (records) at or below which a stage counts as drained. Default: one second of input, at least 50. */
  maxLag?: number;
  /** A backlog over `maxLag` still passes when it shrinks fast enough to drain within this. Default 30 s. */
  drainWithinMs?: number;
  /**
   * Time between the two lag samples that measure the drain rate. Default 4 s: committed offsets
   * move a batch at a time, so a shorter gap can catch a busy stage between two commits.
   */
  sampleGapMs?: number;
  /** Fraction of the source rate the stage must sustain. Default 0.7. */
  minThroughputRatio?: number;
  /** Max null rate of a contract field. Default 0.02. */
  maxNullRate?: number;
  /** Accuracy the served model must reach on recent labels. Default 0.75. */
  minAccuracy?: number;
  /** Events younger than this may still be in flight: the sink check ignores them. Default 15 s. */
  inFlightMs?: number;
  /** Data and model checks only trust evidence newer than this (epoch ms), e.g. the end of the repair. */
  since?: number;
}

type ProbeDeps = Pick<TemplateDeps, 'orchestrator' | 'pipeline' | 'models'>;

const result = (name: ProbeName, ok: boolean | undefined, detail: string): ProbeOutcome => ({ name, result: ok === undefined ? 'inconclusive' : ok ? 'pass' : 'fail', detail });

function consumersFor(deps: ProbeDeps, target: string): string[] {
  // A fault at the source is verified downstream: every consuming stage.
  return deps.pipeline.inputTopic(target) ? [target] : deps.pipeline.components().filter((c) => deps.pipeline.inputTopic(c) !== undefined);
}

export async function processRunning(deps: ProbeDeps, target: string): Promise<ProbeOutcome> {
  const st = await deps.orchestrator.status(target);
  const age = await deps.pipeline.heartbeatAgeMs(target);
  const ok = st.desiredReplicas > 0 && st.readyReplicas >= st.desiredReplicas && age !== undefined && age < 2_000;
  return result('process-running', ok, `${st.readyReplicas}/${st.desiredReplicas} instance(s) running; freshest heartbeat ${age === undefined ? 'none' : `${age} ms ago`}`);
}

/**
 * Pass when every consuming stage's lag is at most one second of input — or, after a capacity
 * repair with a backlog still queued, when the backlog is shrinking fast enough to be gone within
 * `drainWithinMs` (two samples `sampleGapMs` apart): a scaled-out stage that is clearly catching
 * up has been repaired, even if the queue built up during detection is not empty yet. A backlog
 * shrinking too slowly is inconclusive (the workflow probes again after another settle window);
 * one that does not shrink is a failure.
 */
/**
 * How long ago the youngest instance of any of `stages` started, when that is under `withinMs`:
 * a consumer that has just (re)started may still be waiting for its partitions — on Kafka the
 * group rebalances only once the killed member's session has expired — so a stage that is not
 * flowing *yet* is not a failed repair, it is too early to tell.
 */
async function justStarted(deps: ProbeDeps, stages: string[], withinMs: number): Promise<{ stage: string; ageMs: number } | undefined> {
  const now = Date.now();
  let youngest: { stage: string; ageMs: number } | undefined;
  for (const stage of stages) {
    const st = await deps.orchestrator.status(stage).catch(() => undefined);
    for (const i of st?.instances ?? []) {
      if (i.startedAt === undefined) continue;
      const ageMs = now - i.startedAt;
      if (ageMs < withinMs && (!youngest || ageMs < youngest.ageMs)) youngest = { stage, ageMs };
    }
  }
  return youngest;
}

/** A stage restarted within this long is given the benefit of the doubt (inconclusive, re-probed). */
const YOUNG_MS = 20_000;

const tooEarly = (young: { stage: string; ageMs: number }): string => `${young.stage} started ${Math.round(young.ageMs / 1000)} s ago: too early to tell`;

/** Lag at or below which a stage counts as keeping up: `maxLag`, else one second of input (at least 50). */
const lagLimit = (deps: ProbeDeps, o: ProbeOptions): number => o.maxLag ?? Math.max(50, deps.pipeline.sourceRate());

export async function lagDrained(deps: ProbeDeps, target: string, o: ProbeOptions = {}): Promise<ProbeOutcome> {
  const limit = lagLimit(deps, o);
  const stages = consumersFor(deps, target);
  const sample = (): Promise<number[]> => Promise.all(stages.map((c) => deps.pipeline.lag(c)));
  const first = await sample();
  const describe = (lags: number[]): string => `${stages.map((c, i) => `${c} lag ${lags[i]}`).join(', ')} (limit ${limit})`;
  if (Math.max(0, ...first) <= limit) return result('lag-drained', true, describe(first));
  const gapMs = o.sampleGapMs ?? 4_000;
  await new Promise((r) => setTimeout(r, gapMs));
  const second = await sample();
  if (Math.max(0, ...second) <= limit) return result('lag-drained', true, describe(second));
  const drainWithinMs = o.drainWithinMs ?? 30_000;
  // Every stage over the limit must be shrinking; the slowest one decides.
  let worstEta = 0;
  for (let i = 0; i < stages.length; i++) {
    if (second[i] <= limit) continue;
    const perMs = (first[i] - second[i]) / gapMs;
    if (perMs <= 0) {
      const young = await justStarted(deps, [stages[i]!], YOUNG_MS);
      const why = `${describe(second)}; ${stages[i]} backlog not shrinking (${first[i]} → ${second[i]} in ${gapMs} ms)`;
      return young ? result('lag-drained', undefined, `${why}, but ${tooEarly(young)}`) : result('lag-drained', false, why);
    }
    worstEta = Math.max(worstEta, (second[i] - limit) / perMs);
  }
  const eta = `backlog shrinking, drained in ≈ ${Math.round(worstEta / 1000)} s`;
  return result('lag-drained', worstEta <= drainWithinMs ? true : undefined, `${describe(second)}; ${eta} (${worstEta <= drainWithinMs ? 'within' : 'beyond'} ${Math.round(drainWithinMs / 1000)} s)`);
}

export async function throughputRestored(deps: ProbeDeps, target: string, o: ProbeOptions = {}): Promise<ProbeOutcome> {
  const need = deps.pipeline.sourceRate() * (o.minThroughputRatio ?? 0.7);
  // The stage that consumes the repaired flow: downstream of a quarantine or a shedding stage less
  // arrives by design (set-aside records are accounted), and lag-drained covers those stages.
  const stages = consumersFor(deps, target).slice(0, 1);
  const rates = await Promise.all(stages.map(async (c) => [c, await deps.pipeline.throughput(c)] as const));
  if (rates.some(([, r]) => r === undefined)) {
    const detail = `${rates.filter(([, r]) => r === undefined).map(([c]) => c).join(', ')} not reporting`;
    const young = await justStarted(deps, stages, YOUNG_MS);
    return young ? result('throughput-restored', undefined, `${detail}; ${tooEarly(young)}`) : result('throughput-restored', false, detail);
  }
  let ok = rates.every(([, r]) => (r ?? 0) >= need);
  let detail = `${rates.map(([c, r]) => `${c} ${(r ?? 0).toFixed(0)}/s`).join(', ')} (need ≥ ${need.toFixed(0)}/s)`;
  if (!ok) {
    // Below the source's rate but with nothing waiting: less arrives (upstream quarantines or sheds
    // by design, or is itself being repaired) and the stage takes all of it. That is restored.
    const limit = lagLimit(deps, o);
    const lags = await Promise.all(stages.map((c) => deps.pipeline.lag(c)));
    if (lags.every((l) => l <= limit)) {
      ok = true;
      detail += `; below it, but keeping up with its input (lag ${lags.join(', ')} ≤ ${limit})`;
    }
  }
  if (!ok) {
    const young = await justStarted(deps, stages, YOUNG_MS);
    if (young) return result('throughput-restored', undefined, `${detail}, but ${tooEarly(young)}`);
  }
  return result('throughput-restored', ok, detail);
}

export async function dataChecksPass(deps: ProbeDeps, target: string, o: ProbeOptions = {}): Promise<ProbeOutcome> {
  const stage = consumersFor(deps, target)[0];
  const profile = await deps.pipeline.latestProfile(stage, o.since);
  if (!profile) return result('data-checks-pass', undefined, `no data profile from ${stage}${o.since ? ' since the repair' : ''}`);
  const limit = o.maxNullRate ?? 0.02;
  const bad = Object.entries(profile.nullRates).filter(([, r]) => r > limit);
  return result('data-checks-pass', bad.length === 0, bad.length === 0 ? `${stage}: ${profile.rows} rows, every contract field null rate ≤ ${limit}` : `${stage}: ${bad.map(([f, r]) => `${f} null rate ${(r * 100).toFixed(0)} %`).join(', ')}`);
}

export async function modelAccuracyRestored(deps: ProbeDeps, o: ProbeOptions = {}): Promise<ProbeOutcome> {
  const pinned = await deps.models.pinnedModel(deps.pipeline.modelName);
  const acc = deps.pipeline.recentAccuracy(200, pinned?.version, o.since);
  if (acc.n < 50) return result('model-accuracy-restored', undefined, `only ${acc.n} labelled predictions of ${pinned?.version ?? 'the served model'} so far`);
  const need = o.minAccuracy ?? 0.75;
  return result('model-accuracy-restored', acc.accuracy >= need, `${pinned?.version}: accuracy ${(acc.accuracy * 100).toFixed(1)} % on the last ${acc.n} labels (need ${(need * 100).toFixed(0)} %)`);
}

export async function sinkIntegrity(deps: ProbeDeps, o: ProbeOptions = {}): Promise<ProbeOutcome> {
  const i = deps.pipeline.integrity({ before: Date.now() - (o.inFlightMs ?? 15_000) });
  const ok = i.lost === 0 && i.duplicates === 0 && i.unexpected === 0 && i.checksum === i.expectedChecksum;
  return result('sink-integrity', ok, `expected ${i.expected}, stored ${i.stored}, lost ${i.lost}, duplicates ${i.duplicates}, quarantined ${i.quarantined}, shed ${i.shed}, checksum ${i.checksum === i.expectedChecksum ? 'matches' : 'differs'}`);
}

/** The part of the sentinel's `GET /health/<pipeline>/<component>` answer this probe reads. */
const componentHealthSchema = z
  .object({
    /** 1 − H_t: 1 healthy … 0 every detector alarming. */
    healthIndex: z.number().min(0).max(1),
    /** The sentinel still considers the component anomalous (hysteresis or a recent hard fault). */
    open: z.boolean(),
    /** The fused health is still above the sentinel's close threshold (hysteresis). */
    fusionOpen: z.boolean().optional(),
  })
  .loose();

/**
 * Asks the sentinel's health API for one component (`<base>/health/<pipeline>/<component>`).
 * Pass: its health index (1 − H_t) is back at or above `threshold` and the fused health has
 * fallen below the sentinel's own close threshold (`fusionOpen` false) — the sentinel opens at a
 * far lower anomaly level than 1 − threshold, so the index alone would call a component that is
 * still anomalous "recovered". Fail otherwise; inconclusive: the sentinel cannot say
 * (unreachable, no telemetry yet). The sentinel's `open` flag is reported but not used: it holds
 * a component open for a while after a hard fault to avoid duplicate incidents, which says
 * nothing about whether the repair worked.
 */
export async function healthRecovered(pipelineUrl: string, component: string, threshold = 0.7, fetchImpl: typeof fetch = fetch): Promise<ProbeOutcome> {
  let body: unknown;
  try {
    const res = await fetchImpl(`${pipelineUrl.replace(/\/$/, '')}/${encodeURIComponent(component)}`, { signal: AbortSignal.timeout(5_000) });
    if (!res.ok) return result('health-recovered', undefined, `health API answered ${res.status}`);
    body = await res.json();
  } catch (err) {
    return result('health-recovered', undefined, `health API unreachable: ${(err as Error).message}`);
  }
  const parsed = componentHealthSchema.safeParse(body);
  if (!parsed.success) return result('health-recovered', undefined, 'health API answer not understood');
  const { healthIndex, open, fusionOpen } = parsed.data;
  return result(
    'health-recovered',
    healthIndex >= threshold && fusionOpen !== true,
    `${component} health index ${healthIndex.toFixed(2)} (threshold ${threshold})${fusionOpen ? ', fused anomaly still above the close threshold' : ''}; ${open ? 'still held open' : 'closed'} at the sentinel`,
  );
}

export async function runProbe(name: ProbeName, target: string, deps: ProbeDeps, o: ProbeOptions = {}): Promise<ProbeOutcome> {
  switch (name) {
    case 'process-running':
      return processRunning(deps, target);
    case 'lag-drained':
      return lagDrained(deps, target, o);
    case 'throughput-restored':
      return throughputRestored(deps, target, o);
    case 'data-checks-pass':
      return dataChecksPass(deps, target, o);
    case 'model-accuracy-restored':
      return modelAccuracyRestored(deps, o);
    case 'sink-integrity':
      return sinkIntegrity(deps, o);
    case 'health-recovered':
      return o.healthUrl ? healthRecovered(o.healthUrl, target, o.healthThreshold, o.healthFetch) : result('health-recovered', undefined, 'no health API configured');
  }
}

/** Runs several probes; the verdict is fail if any fails, inconclusive if any is, else pass. */
export async function runProbes(names: readonly ProbeName[], target: string, deps: ProbeDeps, o: ProbeOptions = {}): Promise<{ result: Verdict; probes: ProbeOutcome[] }> {
  const probes: ProbeOutcome[] = [];
  for (const n of names) probes.push(await runProbe(n, target, deps, o));
  const verdict: Verdict = probes.some((p) => p.result === 'fail') ? 'fail' : probes.some((p) => p.result === 'inconclusive') ? 'inconclusive' : 'pass';
  return { result: verdict, probes };
}

/**
 * Announces a verified repair to the sentinel (`POST <base>/repaired`), which publishes a REPAIRED
 * event for the component on its telemetry topic. Throws when the sentinel does not accept it.
 */
export async function announceRepairTo(baseUrl: string, req: { incidentId: string; pipeline: string; component: string; action: string }, fetchImpl: typeof fetch = fetch): Promise<void> {
  const res = await fetchImpl(`${baseUrl.replace(/\/$/, '')}/repaired`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ pipeline: req.pipeline, component: req.component, incidentId: req.incidentId, action: req.action }),
    signal: AbortSignal.timeout(5_000),
  });
  if (!res.ok) throw new Error(`sentinel answered ${res.status} to POST /repaired`);
}

const pipelineHealthSchema = z.object({ components: z.array(z.object({ component: z.string(), open: z.boolean(), fusionOpen: z.boolean().optional() }).loose()) }).loose();

/**
 * The components of a pipeline the sentinel currently sees as anomalous (`<base>/health/<pipeline>`):
 * fused health above its close threshold, or held open after a hard fault. Empty when the
 * sentinel cannot be asked — diagnosis then falls back to the incident's own evidence.
 */
export async function anomalousComponents(pipelineUrl: string, fetchImpl: typeof fetch = fetch): Promise<string[]> {
  try {
    const res = await fetchImpl(pipelineUrl, { signal: AbortSignal.timeout(5_000) });
    if (!res.ok) return [];
    const parsed = pipelineHealthSchema.safeParse(await res.json());
    if (!parsed.success) return [];
    return parsed.data.components.filter((c) => c.open || c.fusionOpen === true).map((c) => c.component);
  } catch {
    return [];
  }
}
