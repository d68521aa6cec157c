/**
 * Diagnosis on the lab's real knowledge base and policy (no Temporal): evidence votes name the
 * fault, a hard fault outweighs statistical hints, an operator's naming is taken at its word,
 * and lineage through what the sentinel sees anomalous decides whether to hand over.
 */
import type { Evidence, IncidentTrigger } from '../../workflows/shared';
import type { FaultClass } from '../../policies/taxonomy';
import { uniqueName } from '../workflows/helpers';
import { createLab, labPolicy, type Lab } from '../workflows/lab';
import type { Severity } from '../../policies/taxonomy';

const labs: Lab[] = [];
afterAll(async () => {
  for (const l of labs) await l.close();
});

const at = new Date().toISOString();
const ev = (faultHint: FaultClass | undefined, extra: Partial<Evidence> = {}): Evidence => ({ at, source: 'sentinel', summary: 'x', ...(faultHint ? { faultHint } : {}), ...extra });
const health: IncidentTrigger = { kind: 'health', detail: 'health 0.2 reached the open threshold', at };

async function diagnoseWith(opts: { anomalous?: string[]; component: string; trigger: IncidentTrigger; evidence: Evidence[]; faultHint?: FaultClass }) {
  const pipeline = uniqueName('diag');
  const lab = await createLab({ pipeline, ...(opts.anomalous ? { anomalous: opts.anomalous } : {}) });
  labs.push(lab);
  return lab.activities.diagnose({ incidentId: `incident/${pipeline}/${opts.component}`, pipeline, component: opts.component, trigger: opts.trigger, evidence: opts.evidence, ...(opts.faultHint ? { faultHint: opts.faultHint } : {}) });
}

describe('diagnose', () => {
  it('lets later, clearer evidence outvote the hint that opened the incident', async () => {
    const d = await diagnoseWith({ component: 'enrich', trigger: health, faultHint: 'lag', evidence: [ev('lag'), ev('null-spike'), ev('null-spike')] });
    expect(d.faultClass).toBe('null-spike');
    expect(d.summary).toMatch(/named by 2 of 4 evidence vote/);
  });

  it('ranks a hard fault above any number of statistical hints, and breaks ties by specificity', async () => {
    const hard = await diagnoseWith({ component: 'enrich', trigger: health, evidence: [ev('lag'), ev('lag'), ev('lag'), ev('crash', { hardFault: true })] });
    expect(hard.faultClass).toBe('crash');
    const tie = await diagnoseWith({ component: 'enrich', trigger: health, evidence: [ev('lag'), ev('schema-drift')] });
    expect(tie.faultClass).toBe('schema-drift');
  });

  it("takes an operator's fault class at its word", async () => {
    const d = await diagnoseWith({ component: 'sink', trigger: { kind: 'manual', detail: 'by hand', at }, faultHint: 'lag', evidence: [ev('null-spike'), ev('null-spike')] });
    expect(d.faultClass).toBe('lag');
  });

  it('hands a data fault over to the anomalous upstream root, keeps crashes and the root itself', async () => {
    const down = await diagnoseWith({ component: 'sink', anomalous: ['source', 'enrich'], trigger: health, evidence: [ev('null-spike')] });
    expect(down.handOverTo).toBe('source');
    expect(down.rootCauses).toEqual(['source']);
    const crash = await diagnoseWith({ component: 'sink', anomalous: ['source', 'enrich'], trigger: { kind: 'hard-fault', detail: 'CRASHED', at }, faultHint: 'crash', evidence: [ev('crash', { hardFault: true })] });
    expect(crash.handOverTo).toBeUndefined();
    const root = await diagnoseWith({ component: 'source', anomalous: ['source', 'enrich'], trigger: health, evidence: [ev('null-spike')] });
    expect(root.handOverTo).toBeUndefined();
    // A healthy node in between: the anomaly did not travel that way.
    const cut = await diagnoseWith({ component: 'sink', anomalous: ['source'], trigger: health, evidence: [ev('null-spike')] });
    expect(cut.handOverTo).toBeUndefined();
  });

  it('keeps a hint from a source that may not name the fault as evidence only, and lets a starter raise severity but never lower it', async () => {
    const pipeline = uniqueName('diag-trust');
    const policyYaml = `${labPolicy(pipeline)}sources:\n  alertmanager: { faultHint: false, severity: false }\n  sentinel: { faultHint: true, severity: true }\n`;
    const lab = await createLab({ pipeline, policyYaml });
    labs.push(lab);
    const run = (evidence: Evidence[], o: { faultHint?: FaultClass; severityHint?: Severity } = {}) =>
      lab.activities.diagnose({ incidentId: `incident/${pipeline}/enrich`, pipeline, component: 'enrich', trigger: health, evidence, ...o });
    // One unauthenticated alert naming a crash decides nothing: the sentinel's lag evidence does.
    const alert = await run([ev('crash', { source: 'alertmanager', hardFault: true }), ev('lag')], { faultHint: 'crash', severityHint: 'low' });
    expect(alert.faultClass).toBe('lag');
    expect(alert.summary).toContain('fault hint crash from alertmanager kept as evidence only');
    expect(alert.summary).toContain("the starter's severity low ignored (alertmanager may not set severity)");
    // A trusted starter may raise severity…
    const raised = await run([ev('lag', { health: 0.6 })], { severityHint: 'critical' });
    expect(raised.severity).toBe('critical');
    // …but not lower it below what the evidence says (slipping under a critical-severity rule).
    const lowered = await run([ev('lag', { health: 0.1 })], { severityHint: 'low' });
    expect(lowered.severity).toBe('high');
    expect(lowered.summary).toContain('severity can rise but not fall');
  });

  it('runs an incident opened by a source that may not open acting incidents in shadow mode, and says why', async () => {
    const pipeline = uniqueName('diag-open');
    const policyYaml = `${labPolicy(pipeline)}sources:\n  alertmanager: { openIncidents: false }\n`;
    const lab = await createLab({ pipeline, policyYaml });
    labs.push(lab);
    const incidentId = `incident/${pipeline}/enrich`;
    const diagnosisOf = (source: string) =>
      lab.activities.diagnose({ incidentId, pipeline, component: 'enrich', trigger: health, evidence: [ev('crash', { source, hardFault: true })] });
    const byAlert = await diagnosisOf('alertmanager');
    expect(byAlert.shadowOnly).toContain('alertmanager may not open incidents that act');
    const planned = await lab.activities.plan({ incidentId, pipeline, component: 'enrich', diagnosis: byAlert, exclude: [], attempt: 1, requestedMode: 'active' });
    expect(planned.mode).toBe('shadow');
    expect(planned.overridden?.[0]).toContain('alertmanager may not open incidents that act');
    // The same evidence from the sentinel (not restricted) acts.
    const bySentinel = await diagnosisOf('sentinel');
    expect(bySentinel.shadowOnly).toBeUndefined();
    const acting = await lab.activities.plan({ incidentId, pipeline, component: 'enrich', diagnosis: bySentinel, exclude: [], attempt: 1 });
    expect(acting.mode).toBe('active');
  });
});
