/**
 * Infrastructure faults on a running process. A crash is a real signal sent from outside; hang,
 * slow-down and memory growth are control-channel rows the process applies to itself (a hang
 * blocks its event loop for good, memory growth retains buffers until V8's heap limit kills it).
 */
import { HomeostatError } from '../../common/errors';
import { livePids, type FaultContext } from './context';
import type { FaultSpec, InjectedFault } from './spec';

type Spec<K extends FaultSpec['fault']> = Extract<FaultSpec, { fault: K }>;

export async function injectCrash(ctx: FaultContext, spec: Spec<'crash'>): Promise<InjectedFault> {
  if (spec.mode === 'exit') {
    const row = ctx.state.addFault('crash', spec.target, { mode: 'exit', exitCode: 70 });
    return done(row.id, spec, `asked ${spec.target} to exit with code 70`);
  }
  const pids = livePids(ctx, spec.target);
  if (pids.length === 0) throw new HomeostatError('HS_NOT_FOUND', `no live ${spec.target} process to crash`);
  const pid = pids[0];
  process.kill(pid, spec.signal);
  const row = ctx.state.addFault('crash', spec.target, { signal: spec.signal, pid });
  ctx.state.clearFaults({ id: row.id }); // a record of what happened, nothing left to apply
  return done(row.id, spec, `sent ${spec.signal} to ${spec.target} (pid ${pid})`);
}

export async function injectHang(ctx: FaultContext, spec: Spec<'hang'>): Promise<InjectedFault> {
  const row = ctx.state.addFault('hang', spec.target, {});
  return done(row.id, spec, `${spec.target} will block its event loop within 250 ms`);
}

export async function injectSlowDown(ctx: FaultContext, spec: Spec<'slow-down'>): Promise<InjectedFault> {
  const row = ctx.state.addFault('slow-down', spec.target, { delayMs: spec.delayMs }, spec.durationMs);
  return done(row.id, spec, `${spec.target} now spends ${spec.delayMs} ms per record (capacity ≈ ${Math.round(1000 / spec.delayMs)} records/s per instance)`);
}

export async function injectMemoryGrowth(ctx: FaultContext, spec: Spec<'memory-growth'>): Promise<InjectedFault> {
  const row = ctx.state.addFault('memory-growth', spec.target, { mbPerSec: spec.mbPerSec });
  return done(row.id, spec, `${spec.target} leaks ${spec.mbPerSec} MB/s until its heap limit`);
}

export function done(id: string, spec: FaultSpec, detail: string): InjectedFault {
  const { fault, target, ...params } = spec;
  return { id, fault, target, injectedAt: new Date().toISOString(), params, detail };
}
