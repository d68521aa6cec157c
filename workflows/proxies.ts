/**
 * The activity proxies of the incident workflow and their retry policies. Errors typed with a
 * non-retryable catalogue code (common/errors.ts) are never retried: the same input fails the
 * same way again.
 */
import * as wf from '@temporalio/workflow';
import type { IncidentActivities } from '../activities/contracts';
import { NON_RETRYABLE_ERROR_CODES } from '../common/errors';

const nonRetryableErrorTypes = [...NON_RETRYABLE_ERROR_CODES];

export const activities = wf.proxyActivities<IncidentActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds', maximumAttempts: 5, nonRetryableErrorTypes },
});

/** Default heartbeat timeout of execute; tests shorten it with `timing.heartbeatTimeoutMs`. */
export const EXECUTE_HEARTBEAT_TIMEOUT_MS = 30_000;

/** Repairs can be long: they heartbeat, and resume from their heartbeat details after a crash. */
export function executeActivity(heartbeatTimeoutMs = EXECUTE_HEARTBEAT_TIMEOUT_MS): IncidentActivities['execute'] {
  return wf.proxyActivities<IncidentActivities>({
    startToCloseTimeout: '15 minutes',
    heartbeatTimeout: heartbeatTimeoutMs,
    retry: { initialInterval: '1 second', maximumInterval: '30 seconds', maximumAttempts: 10, nonRetryableErrorTypes },
  }).execute;
}

/** The message of an activity's failure, as the operator should read it. */
export function failureMessage(err: unknown): string {
  if (err instanceof wf.ActivityFailure && err.cause) return err.cause.message;
  return err instanceof Error ? err.message : String(err);
}

/**
 * Until-stable verification probes round after round within one activity (no durable timer per
 * round: the server's timer resolution would add a second to each); it heartbeats every round, so
 * a dead worker's verification starts over on another within the heartbeat timeout.
 */
export function verifyUntilStableActivity(deadlineMs: number): IncidentActivities['verifyUntilStable'] {
  return wf.proxyActivities<IncidentActivities>({
    // Room for the last round's probes (a lag probe samples twice, seconds apart) after the deadline.
    startToCloseTimeout: deadlineMs + 120_000,
    heartbeatTimeout: 30_000,
    retry: { initialInterval: '1 second', maximumInterval: '10 seconds', maximumAttempts: 3, nonRetryableErrorTypes },
  }).verifyUntilStable;
}
