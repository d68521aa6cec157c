/**
 * The Temporal CLI (dev server) v1.5.1. Built from source with `go install` because binaries
 * cannot be downloaded here; the Go module proxy serves the sources. TEMPORAL_CLI_PATH skips the
 * build for anyone who already has a `temporal` binary.
 */
import fs from 'node:fs';
import path from 'node:path';
import { cacheDir } from '../common/paths';
import { HomeostatError } from '../common/errors';
import { withCacheLock } from './cache-lock';
import { runToCompletion } from './process';
import { log, step } from './step';
import { requireTool } from './toolchain';
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
  const go = requireTool('go');
  // Under the cache lock: the suite's global setup, the background prewarm and `homeostat dev`
  // may all ask at once on a cold machine, and parallel `go install`s only slow each other down.
  await withCacheLock(cacheDir(), path.basename(dir), async () => {
    if (isExecutable(binary)) return;
    await step(`Temporal CLI ${VERSIONS.temporalCli}: go install ${TEMPORAL_CLI_MODULE} (a cold build takes minutes)`, async () => {
      fs.mkdirSync(dir, { recursive: true });
      // GOBIN puts the binary straight into the cache; `go install` writes it only once the build
      // has succeeded, so a half-finished build never looks cached.
      await runToCompletion('go install temporal', go, ['install', `${TEMPORAL_CLI_MODULE}@v${VERSIONS.temporalCli}`], {
        env: { ...process.env, GOBIN: dir },
      });
    });
  });
  if (!isExecutable(binary)) {
    throw new HomeostatError('HS_PROVISION_FAILED', `go install finished but ${binary} does not exist.`);
  }
  return binary;
}
