/**
 * `homeostat bench drift-suite [--streams <file.jsonl>] [--json] [--calibrate]`
 *
 * - Without `--streams`: scores every detector and the fusion on the suite's own streams
 *   (bench/drift/streams.jsonl.gz, generated with River 0.26.1 by bench/drift/generate_streams.py)
 *   and prints a table per stream kind and generator, then the fused-path throughput.
 * - `--streams <file>`: the same scoring, with the same frozen settings, on streams of your own
 *   (one JSON object per line, see detection/drift/stream-file.ts).
 * - `--json`: `{"detectors":[{"name","precision","recall","meanDelay","falseAlarmsPer10k"},…],
 *   "fusion":{"precision","recall","meanDelay","falseAlarmsPer10k"}}` over all streams scored.
 * - `--calibrate`: chooses the frozen settings again from bench/drift/calibration.jsonl.gz (no-drift
 *   streams only) and writes bench/drift/frozen-settings.json.
 *
 * Settings come from bench/drift/frozen-settings.json, chosen on the no-drift streams before any
 * scoring (detection/drift/frozen.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { ComponentHealth } from '../detection/fusion';
import { calibrateSuite, readFrozen } from '../detection/drift/frozen';
import { readStreams } from '../detection/drift/stream-file';
import { type DriftFigures, type SuiteResult, type SuiteRow, FUSION, FUSION_SETTINGS, runSuite } from '../detection/drift/suite';
import { createDetector } from '../detection/registry';

export interface BenchOptions {
  json: boolean;
  streams?: string;
  calibrate?: boolean;
}

const DIR = path.join(__dirname, 'drift');
export const SUITE_STREAMS = path.join(DIR, 'streams.jsonl.gz');
export const CALIBRATION_STREAMS = path.join(DIR, 'calibration.jsonl.gz');
export const FROZEN_SETTINGS = path.join(DIR, 'frozen-settings.json');

const progress = (msg: string): void => void process.stderr.write(`drift-suite: ${msg}\n`);

/**
 * Records per second through one component: `detectors` streaming detectors on one signal plus
 * fusion, on the allocation-free path (`signalHandle` + `observeHandle`), after a warm-up.
 */
export function fusedThroughput(detectors: readonly ('page-hinkley' | 'cusum' | 'ewma' | 'adwin')[] = ['page-hinkley', 'cusum', 'ewma'], records = 3_000_000): number {
  const health = new ComponentHealth({
    alpha: 0.3,
    open: 0.6,
    close: 0.3,
    detectors: detectors.map((d, i) => ({ name: `${d}-${i}`, signal: 'latency', layer: 'infrastructure' as const, detector: createDetector(d) })),
  });
  const xs = new Float64Array(1 << 16);
  let s = 1;
  for (let i = 0; i < xs.length; i++) {
    s = (s * 16807) % 2147483647;
    xs[i] = 10 + s / 2147483647;
  }
  const handle = health.signalHandle('latency');
  for (let i = 0; i < 200_000; i++) health.observeHandle(handle, xs[i & 0xffff]);
  const t0 = process.hrtime.bigint();
  let opened = 0;
  for (let i = 0; i < records; i++) if (health.observeHandle(handle, xs[i & 0xffff]).opened) opened++;
  const ns = Number(process.hrtime.bigint() - t0);
  // `opened` is read so the loop cannot be optimised away.
  return opened >= 0 ? (records / ns) * 1e9 : 0;
}

const f2 = (x: number): string => x.toFixed(2);

function row(name: string, r: DriftFigures): string {
  const delay = r.meanDelay === null ? '–' : r.meanDelay.toFixed(0);
  return `${name.padEnd(18)}${f2(r.precision).padStart(7)}${f2(r.recall).padStart(7)}${delay.padStart(8)}${f2(r.falseAlarmsPer10k).padStart(9)}${`${r.missed}/${r.changePoints}`.padStart(9)}`;
}

