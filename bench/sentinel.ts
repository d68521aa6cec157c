/**
 * Sentinel benchmark on a real local Kafka broker (started here with infra/kafka.ts unless
 * HOMEOSTAT_BENCH_KAFKA_BROKERS names one) and a real Temporal dev server (likewise,
 * HOMEOSTAT_BENCH_TEMPORAL_ADDRESS). One sentinel, in this process.
 *
 *  1. Throughput: N metric records (one record per Kafka message, 10,000 signals: 100 pipelines ×
 *     10 components × 10 signals) are produced first; then the sentinel consumes them through
 *     validation, detection and fusion. records/s = N / (time from the first batch to the last).
 *  2. Memory with those 10,000 monitored signals (heap and RSS after the run).
 *  3. Latency: a live producer sends steady telemetry while level shifts are injected into
 *     components one after another; for each incident, the time from producing the record that
 *     triggered it to `signalWithStart` returning from Temporal. p50 and p99.
 *
 * Prints a human summary, and `{"recordsPerSecond":…,"p50Ms":…,"p99Ms":…}` (plus memory) as one
 * JSON line; with --json only the JSON line.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import v8 from 'node:v8';
import vm from 'node:vm';
import { KafkaLog } from '../bindings/log';
import { startKafka } from '../infra/kafka';
import { parseSentinelConfig } from '../sentinel/config';
import { TemporalIncidentOpener, type IncidentOpener } from '../sentinel/incidents';
import { registryFactory } from '../sentinel/registry-factory';
import { Sentinel } from '../sentinel/sentinel';
import type { Evidence, IncidentInput } from '../workflows/shared';
import { benchTemporalClient } from './temporal';

export interface BenchOptions {
  json: boolean;
}

const PIPELINES = 100;
const COMPONENTS = 10;
const SIGNALS = 10;
const TOTAL_SIGNALS = PIPELINES * COMPONENTS * SIGNALS;

/** A full GC when the runtime allows one (the CLI does not pass --expose-gc; V8 lets us turn it on). */
function collectGarbage(): void {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as (() => void) | undefined;
  gc?.();
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/** Deterministic noise without allocation. */
function noise(i: number): number {
  const x = Math.sin(i * 12.9898) * 43758.5453;
  return (x - Math.floor(x) - 0.5) * 2;
}

function record(p: number, c: number, s: number, ts: number, value: number): string {
  return `{"kind":"metric","v":1,"ts":${ts},"pipeline":"bench-p${p}","component":"c${c}","signal":"s${s}","value":${value}}`;
}

/** Produces `n` records round-robin over every signal, in large sends. */
async function produceSteady(log: KafkaLog, topic: string, n: number, t0: number): Promise<void> {
  const batch: { key: string; value: string }[] = [];
  for (let i = 0; i < n; i++) {
    const sig = i % TOTAL_SIGNALS;
    const p = Math.floor(sig / (COMPONENTS * SIGNALS));
    const c = Math.floor(sig / SIGNALS) % COMPONENTS;
    const s = sig % SIGNALS;
    batch.push({ key: `bench-p${p}`, value: record(p, c, s, t0 + Math.floor(i / TOTAL_SIGNALS) * 1000, 100 + noise(i)) });
    if (batch.length === 20_000) await log.append(topic, batch.splice(0));
  }
  if (batch.length > 0) await log.append(topic, batch);
}

class TimedOpener implements IncidentOpener {
  readonly opened: { source: string; at: number }[] = [];
  constructor(private readonly inner: IncidentOpener) {}
  async open(input: IncidentInput, evidence: Evidence): Promise<void> {
    await this.inner.open(input, evidence);
    this.opened.push({ source: `${input.pipeline}/${input.component}`, at: Date.now() });
  }
  evidence(pipeline: string, component: string, evidence: Evidence): Promise<boolean> {
    return this.inner.evidence(pipeline, component, evidence);
  }
}

export async function run(opts: BenchOptions): Promise<void> {
  const say = (line: string): void => {
    if (!opts.json) process.stdout.write(`${line}\n`);
  };
  const n = Number(process.env.HOMEOSTAT_BENCH_RECORDS ?? 1_000_000);
  const stops: (() => Promise<void>)[] = [];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'homeostat-bench-sentinel-'));
  try {
    let brokers = process.env.HOMEOSTAT_BENCH_KAFKA_BROKERS?.split(',');
    if (!brokers) {
      const k = await startKafka({});
      stops.push(k.stop);
      brokers = k.brokers;
    }
    const client = await benchTemporalClient(stops);
    const log = new KafkaLog({ brokers, clientId: 'homeostat-bench' });
    stops.push(() => log.close());
    const stamp = Date.now().toString(36);
    const topic = `bench-sentinel-${stamp}`;
    const taskQueue = `bench-sentinel-${stamp}`;
    await log.createTopic(topic, { partitions: 4 });

    // ---- 1. throughput --------------------------------------------------------------------
    say(`producing ${n.toLocaleString('en')} records over ${TOTAL_SIGNALS.toLocaleString('en')} signals…`);
    let t = Date.now();
    await produceSteady(log, topic, n, Date.now() - 3_600_000);
    say(`  produced in ${((Date.now() - t) / 1000).toFixed(1)} s`);
    collectGarbage();
    const heapBefore = process.memoryUsage().heapUsed;
    const opener = new TimedOpener(new TemporalIncidentOpener(client, { taskQueue }));
    const sentinel = new Sentinel({
      log,
      config: parseSentinelConfig({}),
      factory: registryFactory,
      opener,
      stateFile: path.join(dir, 'state.db'),
      topic,
      groupId: `bench-${stamp}`,
      partitions: 4,
    });
    stops.unshift(() => sentinel.stop());
    let firstBatchAt = 0;
    let warmAt = 0;
    let warmCount = 0;
    // Which record triggered each component's first open: the start of its latency measurement.
    const openSources = new Map<string, string>();
    const decidedAt = new Map<string, number>();
    const origProcess = sentinel.engine.processBatch.bind(sentinel.engine);
    sentinel.engine.processBatch = (b) => {
      if (firstBatchAt === 0) firstBatchAt = Date.now();
      const result = origProcess(b);
      // Steady state starts once every signal exists (detectors are created on first sight).
      if (warmAt === 0 && sentinel.engine.counters.records >= 2 * TOTAL_SIGNALS) {
        warmAt = Date.now();
        warmCount = sentinel.engine.counters.records;
      }
      for (const a of result.actions) {
        const k = `${a.pipeline}/${a.component}`;
        if (a.kind === 'open' && !openSources.has(k)) {
          openSources.set(k, `${a.source.partition}:${a.source.offset}`);
          decidedAt.set(k, Date.now());
        }
      }
      return result;
    };
    const cpu0 = process.cpuUsage();
    await sentinel.start();
    while (sentinel.engine.counters.records + sentinel.engine.counters.invalid < n) await new Promise((r) => setTimeout(r, 20));
    const elapsed = (Date.now() - firstBatchAt) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const overall = Math.round(n / elapsed);
    const recordsPerSecond = Math.round((n - warmCount) / ((Date.now() - warmAt) / 1000));
    say(`  consumed ${n.toLocaleString('en')} records in ${elapsed.toFixed(2)} s: ${overall.toLocaleString('en')} records/s overall (CPU ${((cpu.user + cpu.system) / 1e6 / elapsed).toFixed(2)} cores)`);
    say(`  sustained, after every signal's detectors exist: ${recordsPerSecond.toLocaleString('en')} records/s`);

    // ---- 2. memory -------------------------------------------------------------------------
    const monitored = sentinel.engine.monitors().length;
    // Caught up and idle: collect garbage (fetch buffers, parsed records) before measuring.
    await new Promise((r) => setTimeout(r, 500));
    collectGarbage();
    const mem = process.memoryUsage();
    const heapMiB = mem.heapUsed / 2 ** 20;
    const rssMiB = mem.rss / 2 ** 20;
    const perSignal = (mem.heapUsed - heapBefore) / TOTAL_SIGNALS;
    say(`  memory with ${TOTAL_SIGNALS.toLocaleString('en')} signals (${monitored} components): heap ${heapMiB.toFixed(0)} MiB, RSS ${rssMiB.toFixed(0)} MiB, ≈${(perSignal / 1024).toFixed(1)} KiB heap per signal`);

    // ---- 3. latency ------------------------------------------------------------------------
    const faults = Number(process.env.HOMEOSTAT_BENCH_INCIDENTS ?? 100);
    const falseOpens = opener.opened.length;
    opener.opened.length = 0;
    openSources.clear();
    decidedAt.clear();
    say(`latency: live telemetry with ${faults} injected level shifts…`);
    const producedAt = new Map<string, number>();
    sentinel.stats.snapshotMaxMs = 0;
    const loopDelay = monitorEventLoopDelay({ resolution: 10 });
    loopDelay.enable();
    let i = n;
    let faultNo = 0;
    const rate = 20_000; // records/s of background telemetry during the latency phase
    const tick = 50;
    t = Date.now();
    const liveEnd = t + (faults * 300 + 5000);
    // A shifted component emits shifted values from its fault time on; one fault every 300 ms.
    const shifted = new Map<number, number>();
    while (Date.now() < liveEnd) {
      const batch: { key: string; value: string }[] = [];
      const now = Date.now();
      if (faultNo < faults && now - t >= faultNo * 300) {
        shifted.set(faultNo % (PIPELINES * COMPONENTS), now);
        faultNo++;
      }
      for (let k = 0; k < (rate * tick) / 1000; k++, i++) {
        const sig = i % TOTAL_SIGNALS;
        const comp = Math.floor(sig / SIGNALS);
        const p = Math.floor(comp / COMPONENTS);
        const c = comp % COMPONENTS;
        const s = sig % SIGNALS;
        const level = shifted.has(comp) && s < 6 ? 50 : 0;
        batch.push({ key: `bench-p${p}`, value: record(p, c, s, now, 100 + level + noise(i)) });
      }
      // Faulty components also send their shifted signals at a higher rate, as a real failure would.
      for (const comp of shifted.keys()) {
        const p = Math.floor(comp / COMPONENTS);
        const c = comp % COMPONENTS;
        for (let s = 0; s < 6; s++) batch.push({ key: `bench-p${p}`, value: record(p, c, s, now, 150 + noise(i++)) });
      }
      const sentAt = Date.now();
      const res = await log.append(topic, batch);
      res.forEach((r) => producedAt.set(`${r.partition}:${r.offset}`, sentAt));
      const wait = tick - (Date.now() - now);
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    await sentinel.dispatcher.idle(10_000);
    const latencies: number[] = [];
    const toDecision: number[] = [];
    const toSignal: number[] = [];
    // Match each open with the record that triggered it (the action's source offset).
    for (const o of opener.opened) {
      const src = openSources.get(o.source);
      const p = src ? producedAt.get(src) : undefined;
      const d = decidedAt.get(o.source);
      if (p !== undefined) latencies.push(o.at - p);
      if (p !== undefined && d !== undefined) {
        toDecision.push(d - p);
        toSignal.push(o.at - d);
      }
    }
    latencies.sort((a, b) => a - b);
    toDecision.sort((a, b) => a - b);
    toSignal.sort((a, b) => a - b);
    loopDelay.disable();
    say(
      `  produce → decision p50 ${quantile(toDecision, 0.5)} ms, p99 ${quantile(toDecision, 0.99)} ms; ` +
        `decision → signalWithStart returned p50 ${quantile(toSignal, 0.5)} ms, p99 ${quantile(toSignal, 0.99)} ms`,
    );
    say(
      `  slowest: ${latencies.slice(-5).join(', ')} ms; longest snapshot pause ${sentinel.stats.snapshotMaxMs} ms; ` +
        `event-loop delay p99 ${(loopDelay.percentile(99) / 1e6).toFixed(0)} ms, max ${(loopDelay.max / 1e6).toFixed(0)} ms; load average ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores`,
    );
    const p50Ms = Math.round(quantile(latencies, 0.5));
    const p99Ms = Math.round(quantile(latencies, 0.99));
    say(`  ${latencies.length} of ${faults} injected faults opened an incident; p50 ${p50Ms} ms, p99 ${p99Ms} ms (false opens during the throughput phase: ${falseOpens})`);
    const out = {
      recordsPerSecond,
      p50Ms,
      p99Ms,
      overallRecordsPerSecond: overall,
      records: n,
      signals: TOTAL_SIGNALS,
      heapMiB: Math.round(heapMiB),
      rssMiB: Math.round(rssMiB),
      incidentsMeasured: latencies.length,
      falseOpens,
    };
    process.stdout.write(`${JSON.stringify(out)}\n`);
  } finally {
    for (const stop of stops) await stop().catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
