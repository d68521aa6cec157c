/**
 * A worker records the policy it acts under: the text as a version in the knowledge base and
 * each pipeline's definition, and the version travels into every repair's audit row.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openKnowledgeBase } from '../../knowledge/open';
import { buildWorkerDeps, DEFAULT_POLICY_FILE } from '../../workers/activity-deps';

test('a worker stores the policy it loaded as a version, with its pipelines', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hs-policy-'));
  const kbPath = path.join(dir, 'knowledge.db');
  try {
    const first = await buildWorkerDeps({ kbPath, policyFile: DEFAULT_POLICY_FILE });
    const second = await buildWorkerDeps({ kbPath, policyFile: DEFAULT_POLICY_FILE });
    // The same text is the same version, however many workers start.
    expect(first.policyVersion).toBe(1);
    expect(second.policyVersion).toBe(1);
    await first.close();
    await second.close();
    const kb = openKnowledgeBase(kbPath);
    try {
      expect(await kb.latestPolicy()).toMatchObject({ version: 1, source: DEFAULT_POLICY_FILE, text: fs.readFileSync(DEFAULT_POLICY_FILE, 'utf8') });
      const names = first.policy().pipelines.map((p) => p.name);
      expect(await kb.listPipelines()).toEqual([...names].sort());
      expect(await kb.getPipeline(names[0]!)).toMatchObject({ name: names[0], policyVersion: 1 });
    } finally {
      await kb.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
