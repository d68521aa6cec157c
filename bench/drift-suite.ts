import { formatDriftSuite, runDriftSuite } from '../detection/drift-suite';
import { ComponentHealth } from '../detection/fusion';
import { createDetector } from '../detection/registry';

export interface BenchOptions {
  json: boolean;
}

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

/** Prints the drift-suite table and the fused-path throughput (or, with --json, one object). */
export async function run(opts: BenchOptions): Promise<void> {
  const result = runDriftSuite();
  const throughput = {
    'page-hinkley+cusum+ewma': Math.round(fusedThroughput(['page-hinkley', 'cusum', 'ewma'])),
    adwin: Math.round(fusedThroughput(['adwin'])),
  };
  if (opts.json) {
    // JSON has no Infinity: an MTBFA with no false alarm is written as null.
    process.stdout.write(`${JSON.stringify({ ...result, fusedRecordsPerSecond: throughput }, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v))}\n`);
    return;
  }
  process.stdout.write(`${formatDriftSuite(result)}\n`);
  process.stdout.write(
    `fused path (detectors + ComponentHealth, one core): ${Object.entries(throughput)
      .map(([k, v]) => `${k} ${(v / 1e6).toFixed(2)} M records/s`)
      .join('; ')}\n`,
  );
}
