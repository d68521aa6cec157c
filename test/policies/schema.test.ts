import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HomeostatError } from '../../common/errors';
import { parseDuration, formatDuration } from '../../policies/duration';
import { policyJsonSchemaIsCurrent, POLICY_SCHEMA_PATH, renderPolicyJsonSchema } from '../../policies/json-schema';
import { loadPolicyFile, parsePolicyText, type PolicyIssue } from '../../policies/load';
import { authoriseApprover, effectiveMode, repairLadder } from '../../policies/lookup';
import { FAULT_CLASSES } from '../../policies/taxonomy';
import { demoPolicy, DEMO_POLICY_PATH } from './fixtures';

function issues(text: string): PolicyIssue[] {
  const r = parsePolicyText(text);
  if (r.ok) throw new Error('expected the policy to be invalid');
  return r.issues;
}

const MINIMAL = `
pipelines:
  - name: p
    components: [{ name: a }]
    slo: { latencyMs: 1000 }
`;

describe('the bundled demo policy', () => {
  const policy = demoPolicy();
  const demo = policy.pipelines.find((p) => p.name === 'demo');

  it('describes pipeline demo: source → enrich → score → sink', () => {
    expect(demo).toBeDefined();
    expect(demo!.components.map((c) => c.name)).toEqual(['source', 'enrich', 'score', 'sink']);
    expect(demo!.edges).toEqual([
      { from: 'source', to: 'enrich' },
      { from: 'enrich', to: 'score' },
      { from: 'score', to: 'sink' },
    ]);
  });

  it('covers every fault class of the taxonomy, always ending with escalate', () => {
    for (const fault of FAULT_CLASSES) {
      expect(demo!.repairs[fault]).toBeDefined();
      expect(repairLadder(demo!, fault).at(-1)).toBe('escalate');
    }
    expect(demo!.repairs.oom).toEqual(['microreboot', 'scale-out', 'escalate']);
    expect(demo!.repairs['corrupted-checkpoint']).toEqual(['checkpoint-restore', 'escalate']);
  });

  it('authorises oncall-lead for every pipeline and not mallory', () => {
    for (const p of policy.pipelines) {
      expect(authoriseApprover(policy, p.name, 'oncall-lead')).toEqual({ ok: true, roles: ['oncall'] });
      expect(authoriseApprover(policy, p.name, 'oncall-lead', ['lead']).ok).toBe(true);
      const refused = authoriseApprover(policy, p.name, 'mallory');
      expect(refused).toEqual({ ok: false, reason: '"mallory" is not a listed approver' });
    }
    expect(authoriseApprover(policy, 'nope', 'oncall-lead').ok).toBe(false);
  });

  it('fills defaults and converts durations to milliseconds', () => {
    expect(demo!.approval.timeout).toBe(3_600_000);
    expect(demo!.cooldown.perAction.microreboot).toBe(60_000);
    expect(demo!.verification.settle).toBe(5_000);
    expect(demo!.promotion.precisionBar).toBe(0.9);
    expect(policy.global.engine.learningRate).toBe(0.2);
  });
});

