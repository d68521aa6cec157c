/**
 * The operator's approval sequence (approval-sequence.ts) against `homeostat dev --temporal
 * server --kb postgres`: the real Temporal server built from the Go module proxy, its schema on
 * PostgreSQL, its Web UI, and the knowledge base on the same PostgreSQL, which `approve` and
 * `audit verify` find through the state directory's knowledge-url.
 */
import { defaultKnowledgeDbPath } from '../../knowledge/open';
import { freeLowPorts } from '../../infra/ports';
import fs from 'node:fs';
import { devPostgresDataDir, ensurePostgres } from '../../infra/postgres';
import { ensureTemporalServer } from '../../infra/temporal-server';
import { approvalSequence, running } from './approval-sequence';
import { interrupt } from './cli';

jest.setTimeout(600_000);

beforeAll(async () => {
  // Build (or find cached) before the sequence's own deadlines start.
  await ensurePostgres();
  await ensureTemporalServer();
}, 3_600_000);

afterAll(async () => {
  if (running.dev) await interrupt(running.dev);
  // `dev --kb postgres` keeps its cluster for the next start; a test's is not needed again.
  if (running.stateDir) fs.rmSync(await devPostgresDataDir(running.stateDir), { recursive: true, force: true });
});

test('open → waiting → refused → approved → healed → explained → audit chain intact, on the real server and PostgreSQL', async () => {
  // Temporal keeps its ports in a PostgreSQL smallint: stay below 32768.
  const [port, uiPort] = await freeLowPorts(2);
  await approvalSequence({
    devFlags: ['--temporal', 'server', '--kb', 'postgres'],
    port: port!,
    uiPort: uiPort!,
    devEnv: { HOMEOSTAT_POSTGRES_URL: '', HOMEOSTAT_KB: '' },
    knowledgeBase: (stateDir) => {
      const previous = process.env.HOMEOSTAT_STATE_DIR;
      process.env.HOMEOSTAT_STATE_DIR = stateDir;
      try {
        const location = defaultKnowledgeDbPath();
        expect(location).toMatch(/^postgres:\/\/.*\?schema=homeostat$/);
        return location;
      } finally {
        if (previous === undefined) delete process.env.HOMEOSTAT_STATE_DIR;
        else process.env.HOMEOSTAT_STATE_DIR = previous;
      }
    },
  });
});
