/**
 * What the loop benchmark's workers run on: a policy with one pipeline of instantly repairable
 * components (no approvals, no cooldown, limits far above the load), a no-op microreboot, probes
 * that pass at once, and the knowledge base wrapped so that every call's time is counted.
 */
import type { IncidentDeps, ProbeRunner } from '../../activities/deps';
import { escalateTemplate } from '../../activities/templates/escalate';
import { logAndWait } from '../../activities/templates/log-and-wait';
import type { RepairTemplate } from '../../activities/templates/template';
import type { KnowledgeBase } from '../../knowledge/types';
import { parsePolicyOrThrow } from '../../policies/load';
import type { PolicyConfig } from '../../policies/schema';

export const BENCH_PIPELINE = 'bench';

export const componentName = (i: number): string => `c${i}`;

export function benchPolicy(components: number): PolicyConfig {
  const names = Array.from({ length: components }, (_, i) => `      - { name: ${componentName(i)}, layer: infrastructure }`).join('\n');
  return parsePolicyOrThrow(
    `
version: 1
global: { maxConcurrentRemediations: 100000 }
approvers:
  - { identity: oncall-lead, roles: [oncall], pipelines: ["*"] }
pipelines:
  - name: ${BENCH_PIPELINE}
    mode: active
    components:
${names}
    slo: { latencyMs: 600000, maxLoss: 0.5 }
    repairs:
      crash: [microreboot, escalate]
    approval: { rules: [] }
    cooldown: { default: 1ms }
    rateLimit: { maxActions: 1000000, window: 1s }
    loopDetection: { maxRepeats: 1000000, window: 1s }
    blastRadius: { maxConcurrentRemediations: 100000, minHealthyFraction: 0 }
    verification: { settle: 1ms, maxAttempts: 1 }
`,
    'bench loop policy',
  );
}

/** Does nothing, at once: the benchmark measures the loop, not a repair. */
export const noopMicroreboot: RepairTemplate<object> = {
  action: 'microreboot',
  description: 'no-op restart (benchmark)',
  preconditions: async () => [],
  execute: async () => ({ summary: 'no-op restart', impact: { restarted: 0 }, alreadyApplied: false }),
  probes: ['health-recovered'],
};

const instantProbes: ProbeRunner = async (name) => ({ name, result: 'pass', detail: `${name}: instant (benchmark)` });

export interface KbTimer {
  calls: number;
  ms: number;
}

/** The same knowledge base, with the time of every call (transactions included) added to `timer`. */
export function timedKnowledgeBase(kb: KnowledgeBase, timer: KbTimer): KnowledgeBase {
  const wrap = (target: KnowledgeBase): KnowledgeBase =>
    new Proxy(target, {
      get(obj, prop, receiver) {
        const value = Reflect.get(obj, prop, receiver) as unknown;
        if (typeof value !== 'function' || prop === 'close') return value;
        return async (...args: unknown[]) => {
          const started = performance.now();
          try {
            // A transaction's callback gets a wrapped view, but its calls run inside this one's
            // time: count the transaction once.
            if (prop === 'transaction') return await (value as KnowledgeBase['transaction']).call(obj, args[0] as Parameters<KnowledgeBase['transaction']>[0]);
            return await (value as (...a: unknown[]) => Promise<unknown>).apply(obj, args);
          } finally {
            timer.calls += 1;
            timer.ms += performance.now() - started;
          }
        };
      },
    });
  return wrap(kb);
}

export function benchDeps(kb: KnowledgeBase, policy: PolicyConfig): IncidentDeps {
  return {
    policy: () => policy,
    kb,
    templates: { 'log-and-wait': logAndWait, escalate: escalateTemplate, microreboot: noopMicroreboot as RepairTemplate<object> },
    templateDeps: {},
    probes: instantProbes,
    anomalous: async () => [],
    settleMs: 0,
    actor: 'bench-worker',
  };
}
