/**
 * Loads a policy file, builds the orchestrator its first pipeline names (as the worker does) and
 * prints `kind` and the status of one component as one JSON line. A script for the same reason as
 * orchestration-kubernetes.driver.ts: @kubernetes/client-node is ESM-only.
 * Usage: node -r tsx/cjs orchestration-from-policy.driver.ts <policy.yaml> <component>
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { orchestratorFor } from '../../bindings/orchestration/from-policy';
import { openKnowledgeBase } from '../../knowledge/open';
import type { Orchestrator } from '../../bindings/orchestration/types';
import { loadPolicyFile } from '../../policies/load';

const unused = new Proxy({} as Orchestrator, { get: (_, p) => (p === 'kind' ? 'local' : () => Promise.reject(new Error('the local orchestrator was used'))) });

async function main(): Promise<void> {
  const [file, component] = process.argv.slice(2);
  const policy = loadPolicyFile(file!);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'homeostat-from-policy-'));
  const kb = openKnowledgeBase(path.join(dir, 'knowledge.db'));
  try {
    const orch = orchestratorFor(policy.pipelines[0]!.bindings?.orchestration, unused, kb);
    process.stdout.write(`${JSON.stringify({ kind: orch.kind, status: await orch.status(component!) })}\n`);
  } finally {
    await kb.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stdout.write(`${JSON.stringify({ error: (err as { code?: string }).code ?? 'unknown', message: (err as Error).message })}\n`);
});
