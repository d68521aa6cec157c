/**
 * Raw samples of components the policy tags PII, PHI or PCI never leave the sentinel: a running
 * sentinel (runSentinel, as `homeostat sentinel --policy` and the local stack start it) opens
 * incidents for a tagged and an untagged component, from the telemetry stream and from an
 * Alertmanager notification; what reaches the incident opener — the last step before Temporal —
 * holds the tagged component's samples reduced to what they were (kind, signal, time, routing
 * labels) and which tags redacted them, while the untagged component's samples stay whole.
 */
import fs from 'node:fs';
import path from 'node:path';
import { EmbeddedLog } from '../../bindings/log';
import { parseSentinelConfig, sensitivityOf, withPolicySensitivity } from '../../sentinel/config';
import { redactSample } from '../../sentinel/redact';
import { runSentinel, type RunningSentinel } from '../../workers/sentinel';
import type { Evidence } from '../../workflows/shared';
import { asMessages, CountingOpener, tempDir, waitFor } from './harness';
import { interleave, metricStream } from './streams';

const dir = tempDir('redact');
const policyFile = path.join(dir, 'policy.yaml');
const SECRET = 'patient 4711, card 4111 1111 1111 1111';
let running: RunningSentinel;
const opener = new CountingOpener();

beforeAll(async () => {
  fs.writeFileSync(
    policyFile,
    [
      'version: 1',
      'pipelines:',
      '  - name: clinic',
      '    components:',
      '      - { name: intake, layer: data, sensitivity: [PHI] }',
      '      - { name: billing, layer: data, sensitivity: [PCI, FINANCE] }',
      '      - { name: stats, layer: data }',
      '',
    ].join('\n'),
  );
  running = await runSentinel(
    { log: 'embedded', logFile: path.join(dir, 'log.db'), db: path.join(dir, 'state.db'), topic: 't', kb: null, policy: policyFile, httpPort: 0, statusEveryMs: 0 },
    { opener, print: () => undefined },
  );
});

afterAll(async () => {
  await running?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

const samplesOf = (component: string): unknown[] => {
  const all: Evidence[] = [...opener.opens.filter((o) => o.input.component === component).flatMap((o) => [o.evidence, ...o.input.evidence]), ...opener.evidences.filter((e) => e.component === component).map((e) => e.evidence)];
  return all.flatMap((e) => e.samples ?? []);
};

test('the policy\'s sensitivity tags reach the sentinel config', () => {
  const config = withPolicySensitivity(parseSentinelConfig({}), policyFile);
  expect(sensitivityOf(config, 'clinic', 'intake')).toEqual(['PHI']);
  expect(sensitivityOf(config, 'clinic', 'billing')).toEqual(['PCI', 'FINANCE']);
  expect(sensitivityOf(config, 'clinic', 'stats')).toEqual([]);
});

test('stream evidence: a PHI component\'s records are redacted, an untagged one\'s kept', async () => {
  const log = new EmbeddedLog({ file: path.join(dir, 'log.db') });
  const stream = interleave(
    metricStream({ pipeline: 'clinic', component: 'intake', n: 400, stepAt: 200, shift: 30 }),
    metricStream({ pipeline: 'clinic', component: 'stats', n: 400, stepAt: 200, shift: 30, seed: 3 }),
  ).map((r) => ({ ...r, labels: { ...(r.labels ?? {}), note: SECRET } }));
  await log.append('t', asMessages(stream));
  await log.close();
  await waitFor(() => opener.opens.some((o) => o.input.component === 'intake') && opener.opens.some((o) => o.input.component === 'stats'), 'both incidents to open');
  const redacted = samplesOf('intake');
  expect(redacted.length).toBeGreaterThan(0);
  expect(JSON.stringify(redacted)).not.toContain(SECRET);
  for (const s of redacted) {
    expect(s).toMatchObject({ redacted: ['PHI'], kind: 'metric' });
    expect(s).not.toHaveProperty('value');
  }
  const kept = samplesOf('stats');
  expect(kept.length).toBeGreaterThan(0);
  expect(JSON.stringify(kept)).toContain(SECRET);
  expect(kept[0]).toHaveProperty('value');
});

test('alert evidence over HTTP: a PCI component\'s alert keeps its routing labels, loses the rest', async () => {
  const res = await fetch(`http://127.0.0.1:${running.http!.port}/alertmanager`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      version: '4',
      status: 'firing',
      alerts: [
        { status: 'firing', labels: { alertname: 'BadRows', pipeline: 'clinic', component: 'billing', fault: 'null-spike', card: '4111 1111 1111 1111' }, annotations: { summary: 'rows without totals', example: SECRET }, startsAt: new Date().toISOString() },
      ],
    }),
  });
  expect(res.status).toBe(200);
  const samples = samplesOf('billing');
  expect(samples).toHaveLength(1);
  expect(samples[0]).toEqual({ redacted: ['PCI'], status: 'firing', startsAt: expect.any(String), labels: { alertname: 'BadRows', pipeline: 'clinic', component: 'billing', fault: 'null-spike' } });
  // The hint still works: redaction removes data, not what the sentinel concluded from it.
  expect(opener.opens.find((o) => o.input.component === 'billing')!.evidence.faultHint).toBe('null-spike');
});

test('a sample that is not an object keeps nothing but the tags', () => {
  expect(redactSample('raw text with 123-45-6789', ['PII'])).toEqual({ redacted: ['PII'] });
});