/** The suite as tables: one per stream kind and generator, then all generators together. */
export function formatSuite(result: SuiteResult, source: string, target: number): string {
  const header = `${'detector'.padEnd(18)}${'prec'.padStart(7)}${'recall'.padStart(7)}${'delay'.padStart(8)}${'FA/10k'.padStart(9)}${'missed'.padStart(9)}`;
  const lines = [
    `Drift suite on ${source}: ${result.streams} streams, ${result.samples} samples; settings frozen on no-drift streams for ≤ ${target} false alarm per 10,000 samples`,
    'a detection counts for a change point within the stream\'s tolerance after it (first one only; a repeat is a false alarm); delay in samples; FA/10k over all samples',
    `fusion: the kind's detectors as latched votes (hold ${FUSION_SETTINGS.hold}), open when ${FUSION_SETTINGS.quorum} agree`,
  ];
  const groups = new Map<string, SuiteRow[]>();
  for (const r of result.rows) {
    const key = `${r.kind} · ${r.group}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const isAll = (k: string): number => (k.includes(' · all') ? 1 : 0);
  const keys = [...groups.keys()].sort((a, b) => isAll(a) - isAll(b) || a.localeCompare(b));
  for (const key of keys) {
    const rows = groups.get(key) ?? [];
    lines.push('', `[${key}]`, header);
    for (const r of [...rows.filter((x) => x.detector !== FUSION), ...rows.filter((x) => x.detector === FUSION)]) lines.push(row(r.detector, r));
  }
  return lines.join('\n');
}

/** The `--json` shape: every detector over all streams, and the fusion. */
export function suiteJson(result: SuiteResult): { detectors: { name: string; precision: number; recall: number; meanDelay: number | null; falseAlarmsPer10k: number }[]; fusion: { precision: number; recall: number; meanDelay: number | null; falseAlarmsPer10k: number } } {
  const pick = (f: DriftFigures) => ({ precision: f.precision, recall: f.recall, meanDelay: f.meanDelay, falseAlarmsPer10k: f.falseAlarmsPer10k });
  return { detectors: result.overall.detectors.map((d) => ({ name: d.name, ...pick(d) })), fusion: pick(result.overall.fusion) };
}

export async function run(opts: BenchOptions): Promise<void> {
  if (opts.calibrate) {
    const streams = readStreams(CALIBRATION_STREAMS);
    const frozen = calibrateSuite(streams, path.relative(process.cwd(), CALIBRATION_STREAMS), undefined, (d) => progress(`calibrating ${d}`));
    fs.writeFileSync(FROZEN_SETTINGS, `${JSON.stringify(frozen, null, 2)}\n`);
    if (opts.json) process.stdout.write(`${JSON.stringify(frozen)}\n`);
    else {
      const lines = frozen.detectors.map((d) => `${`${d.kind}/${d.name}`.padEnd(24)}${`${d.knob.param} = ${d.knob.value}`.padEnd(32)}FA/10k on no-drift streams ${f2(d.calibrationFalseAlarmsPer10k)}${d.met ? '' : '  (target not met anywhere in range)'}`);
      process.stdout.write(`wrote ${FROZEN_SETTINGS}\n${lines.join('\n')}\n`);
    }
    return;
  }
  const frozen = readFrozen(FROZEN_SETTINGS);
  const file = opts.streams ?? SUITE_STREAMS;
  const streams = readStreams(file);
  const result = runSuite(streams, frozen.detectors, (name, i) => {
    if (i % 10 === 0) progress(`stream ${i + 1}/${streams.length} (${name})`);
  });
  if (opts.json) {
    process.stdout.write(`${JSON.stringify(suiteJson(result))}\n`);
    return;
  }
  process.stdout.write(`${formatSuite(result, opts.streams ? file : 'the suite\'s River 0.26.1 streams', frozen.targetFalseAlarmsPer10k)}\n`);
  if (!opts.streams) {
    const throughput = { 'page-hinkley+cusum+ewma': fusedThroughput(['page-hinkley', 'cusum', 'ewma']), adwin: fusedThroughput(['adwin']) };
    process.stdout.write(
      `\nfused path (detectors + ComponentHealth, one core): ${Object.entries(throughput)
        .map(([k, v]) => `${k} ${(v / 1e6).toFixed(2)} M records/s`)
        .join('; ')}\n`,
    );
  }
}
