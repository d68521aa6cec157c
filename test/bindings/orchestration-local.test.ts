import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { classifyExit, LocalSupervisor } from '../../bindings/orchestration/local';
import type { OrchestrationEvent } from '../../bindings/orchestration/types';

const SCRIPTS = {
  ok: "process.on('SIGTERM', () => process.exit(0)); setInterval(() => {}, 1000);",
  // Installs a SIGTERM handler, then blocks its event loop for good: only SIGKILL ends it.
  hang: "process.on('SIGTERM', () => process.exit(0)); const c = new Int32Array(new SharedArrayBuffer(4)); for (;;) Atomics.wait(c, 0, 0);",
  crash: "setTimeout(() => { console.error('boom'); process.exit(2); }, 100);",
  oom: 'const keep = []; setInterval(() => { for (let i = 0; i < 20; i++) keep.push(new Array(100000).fill(Math.random())); }, 5);',
};

async function until<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('LocalSupervisor', () => {
  let dir: string;
  let sup: LocalSupervisor;
  const events: OrchestrationEvent[] = [];

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hs-sup-'));
    for (const [name, code] of Object.entries(SCRIPTS)) fs.writeFileSync(path.join(dir, `${name}.js`), code);
    const spec = (name: string, extra: string[] = []): { command: string; args: string[] } => ({ command: process.execPath, args: [...extra, path.join(dir, `${name}.js`)] });
    sup = new LocalSupervisor({
      logDir: path.join(dir, 'logs'),
      graceMs: 1_000,
      specs: { ok: spec('ok'), hang: spec('hang'), crash: spec('crash'), oom: spec('oom', ['--max-old-space-size=32']) },
      onEvent: (e) => events.push(e),
    });
  });
  afterAll(async () => {
    await sup.close(1_000);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('starts, scales to N and back, and stops instances', async () => {
    let st = await sup.start('ok', 1);
    expect(st.readyReplicas).toBe(1);
    st = await sup.scale('ok', 3);
    expect(st.instances.map((i) => i.id)).toEqual(['ok-0', 'ok-1', 'ok-2']);
    expect(new Set(st.instances.map((i) => i.pid)).size).toBe(3);
    st = await sup.scale('ok', 1);
    expect(st.readyReplicas).toBe(1);
    await sup.stop('ok');
    st = await sup.status('ok');
    expect(st.desiredReplicas).toBe(0);
    expect(st.instances).toHaveLength(0);
  });

  it('restarts a running instance with a new pid (microreboot)', async () => {
    const before = (await sup.start('ok', 1)).instances[0].pid;
    const r = await sup.restart('ok');
    const after = (await sup.status('ok')).instances[0];
    expect(r).toEqual({ component: 'ok', restarted: 1, killed: 0 });
    expect(after.pid).not.toBe(before);
    expect(after.state).toBe('running');
    expect(after.restarts).toBe(1);
    await sup.stop('ok');
  });

  it('kills a hung process that ignores SIGTERM', async () => {
    await sup.start('hang', 1);
    await new Promise((r) => setTimeout(r, 300));
    const r = await sup.restart('hang', { graceMs: 300 });
    expect(r.killed).toBe(1);
    expect((await sup.status('hang')).readyReplicas).toBe(1);
    await sup.scale('hang', 0);
    expect(events.some((e) => e.component === 'hang' && e.event === 'stopped' && e.signal === 'SIGKILL')).toBe(true);
  });

  it('reports a crash with its exit code and does not restart it by itself', async () => {
    await sup.start('crash', 1);
    const exit = await until('the crash', () => events.find((e) => e.component === 'crash' && e.event === 'crashed'));
    expect(exit.exitCode).toBe(2);
    expect(exit.reason).toMatch(/exit code 2: boom/);
    const st = await sup.status('crash');
    expect(st.readyReplicas).toBe(0);
    expect(st.instances[0].state).toBe('crashed');
    await sup.stop('crash');
  });

  it('classifies death by V8 heap limit as oom-killed', async () => {
    await sup.start('oom', 1);
    const e = await until('the OOM', () => events.find((x) => x.component === 'oom' && x.event !== 'started'), 60_000);
    expect(e.event).toBe('oom-killed');
    await sup.stop('oom');
  });

  it('classifies exits from their status and output', () => {
    expect(classifyExit(134, null, 'FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory', false).state).toBe('oom-killed');
    expect(classifyExit(null, 'SIGKILL', '', false)).toEqual({ state: 'crashed', reason: 'killed by SIGKILL' });
    expect(classifyExit(null, 'SIGTERM', '', true).state).toBe('stopped');
    expect(classifyExit(0, null, '', false).state).toBe('exited');
  });
});
