import fs from 'node:fs';
import { type CaseInput } from '../../../knowledge/types';
import { DEMO_POLICY_PATH } from '../../policies/fixtures';
import { useHarness, type KbFactory } from './harness';

const EXPLANATION = {
  trigger: 'health of enrich fell to 0.31',
  evidence: 'heartbeat missing for 40 s; 3 detectors above 0.8',
  cause: 'enrich process crashed (exit 137)',
  action: 'microreboot of enrich',
  impact: 'expected ΔH +0.6, lag drained within 30 s',
  verification: 'health 0.94 after 5 s settle; lag 0',
};

function caseInput(patch: Partial<CaseInput> = {}): CaseInput {
  return {
    incidentId: 'incident/demo/enrich',
    signature: { pipeline: 'demo', component: 'enrich', faultClass: 'crash', layer: 'infrastructure', severity: 'high' },
    mode: 'active',
    evidence: [{ summary: 'heartbeat missing' }],
    plan: { action: 'microreboot' },
    alternatives: [{ action: 'checkpoint-restore' }, { action: 'escalate' }],
    action: 'checkpoint-restore',
    attempts: [
      { action: 'microreboot', verification: 'fail', durationMs: 4000 },
      { action: 'checkpoint-restore', verification: 'pass', durationMs: 20000, cost: 0.3, recovery: 0.7 },
    ],
    outcome: 'healed',
    ttdMs: 1200,
    mttmMs: 3000,
    mttrMs: 25000,
    explanation: EXPLANATION,
    ...patch,
  };
}


