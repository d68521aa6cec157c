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

export async function handleAlerts(payload: AlertmanagerPayload, opener: IncidentOpener, now = new Date()): Promise<AlertOutcome> {
  const out: AlertOutcome = { opened: [], evidence: [], ignored: [] };
  for (const a of payload.alerts) {
    const all = { ...(payload.commonLabels ?? {}), ...a.labels };
    const name = all.alertname ?? a.fingerprint ?? 'alert';
    const { pipeline, component } = all;
    if (!pipeline || !component || !ID_PATTERN.test(pipeline) || !ID_PATTERN.test(component)) {
      out.ignored.push({ alert: name, reason: 'labels "pipeline" and "component" (identifiers) are required to route an alert' });
      continue;
    }
    const fault = faultOf(all.fault);
    const summary = a.annotations?.summary ?? a.annotations?.description ?? `${name} ${a.status}`;
    const evidence: Evidence = {
      at: a.startsAt && !Number.isNaN(Date.parse(a.startsAt)) && a.status === 'firing' ? new Date(a.startsAt).toISOString() : now.toISOString(),
      source: 'alertmanager',
      summary: `${a.status === 'resolved' ? 'resolved: ' : ''}${summary}`,
      ...(fault ? { faultHint: fault } : {}),
      samples: [{ labels: all, annotations: a.annotations ?? {}, generatorURL: a.generatorURL }],
    };
    const id = `${pipeline}/${component}`;
    if (a.status === 'firing') {
      await opener.open(
        { pipeline, component, trigger: { kind: 'alert', detail: `${name}: ${summary}`, at: evidence.at }, evidence: [], ...(fault ? { faultClass: fault } : {}) },
        evidence,
      );
      out.opened.push(id);
    } else if (await opener.evidence(pipeline, component, evidence)) out.evidence.push(id);
    else out.ignored.push({ alert: name, reason: `no open incident for ${id}` });
  }
  return out;
}
