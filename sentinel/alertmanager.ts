/**
 * Prometheus Alertmanager webhook payloads (version 4) → incident evidence.
 *
 * An alert is routed by its labels: `pipeline` and `component` name the incident
 * (`incident/<pipeline>/<component>`); `fault`, when it names a fault class, becomes the hint.
 * A firing alert opens the incident (signalWithStart) or adds evidence to the open one; a
 * resolved alert is evidence only (it never starts an incident). Alerts without both labels are
 * reported back as ignored, not rejected: the payload itself is valid.
 */
import { z } from 'zod';
import { FAULT_CLASSES, type FaultClass } from '../policies/taxonomy';
import type { Evidence } from '../workflows/shared';
import type { IncidentOpener } from './incidents';
import { ID_PATTERN } from './telemetry';

const labels = z.record(z.string(), z.string());

export const alertmanagerPayload = z.object({
  version: z.string(),
  groupKey: z.string().optional(),
  status: z.enum(['firing', 'resolved']),
  receiver: z.string().optional(),
  groupLabels: labels.optional(),
  commonLabels: labels.optional(),
  commonAnnotations: labels.optional(),
  externalURL: z.string().optional(),
  alerts: z
    .array(
      z.object({
        status: z.enum(['firing', 'resolved']),
        labels,
        annotations: labels.optional(),
        startsAt: z.string().optional(),
        endsAt: z.string().optional(),
        generatorURL: z.string().optional(),
        fingerprint: z.string().optional(),
      }),
    )
    .min(1),
});
export type AlertmanagerPayload = z.infer<typeof alertmanagerPayload>;

export interface AlertOutcome {
  opened: string[];
  evidence: string[];
  ignored: { alert: string; reason: string }[];
}

function faultOf(label: string | undefined): FaultClass | undefined {
  return label && (FAULT_CLASSES as readonly string[]).includes(label) ? (label as FaultClass) : undefined;
}

type Alert = AlertmanagerPayload['alerts'][number];

/**
 * A notification carries every alert of its Alertmanager group, and a group may span several
 * components (grouped by alert name, say). It is split per pipeline / component and status:
 * one incident action per component, carrying all of that component's alerts as samples, so a
 * group of twenty alerts for three components is three incidents, not twenty signals.
 */
export async function handleAlerts(payload: AlertmanagerPayload, opener: IncidentOpener, now = new Date()): Promise<AlertOutcome> {
  const out: AlertOutcome = { opened: [], evidence: [], ignored: [] };
  const groups = new Map<string, { pipeline: string; component: string; status: Alert['status']; alerts: { alert: Alert; labels: Record<string, string>; name: string }[] }>();
  for (const a of payload.alerts) {
    const all = { ...(payload.commonLabels ?? {}), ...a.labels };
    const name = all.alertname ?? a.fingerprint ?? 'alert';
    const { pipeline, component } = all;
    if (!pipeline || !component || !ID_PATTERN.test(pipeline) || !ID_PATTERN.test(component)) {
      out.ignored.push({ alert: name, reason: 'labels "pipeline" and "component" (identifiers) are required to route an alert' });
      continue;
    }
    const key = `${pipeline}/${component}/${a.status}`;
    const g = groups.get(key) ?? { pipeline, component, status: a.status, alerts: [] };
    g.alerts.push({ alert: a, labels: all, name });
    groups.set(key, g);
  }
  for (const g of groups.values()) {
    const first = g.alerts[0];
    const fault = g.alerts.map((x) => faultOf(x.labels.fault)).find((f) => f !== undefined);
    const summaries = g.alerts.map((x) => x.alert.annotations?.summary ?? x.alert.annotations?.description ?? `${x.name} ${x.alert.status}`);
    const summary = [...new Set(summaries)].join('; ');
    const startsAt = first.alert.startsAt && !Number.isNaN(Date.parse(first.alert.startsAt)) ? new Date(first.alert.startsAt).toISOString() : undefined;
    const evidence: Evidence = {
      at: g.status === 'firing' && startsAt ? startsAt : now.toISOString(),
      source: 'alertmanager',
      summary: `${g.status === 'resolved' ? 'resolved: ' : ''}${summary}`,
      ...(fault ? { faultHint: fault } : {}),
      samples: g.alerts.map((x) => ({ labels: x.labels, annotations: x.alert.annotations ?? {}, generatorURL: x.alert.generatorURL, status: x.alert.status, startsAt: x.alert.startsAt, endsAt: x.alert.endsAt })),
    };
    const id = `${g.pipeline}/${g.component}`;
    const names = [...new Set(g.alerts.map((x) => x.name))].join(', ');
    if (g.status === 'firing') {
      await opener.open(
        { pipeline: g.pipeline, component: g.component, trigger: { kind: 'alert', detail: `${names}: ${summary}`, at: evidence.at }, evidence: [], ...(fault ? { faultClass: fault } : {}) },
        evidence,
      );
      out.opened.push(id);
    } else if (await opener.evidence(g.pipeline, g.component, evidence)) out.evidence.push(id);
    else out.ignored.push({ alert: names, reason: `no open incident for ${id}` });
  }
  return out;
}
