/**
 * Alert-storm benchmark: one sentinel (in this process) on an embedded log and a real Temporal dev
 * server (started here unless HOMEOSTAT_BENCH_TEMPORAL_ADDRESS names one), 100 components.
 *
 *  1. Reference, measured in the same run: 2 minutes of one anomaly a second.
 *  2. Storm: 10,000 anomalies a minute for 3 minutes (HOMEOSTAT_BENCH_STORM_SECONDS), crash loops of
 *     mixed classes, OOM kills, hangs, stalls and latency spikes, over one steady sample per
 *     component per second.
 *
 * Delivery = from appending the record that caused an incident action to Temporal accepting that
 * action (signalWithStart or signal returned), so it includes any time the record waited in the
 * log while the sentinel held back (back-pressure). Prints p50 / p99 / max per phase, the
 * sentinel's memory (heap and RSS after the reference, most during the storm, after), the most
 * actions queued, and the most incidents any component got; then one JSON line.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EmbeddedLog } from '../bindings/log';
import { parseSentinelConfig } from '../sentinel/config';
import { TemporalIncidentOpener, type IncidentOpener } from '../sentinel/incidents';
import { registryFactory } from '../sentinel/registry-factory';
import { Sentinel } from '../sentinel/sentinel';
import { incidentWorkflowId, type Evidence, type IncidentInput } from '../workflows/shared';
import { StormLoad } from './storm-load';
import { benchTemporalClient } from './temporal';

export interface BenchOptions {
  json: boolean;
}

const PIPELINES = 4;
const COMPONENTS_PER_PIPELINE = 25;

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/** Times every delivered action against the moment its record was appended. */
class TimedOpener implements IncidentOpener {
  readonly latencies: number[] = [];
  readonly producedAt = new Map<string, number>();
  constructor(private readonly inner: IncidentOpener) {}
  private time(evidence: Evidence): void {
    const [, partition, offset] = (evidence.id ?? '').split(':');
    const at = this.producedAt.get(`${partition}:${offset}`);
    if (at !== undefined) this.latencies.push(Date.now() - at);
  }
  async open(input: IncidentInput, evidence: Evidence): Promise<void> {
    await this.inner.open(input, evidence);
    this.time(evidence);
  }
  async evidence(pipeline: string, component: string, evidence: Evidence): Promise<boolean> {
    const ok = await this.inner.evidence(pipeline, component, evidence);
    this.time(evidence);
    return ok;
  }
  delivered(pipeline: string, component: string, id: string, since: number): Promise<boolean> {
    return this.inner.delivered ? this.inner.delivered(pipeline, component, id, since) : Promise.resolve(false);
  }
}

const mib = (bytes: number): number => Math.round(bytes / 1024 / 1024);

