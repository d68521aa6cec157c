/** A real SQLite knowledge base in a fresh temp directory, with a clock the test moves. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SqliteKnowledgeBase } from '../../knowledge/sqlite';
import type { KbFactory } from './contract/harness';

export interface TempKb {
  kb: SqliteKnowledgeBase;
  file: string;
  dir: string;
  clock: { now: number };
  reopen(): SqliteKnowledgeBase;
  cleanup(): Promise<void>;
}

export function tempKb(start = Date.parse('2026-06-10T12:00:00Z')): TempKb {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hs-kb-'));
  const file = path.join(dir, 'knowledge.db');
  const clock = { now: start };
  const opened: SqliteKnowledgeBase[] = [];
  const open = () => {
    const kb = new SqliteKnowledgeBase(file, { now: () => clock.now });
    opened.push(kb);
    return kb;
  };
  return {
    kb: open(),
    file,
    dir,
    clock,
    reopen: open,
    cleanup: async () => {
      for (const kb of opened) await kb.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The contract suites' factory for the SQLite backend: a fresh file per test. */
export const sqliteFactory: KbFactory = async (start) => {
  const t = tempKb(start);
  return { kb: t.kb, clock: t.clock, reopen: async () => t.reopen(), concurrentConnections: false, cleanup: t.cleanup };
};
