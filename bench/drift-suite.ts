import { formatDriftSuite, runDriftSuite } from '../detection/drift-suite';

export interface BenchOptions {
  json: boolean;
}

/** Prints the drift-suite table (or, with --json, every row and the calibrated settings). */
export async function run(opts: BenchOptions): Promise<void> {
  const result = runDriftSuite();
  if (opts.json) {
    // JSON has no Infinity: an MTBFA with no false alarm is written as null.
    process.stdout.write(`${JSON.stringify(result, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v))}\n`);
    return;
  }
  process.stdout.write(`${formatDriftSuite(result)}\n`);
}
