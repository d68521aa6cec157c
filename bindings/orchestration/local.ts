/**
 * Local-process orchestration: a supervisor that owns child processes, one slot per replica.
 *
 * It does NOT restart crashed processes by itself (restartPolicy 'never' by default): in
 * Homeostat the decision to restart is the incident workflow's (microreboot), taken after
 * detection, recorded and verified. 'on-failure' exists for pipelines run without Homeostat.
 *
 * Every child gets its own process group, so stopping reaches anything it forked; output goes to
 * a log file per slot, whose tail classifies an exit (V8's "heap out of memory" → oom-killed).
 * Children are SIGKILLed when the supervising process exits, whatever the reason.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { HomeostatError } from '../../common/errors';
import { checkFence, type Fenced } from '../fence';
import type { ComponentStatus, InstanceStatus, OrchestrationEvent, Orchestrator, RestartResult } from './types';

export interface ProcessSpec {
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export interface LocalSupervisorOptions {
  /** Where each slot's output goes: `<logDir>/<component>-<index>.log`. */
  logDir: string;
  specs: Record<string, ProcessSpec>;
  /** Env var carrying the slot index to the child. */
  instanceEnv?: string;
  restartPolicy?: 'never' | 'on-failure';
  /** SIGTERM → SIGKILL escalation delay. Default 5 s. */
  graceMs?: number;
  onEvent?: (event: OrchestrationEvent) => void;
}

interface Slot {
  component: string;
  index: number;
  child: ChildProcess | null;
  state: InstanceStatus['state'];
  startedAt?: number;
  restarts: number;
  lastExit?: InstanceStatus['lastExit'];
  /** Set while the supervisor itself stops the child: its exit is not a crash. */
  stopping: boolean;
  exited: Promise<void>;
}

const liveChildren = new Set<ChildProcess>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const c of liveChildren) killGroup(c.pid, 'SIGKILL');
  });
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

/** The last `bytes` of a file written since `from` (so an old instance's output never explains a new exit). */
function tail(file: string, from: number, bytes = 4096): string {
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const size = fs.fstatSync(fd).size;
      const start = Math.max(from, size - bytes);
      const buf = Buffer.alloc(Math.max(0, size - start));
      fs.readSync(fd, buf, 0, buf.length, start);
      return buf.toString('utf8');
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return '';
  }
}

/** Why a child exited, from its status and the tail of its output. */
export function classifyExit(code: number | null, signal: string | null, output: string, requested: boolean): { state: InstanceStatus['state']; reason: string } {
  if (/heap out of memory|Reached heap limit|Allocation failed/i.test(output)) return { state: 'oom-killed', reason: 'out of memory (V8 heap limit)' };
  if (requested) return { state: 'stopped', reason: signal ? `stopped by ${signal}` : `stopped (exit ${code})` };
  if (code === 0) return { state: 'exited', reason: 'exited normally' };
  const last = output.trim().split('\n').slice(-1)[0] ?? '';
  return { state: 'crashed', reason: signal ? `killed by ${signal}` : `exit code ${code}${last ? `: ${last.slice(0, 200)}` : ''}` };
}

export class LocalSupervisor implements Orchestrator {
  readonly kind = 'local' as const;
  private readonly slots = new Map<string, Slot[]>();
  private readonly desired = new Map<string, number>();
  private closed = false;

  constructor(private readonly options: LocalSupervisorOptions) {
    installExitHook();
    fs.mkdirSync(options.logDir, { recursive: true });
  }

  private spec(component: string): ProcessSpec {
    const spec = this.options.specs[component];
    if (!spec) throw new HomeostatError('HS_NOT_FOUND', `no process spec for component "${component}"; known: ${Object.keys(this.options.specs).join(', ')}`);
    return spec;
  }

  logFile(component: string, index: number): string {
    return path.join(this.options.logDir, `${component}-${index}.log`);
  }

  private emit(e: Omit<OrchestrationEvent, 'at'>): void {
    this.options.onEvent?.({ ...e, at: Date.now() });
  }

