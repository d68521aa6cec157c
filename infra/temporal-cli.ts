/**
 * The Temporal CLI (dev server) v1.5.1. Built from source (infra/temporal-build.ts) because binaries
 * cannot be downloaded here; the Go module proxy serves the sources. TEMPORAL_CLI_PATH skips the
 * build for anyone who already has a `temporal` binary.
 */
import fs from 'node:fs';
import path from 'node:path';
import { cacheDir } from '../common/paths';
import { HomeostatError } from '../common/errors';
import { withCacheLock } from './cache-lock';
import { log } from './step';
import { buildTemporalCommands } from './temporal-build';
import { VERSIONS } from './versions';

export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal';

export function temporalCliDir(): string {
  return path.join(cacheDir(), `temporal-cli-${VERSIONS.temporalCli}`);
}

export function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** Path of a `temporal` binary: TEMPORAL_CLI_PATH, else the cached build, else a fresh build. */
export async function ensureTemporalCli(): Promise<string> {
  const override = process.env.TEMPORAL_CLI_PATH;
  if (override) {
    if (!isExecutable(override)) {
      throw new HomeostatError('HS_INVALID_INPUT', `TEMPORAL_CLI_PATH=${override} is not an executable file.`);
    }
    log(`[homeostat] Temporal CLI: using TEMPORAL_CLI_PATH=${override}`);
    return override;
  }
  const dir = temporalCliDir();
  const binary = path.join(dir, 'temporal');
  if (isExecutable(binary)) {
    log(`[homeostat] Temporal CLI ${VERSIONS.temporalCli}: cached at ${binary}`);
    return binary;
  }
  // Under the cache lock: the suite's global setup, the background prewarm and `homeostat dev`
  // may all ask at once on a cold machine, and parallel builds only slow each other down.
  await withCacheLock(cacheDir(), path.basename(dir), async () => {
    if (isExecutable(binary)) return;
    await buildTemporalCommands(`Temporal CLI ${VERSIONS.temporalCli}`, dir, [{ pkg: TEMPORAL_CLI_MODULE, name: 'temporal' }]);
  });
  if (!isExecutable(binary)) {
    throw new HomeostatError('HS_PROVISION_FAILED', `the build finished but ${binary} does not exist.`);
  }
  return binary;
}
