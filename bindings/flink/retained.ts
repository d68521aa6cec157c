/**
 * Retained state of a Flink stage on the checkpoint and savepoint directories: every completed
 * checkpoint (`<checkpoints>/<jobId>/chk-<n>/_metadata`, kept on cancel and failure) and every
 * savepoint (`<savepoints>/savepoint-<id>/_metadata`), newest first. "Readable" is checked the cheap
 * way Flink itself starts a restore: the metadata file exists, is not empty, and begins with
 * Flink's checkpoint-metadata magic number; a restore that still fails is caught by the repair's
 * probe, which then moves on to the next older state.
 */
import fs from 'node:fs';
import path from 'node:path';

/** Checkpoints.HEADER_MAGIC_NUMBER in Flink's runtime: the first four bytes of every _metadata. */
export const METADATA_MAGIC = 0x4960672d;

export interface RetainedState {
  /** Directory to pass as `savepointPath`. */
  path: string;
  kind: 'checkpoint' | 'savepoint';
  jobId: string | undefined;
  /** Checkpoint number (savepoints: undefined). */
  checkpointId: number | undefined;
  /** mtime of _metadata: the order in which states were completed. */
  completedAt: number;
  readable: boolean;
  reason?: string;
}

/** Flink writes both `file:///x` and `file:/x`. */
export function fileUrlToPath(dir: string): string {
  return dir.replace(/^file:(\/\/)?/, '');
}

export function inspectMetadata(dir: string): { readable: boolean; reason?: string; completedAt: number } {
  const meta = path.join(dir, '_metadata');
  let fd: number | undefined;
  try {
    const st = fs.statSync(meta);
    if (st.size < 8) return { readable: false, reason: `${meta} is ${st.size} bytes`, completedAt: st.mtimeMs };
    fd = fs.openSync(meta, 'r');
    const head = Buffer.alloc(4);
    fs.readSync(fd, head, 0, 4, 0);
    const magic = head.readUInt32BE(0);
    if (magic !== METADATA_MAGIC) return { readable: false, reason: `${meta} does not start with Flink's metadata magic number (0x${magic.toString(16)})`, completedAt: st.mtimeMs };
    return { readable: true, completedAt: st.mtimeMs };
  } catch (err) {
    return { readable: false, reason: `${meta}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, completedAt: 0 };
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

function dirs(root: string): string[] {
  try {
    return fs.readdirSync(root, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => path.join(root, e.name));
  } catch {
    return [];
  }
}

/** Completed checkpoints and savepoints of `jobIds`, newest first (unreadable ones included, flagged). */
export function listRetained(checkpointRoot: string, savepointRoot: string, jobIds: string[]): RetainedState[] {
  const out: RetainedState[] = [];
  for (const jobId of jobIds) {
    for (const dir of dirs(path.join(checkpointRoot, jobId))) {
      const m = /^chk-(\d+)$/.exec(path.basename(dir));
      if (!m || !fs.existsSync(path.join(dir, '_metadata'))) continue;
      out.push({ path: dir, kind: 'checkpoint', jobId, checkpointId: Number(m[1]), ...inspectMetadata(dir) });
    }
  }
  // Flink names a savepoint directory `savepoint-<first 6 hex digits of the job id>-<random>`.
  for (const dir of dirs(savepointRoot)) {
    const owner = jobIds.find((id) => path.basename(dir).startsWith(`savepoint-${id.slice(0, 6)}-`));
    if (!owner || !fs.existsSync(path.join(dir, '_metadata'))) continue;
    out.push({ path: dir, kind: 'savepoint', jobId: owner, checkpointId: undefined, ...inspectMetadata(dir) });
  }
  return out.sort((a, b) => b.completedAt - a.completedAt);
}
