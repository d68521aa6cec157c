/**
 * `homeostat bench detectors [--json]`: per-update cost of every streaming detector against
 * River 0.26.1 on the same streams in the same run, memory per detector instance after 10^6
 * updates, and the throughput of the fused path.
 *
 * - Streams: 200,000 values (HOMEOSTAT_BENCH_UPDATES to change), drawn with detection/random.ts
 *   and written to a temporary file that River reads back, so both see identical values.
 *   Real-valued (ADWIN, Page-Hinkley, CUSUM, EWMA): N(μ, 1) with μ cycling 0 → 1.5 → −1 every
 *   10,000 values. 0/1 (DDM, EDDM, HDDM_A, HDDM_W): Bernoulli(p) with p cycling 0.1 → 0.3.
 * - Time per update: Homeostat, best of 7 timed passes after a warm-up pass, each a loop of
 *   `update(x)` + `driftDetected` read; River, best of 2 passes of the loop a River user writes
 *   (`detector.update(x)` then `detector.drift_detected`), timed inside Python with
 *   perf_counter_ns so interpreter start-up is excluded. River has no CUSUM or EWMA detector in
 *   0.26.1: those two are timed through River's main-branch files when HOMEOSTAT_RIVER_MAIN
 *   points at a copy of River's repository, else through bench/river/reference_detectors.py
 *   (the same algorithms on River 0.26.1's statistics); the table says which.
 * - Floor: the same loop on each side around a detector whose update does nothing (River's
 *   `drift.NoDrift`; a no-op object here): the cost of the loop, the call and the flag read alone.
 *   A detector's time minus its side's floor is what its own work costs.
 * - Memory ("bytes"): one instance receives 10^6 updates of a stationary stream (the worst case
 *   for ADWIN, whose window then spans all of them; KSWIN, whose state is its 100-value window,
 *   20,000 on River's side); 2,000 exact copies of it are restored from its snapshot, and the heap
 *   growth (V8 heap used + array buffers, after forced GC) is divided by 2,000. River's: 1,000
 *   deep copies of an instance trained the same way; per copy, the larger of what tracemalloc
 *   sees and the growth of the Python process's resident set (River's ADWIN keeps its window in
 *   Rust, where tracemalloc does not look). The size of the JSON snapshot is printed beside them.
 * - Fused path: one component with Page-Hinkley, ADWIN, CUSUM and EWMA on the same scalar signal,
 *   fused by detection/fusion.ts (`ComponentHealth.observeHandle`): records per second.
 *
 * Progress goes to stderr; `--json` prints one object on stdout.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { HomeostatError } from '../common/errors';
import { DETECTOR_NAMES, type DetectorName, type StreamingDetector } from '../detection/detector';
import { ComponentHealth } from '../detection/fusion';
import { RandomState } from '../detection/random';
import { createDetector, restoreDetector } from '../detection/registry';
import { RIVER_VERSION, ensureRiver } from './river/venv';

export interface BenchOptions {
  json: boolean;
}

export interface DetectorFigures {
  name: DetectorName;
  homeostatNsPerUpdate: number;
  riverNsPerUpdate: number;
  speedup: number;
  bytes: number;
  riverBytes: number;
  snapshotBytes: number;
  riverReference: string;
  /** Detections on the bench stream: Homeostat and River must agree. */
  homeostatDrifts: number;
  riverDrifts: number;
}

const BINARY: readonly DetectorName[] = ['ddm', 'eddm', 'hddm-a', 'hddm-w', 'fhddm'];
const MEMORY_COPIES = 2000;
const MEMORY_UPDATES = 1_000_000;
const FUSED_RECORDS = 1_000_000;

const progress = (msg: string): void => {
  process.stderr.write(`bench detectors: ${msg}\n`);
};

function updatesFromEnv(): number {
  const raw = process.env.HOMEOSTAT_BENCH_UPDATES;
  if (raw === undefined) return 200_000;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1000) throw new HomeostatError('HS_INVALID_INPUT', `HOMEOSTAT_BENCH_UPDATES must be an integer ≥ 1000, got ${raw}`);
  return n;
}

interface RiverFigures {
  river: string;
  floorNsPerUpdate: number;
  detectors: Record<string, { nsPerUpdate: number; drifts: number; impl: string; bytes: number }>;
}

