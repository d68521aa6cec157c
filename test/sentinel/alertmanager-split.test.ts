/**
 * Grouped Alertmanager notifications: one notification's alerts are split per pipeline /
 * component and status — one incident action per component, carrying all of its alerts — and
 * resolved alerts reach an open incident as evidence only.
 */
import { alertmanagerPayload, handleAlerts } from '../../sentinel/alertmanager';
import type { IncidentOpener } from '../../sentinel/incidents';
import type { Evidence, IncidentInput } from '../../workflows/shared';

class RecordingOpener implements IncidentOpener {
  readonly opens: { input: IncidentInput; evidence: Evidence }[] = [];
  readonly evidences: { id: string; evidence: Evidence }[] = [];
  constructor(private readonly openIds: Set<string>) {}
  async open(input: IncidentInput, evidence: Evidence): Promise<void> {
    this.opens.push({ input, evidence });
  }
  async evidence(pipeline: string, component: string, evidence: Evidence): Promise<boolean> {
    this.evidences.push({ id: `${pipeline}/${component}`, evidence });
    return this.openIds.has(`${pipeline}/${component}`);
  }
}

const alert = (component: string, status: 'firing' | 'resolved', instance: string) => ({
  status,
  labels: { alertname: 'PipelineComponentDown', pipeline: 'demo', component, instance, fault: 'crash' },
  annotations: { summary: `${component} (${instance}) stopped answering Prometheus scrapes` },
  startsAt: '2026-01-01T00:00:00.000Z',
});

test('a group of many alerts for three components is three incident actions, each carrying its alerts', async () => {
  const payload = alertmanagerPayload.parse({
    version: '4',
    status: 'firing',
    groupLabels: { alertname: 'PipelineComponentDown', pipeline: 'demo' },
    alerts: [alert('enrich', 'firing', 'enrich-0'), alert('enrich', 'firing', 'enrich-1'), alert('score', 'firing', 'score-0'), alert('sink', 'firing', 'sink-0'), alert('enrich', 'firing', 'enrich-2')],
  });
  const opener = new RecordingOpener(new Set());
  const out = await handleAlerts(payload, opener);
  expect(out.opened).toEqual(['demo/enrich', 'demo/score', 'demo/sink']);
  expect(opener.opens).toHaveLength(3);
  const enrich = opener.opens.find((o) => o.input.component === 'enrich')!;
  expect(enrich.input.faultClass).toBe('crash');
  expect(enrich.input.trigger).toMatchObject({ kind: 'alert' });
  expect(enrich.evidence.samples).toHaveLength(3);
  expect(enrich.evidence.faultHint).toBe('crash');
});

test('resolved alerts are evidence for an open incident only, and never open one', async () => {
  const payload = alertmanagerPayload.parse({
    version: '4',
    status: 'resolved',
    alerts: [alert('enrich', 'resolved', 'enrich-0'), alert('score', 'resolved', 'score-0')],
  });
  const opener = new RecordingOpener(new Set(['demo/enrich']));
  const out = await handleAlerts(payload, opener);
  expect(opener.opens).toEqual([]);
  expect(out.evidence).toEqual(['demo/enrich']);
  expect(out.ignored).toEqual([{ alert: 'PipelineComponentDown', reason: 'no open incident for demo/score' }]);
  expect(opener.evidences[0]?.evidence.summary).toMatch(/^resolved: /);
});
