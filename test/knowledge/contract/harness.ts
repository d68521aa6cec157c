/**
 * What the knowledge-base contract suites run against: a fresh, empty knowledge base of one
 * backend with a clock the test moves, a way to open a second connection to the same one (another
 * worker), and a clean-up. Each backend's test file supplies a factory.
 */
import type { DecisionInput } from '../../../knowledge/decide';
import type { KnowledgeBase } from '../../../knowledge/types';

export interface KbHarness {
  kb: KnowledgeBase;
  clock: { now: number };
  /** Another connection (another process, as far as the backend can tell) to the same knowledge base. */
  reopen(): Promise<KnowledgeBase>;
  /**
   * Can one process drive concurrent transactions on several connections? PostgreSQL: yes.
   * SQLite: no — a second connection's BEGIN IMMEDIATE blocks the event loop until the busy
   * timeout while the first transaction waits on that same loop; there the processes sharing a
   * file are serialised by SQLite's write lock instead.
   */
  concurrentConnections: boolean;
  cleanup(): Promise<void>;
}

export type KbFactory = (start?: number) => Promise<KbHarness>;

export const START = Date.parse('2026-06-10T12:00:00Z');

/** beforeEach/afterEach wiring shared by the contract suites. */
export function useHarness(factory: KbFactory): { readonly t: KbHarness } {
  const holder: { t?: KbHarness } = {};
  beforeEach(async () => {
    holder.t = await factory(START);
  });
  afterEach(async () => {
    await holder.t?.cleanup();
    holder.t = undefined;
  });
  return {
    get t(): KbHarness {
      if (!holder.t) throw new Error('knowledge base harness used outside a test');
      return holder.t;
    },
  };
}

/** The contract suites' decision: an oom on the demo pipeline's enrich stage, first attempt, at the harness's clock. */
export function enrichOomDecision(t: KbHarness, patch: Partial<DecisionInput> = {}): DecisionInput {
  return { incidentId: 'incident/demo/enrich', pipeline: 'demo', component: 'enrich', faultClass: 'oom', severity: 'medium', attempt: 1, exclude: [], now: t.clock.now, ...patch };
}
