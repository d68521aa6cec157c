/**
 * A failing escalation, learn or lease release never fails an incident (real dev server): the
 * incident closes with its outcome, the explanation says what failed, and an escalation the
 * webhook refused through every retry is redelivered by a workflow of its own on durable timers
 * until the pager answers — with the incident run's idempotency key, unique per incident.
 */
import { withErrorTypes } from '../../activities/failures';
import { HomeostatError } from '../../common/errors';
import { resourceOf } from '../../policies/safety';
import { escalationDeliveryQuery, escalationDeliveryWorkflowId, type EscalationDeliveryState } from '../../workflows/escalation-delivery';
import type { IncidentState } from '../../workflows/shared';
import { explanationQuery } from '../../workflows/shared';
import { waitUntil } from '../simulator/support';
import { manualInput, uniqueName } from './helpers';
import { applications, recordHistory, startIncident, useIncidentEnv, withWorker } from './incident-harness';
import { createLab } from './lab';

jest.setTimeout(120_000);

const env = useIncidentEnv();

test('an escalation the webhook refuses is recorded, explained and redelivered until the pager answers; the page is never dropped', async () => {
  const pipeline = uniqueName('pager-down');
  const lab = env.track(await createLab({ pipeline }));
  lab.escalationUp = false; // the pager is down

  await withWorker(env.conn.native, lab, async (taskQueue) => {
    // No automated repair exists for schema drift in the lab policy: the incident goes to a human at once.
    const handle = await startIncident(env.conn.client, taskQueue, manualInput(pipeline, 'sink', { faultClass: 'schema-drift', timing: { redeliveryMs: 300 } }));
    const result = (await handle.result()) as IncidentState;
    const explanation = await handle.query(explanationQuery);
    expect(result.outcome).toBe('escalated');
    expect(explanation.impact).toMatch(/escalated to a human: .*\(not delivered yet: webhook http:\/\/127\.0\.0\.1:\d+\/escalations answered 503 Service Unavailable; redelivery after 300 ms, doubling up to 15 min, by workflow escalation\//);
    // The outcome is recorded although nobody was paged yet.
    expect((await lab.kb.casesForIncident(handle.workflowId)).map((c) => c.outcome)).toEqual(['escalated']);
    const firstTries = lab.escalationRequests;
    expect(firstTries).toBe(5); // the escalate activity's own retries
    expect(lab.escalations).toEqual([]);

    // The redelivery workflow keeps trying while the pager is down…
    const delivery = env.conn.client.workflow.getHandle(escalationDeliveryWorkflowId(handle.workflowId, handle.firstExecutionRunId));
    await waitUntil('two redeliveries to fail', async () => (await delivery.query(escalationDeliveryQuery)).attempts >= 3, 90_000, 200);
    expect((await delivery.query(escalationDeliveryQuery)).delivered).toBe(false);
    // …and delivers once it is back.
    lab.escalationUp = true;
    const delivered = (await delivery.result()) as EscalationDeliveryState;
    expect(delivered).toMatchObject({ incidentId: handle.workflowId, delivered: true });
    expect(lab.escalations).toHaveLength(1);
    expect(lab.escalations[0]).toMatchObject({
      type: 'homeostat.escalation',
      incidentId: handle.workflowId,
      idempotencyKey: `${handle.workflowId}@${handle.firstExecutionRunId}:escalate`,
    });
    const audited = (await lab.kb.listAudit({ subject: handle.workflowId })).filter((a) => a.action === 'incident.escalated');
    expect(audited).toHaveLength(1);
    await recordHistory(env.conn.client, handle, 'escalation-undelivered');
    await recordHistory(env.conn.client, delivery, 'escalation-redelivered');
  });
});

test('two incidents on one component escalate under different idempotency keys', async () => {
  const pipeline = uniqueName('keys');
  const lab = env.track(await createLab({ pipeline }));
  const keys = await withWorker(env.conn.native, lab, async (taskQueue) => {
    const out: string[] = [];
    for (let i = 0; i < 2; i++) {
      const handle = await startIncident(env.conn.client, taskQueue, manualInput(pipeline, 'sink', { faultClass: 'schema-drift' }));
      await handle.result();
      out.push(`${handle.workflowId}@${handle.firstExecutionRunId}:escalate`);
    }
    return out;
  });
  expect(new Set(keys).size).toBe(2);
  expect(lab.escalations.map((e) => (e as { idempotencyKey: string }).idempotencyKey)).toEqual(keys);
});

test('a learn that fails does not fail the incident: the outcome stands and the explanation says the case was not recorded', async () => {
  const pipeline = uniqueName('learn-down');
  const lab = env.track(await createLab({ pipeline }));
  // Through the same error mapping as every activity: a non-retryable catalogue code, failing at once.
  lab.activities.learn = withErrorTypes({
    learn: async (): Promise<void> => {
      throw new HomeostatError('HS_INTEGRITY', 'knowledge base failed its integrity check');
    },
  }).learn;
  const { result, impact } = await withWorker(env.conn.native, lab, async (taskQueue) => {
    const handle = await startIncident(env.conn.client, taskQueue, manualInput(pipeline, 'sink'));
    const r = (await handle.result()) as IncidentState;
    const impact = (await handle.query(explanationQuery)).impact;
    await recordHistory(env.conn.client, handle, 'learn-failed');
    return { result: r, impact };
  });
  expect(result).toMatchObject({ outcome: 'healed', stage: 'closed' });
  expect(applications(lab)).toEqual({ 'scale-out': 1 });
  expect(impact).toContain('not recorded as a case in the knowledge base: knowledge base failed its integrity check');
  expect(result.explanation.impact).toBe(impact);
});

test('a lease release that fails does not fail the incident: it heals, and the explanation says the lease lapses by itself', async () => {
  const pipeline = uniqueName('release-down');
  const lab = env.track(await createLab({ pipeline }));
  lab.activities.releaseLease = withErrorTypes({
    releaseLease: async (): Promise<void> => {
      throw new HomeostatError('HS_REFUSED', 'lease store refused the release');
    },
  }).releaseLease;
  const result = await withWorker(env.conn.native, lab, async (taskQueue) => {
    const handle = await startIncident(env.conn.client, taskQueue, manualInput(pipeline, 'sink'));
    const r = (await handle.result()) as IncidentState;
    await recordHistory(env.conn.client, handle, 'lease-release-failed');
    return r;
  });
  expect(result.outcome).toBe('healed');
  expect(result.explanation.impact).toContain('the lease on sink could not be released (lease store refused the release); it lapses at its expiry');
  expect((await lab.kb.casesForIncident(result.id)).map((c) => c.outcome)).toEqual(['healed']);
  // Still held: nobody released it, and it lapses at its expiry.
  expect((await lab.kb.activeLeases()).map((l) => l.resource)).toEqual([resourceOf(pipeline, 'sink')]);
});
