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

/** Name of a local stack's approver keys file, in its state directory. */
export const LOCAL_KEYS_FILE = 'approver-keys.yaml';

/** The keys file of the local stack `npx homeostat dev` runs (where `keys create` registers public keys). */
export function localKeysFile(): string {
  return path.join(stateDir(), LOCAL_KEYS_FILE);
}

export const REPO_ROOT = path.resolve(__dirname, '..');