function runRiver(python: string, files: string[], updates: number): RiverFigures {
  const script = path.join(__dirname, 'river', 'bench_river.py');
  const r = spawnSync(python, [script, ...files, String(updates), '2', ...DETECTOR_NAMES], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new HomeostatError('HS_INTERNAL', `River benchmark failed: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  return JSON.parse(r.stdout) as RiverFigures;
}

// ---------------------------------------------------------------------------------------------
// Streams.

function realStream(n: number, seed: number, shifting: boolean): Float64Array {
  const rng = new RandomState(seed);
  const out = new Float64Array(n);
  const means = [0, 1.5, -1];
  for (let i = 0; i < n; i++) out[i] = rng.normal(shifting ? means[Math.floor(i / 10_000) % 3] : 0, 1);
  return out;
}

function binaryStream(n: number, seed: number, shifting: boolean): Float64Array {
  const rng = new RandomState(seed);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.randomDouble() < (shifting && Math.floor(i / 10_000) % 2 === 1 ? 0.3 : 0.1) ? 1 : 0;
  return out;
}

// ---------------------------------------------------------------------------------------------
// Homeostat timings.

type Loop = (detector: StreamingDetector, data: Float64Array) => number;

/**
 * A fresh copy of the timing loop per detector: each copy has its own call-site feedback, so
 * V8 sees one detector class at `update` (as in an application) rather than all eight.
 */
function freshLoop(): Loop {
  return new Function(
    'detector',
    'data',
    'let drifts = 0; for (let i = 0; i < data.length; i++) { detector.update(data[i]); if (detector.driftDetected) drifts++; } return drifts;',
  ) as Loop;
}

/** A detector that does nothing: the floor of the timing loop. */
function noopDetector(): StreamingDetector {
  return { name: 'adwin', driftDetected: false, score: 0, skipped: 0, update() { return this; }, snapshot: () => ({ type: 'adwin', version: 0, params: {}, state: {} }) };
}

function timeDetector(name: DetectorName | 'floor', data: Float64Array): { ns: number; drifts: number } {
  const make = (): StreamingDetector => (name === 'floor' ? noopDetector() : createDetector(name));
  const loop = freshLoop();
  let drifts = loop(make(), data); // warm-up: JIT and inline caches
  let best = Infinity;
  for (let rep = 0; rep < 7; rep++) {
    const d = make();
    const t0 = process.hrtime.bigint();
    drifts = loop(d, data);
    const ns = Number(process.hrtime.bigint() - t0);
    if (ns < best) best = ns;
  }
  return { ns: best / data.length, drifts };
}

function exposeGc(): () => void {
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
}

function heapBytes(gc: () => void): number {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

/**
 * Bytes per instance after 10^6 updates: one instance receives the updates, then
 * MEMORY_COPIES exact copies of it are restored from its snapshot (same state, same array
 * capacities, same object layout) and the heap growth is divided by their number.
 */
function measureMemory(name: DetectorName, data: Float64Array, gc: () => void): { bytes: number; snapshotBytes: number } {
  const trained = createDetector(name);
  freshLoop()(trained, data);
  const snapshot = trained.snapshot();
  const snapshotBytes = Buffer.byteLength(JSON.stringify(snapshot));
  restoreDetector(snapshot); // load and compile the restore path before the baseline
  const copies: StreamingDetector[] = new Array<StreamingDetector>(MEMORY_COPIES);
  const before = heapBytes(gc);
  for (let k = 0; k < MEMORY_COPIES; k++) copies[k] = restoreDetector(snapshot);
  const after = heapBytes(gc);
  if (copies[MEMORY_COPIES - 1].name !== name) throw new HomeostatError('HS_INTERNAL', 'memory copies were not kept alive');
  return { bytes: Math.max(0, Math.round((after - before) / MEMORY_COPIES)), snapshotBytes };
}

function fusedRecordsPerSecond(data: Float64Array): number {
  const make = (): ComponentHealth =>
    new ComponentHealth({
      detectors: [
        { name: 'ph', signal: 'x', layer: 'infrastructure', detector: createDetector('page-hinkley') },
        { name: 'adwin', signal: 'x', layer: 'infrastructure', detector: createDetector('adwin') },
        { name: 'cusum', signal: 'x', layer: 'infrastructure', detector: createDetector('cusum') },
        { name: 'ewma', signal: 'x', layer: 'infrastructure', detector: createDetector('ewma') },
      ],
    });
  const loop = (health: ComponentHealth): number => {
    const handle = health.signalHandle('x');
    let opened = 0;
    for (let i = 0; i < data.length; i++) if (health.observeHandle(handle, data[i]).opened) opened++;
    return opened;
  };
  loop(make());
  let best = Infinity;
  for (let rep = 0; rep < 5; rep++) {
    const health = make();
    const t0 = process.hrtime.bigint();
    loop(health);
    const ns = Number(process.hrtime.bigint() - t0);
    if (ns < best) best = ns;
  }
  return data.length / (best / 1e9);
}

// ---------------------------------------------------------------------------------------------

export async function run({ json }: BenchOptions): Promise<void> {
  const updates = updatesFromEnv();
  const python = await ensureRiver(progress);

  const real = realStream(updates, 1, true);
  const binary = binaryStream(updates, 2, true);
  const stationaryReal = realStream(MEMORY_UPDATES, 3, false);
  const stationaryBinary = binaryStream(MEMORY_UPDATES, 4, false);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'homeostat-bench-'));
  const files = (
    [
      ['real', real],
      ['binary', binary],
      ['real-still', stationaryReal],
      ['binary-still', stationaryBinary],
    ] as const
  ).map(([name, data]) => {
    const file = path.join(tmp, `${name}.f64`);
    fs.writeFileSync(file, Buffer.from(data.buffer));
    return file;
  });

  let river: RiverFigures;
  try {
    progress(`River ${RIVER_VERSION}: ${updates} updates per detector, then its memory (a few minutes)`);
    river = runRiver(python, files, updates);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }

  progress(`Homeostat: ${updates} updates per detector`);
  const floor = timeDetector('floor', real).ns;
  const timings = new Map<DetectorName, { ns: number; drifts: number }>();
  for (const name of DETECTOR_NAMES) timings.set(name, timeDetector(name, BINARY.includes(name) ? binary : real));

  progress(`memory: ${MEMORY_UPDATES} updates, then ${MEMORY_COPIES} restored copies per detector`);
  const gc = exposeGc();
  const memory = new Map<DetectorName, { bytes: number; snapshotBytes: number }>();
  for (const name of DETECTOR_NAMES) memory.set(name, measureMemory(name, BINARY.includes(name) ? stationaryBinary : stationaryReal, gc));

  progress(`fused path: ${FUSED_RECORDS} records through Page-Hinkley + ADWIN + CUSUM + EWMA and fusion`);
  const fused = fusedRecordsPerSecond(realStream(FUSED_RECORDS, 5, true));

  const detectors: DetectorFigures[] = DETECTOR_NAMES.map((name) => {
    const ours = timings.get(name) as { ns: number; drifts: number };
    const theirs = river.detectors[name];
    const mem = memory.get(name) as { bytes: number; snapshotBytes: number };
    return {
      name,
      homeostatNsPerUpdate: round(ours.ns, 2),
      riverNsPerUpdate: round(theirs.nsPerUpdate, 1),
      speedup: round(theirs.nsPerUpdate / ours.ns, 1),
      bytes: mem.bytes,
      riverBytes: theirs.bytes,
      snapshotBytes: mem.snapshotBytes,
      riverReference: theirs.impl,
      homeostatDrifts: ours.drifts,
      riverDrifts: theirs.drifts,
    };
  });
  const fusedRecords = Math.round(fused);

  if (json) {
    const floors = { homeostatNsPerUpdate: round(floor, 2), riverNsPerUpdate: round(river.floorNsPerUpdate, 1) };
    process.stdout.write(`${JSON.stringify({ detectors, floor: floors, fusedRecordsPerSecond: fusedRecords, updates, river: river.river })}\n`);
    return;
  }
  const rows = [
    ['detector', 'homeostat ns/update', `river ${river.river} ns/update`, 'speedup', 'bytes (heap)', 'river bytes', 'snapshot bytes', 'drifts (ours/river)'],
    ['(empty-loop floor)', floor.toFixed(2), river.floorNsPerUpdate.toFixed(1), '', '', '', '', ''],
    ...detectors.map((d) => [
      d.name,
      d.homeostatNsPerUpdate.toFixed(2),
      d.riverNsPerUpdate.toFixed(1),
      `${d.speedup.toFixed(1)}×`,
      String(d.bytes),
      String(d.riverBytes),
      String(d.snapshotBytes),
      `${d.homeostatDrifts}/${d.riverDrifts}`,
    ]),
  ];
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const lines = rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  '));
  lines.push('');
  lines.push(`fused path (PH + ADWIN + CUSUM + EWMA → ComponentHealth): ${fusedRecords.toLocaleString('en-US')} records/s on one core`);
  lines.push(`streams: ${updates} updates; bytes = heap growth per instance holding the state after ${MEMORY_UPDATES} updates (${MEMORY_COPIES} copies)`);
  lines.push(`cusum / ewma: River 0.26.1 has no such detector; River side: ${river.detectors.cusum?.impl ?? '–'}, ${river.detectors.ewma?.impl ?? '–'}`);
  lines.push('floor: the same loop around a detector that does nothing (River: drift.NoDrift), on each side');
  process.stdout.write(`${lines.join('\n')}\n`);
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
