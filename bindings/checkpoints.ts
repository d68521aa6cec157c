/**
 * Checkpoint store on files: versioned checkpoints of a stream (one stateful operator), each a
 * header line plus a body whose SHA-256 the header carries. Writes are atomic (temp file, fsync,
 * rename), so a crash mid-write leaves no half checkpoint under a real name; what can still go
 * wrong (a bad disk, a bad copy, an injected fault) is caught by the checksum on read.
 *
 * Layout: `<root>/<stream>/<seq>-<id>.ckpt`, seq zero-padded so names sort by age; checkpoints
 * found corrupt are moved to `<root>/<stream>/corrupt/` (kept for forensics, never read again).
 */
import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { HomeostatError } from '../common/errors';

export interface CheckpointOffset {
  topic: string;
  partition: number;
  /** Next offset to read: the checkpoint includes everything before it. */
  offset: number;
}

export interface CheckpointMeta {
  id: string;
  stream: string;
  seq: number;
  createdAt: number;
  sha256: string;
  size: number;
  file: string;
}

export interface Checkpoint<S = unknown> {
  meta: CheckpointMeta;
  offsets: CheckpointOffset[];
  state: S;
}

export type Verification = { valid: true } | { valid: false; reason: string };

const headerSchema = z.object({ format: z.literal(1), id: z.string(), seq: z.number().int(), createdAt: z.number(), sha256: z.string(), size: z.number().int() });
const bodySchema = z.object({
  offsets: z.array(z.object({ topic: z.string(), partition: z.number().int(), offset: z.number().int() })),
  state: z.unknown(),
});

export interface CheckpointStore {
  save<S>(stream: string, offsets: readonly CheckpointOffset[], state: S): Promise<CheckpointMeta>;
  /** Newest first; includes corrupt ones (listing does not read bodies). */
  list(stream: string): Promise<CheckpointMeta[]>;
  /** Reads and verifies one checkpoint; HS_INTEGRITY when its checksum does not match. */
  load<S = unknown>(stream: string, id: string): Promise<Checkpoint<S>>;
  verify(stream: string, id: string): Promise<Verification>;
  /** The newest checkpoint, verified: HS_INTEGRITY when it is corrupt (what a naive restore hits). */
  latest<S = unknown>(stream: string): Promise<Checkpoint<S> | undefined>;
  /** The newest checkpoint that verifies, and the newer ones it skipped with their reasons. */
  latestValid<S = unknown>(stream: string): Promise<{ checkpoint: Checkpoint<S> | undefined; skipped: { id: string; reason: string }[] }>;
  /** Moves a checkpoint out of the way; idempotent. */
  markCorrupt(stream: string, id: string, reason: string): Promise<boolean>;
  /** Keeps the newest `keep` checkpoints. */
  prune(stream: string, keep: number): Promise<number>;
}

export class FileCheckpointStore implements CheckpointStore {
  constructor(readonly root: string) {}

  private dir(stream: string): string {
    if (!/^[A-Za-z0-9._-]+$/.test(stream)) throw new HomeostatError('HS_INVALID_INPUT', `checkpoint stream "${stream}": only letters, digits, '.', '_' and '-' are allowed`);
    return path.join(this.root, stream);
  }

