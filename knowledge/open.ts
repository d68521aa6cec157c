/** Where the knowledge base lives and how to open it. */
import path from 'node:path';
import { stateDir } from '../common/paths';
import { SqliteKnowledgeBase, type SqliteOptions } from './sqlite';
import type { KnowledgeBase } from './types';

/** `$HOMEOSTAT_KB`, else `<stateDir()>/knowledge.db`. */
export function defaultKnowledgeDbPath(): string {
  return process.env.HOMEOSTAT_KB ?? path.join(stateDir(), 'knowledge.db');
}

/** Opens (creating and migrating if needed) the SQLite knowledge base. */
export function openKnowledgeBase(file: string = defaultKnowledgeDbPath(), options?: SqliteOptions): SqliteKnowledgeBase & KnowledgeBase {
  return new SqliteKnowledgeBase(file, options);
}