/** Every record kind the knowledge base keeps, stored and read back. */
export function recordsContract(backend: string, factory: KbFactory): void {
  describe(`${backend} knowledge base: records`, () => {
    const h = useHarness(factory);

    it('stores policies as versions (same text → same version) and pipelines', async () => {
      const text = fs.readFileSync(DEMO_POLICY_PATH, 'utf8');
      const v1 = await h.t.kb.savePolicy(text, 'demo.yaml');
      expect(v1.version).toBe(1);
      expect((await h.t.kb.savePolicy(text, 'demo.yaml')).version).toBe(1);
      expect((await h.t.kb.savePolicy(`${text}\n# edited\n`, 'demo.yaml')).version).toBe(2);
      expect((await h.t.kb.latestPolicy())?.version).toBe(2);
      await h.t.kb.upsertPipeline('demo', { components: ['source'] });
      await h.t.kb.upsertPipeline('demo', { components: ['source', 'sink'] });
      expect(await h.t.kb.getPipeline('demo')).toEqual({ components: ['source', 'sink'] });
      expect(await h.t.kb.listPipelines()).toEqual(['demo']);
      expect(await h.t.kb.getPipeline('nope')).toBeUndefined();
    });

    it('stores cases with the whole explanation tuple and serves attempts to the engine', async () => {
      const c = await h.t.kb.recordCase(caseInput());
      expect(c).toMatchObject({ id: 1, incidentId: 'incident/demo/enrich', outcome: 'healed', mttrMs: 25000, createdAt: h.t.clock.now });
      expect(Object.keys(c.explanation).sort()).toEqual(['action', 'cause', 'evidence', 'impact', 'trigger', 'verification']);
      expect(await h.t.kb.getCase(1)).toEqual(c);
      expect(await h.t.kb.casesForIncident('incident/demo/enrich')).toHaveLength(1);
      await h.t.kb.recordCase(caseInput({ signature: { ...caseInput().signature, faultClass: 'oom' }, attempts: [{ action: 'scale-out', verification: 'pass' }] }));
      const past = await h.t.kb.pastCases({ pipeline: 'demo', faultClass: 'crash' });
      expect(past.map((p) => [p.action, p.verification])).toEqual([
        ['microreboot', 'fail'],
        ['checkpoint-restore', 'pass'],
      ]);
      expect(past[1]).toMatchObject({ component: 'enrich', severity: 'high', layer: 'infrastructure', cost: 0.3, recovery: 0.7 });
      expect(await h.t.kb.pastCases({})).toHaveLength(3);
      await expect(h.t.kb.recordCase(caseInput({ explanation: { ...EXPLANATION, impact: '' } }))).rejects.toThrow(/missing impact/);
    });

    it('keeps the Q-table', async () => {
      await h.t.kb.putQEntry({ state: 'crash|high|none', action: 'microreboot', value: 0.4, visits: 1 });
      await h.t.kb.putQEntry({ state: 'crash|high|none', action: 'microreboot', value: 0.5, visits: 2 });
      expect(await h.t.kb.qTable()).toEqual([{ state: 'crash|high|none', action: 'microreboot', value: 0.5, visits: 2 }]);
    });

    it('keeps the action history for cooldowns, rate limits and loop detection', async () => {
      const base = { pipeline: 'demo', resource: 'demo/enrich', action: 'microreboot' as const, incidentId: 'i' };
      await h.t.kb.recordAction({ ...base, at: 1000 });
      await h.t.kb.recordAction({ ...base, at: 2000, resource: 'demo/score' });
      await h.t.kb.recordAction({ ...base, at: 3000, pipeline: 'other', resource: 'other/x' });
      expect((await h.t.kb.recentActions({ since: 1500 })).map((a) => a.at)).toEqual([2000, 3000]);
      expect(await h.t.kb.recentActions({ since: 0, pipeline: 'demo', resource: 'demo/enrich' })).toEqual([{ ...base, at: 1000 }]);
    });

    it('keeps shadow records and learnt modes', async () => {
      await h.t.kb.recordShadow({ incidentId: 'i1', pipeline: 'demo', faultClass: 'crash', wouldDo: 'microreboot', at: 1 });
      await h.t.kb.recordShadow({ incidentId: 'i2', pipeline: 'demo', faultClass: 'crash', wouldDo: 'microreboot', at: 2 });
      expect(await h.t.kb.resolveShadow('i1', 'microreboot')).toBe(1);
      expect(await h.t.kb.resolveShadow('i1', 'escalate')).toBe(0);
      expect(await h.t.kb.shadowRecords('demo', 'crash')).toEqual([
        { incidentId: 'i2', pipeline: 'demo', faultClass: 'crash', wouldDo: 'microreboot', at: 2 },
        { incidentId: 'i1', pipeline: 'demo', faultClass: 'crash', wouldDo: 'microreboot', finalAction: 'microreboot', at: 1 },
      ]);
      await h.t.kb.resolveShadow('i2', null);
      expect((await h.t.kb.shadowRecords('demo', 'crash'))[0]!.finalAction).toBeNull();
      expect(await h.t.kb.getMode('demo', 'crash')).toBeUndefined();
      await h.t.kb.setMode({ pipeline: 'demo', faultClass: 'crash', mode: 'active', reason: 'promoted' });
      expect(await h.t.kb.getMode('demo', 'crash')).toMatchObject({ mode: 'active', reason: 'promoted', updatedAt: h.t.clock.now });
    });

    it('registers schema and model versions with pins', async () => {
      const s1 = await h.t.kb.registerSchemaVersion({ subject: 'demo.events', schema: { fields: ['id'] }, fingerprint: 'abc' });
      const s2 = await h.t.kb.registerSchemaVersion({ subject: 'demo.events', schema: { fields: ['id', 'x'] } });
      expect([s1.version, s2.version]).toEqual([1, 2]);
      expect(await h.t.kb.getPinnedSchema('demo.events')).toBeUndefined();
      await h.t.kb.pinSchema('demo.events', 1);
      expect(await h.t.kb.getPinnedSchema('demo.events')).toEqual(s1);
      await expect(h.t.kb.pinSchema('demo.events', 9)).rejects.toThrow(/no version 9/);
      expect(await h.t.kb.listSchemaVersions('demo.events')).toEqual([s1, s2]);

      const m1 = await h.t.kb.registerModelVersion({ name: 'scorer', uri: 'file:///m/1.json', metrics: { accuracy: 0.91 } });
      const m2 = await h.t.kb.registerModelVersion({ name: 'scorer', uri: 'file:///m/2.json' });
      await h.t.kb.pinModel('scorer', 2);
      expect(await h.t.kb.getPinnedModel('scorer')).toEqual(m2);
      await h.t.kb.pinModel('scorer', 1);
      expect((await h.t.kb.getPinnedModel('scorer'))?.metrics).toEqual({ accuracy: 0.91 });
      expect(await h.t.kb.listModelVersions('scorer')).toEqual([m1, m2]);
    });

    it('stores the lineage graph and walks upstream', async () => {
      await h.t.kb.addLineageNode('demo/source', 'component');
      await h.t.kb.addLineageEdge({ from: 'demo/source', to: 'demo/enrich' });
      await h.t.kb.addLineageEdge({ from: 'demo/enrich', to: 'demo/score' });
      await h.t.kb.addLineageEdge({ from: 'features', to: 'demo/score', kind: 'reads' });
      await h.t.kb.addLineageEdge({ from: 'demo/score', to: 'demo/sink' });
      await h.t.kb.addLineageEdge({ from: 'demo/score', to: 'demo/sink' });
      expect(await h.t.kb.upstreamOf('demo/sink')).toEqual(['demo/score', 'demo/enrich', 'features', 'demo/source']);
      expect(await h.t.kb.upstreamOf('demo/source')).toEqual([]);
      expect(await h.t.kb.lineageEdges()).toHaveLength(4);
    });

    it('remembers a workload\'s replica count before a repair changed it, for every connection', async () => {
      const resource = 'kubernetes:pipelines/deployment/enrich';
      expect(await h.t.kb.rememberedReplicas(resource)).toBeUndefined();
      await h.t.kb.rememberReplicas(resource, 3);
      await h.t.kb.rememberReplicas('kubernetes:pipelines/deployment/sink', 1);
      // Another worker (another connection) reads what this one remembered; a later repair overwrites it.
      const other = await h.t.reopen();
      try {
        expect(await other.rememberedReplicas(resource)).toBe(3);
        await other.rememberReplicas(resource, 5);
      } finally {
        await other.close();
      }
      expect(await h.t.kb.rememberedReplicas(resource)).toBe(5);
      expect(await h.t.kb.rememberedReplicas('kubernetes:pipelines/deployment/sink')).toBe(1);
    });
  });
}
