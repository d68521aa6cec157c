/**
 * `homeostat nab` as a real child process on the two-file fixture corpus: the JSON it prints, the
 * results layout `--out` writes, and the exit codes (with nothing on stdout) when a run fails.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import path from 'node:path';

const BIN = path.resolve(__dirname, '../../bin/homeostat.js');
const MINI = path.resolve(__dirname, '../fixtures/nab/mini');

function nab(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, 'nab', ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('homeostat nab (child process)', () => {
  it('--json prints exactly the three profile scores, with progress on stderr only', () => {
    const r = nab(['--data', MINI, '--json']);
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const parsed = JSON.parse(lines[0]) as Record<string, unknown>;
    expect(Object.keys(parsed)).toEqual(['standard', 'reward_low_FP_rate', 'reward_low_FN_rate']);
    for (const v of Object.values(parsed)) {
      expect(typeof v).toBe('number');
      expect(v as number).toBeGreaterThan(0);
      expect(v as number).toBeLessThanOrEqual(100);
    }
    expect(r.stderr).toMatch(/2 files, 700 rows, 2 windows/);
  });

  it('every selectable detector runs; the null detector scores 0; --out writes the results layout', () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'nab-cli-'));
    const r = nab(['--data', MINI, '--json', '--detector', 'null', '--out', out]);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ standard: 0, reward_low_FP_rate: 0, reward_low_FN_rate: 0 });
    expect(fs.existsSync(path.join(out, 'null', 'g', 'null_a.csv'))).toBe(true);
    for (const d of ['homeostat-multiscale', 'homeostat-fused', 'likelihood', 'adwin']) {
      const x = nab(['--data', MINI, '--json', '--detector', d]);
      expect({ d, status: x.status }).toEqual({ d, status: 0 });
    }
  });

  it('the text report names the detector and each profile', () => {
    const r = nab(['--data', MINI]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/detector "homeostat"/);
    expect(r.stdout).toMatch(/^standard\s+\d/m);
  });

  it('a missing corpus directory exits 5 (not found) and prints nothing on stdout', () => {
    const r = nab(['--data', path.join(os.tmpdir(), 'no-such-nab-corpus'), '--json']);
    expect(r.status).toBe(5);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/does not exist/);
  });

  it('an unknown detector exits 2 (invalid input), lists the valid names and prints nothing on stdout', () => {
    const r = nab(['--data', MINI, '--json', '--detector', 'nope']);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/detector/);
    expect(r.stderr).toMatch(/homeostat/);
  });

  it('--data is required', () => {
    const r = nab(['--json']);
    expect(r.status).not.toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/--data/);
  });
});