describe('policy validation', () => {
  it('accepts a minimal file and fills every default', () => {
    const r = parsePolicyText(MINIMAL);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const p = r.config.pipelines[0]!;
    expect(p.mode).toBe('shadow');
    expect(p.cooldown.default).toBe(300_000);
    expect(p.rateLimit).toEqual({ maxActions: 10, window: 3_600_000 });
    expect(p.loopDetection).toEqual({ maxRepeats: 3, window: 3_600_000 });
    expect(p.blastRadius).toEqual({ maxConcurrentRemediations: 2, minHealthyFraction: 0.5 });
    expect(p.promotion).toMatchObject({ enabled: true, precisionBar: 0.9, minCases: 20 });
    expect(p.approval.rules.map((x) => x.name)).toEqual(['sensitive-data', 'critical-severity', 'high-risk-action']);
    expect(repairLadder(p, 'crash')).toEqual(['escalate']);
  });

  it('reports every error with its path in the file and its line', () => {
    const text = [
      'pipelines:', //                                       1
      '  - name: p', //                                      2
      '    components: [{ name: a }, { name: a }]', //        3
      '    edges: [{ from: a, to: ghost }]', //               4
      '    slo: { latencyMs: fast, maxLoss: 2 }', //          5
      '    repairs: { crash: [reboot], nonsense: [escalate] }', // 6
      '    cooldown: { default: 5 minutes }', //              7
      '    freezeWindows:', //                                8
      '      - { name: f, cron: "61 * * * *", duration: 1h }', // 9
      '      - { name: g }', //                               10
      '    colour: blue', //                                  11
    ].join('\n');
    const found = issues(text);
    const byPath = Object.fromEntries(found.map((i) => [i.path, i]));
    expect(byPath['pipelines[0].slo.latencyMs']).toMatchObject({ message: 'expected number, received string', line: 5 });
    expect(byPath['pipelines[0].slo.maxLoss']).toMatchObject({ line: 5 });
    expect(byPath['pipelines[0].components[1].name']).toMatchObject({ message: 'duplicate component "a"', line: 3 });
    expect(byPath['pipelines[0].edges[0].to']).toMatchObject({ message: 'unknown component "ghost"', line: 4 });
    expect(byPath['pipelines[0].repairs.crash[0]']).toMatchObject({ line: 6 });
    expect(byPath['pipelines[0].repairs.nonsense']).toMatchObject({ message: 'unknown field "nonsense"', line: 6 });
    expect(byPath['pipelines[0].cooldown.default']!.message).toMatch(/expected a duration/);
    expect(byPath['pipelines[0].freezeWindows[0].cron']).toMatchObject({ line: 9 });
    expect(byPath['pipelines[0].freezeWindows[0].cron']!.message).toMatch(/invalid cron: minute/);
    expect(byPath['pipelines[0].freezeWindows[1]']).toMatchObject({ message: 'give either cron + duration or start + end', line: 10 });
    expect(byPath['pipelines[0].colour']).toMatchObject({ message: 'unknown field "colour"', line: 11 });
    expect(found.length).toBe(10);
  });

  it('names missing required fields', () => {
    const found = issues('pipelines:\n  - name: p\n    components: [{ name: a }]\n');
    expect(found).toEqual([{ path: 'pipelines[0].slo', message: 'required field is missing (expected object)', line: 2, col: 5 }]);
    expect(issues('version: 1\n').map((i) => i.path)).toEqual(['pipelines']);
  });

  it('rejects cycles, duplicate pipelines and approvers naming unknown pipelines', () => {
    const text = `
approvers:
  - { identity: x, roles: [oncall], pipelines: [q] }
pipelines:
  - name: p
    components: [{ name: a }, { name: b }]
    edges: [{ from: a, to: b }, { from: b, to: a }]
    slo: { latencyMs: 1 }
  - name: p
    components: [{ name: a }]
    slo: { latencyMs: 1 }
`;
    const messages = issues(text).map((i) => `${i.path}: ${i.message}`);
    expect(messages).toEqual(
      expect.arrayContaining([
        'pipelines[0].edges: edges form a cycle: a → b → a',
        'pipelines[1].name: duplicate pipeline "p"',
        'approvers[0].pipelines[0]: unknown pipeline "q"',
      ]),
    );
  });

  it('validates freeze windows and absolute dates', () => {
    const base = (w: string) => `${MINIMAL}    freezeWindows: [${w}]\n`;
    expect(parsePolicyText(base('{ name: x, start: "2026-01-01T00:00:00Z", end: "2026-01-02T00:00:00Z" }')).ok).toBe(true);
    expect(issues(base('{ name: x, start: "2026-01-02T00:00:00Z", end: "2026-01-01T00:00:00Z" }'))[0]!.message).toBe('end must be after start');
    expect(issues(base('{ name: x, cron: "0 0 * * *" }'))[0]!.message).toBe('duration is required with cron');
    expect(issues(base('{ name: x, cron: "0 0 * * *", duration: 40d }'))[0]!.message).toMatch(/at most 31d/);
  });

  it('reports YAML syntax errors with their line', () => {
    const found = issues('pipelines:\n  - name: p\n  bad: [\n');
    expect(found[0]!.path).toBe('(yaml)');
    expect(found[0]!.line).toBeGreaterThan(0);
    expect(issues('a: 1\na: 2\n')[0]!.message).toMatch(/unique/i);
  });

  it('loadPolicyFile throws HS_INVALID_INPUT listing every error, HS_NOT_FOUND for a missing file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hs-policy-'));
    const file = path.join(dir, 'bad.yaml');
    fs.writeFileSync(file, 'pipelines:\n  - name: p\n    components: [{ name: a }]\n    slo: { latencyMs: "x" }\n    mode: sometimes\n');
    try {
      loadPolicyFile(file);
      throw new Error('should have thrown');
    } catch (err) {
      expect(err).toBeInstanceOf(HomeostatError);
      const e = err as HomeostatError;
      expect(e.code).toBe('HS_INVALID_INPUT');
      expect(e.message).toContain(`${file}:4:12 pipelines[0].slo.latencyMs: expected number, received string`);
      expect(e.message).toContain('pipelines[0].mode');
      expect((e.details?.issues as unknown[]).length).toBe(2);
    }
    expect(() => loadPolicyFile(path.join(dir, 'missing.yaml'))).toThrow(expect.objectContaining({ code: 'HS_NOT_FOUND' }));
    expect(loadPolicyFile(DEMO_POLICY_PATH).pipelines[0]!.name).toBe('demo');
  });
});

describe('JSON Schema for editors', () => {
  it('is up to date with the zod schema (regenerate: npx tsx policies/json-schema.ts)', () => {
    expect(policyJsonSchemaIsCurrent()).toBe(true);
    const schema = JSON.parse(fs.readFileSync(POLICY_SCHEMA_PATH, 'utf8')) as { required: string[]; properties: Record<string, unknown> };
    expect(schema.required).toEqual(['pipelines']);
    expect(Object.keys(schema.properties)).toEqual(['version', 'global', 'approvers', 'keysFile', 'sources', 'pipelines']);
    expect(renderPolicyJsonSchema()).toContain('"latencyMs"');
  });
});

describe('durations and modes', () => {
  it('parses and formats durations', () => {
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('1.5h')).toBe(5_400_000);
    expect(parseDuration('2 days')).toBeUndefined();
    expect(formatDuration(300_000)).toBe('5m');
    expect(formatDuration(1500)).toBe('1500ms');
  });

  it('resolves the mode: pinned override, then learnt mode, then the pipeline default', () => {
    const r = parsePolicyText(`${MINIMAL}    modeOverrides: { crash: active }\n`);
    if (!r.ok) throw new Error('invalid');
    const p = r.config.pipelines[0]!;
    expect(effectiveMode(p, 'crash', 'shadow')).toBe('active');
    expect(effectiveMode(p, 'oom', 'active')).toBe('active');
    expect(effectiveMode(p, 'oom')).toBe('shadow');
    expect(effectiveMode({ ...p, promotion: { ...p.promotion, enabled: false } }, 'oom', 'active')).toBe('shadow');
  });
});
