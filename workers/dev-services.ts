/**
 * What `homeostat dev --kb postgres` and `--temporal server` add to the local stack: one kept
 * PostgreSQL cluster (or HOMEOSTAT_POSTGRES_URL) holding the shared knowledge base and/or the
 * real Temporal server's persistence and visibility, and the real server with its Web UI.
 */
import fs from 'node:fs';
import path from 'node:path';
import { knowledgeUrlFile } from '../knowledge/open';
import { devPostgresDataDir, connectOrStartPostgres, type PostgresHandle } from '../infra/postgres';
import type { TemporalTarget } from '../infra/services';
import { startTemporalServer, temporalServerTarget } from '../infra/temporal-server';

export interface DevServiceChoice {
  temporal: 'dev' | 'server';
  kb: 'sqlite' | 'postgres';
  stateDir: string;
  port: number;
  uiPort: number;
}

export interface DevServices {
  /** The knowledge base location when it is PostgreSQL. */
  kbPath?: string;
  temporal?: () => Promise<TemporalTarget>;
  postgres?: PostgresHandle;
  /** Stops what was started here (after the stack has stopped). */
  stop(): Promise<void>;
}

/** Schema the local stack's knowledge base lives in. */
export const DEV_KB_SCHEMA = 'homeostat';

export async function startDevServices(c: DevServiceChoice): Promise<DevServices> {
  // A pointer left by an earlier `--kb postgres` run must not redirect a SQLite run.
  if (c.kb === 'sqlite') fs.rmSync(knowledgeUrlFile(), { force: true });
  if (c.kb === 'sqlite' && c.temporal === 'dev') return { stop: async () => undefined };
  const postgres = await connectOrStartPostgres({ dataDir: await devPostgresDataDir(c.stateDir), ephemeral: false });
  const out: DevServices = { postgres, stop: () => postgres.stop() };
  if (c.kb === 'postgres') {
    const url = new URL(postgres.url);
    url.searchParams.set('schema', DEV_KB_SCHEMA);
    out.kbPath = url.toString();
    fs.mkdirSync(path.dirname(knowledgeUrlFile()), { recursive: true });
    fs.writeFileSync(knowledgeUrlFile(), `${out.kbPath}\n`, { mode: 0o600 });
  }
  if (c.temporal === 'server') {
    out.temporal = async () =>
      temporalServerTarget(
        await startTemporalServer({ postgres, port: c.port, ui: true, uiPort: c.uiPort, dir: path.join(c.stateDir, 'dev', 'temporal-server') }),
      );
  }
  return out;
}
