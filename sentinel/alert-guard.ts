/**
 * Bounds and debouncing of Alertmanager notifications (settings: `http` in the sentinel config).
 *
 * `checkAlertCaps` refuses a notification that is too large as a whole — the sender learns the
 * limit that was exceeded, and nothing of it is acted on, so a half-processed batch never leaves
 * the sender unsure which alerts arrived. `AlertDebouncer` drops alerts the sentinel acted on
 * within the debounce window (same labels, same status): Alertmanager repeats a firing group at
 * every `repeat_interval`, and after a restart re-sends everything; each repeat would otherwise
 * be one more evidence signal in the incident's history.
 */
import { createHash } from 'node:crypto';
import type { AlertmanagerPayload } from './alertmanager';
import type { HttpSettings } from './config-limits';

export interface CapViolation {
  field: string;
  reason: string;
  limit: number;
}

export function checkAlertCaps(p: AlertmanagerPayload, s: HttpSettings): CapViolation | undefined {
  if (p.alerts.length > s.maxAlertsPerRequest) {
    return { field: 'alerts', reason: `alerts: ${p.alerts.length} alerts in one request, more than http.maxAlertsPerRequest (${s.maxAlertsPerRequest}); set the webhook's max_alerts to at most that`, limit: s.maxAlertsPerRequest };
  }
  const tooLong = (what: string, map: Record<string, string> | undefined): CapViolation | undefined => {
    for (const [k, v] of Object.entries(map ?? {})) {
      const bytes = Math.max(Buffer.byteLength(k), Buffer.byteLength(v));
      if (bytes > s.maxLabelBytes) return { field: `${what}.${k.slice(0, 64)}`, reason: `${what}.${k.slice(0, 64)}: ${bytes} bytes, more than http.maxLabelBytes (${s.maxLabelBytes})`, limit: s.maxLabelBytes };
    }
    return undefined;
  };
  for (const [what, map] of [['commonLabels', p.commonLabels], ['groupLabels', p.groupLabels], ['commonAnnotations', p.commonAnnotations]] as const) {
    const v = tooLong(what, map);
    if (v) return v;
  }
  for (const [i, a] of p.alerts.entries()) {
    const count = Object.keys({ ...(p.commonLabels ?? {}), ...a.labels }).length;
    if (count > s.maxLabels) return { field: `alerts.${i}.labels`, reason: `alerts.${i}.labels: ${count} labels, more than http.maxLabels (${s.maxLabels})`, limit: s.maxLabels };
    const v = tooLong(`alerts.${i}.labels`, a.labels) ?? tooLong(`alerts.${i}.annotations`, a.annotations);
    if (v) return v;
  }
  return undefined;
}

type Alert = AlertmanagerPayload['alerts'][number];

/** Identity of an alert for debouncing: its merged labels (what Alertmanager's fingerprint hashes) and status. */
function keyOf(p: AlertmanagerPayload, a: Alert): string {
  const labels = { ...(p.commonLabels ?? {}), ...a.labels };
  const sorted = Object.keys(labels)
    .sort()
    .map((k) => [k, labels[k]]);
  return createHash('sha256').update(JSON.stringify([a.status, sorted])).digest('base64url');
}

export class AlertDebouncer {
  /** key → when it was last acted on (ms); insertion order is age order. */
  private readonly seen = new Map<string, number>();
  debounced = 0;

  constructor(private readonly windowMs: number, private readonly maxEntries: number) {}

  /** The alerts not acted on within the window, and their keys (to `commit` once acted on). */
  fresh(p: AlertmanagerPayload, now = Date.now()): { alerts: Alert[]; keys: string[]; dropped: number } {
    const alerts: Alert[] = [];
    const keys: string[] = [];
    let dropped = 0;
    for (const a of p.alerts) {
      const key = keyOf(p, a);
      const at = this.seen.get(key);
      if (at !== undefined && now - at < this.windowMs) dropped++;
      else {
        alerts.push(a);
        keys.push(key);
      }
    }
    this.debounced += dropped;
    return { alerts, keys, dropped };
  }

  /**
   * Marks alerts as acted on. Called only after they were handed to the incident opener: a
   * request that failed (Temporal away, a 5xx) is retried by Alertmanager and must not be
   * debounced away.
   */
  commit(keys: readonly string[], now = Date.now()): void {
    for (const k of keys) {
      this.seen.delete(k);
      this.seen.set(k, now);
    }
    while (this.seen.size > this.maxEntries) this.seen.delete(this.seen.keys().next().value as string);
  }
}
