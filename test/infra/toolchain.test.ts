import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ERROR_CODES, HomeostatError } from '../../common/errors';
import { REPO_ROOT } from '../../common/paths';
import { findOnPath, requireTool } from '../../infra/toolchain';

/** PATH without every directory that holds a `go` executable. */
function pathWithoutGo(): string {
  return (process.env.PATH ?? '')
    .split(path.delimiter)
    .filter((dir) => dir && !findOnPath('go', dir))
    .join(path.delimiter);
}

function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin', 'homeostat.js'), ...args], {
      cwd: REPO_ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('missing toolchain', () => {
  let emptyCache: string;

  beforeEach(() => {
    emptyCache = fs.mkdtempSync(path.join(os.tmpdir(), 'homeostat-empty-cache-'));
  });

  afterEach(() => {
    fs.rmSync(emptyCache, { recursive: true, force: true });
  });

  it.each([
    ['provision', '--temporal'],
    ['demo', '--duration', '0'],
  ])('`%s %s` without go prints one clear message and exits non-zero', async (...args: string[]) => {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PATH: pathWithoutGo(),
      HOMEOSTAT_CACHE_DIR: emptyCache,
      HOMEOSTAT_STATE_DIR: path.join(emptyCache, 'state'),
    };
    delete env.TEMPORAL_CLI_PATH;
    delete env.TEMPORAL_ADDRESS;
    expect(findOnPath('go', env.PATH)).toBeUndefined();

    const { code, stderr } = await runCli(args, env);

    expect(code).toBe(ERROR_CODES.HS_TOOLCHAIN_MISSING.exitCode);
    const errorLines = stderr.split('\n').filter((line) => line.startsWith('homeostat:'));
    expect(errorLines).toHaveLength(1);
    expect(errorLines[0]).toContain('`go` was not found');
    expect(errorLines[0]).toContain('TEMPORAL_CLI_PATH');
    expect(errorLines[0]).toContain('TEMPORAL_ADDRESS');
    // No stack trace, and nothing half-built left in the cache.
    expect(stderr).not.toMatch(/^\s+at /m);
    expect(fs.existsSync(path.join(emptyCache, 'temporal-cli-1.5.1', 'temporal'))).toBe(false);
  });
});

describe('requireTool', () => {
  const saved = { PATH: process.env.PATH, JAVA_HOME: process.env.JAVA_HOME };

  afterEach(() => {
    process.env.PATH = saved.PATH;
    if (saved.JAVA_HOME === undefined) delete process.env.JAVA_HOME;
    else process.env.JAVA_HOME = saved.JAVA_HOME;
  });

  it('finds the tools this machine has', () => {
    for (const tool of ['go', 'java', 'mvn'] as const) expect(path.isAbsolute(requireTool(tool))).toBe(true);
  });

  it.each([
    ['java', 'KAFKA_BROKERS'],
    ['mvn', 'TEMPORAL_ADDRESS'],
  ] as const)('without %s raises HS_TOOLCHAIN_MISSING naming the alternative (%s)', (tool, alternative) => {
    process.env.PATH = '';
    delete process.env.JAVA_HOME;
    let caught: unknown;
    try {
      requireTool(tool);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(HomeostatError);
    const error = caught as HomeostatError;
    expect(error.code).toBe('HS_TOOLCHAIN_MISSING');
    expect(error.message).toContain(`\`${tool}\` was not found`);
    expect(error.message).toContain(alternative);
  });
});
