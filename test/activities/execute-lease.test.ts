/**
 * The execute activity's guarantees that need no Temporal server (MockActivityEnvironment over
 * a real SQLite knowledge base and the file actuator): no repair without a live remediation lease,
 * the fencing token reaches the binding and a binding refuses a stale one, one long call still
 * heartbeats, the lease is renewed while the repair holds it, and a failed repair is counted once.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { ExecuteInput } from '../../activities/contracts';
import { execute } from '../../activities/execute';
import type { RepairTemplate } from '../../activities/templates/template';
import { openKnowledgeBase } from '../../knowledge/open';
import type { KnowledgeBase } from '../../knowledge/types';
import { parsePolicyOrThrow } from '../../policies/load';
import { resourceOf } from '../../policies/safety';
import { actuatorLines, actuatorTokens, fileActuator, type FileActuatorDeps } from '../fixtures/templates/file-actuator';
import { waitUntil } from '../simulator/support';
import { labDeps, labPolicy } from '../workflows/lab';

const PIPELINE = 'lease-lab';
const RESOURCE = resourceOf(PIPELINE, 'sink');

let dir: string;
let kb: KnowledgeBase;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hs-execute-'));
  kb = openKnowledgeBase(path.join(dir, 'knowledge.db'));
});
afterEach(async () => {
  await kb.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function deps(opts: { templates?: Partial<Record<'scale-out', RepairTemplate<FileActuatorDeps>>>; leaseTtlMs?: number } = {}) {
  return labDeps({ dir, kb, policy: parsePolicyOrThrow(labPolicy(PIPELINE), 'lab'), baseUrl: 'http://127.0.0.1:9', ...opts });
}

function input(leaseToken?: number): ExecuteInput {
  return { incidentId: `incident/${PIPELINE}/sink`, runId: 'run-1', pipeline: PIPELINE, target: 'sink', faultClass: 'lag', action: 'scale-out', attempt: 1, mode: 'active', ...(leaseToken !== undefined ? { leaseToken } : {}) };
}

async function lease(holder = `incident/${PIPELINE}/sink`, ttlMs = 60_000): Promise<number> {
  const r = await kb.acquireLease({ resource: RESOURCE, pipeline: PIPELINE, holder, ttlMs });
  if (!r.acquired) throw new Error('lease not acquired');
  return r.lease.token;
}

const until = (what: string, check: () => Promise<boolean> | boolean): Promise<true> => waitUntil(what, async () => (await check()) || undefined, 20_000, 20);

test('without a remediation lease nothing runs, whatever was approved', async () => {
  const env = new MockActivityEnvironment();
  await expect(env.run(execute, deps(), input())).rejects.toMatchObject({ code: 'HS_REFUSED', message: expect.stringMatching(/no remediation lease/) });
  expect(actuatorLines(dir, 'scale-out')).toEqual([]);
  expect(await kb.listActuations()).toEqual([]);
});

test('with a lease taken over meanwhile nothing runs', async () => {
  const mine = await lease(`incident/${PIPELINE}/sink`, 1);
  await until('the lease to lapse', async () => (await kb.activeLeases()).length === 0);
  await lease('incident/someone-else');
  const env = new MockActivityEnvironment();
  await expect(env.run(execute, deps(), input(mine))).rejects.toMatchObject({ code: 'HS_REFUSED', message: expect.stringMatching(/no longer held/) });
  expect(actuatorLines(dir, 'scale-out')).toEqual([]);
});

test('the fencing token reaches the binding, which refuses it once the lease changed hands mid-repair', async () => {
  // First: the binding acts under the token the lease gave.
  const token = await lease();
  await new MockActivityEnvironment().run(execute, deps(), input(token));
  expect(actuatorTokens(dir, 'scale-out')).toEqual([String(token)]);

  // Then a repair whose lease is released and taken by another incident while it works.
  await kb.releaseLease({ resource: RESOURCE, holder: `incident/${PIPELINE}/sink`, token });
  const second = await lease();
  let reached!: () => void;
  const working = new Promise<void>((r) => (reached = r));
  let proceed!: () => void;
  const resume = new Promise<void>((r) => (proceed = r));
  const actuator = fileActuator('scale-out');
  const slow: RepairTemplate<FileActuatorDeps> = {
    ...actuator,
    async execute(ctx, d) {
      reached();
      await resume;
      return actuator.execute(ctx, d);
    },
  };
  const run = new MockActivityEnvironment().run(execute, deps({ templates: { 'scale-out': slow } }), { ...input(second), attempt: 2 });
  await working;
  await kb.releaseLease({ resource: RESOURCE, holder: `incident/${PIPELINE}/sink`, token: second });
  const theirs = await lease('incident/someone-else');
  proceed();
  await expect(run).rejects.toMatchObject({ code: 'HS_REFUSED', message: expect.stringContaining(`token ${second} is no longer held`) });
  expect(theirs).toBeGreaterThan(second);
  // Only the first repair acted; the refused one left no line.
  expect(actuatorTokens(dir, 'scale-out')).toEqual([String(token)]);
});

test('one long call that never heartbeats by itself still heartbeats, and the lease is renewed while it runs', async () => {
  const ttlMs = 600;
  const token = await lease(`incident/${PIPELINE}/sink`, ttlMs);
  const [first] = await kb.activeLeases();
  const beats: unknown[] = [];
  let renewedAndPastFirstExpiry = false;
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  const actuator = fileActuator('scale-out');
  const silent: RepairTemplate<FileActuatorDeps> = {
    ...actuator,
    async execute(ctx, d) {
      await held; // one long call: no ctx.heartbeat() of its own
      return actuator.execute(ctx, d);
    },
  };
  const env = new MockActivityEnvironment({ heartbeatTimeoutMs: 300 });
  env.on('heartbeat', (d: unknown) => beats.push(d));
  const run = env.run(execute, deps({ templates: { 'scale-out': silent }, leaseTtlMs: ttlMs }), input(token));

  await until('three heartbeats during the call', () => beats.length >= 3);
  // The lease outlives its first expiry: the repair renewed it, so nobody else can take it.
  await until('the first expiry to pass with the lease renewed', async () => {
    const [now] = await kb.activeLeases();
    renewedAndPastFirstExpiry = Date.now() > first!.expiresAt && now?.token === token && now.expiresAt > first!.expiresAt;
    return renewedAndPastFirstExpiry;
  });
  expect(await kb.acquireLease({ resource: RESOURCE, pipeline: PIPELINE, holder: 'incident/someone-else', ttlMs: 1000 })).toMatchObject({ acquired: false });
  release();
  await run;
  expect(actuatorTokens(dir, 'scale-out')).toEqual([String(token)]);
});

test('a repair that throws is counted once for cooldown, rate-limit and loop rules, however often it is retried', async () => {
  const token = await lease();
  const failing: RepairTemplate<FileActuatorDeps> = { ...fileActuator('scale-out'), execute: async () => Promise.reject(new Error('orchestrator crashed')) };
  for (let attempt = 1; attempt <= 3; attempt++) {
    const env = new MockActivityEnvironment({ attempt });
    await expect(env.run(execute, deps({ templates: { 'scale-out': failing } }), input(token))).rejects.toThrow('orchestrator crashed');
  }
  expect((await kb.recentActions({ since: 0, resource: RESOURCE })).map((a) => a.action)).toEqual(['scale-out']);
  expect((await kb.listAudit()).filter((a) => a.action === 'execute.scale-out.failed')).toHaveLength(1);
});

test('a repair that moved other workloads too (a node drain) counts as a remediation on each, once, whatever its retries', async () => {
  const actuator = fileActuator('scale-out');
  const drain: RepairTemplate<FileActuatorDeps> = {
    ...actuator,
    async execute(ctx, d) {
      const r = await actuator.execute(ctx, d);
      // The node also ran enrich's and source's pods; the target is listed again on purpose.
      return { ...r, touched: ['enrich', 'source', 'sink', 'enrich'] };
    },
  };
  const token = await lease();
  const run = (): Promise<unknown> => new MockActivityEnvironment().run(execute, deps({ templates: { 'scale-out': drain } }), input(token));
  await run();
  await run();
  const history = await kb.recentActions({ since: 0, pipeline: PIPELINE });
  expect(history.map((h) => h.resource).sort()).toEqual([resourceOf(PIPELINE, 'enrich'), resourceOf(PIPELINE, 'sink'), resourceOf(PIPELINE, 'source')]);
  expect(new Set(history.map((h) => h.action))).toEqual(new Set(['scale-out']));
  const audit = (await kb.listAudit({ subject: `incident/${PIPELINE}/sink` })).filter((a) => a.action === 'execute.scale-out');
  expect(audit).toHaveLength(1);
  expect((audit[0]!.detail as { touched?: string[] }).touched).toEqual(['enrich', 'source', 'sink', 'enrich']);
});
