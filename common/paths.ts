import os from 'node:os';
import path from 'node:path';

/** Where provisioned artefacts (Temporal CLI, JVM servers, Kafka) are cached: outside the repository. */
export function cacheDir(): string {
  return process.env.HOMEOSTAT_CACHE_DIR ?? path.join(os.homedir(), '.cache', 'homeostat');
}

/** Where a local stack keeps its state (dev-server database, knowledge base, logs). */
export function stateDir(): string {
  return process.env.HOMEOSTAT_STATE_DIR ?? path.join(process.cwd(), '.homeostat');
}

export const REPO_ROOT = path.resolve(__dirname, '..');
