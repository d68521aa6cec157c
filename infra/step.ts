/**
 * Provisioning prints every step and its duration, so a slow cold start is explained rather than
 * mysterious. Output goes to stderr: stdout stays free for machine-readable command output.
 */
export type StepLogger = (line: string) => void;

let logger: StepLogger = (line) => process.stderr.write(`${line}\n`);

/** Redirects step output (tests and quiet callers). */
export function setStepLogger(next: StepLogger): void {
  logger = next;
}

export function log(line: string): void {
  logger(line);
}

export function formatDuration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** Like `step`, and prints a line every `everyMs` while it runs (builds that take minutes). */
export async function longStep<T>(what: string, run: () => Promise<T>, everyMs = 60_000): Promise<T> {
  const started = performance.now();
  const timer = setInterval(() => log(`[homeostat] ${what}: still running (${formatDuration(performance.now() - started)})`), everyMs);
  timer.unref();
  try {
    return await step(what, run);
  } finally {
    clearInterval(timer);
  }
}

/** Runs one named step, printing its start, its duration and whether it failed. */
export async function step<T>(what: string, run: () => Promise<T>): Promise<T> {
  const started = performance.now();
  log(`[homeostat] ${what}…`);
  try {
    const result = await run();
    log(`[homeostat] ${what}: done in ${formatDuration(performance.now() - started)}`);
    return result;
  } catch (err) {
    log(`[homeostat] ${what}: failed after ${formatDuration(performance.now() - started)}`);
    throw err;
  }
}
