/**
 * Process and job events. CRASHED, FAILED, OOMKilled, HUNG, STALLED, EVICTED and NODE_NOT_READY are hard faults:
 * they open an incident at once. REPAIRED (a verified repair, announced by the loop) re-arms the
 * component's detection. Every other event only shows the component alive.
 */
import type { FaultClass } from '../../policies/taxonomy';
import { HARD_FAULT_EVENTS } from '../telemetry';
import type { RecordReader } from './types';

// A stage stuck on a record it cannot read is the signature of poison records: waiting for a
// statistical alarm (errors up, throughput down, lag growing) takes tens of seconds and is
// ambiguous with a slow-down, while the stage itself knows at once which record stops it.
const FAULT_OF_EVENT: Record<string, FaultClass> = { CRASHED: 'crash', FAILED: 'crash', EVICTED: 'node-loss', NODE_NOT_READY: 'node-loss', OOMKilled: 'oom', HUNG: 'hang', STALLED: 'poison-records' };

/**
 * The fault class of a hard-fault event. A crash whose message says the process could not load
 * its checkpoint is a corrupted checkpoint, not a crash a restart would fix: restarting would
 * load the same checkpoint and crash again.
 */
export function faultOfEvent(event: string, message: string | undefined): FaultClass {
  if ((event === 'CRASHED' || event === 'FAILED') && message && /corrupt(ed)?[- ]checkpoint|checkpoint.*checksum/i.test(message)) return 'corrupted-checkpoint';
  return FAULT_OF_EVENT[event] ?? 'crash';
}

export const readEvent: RecordReader<'event'> = (rec, { facts }) => {
  if (rec.event === 'REPAIRED') {
    facts.repaired(rec.message ?? 'repair verified');
    return;
  }
  if (!HARD_FAULT_EVENTS.includes(rec.event)) {
    facts.alive();
    return;
  }
  const detail = `${rec.event}${rec.exitCode !== undefined ? ` (exit ${rec.exitCode})` : ''}${rec.osSignal ? ` ${rec.osSignal}` : ''}${rec.message ? `: ${rec.message}` : ''}`;
  facts.hardFault(faultOfEvent(rec.event, rec.message), detail);
};
