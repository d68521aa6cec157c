/** Shared test fixtures: the bundled demo policy and small policies built from plain objects. */
import path from 'node:path';
import { loadPolicyFile } from '../../policies/load';
import { PolicyFileSchema, type PolicyConfig, type PolicyFileInput } from '../../policies/schema';

export const DEMO_POLICY_PATH = path.join(__dirname, '..', '..', 'policies', 'examples', 'demo.yaml');

export function demoPolicy(): PolicyConfig {
  return loadPolicyFile(DEMO_POLICY_PATH);
}

type PipelineInput = PolicyFileInput['pipelines'][number];

/** A one-pipeline policy `p` with components a → b → c; `patch` overrides pipeline fields. */
export function smallPolicy(patch: Partial<PipelineInput> = {}, global: PolicyFileInput['global'] = {}): PolicyConfig {
  return PolicyFileSchema.parse({
    global,
    approvers: [
      { identity: 'oncall-lead', roles: ['oncall', 'lead'] },
      { identity: 'junior', roles: ['viewer'] },
    ],
    pipelines: [
      {
        name: 'p',
        mode: 'active',
        components: [{ name: 'a' }, { name: 'b', sensitivity: ['PHI'] }, { name: 'c' }],
        edges: [
          { from: 'a', to: 'b' },
          { from: 'b', to: 'c' },
        ],
        slo: { latencyMs: 10_000, maxLoss: 0.1 },
        repairs: { crash: ['microreboot', 'checkpoint-restore'], oom: ['microreboot', 'scale-out'], lag: ['scale-out', 'load-shedding'] },
        approval: { rules: [{ name: 'phi', sensitivity: ['PHI'] }] },
        ...patch,
      },
    ],
  });
}
