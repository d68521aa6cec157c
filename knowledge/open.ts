/**
 * Where the knowledge base lives and how to open it. HOMEOSTAT_KB selects the backend: a
 * `postgres://…` URL opens the shared PostgreSQL knowledge base (several workers, one truth;
 * `?schema=` picks the schema), anything else is a SQLite file (the embedded default).
 */
import fs from 'node:fs';
import path from 'node:path';
import { HomeostatError } from '../common/errors';
import { stateDir } from '../common/paths';
import { isPostgresUrl, PostgresKnowledgeBase, type PostgresOptions } from './postgres';
import { SqliteKnowledgeBase, type SqliteOptions } from './sqlite';
import type { KnowledgeBase } from './types';

/**
 * `$HOMEOSTAT_KB`; else the URL in `<stateDir()>/knowledge-url` (written by
 * `homeostat dev --kb postgres`, so that `approve`, `audit verify`… find the same knowledge base);
 * else `<stateDir()>/knowledge.db`.
 */
export function defaultKnowledgeDbPath(): string {
  if (process.env.HOMEOSTAT_KB) return process.env.HOMEOSTAT_KB;
  const pointer = knowledgeUrlFile();
  if (fs.existsSync(pointer)) return fs.readFileSync(pointer, 'utf8').trim();
  return path.join(stateDir(), 'knowledge.db');
}

/** Where `homeostat dev --kb postgres` leaves the URL of its knowledge base (mode 0600: it holds a password). */
export function knowledgeUrlFile(): string {
  return path.join(stateDir(), 'knowledge-url');
}

/** Opens (creating and migrating if needed) the SQLite knowledge base. */
export function openKnowledgeBase(file: string = defaultKnowledgeDbPath(), options?: SqliteOptions): SqliteKnowledgeBase & KnowledgeBase {
  if (isPostgresUrl(file)) {
    throw new HomeostatError('HS_INVALID_INPUT', 'a postgres:// knowledge base is opened with openKnowledgeBaseAt(), which connects asynchronously.');
  }
  return new SqliteKnowledgeBase(file, options);
}

/** Opens the knowledge base at `location`, a SQLite file or a postgres:// URL; migrates either. */
export async function openKnowledgeBaseAt(
  location: string = defaultKnowledgeDbPath(),
  options: SqliteOptions & PostgresOptions = {},
): Promise<KnowledgeBase> {
  if (isPostgresUrl(location)) return PostgresKnowledgeBase.open(location, options);
  return new SqliteKnowledgeBase(location, options);
}
