/**
 * Crash points for the sentinel's own crash tests. `HOMEOSTAT_SENTINEL_FAULT=<point>` kills the
 * process with SIGKILL when it reaches that point — only under NODE_ENV=test (jest sets it, and
 * the processes tests spawn inherit it), so a production process never honours it.
 */
export type FaultPoint = 'after-send-before-ledger';

export function faultPoint(point: FaultPoint): void {
  if (process.env.NODE_ENV === 'test' && process.env.HOMEOSTAT_SENTINEL_FAULT === point) process.kill(process.pid, 'SIGKILL');
}