export async function run(opts: BenchOptions): Promise<void> {
  const say = (line: string): void => {
    if (!opts.json) process.stdout.write(`${line}\n`);
  };
  const stormSeconds = Number(process.env.HOMEOSTAT_BENCH_STORM_SECONDS ?? 180);
  const referenceSeconds = Number(process.env.HOMEOSTAT_BENCH_STORM_REFERENCE_SECONDS ?? 120);
  const stops: (() => Promise<void>)[] = [];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'homeostat-bench-storm-'));
  try {
    const client = await benchTemporalClient(stops);
    const log = new EmbeddedLog({ file: path.join(dir, 'log.db') });
    stops.push(() => log.close());
    const stamp = Date.now().toString(36);
    const topic = `bench-storm-${stamp}`;
    const opener = new TimedOpener(new TemporalIncidentOpener(client, { taskQueue: `bench-storm-${stamp}` }));
    const sentinel = new Sentinel({
      log,
      config: parseSentinelConfig({}),
      factory: registryFactory,
      opener,
      stateFile: path.join(dir, 'state.db'),
      topic,
      groupId: `bench-storm-${stamp}`,
      partitions: 4,
      consumer: { pollMs: 5 },
    });
    stops.unshift(() => sentinel.stop());
    await sentinel.start();

    let mostQueued = 0;
    let mostHeap = 0;
    let mostRss = 0;
    const drive = async (load: StormLoad, seconds: number): Promise<number> => {
      const start = Date.now();
      let last = start;
      let produced = 0;
      while (Date.now() - start < seconds * 1_000) {
        await new Promise((r) => setTimeout(r, 100));
        const now = Date.now();
        const messages = load.tick(now, now - last);
        last = now;
        if (messages.length > 0) {
          const placed = await log.append(topic, messages);
          const at = Date.now();
          for (const p of placed) opener.producedAt.set(`${p.partition}:${p.offset}`, at);
          produced += messages.length;
        }
        const mem = process.memoryUsage();
        mostQueued = Math.max(mostQueued, sentinel.dispatcher.queued);
        mostHeap = Math.max(mostHeap, mem.heapUsed);
        mostRss = Math.max(mostRss, mem.rss);
      }
      return produced;
    };
    const settle = async (total: number): Promise<void> => {
      while (sentinel.engine.counters.records < total || sentinel.dispatcher.queued > 0) await new Promise((r) => setTimeout(r, 100));
    };

    const prefix = `storm-${stamp}`;
    say(`reference: ${referenceSeconds} s of one anomaly a second over ${PIPELINES * COMPONENTS_PER_PIPELINE} components…`);
    const quiet = new StormLoad({ pipelines: PIPELINES, componentsPerPipeline: COMPONENTS_PER_PIPELINE, anomaliesPerMinute: 60, seed: 3 }, prefix);
    let total = await drive(quiet, referenceSeconds);
    await settle(total);
    const reference = [...opener.latencies].sort((a, b) => a - b);
    opener.latencies.length = 0;
    const baseline = process.memoryUsage();
    mostQueued = 0;
    mostHeap = 0;
    mostRss = 0;

    say(`storm: ${stormSeconds} s of 10,000 anomalies a minute…`);
    const storm = new StormLoad({ pipelines: PIPELINES, componentsPerPipeline: COMPONENTS_PER_PIPELINE, anomaliesPerMinute: 10_000, seed: 5 }, prefix);
    const stormStart = Date.now();
    total += await drive(storm, stormSeconds);
    await settle(total);
    const drainedAfter = (Date.now() - stormStart) / 1000 - stormSeconds;
    const stormLat = [...opener.latencies].sort((a, b) => a - b);
    const after = process.memoryUsage();

    let mostRuns = 0;
    for (const c of storm.components) {
      let runs = 0;
      for await (const _ of client.workflow.list({ query: `WorkflowId = '${incidentWorkflowId(c.pipeline, c.component)}'` })) runs++;
      mostRuns = Math.max(mostRuns, runs);
    }
    const d = sentinel.dispatcher.stats;
    const row = (name: string, l: number[]): string =>
      `  ${name.padEnd(10)} ${String(l.length).padStart(7)} actions   delivery p50 ${String(quantile(l, 0.5)).padStart(6)} ms   p99 ${String(quantile(l, 0.99)).padStart(6)} ms   max ${String(l[l.length - 1] ?? NaN).padStart(6)} ms`;
    say(row('reference', reference));
    say(row('storm', stormLat));
    say(
      `  memory: heap ${mib(baseline.heapUsed)} MiB / RSS ${mib(baseline.rss)} MiB after the reference; most during the storm ${mib(mostHeap)} / ${mib(mostRss)} MiB; ` +
        `after ${mib(after.heapUsed)} / ${mib(after.rss)} MiB (this process also runs the producer)`,
    );
    say(
      `  ${storm.anomalies} anomalies; incidents opened ${d.opened}, evidence ${d.evidence}, most queued ${mostQueued}, back-pressure pauses ${sentinel.stats.backPressurePauses}, ` +
        `drained ${drainedAfter.toFixed(1)} s after the storm; most incidents on one component ${mostRuns}; load average ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores`,
    );
    process.stdout.write(
      `${JSON.stringify({
        anomalies: storm.anomalies,
        stormSeconds,
        referenceP50Ms: quantile(reference, 0.5),
        referenceP99Ms: quantile(reference, 0.99),
        stormP50Ms: quantile(stormLat, 0.5),
        stormP99Ms: quantile(stormLat, 0.99),
        stormMaxMs: stormLat[stormLat.length - 1] ?? null,
        heapMiBBaseline: mib(baseline.heapUsed),
        heapMiBMost: mib(mostHeap),
        rssMiBBaseline: mib(baseline.rss),
        rssMiBMost: mib(mostRss),
        mostQueued,
        mostIncidentsPerComponent: mostRuns,
        opened: d.opened,
        evidence: d.evidence,
      })}\n`,
    );
  } finally {
    for (const stop of stops) await stop().catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
