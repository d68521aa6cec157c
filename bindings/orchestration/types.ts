/**
 * The orchestration binding: what repair templates may do to a running component, whatever runs
 * it (local processes here, Kubernetes Deployments in a cluster). Every call that changes
 * something checks the caller's fence first (bindings/fence.ts).
 */
import type { Fenced } from '../fence';

export type InstanceState = 'starting' | 'running' | 'exited' | 'crashed' | 'oom-killed' | 'stopped';

export interface InstanceStatus {
  /** Stable name of the slot: `<component>-<index>` locally, the pod name on Kubernetes. */
  id: string;
  pid?: number;
  state: InstanceState;
  startedAt?: number;
  restarts: number;
  lastExit?: { code: number | null; signal: string | null; reason: string; at: number };
}

export interface ComponentStatus {
  component: string;
  desiredReplicas: number;
  readyReplicas: number;
  instances: InstanceStatus[];
}

export interface RestartResult {
  component: string;
  /** Instances stopped and started again. */
  restarted: number;
  /** Instances that ignored SIGTERM and were killed (a hung process does). */
  killed: number;
}

export interface Orchestrator {
  readonly kind: 'local' | 'kubernetes';
  /** Replaces every instance of the component; the replica count stays. */
  restart(component: string, options?: { graceMs?: number } & Fenced): Promise<RestartResult>;
  /** Sets the replica count (starts or stops instances). */
  scale(component: string, replicas: number, options?: Fenced): Promise<ComponentStatus>;
  /** Stops every instance and sets the replica count to 0. */
  stop(component: string, options?: Fenced): Promise<void>;
  /** Starts a stopped component with the given (or its last) replica count. */
  start(component: string, replicas?: number, options?: Fenced): Promise<ComponentStatus>;
  status(component: string): Promise<ComponentStatus>;
  components(): Promise<string[]>;
}

/** Process-level events the orchestrator observed (a crashed process cannot report itself). */
export interface OrchestrationEvent {
  component: string;
  instance: string;
  event: 'started' | 'exited' | 'crashed' | 'oom-killed' | 'stopped';
  pid?: number;
  exitCode?: number | null;
  signal?: string | null;
  reason?: string;
  at: number;
}