  private launch(slot: Slot): void {
    const spec = this.spec(slot.component);
    const file = this.logFile(slot.component, slot.index);
    const fd = fs.openSync(file, 'a');
    const logStart = fs.fstatSync(fd).size;
    const child = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: { ...(spec.env ?? process.env), [this.options.instanceEnv ?? 'HOMEOSTAT_INSTANCE']: String(slot.index) },
      detached: true,
      stdio: ['ignore', fd, fd],
    });
    fs.closeSync(fd);
    liveChildren.add(child);
    slot.child = child;
    slot.state = 'running';
    slot.stopping = false;
    slot.startedAt = Date.now();
    const id = `${slot.component}-${slot.index}`;
    slot.exited = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        liveChildren.delete(child);
        const { state, reason } = classifyExit(code, signal, tail(file, logStart), slot.stopping);
        slot.state = state;
        slot.child = null;
        slot.lastExit = { code, signal, reason, at: Date.now() };
        this.emit({ component: slot.component, instance: id, event: state === 'running' || state === 'starting' ? 'exited' : state, pid: child.pid, exitCode: code, signal, reason });
        resolve();
        if (!this.closed && !slot.stopping && state !== 'exited' && this.options.restartPolicy === 'on-failure') {
          slot.restarts++;
          this.launch(slot);
        }
      });
    });
    this.emit({ component: slot.component, instance: id, event: 'started', pid: child.pid });
  }

  private async halt(slot: Slot, graceMs: number): Promise<boolean> {
    const child = slot.child;
    if (!child) return false;
    slot.stopping = true;
    killGroup(child.pid, 'SIGTERM');
    const timedOut = await Promise.race([slot.exited.then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), graceMs).unref())]);
    if (timedOut) {
      killGroup(child.pid, 'SIGKILL');
      await slot.exited;
    }
    return timedOut;
  }

  async start(component: string, replicas?: number, options?: Fenced): Promise<ComponentStatus> {
    return this.scale(component, replicas ?? Math.max(1, this.desired.get(component) ?? 1), options);
  }

  async scale(component: string, replicas: number, options?: Fenced): Promise<ComponentStatus> {
    await checkFence(options);
    if (!Number.isInteger(replicas) || replicas < 0 || replicas > 16) throw new HomeostatError('HS_INVALID_INPUT', `replicas must be an integer in 0..16, got ${replicas}`);
    this.spec(component);
    const slots = this.slots.get(component) ?? [];
    this.slots.set(component, slots);
    this.desired.set(component, replicas);
    for (let i = 0; i < replicas; i++) {
      if (!slots[i]) slots[i] = { component, index: i, child: null, state: 'stopped', restarts: 0, stopping: false, exited: Promise.resolve() };
      if (!slots[i].child) {
        if (slots[i].startedAt !== undefined) slots[i].restarts++;
        this.launch(slots[i]);
      }
    }
    const extra = slots.splice(replicas);
    await Promise.all(extra.map((s) => this.halt(s, this.options.graceMs ?? 5_000)));
    return this.status(component);
  }

  async restart(component: string, options: { graceMs?: number } & Fenced = {}): Promise<RestartResult> {
    await checkFence(options);
    const slots = this.slots.get(component) ?? [];
    const replicas = Math.max(1, this.desired.get(component) ?? 1);
    let killed = 0;
    for (const slot of slots) if (await this.halt(slot, options.graceMs ?? this.options.graceMs ?? 5_000)) killed++;
    // Slots whose process had already died are restarted too: that is the point of a microreboot.
    await this.scale(component, replicas);
    return { component, restarted: replicas, killed };
  }

  async stop(component: string, options?: Fenced): Promise<void> {
    await this.scale(component, 0, options);
  }

  async status(component: string): Promise<ComponentStatus> {
    const slots = this.slots.get(component) ?? [];
    const instances = slots.map<InstanceStatus>((s) => ({
      id: `${component}-${s.index}`,
      pid: s.child?.pid,
      state: s.state,
      startedAt: s.startedAt,
      restarts: s.restarts,
      lastExit: s.lastExit,
    }));
    return {
      component,
      desiredReplicas: this.desired.get(component) ?? 0,
      readyReplicas: instances.filter((i) => i.state === 'running').length,
      instances,
    };
  }

  async components(): Promise<string[]> {
    return Object.keys(this.options.specs);
  }

  /** Stops everything (pipeline shutdown). */
  async close(graceMs = 5_000): Promise<void> {
    this.closed = true;
    const all = [...this.slots.values()].flat();
    await Promise.all(all.map((s) => this.halt(s, graceMs)));
  }
}
