/**
 * River 0.26.1 in a private Python venv under the cache directory, keyed by version
 * (`$HOMEOSTAT_CACHE_DIR/river-0.26.1`), for the detector benchmark and the scripts that
 * regenerate River fixtures. Installed from PyPI on first use (`river==0.26.1` and numpy; River
 * brings scipy and pandas). Safe under concurrent callers: the venv is built in a private
 * directory and renamed into place, so a second caller either finds the finished venv or builds
 * its own and discards it when it loses the rename.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { HomeostatError } from '../../common/errors';
import { cacheDir } from '../../common/paths';

export const RIVER_VERSION = '0.26.1';

export function riverVenvDir(): string {
  return path.join(cacheDir(), `river-${RIVER_VERSION}`);
}

function venvPython(dir: string): string {
  return process.platform === 'win32' ? path.join(dir, 'Scripts', 'python.exe') : path.join(dir, 'bin', 'python');
}

function riverVersion(python: string): string | null {
  if (!fs.existsSync(python)) return null;
  const r = spawnSync(python, ['-c', 'import numpy, river; print(river.__version__)'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

/** Runs a command with its output on our stderr (stdout stays clean for --json). */
function runVisible(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 2, 2] });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} exited with ${code}`))));
  });
}

/** The venv's python, creating the venv and installing River 0.26.1 and numpy when they are missing. */
export async function ensureRiver(progress: (msg: string) => void = (m) => void process.stderr.write(`river: ${m}\n`)): Promise<string> {
  const dir = riverVenvDir();
  const python = venvPython(dir);
  if (riverVersion(python) === RIVER_VERSION) return python;
  const system = ['python3', 'python'].find((p) => spawnSync(p, ['--version']).status === 0);
  if (!system) throw new HomeostatError('HS_TOOLCHAIN_MISSING', 'python3 is needed to run River 0.26.1');
  const building = `${dir}.building-${process.pid}`;
  try {
    fs.mkdirSync(path.dirname(dir), { recursive: true });
    fs.rmSync(building, { recursive: true, force: true });
    progress(`creating Python venv ${building}`);
    await runVisible(system, ['-m', 'venv', building]);
    progress(`installing river==${RIVER_VERSION} and numpy from PyPI (a minute or two)`);
    await runVisible(venvPython(building), ['-m', 'pip', 'install', '--disable-pip-version-check', `river==${RIVER_VERSION}`, 'numpy']);
  } catch (err) {
    fs.rmSync(building, { recursive: true, force: true });
    throw new HomeostatError('HS_PROVISION_FAILED', `could not install River ${RIVER_VERSION}: ${(err as Error).message}`);
  }
  if (riverVersion(python) === RIVER_VERSION) {
    // Another caller finished first: keep its venv.
    fs.rmSync(building, { recursive: true, force: true });
  } else {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.renameSync(building, dir);
  }
  // A venv's scripts name its own directory: the renamed venv is used through `python -m` only.
  const now = riverVersion(python);
  if (now !== RIVER_VERSION) throw new HomeostatError('HS_PROVISION_FAILED', `River ${RIVER_VERSION} expected in ${dir}, found ${now ?? 'none'}`);
  return python;
}
