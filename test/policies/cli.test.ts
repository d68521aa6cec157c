import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ERROR_CODES } from '../../common/errors';
import { DEMO_POLICY_PATH } from './fixtures';

const run = promisify(execFile);
const BIN = path.join(__dirname, '..', '..', 'bin', 'homeostat.js');

async function homeostat(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args]);
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('homeostat policy check (child process)', () => {
  it('prints a summary and exits 0 for the demo policy', async () => {
    const r = await homeostat(['policy', 'check', DEMO_POLICY_PATH]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('valid (version 1, 1 pipeline(s))');
    expect(r.stdout).toContain('pipeline demo (active)');
    expect(r.stdout).toMatch(/oom\s+microreboot → scale-out → escalate/);
    expect(r.stdout).toContain('oncall-lead (oncall, lead)');
    const json = await homeostat(['policy', 'check', DEMO_POLICY_PATH, '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ valid: true, pipelines: [{ pipeline: 'demo', approvers: ['oncall-lead'] }] });
  });

  it('reports every error with path and line, exiting with the HS_INVALID_INPUT code', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hs-cli-'));
    const file = path.join(dir, 'bad.yaml');
    fs.writeFileSync(file, 'pipelines:\n  - name: p\n    components: [{ name: a }]\n    slo: { latencyMs: soon }\n    mode: sometimes\n');
    const r = await homeostat(['policy', 'check', file]);
    expect(r.code).toBe(ERROR_CODES.HS_INVALID_INPUT.exitCode);
    expect(r.stderr).toContain(`${file}:4:12 pipelines[0].slo.latencyMs: expected number, received string`);
    expect(r.stderr).toContain(`${file}:5:5 pipelines[0].mode: expected one of "shadow"|"active"`);
    expect(r.stderr).toContain('2 error(s)');
    const json = await homeostat(['policy', 'check', file, '--json']);
    expect(json.code).toBe(ERROR_CODES.HS_INVALID_INPUT.exitCode);
    expect(JSON.parse(json.stdout).errors.map((e: { path: string }) => e.path)).toEqual(['pipelines[0].slo.latencyMs', 'pipelines[0].mode']);
    const missing = await homeostat(['policy', 'check', path.join(dir, 'none.yaml')]);
    expect(missing.code).toBe(ERROR_CODES.HS_NOT_FOUND.exitCode);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
