/**
 * The operator's sequence against `homeostat dev`, every step a real process: open an incident
 * that needs approval → `show` reports it waiting → `keys create` for oncall-lead (registered in
 * the stack's keys file) and for mallory (not registered) → mallory's signed approval is refused by
 * the workflow → oncall-lead approves the named plan → the incident completes → `explain` has all six parts → `audit verify` passes.
 * The Temporal CLI's own visibility query sees the incident's search attributes; Ctrl-C stops
 * everything `dev` started. Run against the dev server (dev-approval-sequence.test.ts) and the
 * real Temporal server with the PostgreSQL knowledge base (dev-approval-sequence-server.test.ts).
 */
import { execFileSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureTemporalCli } from '../../infra/temporal-cli';
import { openKnowledgeBaseAt } from '../../knowledge/open';
import { homeostat, interrupt, startHomeostat } from './cli';

export interface SequenceOptions {
  /** Extra `dev` flags (e.g. --temporal server --kb postgres). */
  devFlags: string[];
  port: number;
  uiPort: number;
  /** Where the knowledge base the CLI commands found is, given the state dir. */
  knowledgeBase: (stateDir: string) => string;
  /** Environment of `dev` beyond the state dir. */
  devEnv?: NodeJS.ProcessEnv;
}

/** Holds the running `dev` so afterAll can stop it when the sequence fails half-way. */
export const running: { dev?: ChildProcess; stateDir?: string } = {};

export async function approvalSequence(o: SequenceOptions): Promise<void> {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'homeostat-dev-'));
  running.stateDir = stateDir;
  const { port, uiPort } = o;
  const env = { HOMEOSTAT_STATE_DIR: stateDir, HOMEOSTAT_CONFIG_DIR: path.join(stateDir, 'config'), TEMPORAL_ADDRESS: `127.0.0.1:${port}`, HOMEOSTAT_UI_URL: `http://127.0.0.1:${uiPort}` };
  // `dev` starts its own server: it must not see the suite's TEMPORAL_ADDRESS.
  const started = await startHomeostat(
    ['dev', '--port', String(port), '--ui-port', String(uiPort), ...o.devFlags],
    { HOMEOSTAT_STATE_DIR: stateDir, TEMPORAL_ADDRESS: '', ...o.devEnv },
    'Press Ctrl-C to stop.',
  );
  running.dev = started.child;
  const dev = started.child;

  // Keys first: the workflow checks a plan's decisions against the keys registered when it was planned.
  const lead = await homeostat(['keys', 'create', '--as', 'oncall-lead', '--json'], env);
  expect(lead.code).toBe(0);
  const created = JSON.parse(lead.stdout) as { publicKey: string; privateKeyFile: string; registeredIn: string };
  expect(created.publicKey).toMatch(/^ed25519:[0-9a-f]{64}$/);
  expect(fs.statSync(created.privateKeyFile).mode & 0o777).toBe(0o600);
  expect(fs.readFileSync(created.registeredIn, 'utf8')).toContain(created.publicKey);
  expect((await homeostat(['keys', 'create', '--as', 'mallory', '--no-register'], env)).code).toBe(0);

  const open = await homeostat(['incidents', 'open', '--pipeline', 'demo', '--component', 'sink', '--fault', 'lag', '--require-approval'], env);
  expect(open.stderr).toBe('');
  const id = open.stdout.trim();
  expect(id).toBe('incident/demo/sink');

  let shown: { stage: string; awaitingApproval: boolean; outcome: string | null; plan?: { planId: string } } | undefined;
  for (let i = 0; i < 120 && !shown?.awaitingApproval; i++) {
    const r = await homeostat(['incidents', 'show', id, '--json'], env);
    shown = JSON.parse(r.stdout) as typeof shown;
    if (!shown?.awaitingApproval) await new Promise((r2) => setTimeout(r2, 500));
  }
  expect(shown).toMatchObject({ stage: 'approve', awaitingApproval: true, outcome: null });

  const planId = shown!.plan!.planId;

  // Approving "whatever is pending" is not possible: the plan must be named.
  const unnamed = await homeostat(['approve', id, '--as', 'oncall-lead'], env);
  expect(unnamed.code).not.toBe(0);

  const refused = await homeostat(['approve', id, '--as', 'mallory', '--plan', planId], env);
  expect(refused.code).not.toBe(0);
  expect(refused.stderr).toContain('"mallory" with this key may not decide on this incident');
  expect(refused.stderr).not.toContain('oncall-lead');

  const payload = await homeostat(['approve', id, '--as', 'oncall-lead', '--plan', planId, '--print-payload', '--json'], env);
  expect(JSON.parse(payload.stdout)).toMatchObject({ approver: 'oncall-lead', planId, proof: { publicKey: created.publicKey } });

  const approved = await homeostat(['approve', id, '--as', 'oncall-lead', '--plan', planId, '--reason', 'checked the lag graph'], env);
  expect(approved.code).toBe(0);

  for (let i = 0; i < 240 && shown?.stage !== 'closed'; i++) {
    const r = await homeostat(['incidents', 'show', id, '--json'], env);
    shown = JSON.parse(r.stdout) as typeof shown;
    if (shown?.stage !== 'closed') await new Promise((r2) => setTimeout(r2, 500));
  }
  expect(shown).toMatchObject({ stage: 'closed', awaitingApproval: false });
  expect(shown?.outcome).not.toBeNull();

  const explained = await homeostat(['explain', id, '--json'], env);
  const { explanation } = JSON.parse(explained.stdout) as { explanation: Record<string, string> };
  for (const part of ['trigger', 'evidence', 'cause', 'action', 'impact', 'verification']) {
    expect(explanation[part]).toEqual(expect.any(String));
    expect(explanation[part]!.length).toBeGreaterThan(0);
  }

  const audit = await homeostat(['audit', 'verify', '--json'], env);
  expect(audit.code).toBe(0);
  const verdict = JSON.parse(audit.stdout) as { ok: boolean; rows: number };
  expect(verdict.ok).toBe(true);
  // The refusal, the approval and the worker's own actions are all in the chain.
  const kb = await openKnowledgeBaseAt(o.knowledgeBase(stateDir));
  const rows = await kb.listAudit({ subject: id });
  await kb.close();
  expect(rows.map((r) => `${r.actor} ${r.action}`)).toEqual(
    expect.arrayContaining(['mallory approve.refused', 'oncall-lead approve.accepted', 'homeostat-worker incident.closed']),
  );
  expect(verdict.rows).toBeGreaterThanOrEqual(rows.length);

  // The Temporal CLI sees the same incident through the Homeostat search attributes.
  const temporal = await ensureTemporalCli();
  const listed = execFileSync(
    temporal,
    ['workflow', 'list', '--address', `127.0.0.1:${port}`, '--query', "HealPipeline = 'demo' AND HealComponent = 'sink' AND HealStage = 'closed'", '-o', 'json'],
    { encoding: 'utf8' },
  );
  expect(listed).toContain('incident/demo/sink');

  const code = await interrupt(dev);
  running.dev = undefined;
  expect(code).toBe(0);
}
