/**
 * Debian packages for services that Debian ships ready to run (Prometheus, Alertmanager):
 * installed with apt-get when their binary is missing. Installing needs root; the packages'
 * own system services are never used (Homeostat runs its own processes on loopback with
 * generated configs), so whether the init system starts them does not matter.
 */
import fs from 'node:fs';
import { HomeostatError } from '../common/errors';
import { cacheDir } from '../common/paths';
import { withCacheLock } from './cache-lock';
import { runToCompletion } from './process';
import { step } from './step';
import { findOnPath } from './toolchain';

const APT_ENV = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };

function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/**
 * Makes sure each of `packages` is installed, then returns the absolute path of `binary`.
 * `alternative` names how to do without apt (an env variable pointing at a binary or a server).
 */
export async function ensureDebianPackages(packages: string[], binary: string, alternative: string): Promise<string> {
  const found = findOnPath(binary, `${process.env.PATH ?? ''}:/usr/bin:/usr/sbin`);
  if (found) return found;
  const label = `Debian packages ${packages.join(', ')}`;
  return withCacheLock(cacheDir(), `apt-${packages.join('+')}`, async () => {
    const again = findOnPath(binary, `${process.env.PATH ?? ''}:/usr/bin:/usr/sbin`);
    if (again) return again; // Installed by whoever held the lock before us.
    const aptGet = findOnPath('apt-get');
    if (!aptGet || !isRoot()) {
      throw new HomeostatError(
        'HS_TOOLCHAIN_MISSING',
        `\`${binary}\` was not found and ${aptGet ? 'installing it needs root' : 'apt-get is not available'} (apt-get install ${packages.join(' ')}). To continue: ${alternative}.`,
        { tool: binary },
      );
    }
    const install = (): Promise<string> =>
      runToCompletion(`apt-get install ${packages.join(' ')}`, aptGet, ['install', '-y', '--no-install-recommends', '-o', 'DPkg::Lock::Timeout=600', ...packages], { env: APT_ENV });
    await step(`${label}: apt-get install`, async () => {
      try {
        await install();
      } catch (err) {
        // A fresh machine has no package lists yet: fetch them once and try again.
        if (!/Unable to locate package|has no installation candidate/.test((err as Error).message)) throw err;
        await runToCompletion('apt-get update', aptGet, ['update', '-o', 'DPkg::Lock::Timeout=600'], { env: APT_ENV });
        await install();
      }
    });
    const installed = findOnPath(binary, `${process.env.PATH ?? ''}:/usr/bin:/usr/sbin`);
    if (!installed) throw new HomeostatError('HS_PROVISION_FAILED', `apt-get installed ${packages.join(', ')} but \`${binary}\` is still not on PATH.`);
    return installed;
  });
}

/** `<binary> --version` output, for checking the installed major.minor against the pin. */
export async function versionOf(binary: string): Promise<string> {
  return runToCompletion(`${binary} --version`, binary, ['--version']);
}

/**
 * A binary named by `variable` (checked to be executable), else `binary` from Debian's
 * `packages`, installed with apt-get when missing.
 */
export async function binaryFromEnvOrDebian(variable: string, packages: string[], binary: string, alternative: string): Promise<string> {
  const value = process.env[variable];
  if (!value) return ensureDebianPackages(packages, binary, alternative);
  try {
    fs.accessSync(value, fs.constants.X_OK);
  } catch {
    throw new HomeostatError('HS_INVALID_INPUT', `${variable}=${value} is not an executable file.`);
  }
  return value;
}
