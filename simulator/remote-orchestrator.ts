/**
 * An Orchestrator for a pipeline whose supervisor lives in another process (a worker or the CLI
 * next to a running demo): operations are queued in the pipeline's state file and executed by the
 * host (`startPipeline` serves the queue every 300 ms); status comes from the heartbeat table.
 * Requests carry an idempotency key, so a retried activity queues its restart once.
 */
import { HomeostatError } from '../common/errors';
import { checkFence, type Fenced } from '../bindings/fence';
import type { ComponentStatus, Orchestrator, RestartResult } from '../bindings/orchestration/types';
import { COMPONENTS } from './config';
import type { OrchestrationOp, PipelineState } from './state';

export class RemotePipelineOrchestrator implements Orchestrator {
  readonly kind = 'local' as const;

  constructor(
    private readonly state: PipelineState,
    private readonly options: { timeoutMs?: number; idempotencyKey?: () => string | undefined } = {},
  ) {}

  private async call(op: OrchestrationOp, component: string, args: Record<string, unknown>): Promise<Record<string, unknown>> {
    const key = this.options.idempotencyKey?.();
    const id = this.state.request(op, component, args, key ? `${key}/${op}/${component}` : undefined);
    const deadline = Date.now() + (this.options.timeoutMs ?? 60_000);
    while (Date.now() < deadline) {
      const result = this.state.requestResult(id);
      if (result) {
        if (result.ok !== true) throw new HomeostatError('HS_SERVICE_UNAVAILABLE', `${op} ${component}: ${String(result.error)}`);
        return result;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new HomeostatError('HS_SERVICE_UNAVAILABLE', `${op} ${component}: the pipeline host did not answer (is it running?)`);
  }

  async restart(component: string, options: { graceMs?: number } & Fenced = {}): Promise<RestartResult> {
    await checkFence(options);
    const r = await this.call('restart', component, { graceMs: options.graceMs });
    return { component, restarted: Number(r.restarted ?? 0), killed: Number(r.killed ?? 0) };
  }

  async scale(component: string, replicas: number, options?: Fenced): Promise<ComponentStatus> {
    await checkFence(options);
    await this.call('scale', component, { replicas });
    return this.status(component);
  }

  async stop(component: string, options?: Fenced): Promise<void> {
    await checkFence(options);
    await this.call('stop', component, {});
  }

  async start(component: string, replicas?: number, options?: Fenced): Promise<ComponentStatus> {
    await checkFence(options);
    await this.call('start', component, { replicas });
    return this.status(component);
  }

  async status(component: string): Promise<ComponentStatus> {
    const now = Date.now();
    const rows = this.state.statuses(component);
    const instances = rows.map((r) => ({
      id: r.instance,
      pid: r.pid,
      state: now - r.heartbeatAt < 3_000 ? ('running' as const) : ('crashed' as const),
      startedAt: r.startedAt,
      restarts: 0,
    }));
    return { component, desiredReplicas: instances.length, readyReplicas: instances.filter((i) => i.state === 'running').length, instances };
  }

  async components(): Promise<string[]> {
    return [...COMPONENTS];
  }
}