  async save<S>(stream: string, offsets: readonly CheckpointOffset[], state: S): Promise<CheckpointMeta> {
    const dir = this.dir(stream);
    fs.mkdirSync(dir, { recursive: true });
    const existing = await this.list(stream);
    const seq = (existing[0]?.seq ?? 0) + 1;
    const id = `ckpt-${seq.toString().padStart(8, '0')}-${randomUUID().slice(0, 8)}`;
    const body = Buffer.from(JSON.stringify({ offsets, state }));
    const sha256 = createHash('sha256').update(body).digest('hex');
    const header = { format: 1 as const, id, seq, createdAt: Date.now(), sha256, size: body.length };
    const file = path.join(dir, `${seq.toString().padStart(8, '0')}-${id}.ckpt`);
    const tmp = `${file}.tmp-${process.pid}`;
    const fd = fs.openSync(tmp, 'w');
    try {
      fs.writeSync(fd, `${JSON.stringify(header)}\n`);
      fs.writeSync(fd, body);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
    return { id, stream, seq, createdAt: header.createdAt, sha256, size: body.length, file };
  }

  async list(stream: string): Promise<CheckpointMeta[]> {
    const dir = this.dir(stream);
    if (!fs.existsSync(dir)) return [];
    const metas: CheckpointMeta[] = [];
    for (const name of fs.readdirSync(dir)) {
      const m = /^(\d+)-(ckpt-[A-Za-z0-9-]+)\.ckpt$/.exec(name);
      if (!m) continue;
      const file = path.join(dir, name);
      const header = readHeader(file);
      metas.push({
        id: m[2],
        stream,
        seq: Number(m[1]),
        createdAt: header?.createdAt ?? fs.statSync(file).mtimeMs,
        sha256: header?.sha256 ?? '',
        size: header?.size ?? -1,
        file,
      });
    }
    return metas.sort((a, b) => b.seq - a.seq);
  }

  private async find(stream: string, id: string): Promise<CheckpointMeta> {
    const meta = (await this.list(stream)).find((m) => m.id === id);
    if (!meta) throw new HomeostatError('HS_NOT_FOUND', `checkpoint ${stream}/${id} does not exist`);
    return meta;
  }

  async load<S = unknown>(stream: string, id: string): Promise<Checkpoint<S>> {
    const meta = await this.find(stream, id);
    const parsed = parseFile(meta.file);
    if (!parsed.ok) throw new HomeostatError('HS_INTEGRITY', `checkpoint ${stream}/${id} is corrupt: ${parsed.reason}`, { stream, id });
    return { meta, offsets: parsed.body.offsets, state: parsed.body.state as S };
  }

  async verify(stream: string, id: string): Promise<Verification> {
    const meta = await this.find(stream, id);
    const parsed = parseFile(meta.file);
    return parsed.ok ? { valid: true } : { valid: false, reason: parsed.reason };
  }

  async latest<S = unknown>(stream: string): Promise<Checkpoint<S> | undefined> {
    const [newest] = await this.list(stream);
    return newest ? this.load<S>(stream, newest.id) : undefined;
  }

  async latestValid<S = unknown>(stream: string): Promise<{ checkpoint: Checkpoint<S> | undefined; skipped: { id: string; reason: string }[] }> {
    const skipped: { id: string; reason: string }[] = [];
    for (const meta of await this.list(stream)) {
      const parsed = parseFile(meta.file);
      if (parsed.ok) return { checkpoint: { meta, offsets: parsed.body.offsets, state: parsed.body.state as S }, skipped };
      skipped.push({ id: meta.id, reason: parsed.reason });
    }
    return { checkpoint: undefined, skipped };
  }

  async markCorrupt(stream: string, id: string, reason: string): Promise<boolean> {
    const meta = (await this.list(stream)).find((m) => m.id === id);
    if (!meta) return false;
    const corruptDir = path.join(this.dir(stream), 'corrupt');
    fs.mkdirSync(corruptDir, { recursive: true });
    const target = path.join(corruptDir, path.basename(meta.file));
    fs.renameSync(meta.file, target);
    fs.writeFileSync(`${target}.reason`, `${new Date().toISOString()} ${reason}\n`);
    return true;
  }

  async prune(stream: string, keep: number): Promise<number> {
    const all = await this.list(stream);
    let removed = 0;
    for (const meta of all.slice(keep)) {
      fs.rmSync(meta.file, { force: true });
      removed++;
    }
    return removed;
  }

  /** Corrupts a checkpoint in place by flipping bytes of its body (fault injection and tests only). */
  async corrupt(stream: string, id: string): Promise<void> {
    const meta = await this.find(stream, id);
    const buf = fs.readFileSync(meta.file);
    const bodyStart = buf.indexOf(0x0a) + 1;
    const span = buf.length - bodyStart;
    for (let i = 0; i < Math.min(16, span); i++) {
      const at = bodyStart + Math.floor((span * (i + 0.5)) / 16);
      buf[at] = buf[at] ^ 0x5a;
    }
    fs.writeFileSync(meta.file, buf);
  }
}

function readHeader(file: string): z.infer<typeof headerSchema> | undefined {
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const chunk = Buffer.alloc(512);
      const n = fs.readSync(fd, chunk, 0, 512, 0);
      const nl = chunk.subarray(0, n).indexOf(0x0a);
      if (nl < 0) return undefined;
      const parsed = headerSchema.safeParse(JSON.parse(chunk.subarray(0, nl).toString('utf8')));
      return parsed.success ? parsed.data : undefined;
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return undefined;
  }
}

type Parsed = { ok: true; body: z.infer<typeof bodySchema> } | { ok: false; reason: string };

function parseFile(file: string): Parsed {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch (err) {
    return { ok: false, reason: `unreadable: ${(err as Error).message}` };
  }
  const nl = buf.indexOf(0x0a);
  if (nl < 0) return { ok: false, reason: 'no header line' };
  let header: z.infer<typeof headerSchema>;
  try {
    const h = headerSchema.safeParse(JSON.parse(buf.subarray(0, nl).toString('utf8')));
    if (!h.success) return { ok: false, reason: 'malformed header' };
    header = h.data;
  } catch {
    return { ok: false, reason: 'header is not JSON' };
  }
  const body = buf.subarray(nl + 1);
  if (body.length !== header.size) return { ok: false, reason: `size ${body.length} ≠ ${header.size} in header (truncated?)` };
  const sha = createHash('sha256').update(body).digest('hex');
  if (sha !== header.sha256) return { ok: false, reason: `checksum mismatch: sha256 ${sha.slice(0, 12)}… ≠ ${header.sha256.slice(0, 12)}… in header` };
  try {
    const b = bodySchema.safeParse(JSON.parse(body.toString('utf8')));
    return b.success ? { ok: true, body: b.data } : { ok: false, reason: 'body does not match the checkpoint format' };
  } catch {
    return { ok: false, reason: 'body is not JSON' };
  }
}
