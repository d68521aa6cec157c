/**
 * Learn is keyed by the incident run and transactional: retrying it (Temporal retries an activity
 * whose completion was lost) records one case, updates the Q-table once and closes the incident
 * in the audit log once; a failure part-way leaves nothing behind, and the retry then lands all.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { LearnInput } from '../../activities/contracts';
import { learn } from '../../activities/learn';
import { openKnowledgeBase } from '../../knowledge/open';
import type { KnowledgeBase } from '../../knowledge/types';
import { parsePolicyOrThrow } from '../../policies/load';
import { labDeps, labPolicy } from '../workflows/lab';

const PIPELINE = 'learn-lab';
const EXPLANATION = { trigger: 'manual: lag', evidence: '1 observation', cause: 'lag', action: 'ran scale-out', impact: 'from=1, to=2', verification: 'scale-out: pass' };

let dir: string;
let kb: KnowledgeBase;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hs-learn-'));
  kb = openKnowledgeBase(path.join(dir, 'knowledge.db'));
});
afterEach(async () => {
  await kb.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const deps = (over: KnowledgeBase = kb) => labDeps({ dir, kb: over, policy: parsePolicyOrThrow(labPolicy(PIPELINE), 'lab'), baseUrl: 'http://127.0.0.1:9' });

function closedIncident(runId: string): LearnInput {
  const at = '2026-06-10T12:00:00.000Z';
  return {
    incidentId: `incident/${PIPELINE}/sink`,
    runId,
    pipeline: PIPELINE,
    component: 'sink',
    faultClass: 'lag',
    severity: 'medium',
    mode: 'active',
    action: 'load-shedding',
    wouldDo: null,
    outcome: 'healed',
    evidence: [],
    explanation: EXPLANATION,
    timings: { firstAnomalyAt: at, openedAt: at, detectedAt: at, mitigatedAt: at, closedAt: '2026-06-10T12:01:00.000Z' },
    attempts: [
      { action: 'scale-out', verify: 'fail' },
      { action: 'load-shedding', verify: 'pass' },
    ],
  };
}

test('learning twice from one incident run records one case, one Q update per rung and one closing audit row', async () => {
  await learn(deps(), closedIncident('run-1'));
  const q = await kb.qTable();
  await learn(deps(), closedIncident('run-1'));

  expect(await kb.casesForIncident(`incident/${PIPELINE}/sink`)).toHaveLength(1);
  expect(await kb.qTable()).toEqual(q);
  expect(q.map((e) => e.visits)).toEqual([1, 1]);
  expect((await kb.listAudit()).filter((a) => a.action === 'incident.closed')).toHaveLength(1);

  // The next incident on the same component is a new run: it is learnt from.
  await learn(deps(), closedIncident('run-2'));
  expect(await kb.casesForIncident(`incident/${PIPELINE}/sink`)).toHaveLength(2);
  expect((await kb.qTable()).map((e) => e.visits)).toEqual([2, 2]);
});

test('a learn that fails part-way leaves nothing behind, and its retry lands everything once', async () => {
  // The second Q-table write fails once (a disk error, a crash): the case and the first write must go too.
  let writes = 0;
  const failingOnce: KnowledgeBase = new Proxy(kb, {
    get(target, prop, receiver) {
      if (prop !== 'transaction') return Reflect.get(target, prop, receiver) as unknown;
      return <T>(fn: (tx: KnowledgeBase) => Promise<T>) =>
        target.transaction((tx) =>
          fn(
            new Proxy(tx, {
              get(t, p, r) {
                if (p === 'putQEntry') {
                  return async (...args: Parameters<KnowledgeBase['putQEntry']>) => {
                    writes += 1;
                    if (writes === 2) throw new Error('disk I/O error');
                    return t.putQEntry(...args);
                  };
                }
                return Reflect.get(t, p, r) as unknown;
              },
            }),
          ),
        );
    },
  });
  await expect(learn(deps(failingOnce), closedIncident('run-1'))).rejects.toThrow('disk I/O error');
  expect(await kb.casesForIncident(`incident/${PIPELINE}/sink`)).toEqual([]);
  expect(await kb.qTable()).toEqual([]);
  expect(await kb.listAudit()).toEqual([]);

  await learn(deps(failingOnce), closedIncident('run-1'));
  expect(await kb.casesForIncident(`incident/${PIPELINE}/sink`)).toHaveLength(1);
  expect((await kb.qTable()).map((e) => e.visits)).toEqual([1, 1]);
  expect((await kb.listAudit()).map((a) => a.action)).toEqual(['case-recorded', 'incident.closed']);
  expect(await kb.verifyAuditChain()).toMatchObject({ ok: true, rows: 2 });
});

test('learn stores one outcome sample per attempt, measured from the actuator log, the evidence and the telemetry reader, once per run', async () => {
  const incident = closedIncident('run-1');
  const t = (s: number) => Date.parse('2026-06-10T12:00:00.000Z') + s * 1000;
  for (const [action, attempt] of [['scale-out', 1], ['load-shedding', 2]] as const) {
    const key = `${incident.incidentId}@run-1:execute:${action}:${attempt}`;
    await kb.recordActuation({ idempotencyKey: key, incidentId: incident.incidentId, step: 'execute', attempt, action, resource: `${PIPELINE}/sink` });
    await kb.completeActuation(key, {});
  }
  const withTelemetry = { ...deps(), outcomeTelemetry: async () => [{ at: t(0), healthIndex: 0.2, latencyMs: 1 }] };
  await learn(withTelemetry, { ...incident, evidence: [{ at: '2026-06-10T11:59:59.000Z', source: 'sentinel', summary: 'lag', health: 0.6 }] });
  await learn(withTelemetry, incident);
  const samples = await kb.outcomeSamples({ faultClass: 'lag' });
  expect(samples.map((s) => [s.action, s.attempt, s.verdict, s.runId])).toEqual([
    ['load-shedding', 2, 'pass', 'run-1'],
    ['scale-out', 1, 'fail', 'run-1'],
  ]);
  for (const s of samples) {
    expect(s.durationMs).toBeGreaterThanOrEqual(0);
    // the telemetry reading (0.2 at 12:00:00) is later than the evidence (1 − 0.6 at 11:59:59)
    expect(s.healthBefore).toBeDefined();
  }
  expect(samples.find((s) => s.action === 'scale-out')!.healthBefore).toBeCloseTo(0.2, 12);
  // one latency reading, in force when the scale-out began: it rose by nothing
  expect(samples.find((s) => s.action === 'scale-out')!.latencyAddedMs).toBe(0);
});
