/**
 * What keeps a long repair alive while it runs: heartbeats on a timer, so one long call (a
 * restart with a 60 s grace, a drain that waits minutes) never outlives the heartbeat timeout,
 * and renewal of the remediation lease, so it never expires under the repair that holds it.
 * The template's own heartbeats carry its resume details; the timer repeats the latest ones.
 */
import type { Context } from '@temporalio/activity';
import type { KnowledgeBase } from '../knowledge/types';

export interface KeepAlive {
  /** The template's heartbeat: sent now and repeated by the timer until the next one. */
  beat(details?: unknown): void;
  stop(): void;
}

export interface HeldLease {
  resource: string;
  holder: string;
  token: number;
  ttlMs: number;
}

/** Heartbeat at least three times per heartbeat timeout (30 s when the caller set none). */
export function heartbeatEveryMs(heartbeatTimeoutMs: number | undefined): number {
  return Math.max(50, Math.floor((heartbeatTimeoutMs ?? 30_000) / 3));
}

export function keepAlive(activity: Context, kb: KnowledgeBase, lease: HeldLease | undefined, onLeaseLost: (reason: string) => void): KeepAlive {
  let details: unknown = activity.info.heartbeatDetails;
  const beat = (d?: unknown): void => {
    if (d !== undefined) details = d;
    activity.heartbeat(details);
  };
  const heartbeats = setInterval(() => beat(), heartbeatEveryMs(activity.info.heartbeatTimeoutMs));
  let renewals: NodeJS.Timeout | undefined;
  if (lease) {
    let renewing = false;
    renewals = setInterval(() => {
      if (renewing) return;
      renewing = true;
      kb.renewLease(lease)
        .then((renewed) => {
          if (!renewed) onLeaseLost(`lease on ${lease.resource} (token ${lease.token}) could not be renewed: it was taken over or released`);
        })
        .catch((err: unknown) => activity.log.warn('lease renewal failed; retrying at the next interval', { resource: lease.resource, error: String(err) }))
        .finally(() => {
          renewing = false;
        });
    }, Math.max(50, Math.floor(lease.ttlMs / 3)));
  }
  return {
    beat,
    stop() {
      clearInterval(heartbeats);
      if (renewals) clearInterval(renewals);
    },
  };
}
