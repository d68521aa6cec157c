/**
 * `homeostat inject` from another process: faults reach the running pipeline through its control
 * channel (pipeline.db), and restarts through the host's request queue.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { startPipeline, type PipelineHandle } from '../../simulator/pipeline';
import { isEvent, tempPipelineDir, TelemetryTap } from './support';

jest.setTimeout(180_000);

const BIN = path.join(__dirname, '..', '..', 'bin', 'homeostat.js');

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

describe('homeostat inject', () => {
  let dir: string;
  let p: PipelineHandle;
  let tap: TelemetryTap;

  beforeAll(async () => {
    dir = tempPipelineDir('cli');
    p = await startPipeline({ dir, rate: 60 });
    tap = new TelemetryTap(p);
  });
  afterAll(async () => {
    await p?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('injects a hang into a running process and lists it', async () => {
    const since = await tap.mark();
    const r = await cli(['inject', 'hang', '--target', 'score', '--dir', dir, '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ fault: 'hang', target: 'score' });
    await tap.waitFor('score HUNG', isEvent('score', 'HUNG'), since);
    const list = await cli(['inject', 'list', '--dir', dir, '--json']);
    expect((JSON.parse(list.stdout) as { kind: string }[]).map((f) => f.kind)).toContain('hang');
    await p.supervisor.restart('score', { graceMs: 300 });
  });

  it('corrupts the latest checkpoint and restarts enrich through the host', async () => {
    const since = await tap.mark();
    const r = await cli(['inject', 'corrupt-checkpoint', '--dir', dir]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/flipped bytes of ckpt-.*enrich killed and started again/);
    await tap.waitFor('enrich CRASHED on a corrupt checkpoint', (x) => isEvent('enrich', 'CRASHED')(x) && x.kind === 'event' && /checksum mismatch/.test(x.message ?? ''), since);
  });

  it('rejects an unknown fault or a bad option with exit code 2 and the rule broken', async () => {
    const r = await cli(['inject', 'meteor', '--dir', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/fault: /);
    const bad = await cli(['inject', 'null-spike', '--rate', '7', '--dir', dir]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/rate/);
  });

  it('clears faults', async () => {
    await cli(['inject', 'null-spike', '--rate', '0.5', '--dir', dir]);
    const r = await cli(['inject', 'clear', '--dir', dir, '--json']);
    expect(JSON.parse(r.stdout).cleared).toBeGreaterThanOrEqual(1);
    expect(p.state.activeFaults('source')).toEqual([]);
  });
});
