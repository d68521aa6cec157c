/** Runs `homeostat sentinel` as a real child process for the crash and restart tests. */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { testTemporalAddress } from '../support/services';

const BIN = path.resolve(__dirname, '../../bin/homeostat.js');

export interface SentinelChild {
  proc: ChildProcess;
  output: string[];
  /** Resolves with the exit code / signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function spawnSentinel(args: string[], env: NodeJS.ProcessEnv = {}): SentinelChild {
  const proc = spawn(process.execPath, [BIN, 'sentinel', ...args], {
    env: { ...process.env, TEMPORAL_ADDRESS: testTemporalAddress(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  proc.stdout?.on('data', (d: Buffer) => output.push(...d.toString().split('\n').filter(Boolean)));
  proc.stderr?.on('data', (d: Buffer) => output.push(...d.toString().split('\n').filter(Boolean)));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  return { proc, output, exited };
}

/** SIGKILL if still running; waits for the exit. */
export async function killChild(child: SentinelChild | undefined): Promise<void> {
  if (!child) return;
  if (child.proc.exitCode === null && child.proc.signalCode === null) child.proc.kill('SIGKILL');
  await child.exited;
}
