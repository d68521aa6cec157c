import type { RepairTemplate } from './template';

/**
 * The do-nothing repair: record the incident and let the system recover by itself. Chosen
 * when the fault is transient or every active repair is too risky; verification then tells
 * whether waiting was enough.
 */
export const logAndWait: RepairTemplate<unknown> = {
  action: 'log-and-wait',
  description: 'record the incident and wait for the component to recover by itself',
  async preconditions() {
    return [{ name: 'always', holds: true, reason: 'waiting has no side effects' }];
  },
  async execute(ctx) {
    return {
      summary: `logged ${ctx.faultClass} on ${ctx.target}; waiting for recovery`,
      impact: { changed: false },
      alreadyApplied: false,
    };
  },
  probes: ['health-recovered'],
};
