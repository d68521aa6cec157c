/**
 * Idempotency machinery of the templates on the knowledge base's actuator log: a body runs once
 * per key, steps done are skipped on retry, and an interrupted step sees what it recorded.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KnowledgeActuatorLog } from '../../activities/templates/actuations';
import type { TemplateDeps } from '../../activities/templates/deps';
import { once } from '../../activities/templates/steps';
import { openKnowledgeBase } from '../../knowledge/open';
import { repairContext } from '../simulator/support';

describe('template idempotency on the knowledge base actuator log', () => {
  let dir: string;
  let kb: ReturnType<typeof openKnowledgeBase>;
  let deps: TemplateDeps;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hs-idem-'));
    kb = openKnowledgeBase(path.join(dir, 'kb.db'));
    deps = { actuations: new KnowledgeActuatorLog(kb) } as unknown as TemplateDeps;
  });
  afterEach(async () => {
    await kb.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('applies a body once per idempotency key and answers retries from the log', async () => {
    let effects = 0;
    const body = async () => {
      effects++;
      return { summary: 'did it', impact: { n: 1 } };
    };
    const ctx = repairContext('enrich', 'incident/demo/enrich:execute:microreboot:1');
    expect(await once(ctx, deps, 'microreboot', body)).toEqual({ summary: 'did it', impact: { n: 1 }, alreadyApplied: false });
    expect(await once(ctx, deps, 'microreboot', body)).toEqual({ summary: 'did it', impact: { n: 1 }, alreadyApplied: true });
    expect(effects).toBe(1);
    const row = await kb.getActuation('incident/demo/enrich:execute:microreboot:1');
    expect(row).toMatchObject({ status: 'done', incidentId: 'incident/demo/enrich', action: 'microreboot', resource: 'enrich' });
  });

  it('skips finished steps and hands an interrupted step its recorded detail', async () => {
    const ctx = repairContext('enrich', 'k:1');
    const seen: unknown[] = [];
    // First attempt: step a completes, step b records its intent and then the worker "dies".
    await expect(
      once(ctx, deps, 'checkpoint-restore', async (steps) => {
        await steps.step('a', async () => ({ a: 1 }));
        await steps.step('b', async (_interrupted, begin) => {
          await begin({ pids: [42] });
          throw new Error('worker died');
        });
        return { summary: 'x', impact: {} };
      }),
    ).rejects.toThrow('worker died');
    let aRuns = 0;
    const r = await once(ctx, deps, 'checkpoint-restore', async (steps) => {
      const a = await steps.step('a', async () => {
        aRuns++;
        return { a: 2 };
      });
      await steps.step('b', async (interrupted) => {
        seen.push(interrupted?.detail);
        return { b: true };
      });
      return { summary: `a=${a.a}`, impact: {} };
    });
    expect(aRuns).toBe(0);
    expect(r.summary).toBe('a=1');
    expect(seen).toEqual([{ pids: [42] }]);
  });
});
