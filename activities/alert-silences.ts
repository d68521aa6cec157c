/**
 * Alertmanager around a repair, when the worker knows one:
 *  - while a repair runs, the component's alerts are silenced (`pipeline`, `component`
 *    matchers), so the on-call engineer is not paged for a fault already being repaired; the
 *    silence is created when execute starts, refreshed by later rungs, said in the action's
 *    summary (and so in the explanation), and expired when the incident closes (learn);
 *  - at verification, the component's alerts are evidence: an alert Alertmanager still holds as
 *    firing (silenced or not) makes the verdict inconclusive; none firing is a passing probe. A
 *    resolved alert never closes an incident by itself.
 * A silence that cannot be created or expired costs a line in the summary or the audit log,
 * never the repair.
 */
import type { AlertmanagerClient, Silence } from '../bindings/alertmanager';
import type { ExecuteInput, ExecuteResult, LearnInput, VerifyInput, VerifyResult } from './contracts';
import type { IncidentDeps } from './deps';

export const SILENCE_AUTHOR = 'homeostat';
/** A silence outlives a worker that died mid-repair by at most this long. */
export const SILENCE_TTL_MS = 30 * 60_000;

export interface AlertDeps {
  /** The Alertmanager to act on; undefined when none is configured (yet). */
  alertmanager?: () => AlertmanagerClient | undefined;
}

const marker = (incidentId: string): string => `[${incidentId}]`;

const matchers = (pipeline: string, component: string): { name: string; value: string }[] => [
  { name: 'pipeline', value: pipeline },
  { name: 'component', value: component },
];

async function ownSilences(am: AlertmanagerClient, pipeline: string, component: string, incidentId: string): Promise<Silence[]> {
  const all = await am.silences(matchers(pipeline, component));
  return all.filter((s) => s.createdBy === SILENCE_AUTHOR && s.comment.includes(marker(incidentId)) && s.status.state !== 'expired');
}

/** Creates (or refreshes) the silence of the repaired component; returns the sentence for the summary. */
export async function silenceDuringRepair(deps: IncidentDeps & AlertDeps, input: ExecuteInput): Promise<string | undefined> {
  const am = deps.alertmanager?.();
  if (!am || input.mode === 'shadow') return undefined;
  const where = `${input.pipeline}/${input.target}`;
  try {
    const existing = (await ownSilences(am, input.pipeline, input.target, input.incidentId))[0];
    const now = new Date();
    const id = await am.createSilence({
      ...(existing ? { id: existing.id } : {}),
      matchers: matchers(input.pipeline, input.target),
      startsAt: existing ? new Date(existing.startsAt) : now,
      endsAt: new Date(now.getTime() + SILENCE_TTL_MS),
      createdBy: SILENCE_AUTHOR,
      comment: `Homeostat incident ${marker(input.incidentId)}: ${input.action} is repairing ${where}; expires when the incident closes`,
    });
    await deps.kb.appendAudit({ actor: deps.actor ?? 'homeostat-worker', action: 'alertmanager.silence', subject: input.incidentId, detail: { silenceId: id, alertmanager: am.url, matchers: matchers(input.pipeline, input.target), refreshed: Boolean(existing) } });
    return `Alertmanager silence ${id} holds the alerts of ${where} while the repair runs (expires when the incident closes)`;
  } catch (err) {
    return `no Alertmanager silence for ${where}: ${(err as Error).message}`;
  }
}

export function withSilenceNote(result: ExecuteResult, note: string | undefined): ExecuteResult {
  return note ? { ...result, summary: `${result.summary}; ${note}` } : result;
}

/** Expires every silence this incident created (its component and, after a hand-over, none other). */
export async function expireSilences(deps: IncidentDeps & AlertDeps, input: Pick<LearnInput, 'incidentId' | 'pipeline' | 'component'> & { targets?: string[] }): Promise<string[]> {
  const am = deps.alertmanager?.();
  if (!am) return [];
  const expired: string[] = [];
  for (const component of new Set([input.component, ...(input.targets ?? [])])) {
    try {
      for (const s of await ownSilences(am, input.pipeline, component, input.incidentId)) {
        await am.expireSilence(s.id);
        expired.push(s.id);
      }
    } catch (err) {
      await deps.kb.appendAudit({ actor: deps.actor ?? 'homeostat-worker', action: 'alertmanager.silence-expiry-failed', subject: input.incidentId, detail: { component, error: (err as Error).message } });
    }
  }
  if (expired.length > 0) {
    await deps.kb.appendAudit({ actor: deps.actor ?? 'homeostat-worker', action: 'alertmanager.silence-expired', subject: input.incidentId, detail: { silenceIds: expired, alertmanager: am.url } });
  }
  return expired;
}

/** Adds the component's Alertmanager alerts to a verdict as one more probe. */
export async function withAlertEvidence(deps: IncidentDeps & AlertDeps, input: VerifyInput, verdict: VerifyResult): Promise<VerifyResult> {
  const am = deps.alertmanager?.();
  if (!am) return verdict;
  let probe: VerifyResult['probes'][number];
  try {
    const firing = await am.alerts(matchers(input.pipeline, input.component));
    probe = firing.length === 0
      ? { name: 'alerts-resolved', result: 'pass', detail: `no alert firing in Alertmanager for ${input.pipeline}/${input.component}` }
      : {
          name: 'alerts-resolved',
          result: 'inconclusive',
          detail: `still firing in Alertmanager: ${firing.map((a) => `${a.labels.alertname ?? a.fingerprint}${a.status.silencedBy.length ? ' (silenced)' : ''}`).join(', ')}`,
        };
  } catch (err) {
    probe = { name: 'alerts-resolved', result: 'inconclusive', detail: `Alertmanager could not be asked: ${(err as Error).message}` };
  }
  const probes = [...verdict.probes, probe];
  const result = verdict.result === 'fail' ? 'fail' : verdict.result === 'pass' && probe.result === 'pass' ? 'pass' : 'inconclusive';
  return { result, probes };
}
