/**
 * detect: record the trigger and, for a health anomaly, confirm it persists through the
 * confirmation window (a blip that recovers closes quietly). diagnose: classify the fault, walk
 * lineage upstream, and hand the incident over when the root cause is another component's.
 * Each returns the closed state when the incident ends here, undefined to go on.
 */
import * as wf from '@temporalio/workflow';
import { activities } from '../proxies';
import type { Incident } from '../incident-state';
import { PATCH_HAND_OVER_UPSTREAM, PATCH_REDIAGNOSE_ON_NEW_HARD_FAULT } from '../patches';
import type { IncidentState } from '../shared';
import { finish } from './close';

export async function detect(inc: Incident): Promise<IncidentState | undefined> {
  const { input, rec, state, timing } = inc;
  if (!input.carried) {
    rec.stage('detect', input.trigger.detail);
    if (timing.confirmMs > 0 && input.trigger.kind === 'health') {
      // Confirm persistence: transient blips that recover during the window close quietly.
      await wf.sleep(timing.confirmMs);
      const probe = await activities.verify({ incidentId: inc.id, pipeline: state.pipeline, component: state.component, action: 'log-and-wait', probes: ['health-recovered'] });
      if (probe.result === 'pass' && state.evidenceCount <= 1) {
        rec.explain({ cause: 'transient anomaly', action: 'none', verification: 'health recovered during the confirmation window' });
        return finish(inc, 'resolved-itself', 'anomaly did not persist');
      }
    }
  }
  if (inc.abortedBy) return finish(inc, 'aborted', `aborted by ${inc.abortedBy}`);
  return undefined;
}

export async function diagnose(inc: Incident): Promise<IncidentState | undefined> {
  const { input, rec, state } = inc;
  inc.diagnosedAtEvidence = state.evidenceCount;
  if (inc.diagnosis) return undefined; // carried across continue-as-new
  rec.stage('diagnose', 'classifying the fault and walking lineage upstream');
  const diagnosis = await activities.diagnose({
    incidentId: inc.id,
    pipeline: state.pipeline,
    component: state.component,
    trigger: input.trigger,
    evidence: rec.evidence,
    faultHint: input.faultClass,
    severityHint: input.severity,
  });
  inc.diagnosis = diagnosis;
  rec.diagnosed(diagnosis);
  inc.diagnosedAtEvidence = state.evidenceCount;
  if (diagnosis.handOverTo && wf.patched(PATCH_HAND_OVER_UPSTREAM)) {
    const to = await activities.handOver({
      incidentId: inc.id,
      pipeline: state.pipeline,
      from: state.component,
      to: diagnosis.handOverTo,
      faultClass: diagnosis.faultClass,
      evidence: rec.evidence,
      timing: inc.timing,
    });
    rec.explain({
      action: `none here: handed over to ${to.incidentId}, the incident of the upstream root cause`,
      impact: `none here: the repair belongs to ${to.incidentId}`,
      verification: `not run here: ${to.incidentId} verifies its repair`,
    });
    return finish(inc, 'handed-over', `root cause upstream at ${diagnosis.handOverTo}: handed over to ${to.incidentId}`);
  }
  return undefined;
}

/**
 * After a failed rung: when a hard fault of another class arrived since the diagnosis, diagnose
 * again from that evidence before the next rung.
 */
export async function rediagnoseIfContradicted(inc: Incident, failedAction: string): Promise<void> {
  const { input, rec, state } = inc;
  const contradiction = rec.newHardFault(inc.diagnosedAtEvidence, inc.diagnosis?.faultClass ?? 'unknown');
  if (!contradiction || !wf.patched(PATCH_REDIAGNOSE_ON_NEW_HARD_FAULT)) return;
  rec.stage('diagnose', `${failedAction} failed verification and a ${contradiction.faultHint} hard fault arrived since: diagnosing again`);
  inc.diagnosis = await activities.diagnose({
    incidentId: inc.id,
    pipeline: state.pipeline,
    component: state.component,
    trigger: input.trigger,
    evidence: rec.evidenceSince(inc.diagnosedAtEvidence),
    faultHint: contradiction.faultHint,
    severityHint: input.severity,
  });
  rec.diagnosed(inc.diagnosis);
  inc.diagnosedAtEvidence = state.evidenceCount;
}
