/**
 * The shared knowledge base: PostgreSQL, for several workers and sentinels on one truth. Same
 * interface and semantics as the SQLite backend; what SQLite gets from its single write lock, this
 * backend gets from row locks (leases), advisory locks (audit chain, registries, `serialiseOn`)
 * and unique constraints. Open it with `PostgresKnowledgeBase.open(url)`: it migrates first.
 */
import { Pool, types as pgTypes, type PoolConfig } from 'pg';
import { HomeostatError } from '../../common/errors';
import { redactUrl } from '../../common/redact-url';
import type { FaultClass, RepairAction, UNKNOWN_FAULT } from '../../policies/taxonomy';
import type * as T from '../types';
import * as actuations from './actuations';
import * as audit from './audit';
import * as cases from './cases';
import * as learning from './learning';
import * as outcomes from './outcomes';
import * as leases from './leases';
import * as lineage from './lineage';
import { APP_ROLE, migratePostgres, PG_MIGRATIONS, quoteIdent } from './migrations';
import * as registry from './registry';
import { inTransaction, lockName, poolSql, transactionSql, type Sql } from './sql';

export interface PostgresOptions {
  /** Clock for timestamps; tests inject one. */
  now?: () => number;
  /** Schema holding the tables (default: `schema` in the URL's query, else `homeostat`). */
  schema?: string;
  /** Pool size per process (default 10). */
  maxConnections?: number;
  /** Work as the restricted role (no UPDATE/DELETE on the audit log) when it exists; default true. */
  useAppRole?: boolean;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** int8 and numeric counts come back as JS numbers: every id, token and epoch-ms value here fits. */
const NUMERIC_TYPES = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (oid === pgTypes.builtins.INT8) return (v: string) => Number(v);
    return format === 'binary' ? pgTypes.getTypeParser(oid, 'binary') : pgTypes.getTypeParser(oid, 'text');
  }) as typeof pgTypes.getTypeParser,
};

/** Splits `?schema=` off the URL (pg would pass unknown parameters to the server). */
export function parsePostgresUrl(url: string): { connectionString: string; schema: string | undefined } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new HomeostatError('HS_INVALID_INPUT', 'HOMEOSTAT_KB: not a valid postgres:// URL.');
  }
  const schema = parsed.searchParams.get('schema') ?? undefined;
  parsed.searchParams.delete('schema');
  return { connectionString: parsed.toString(), schema };
}

export function isPostgresUrl(value: string): boolean {
  return /^postgres(ql)?:\/\//i.test(value);
}

interface Shared {
  pool: Pool;
  now: () => number;
  where: string;
  schema: string;
}

export class PostgresKnowledgeBase implements T.KnowledgeBase {
  readonly schema: string;
  private readonly shared: Shared;
  private readonly sql: Sql;

  private constructor(shared: Shared, sql: Sql) {
    this.shared = shared;
    this.schema = shared.schema;
    this.sql = sql;
  }

  /** Connects, migrates (once across concurrent openers) and returns the knowledge base. */
  static async open(url: string, options: PostgresOptions = {}): Promise<PostgresKnowledgeBase> {
    const { connectionString, schema: fromUrl } = parsePostgresUrl(url);
    const schema = options.schema ?? fromUrl ?? 'homeostat';
    if (!SCHEMA_NAME.test(schema)) throw new HomeostatError('HS_INVALID_INPUT', `schema "${schema}": use lower-case letters, digits and _ (at most 63).`);
    const now = options.now ?? Date.now;
    const where = `${redactUrl(connectionString)} (schema ${schema})`;
    const base: PoolConfig = { connectionString, types: NUMERIC_TYPES, connectionTimeoutMillis: 10_000 };

    // Migrate on a connection of its own, as the connecting (owner) role.
    const migrator = new Pool({ ...base, max: 1 });
    let asAppRole = false;
    try {
      const client = await migrator.connect().catch((err: Error) => {
        throw new HomeostatError('HS_SERVICE_UNAVAILABLE', `knowledge base ${where}: cannot connect (${err.message}).`);
      });
      try {
        await migratePostgres(client, schema, where, now());
        if (options.useAppRole ?? true) {
          const { rows } = await client.query<{ member: boolean }>(
            `SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1) AND pg_has_role(current_user, $1, 'MEMBER') AS member`,
            [APP_ROLE],
          );
          asAppRole = rows[0]?.member === true;
        }
      } finally {
        client.release();
      }
    } finally {
      await migrator.end();
    }

    // Every working connection: the schema first on the search path, and the restricted role.
    const startup = [`-c search_path=${quoteIdent(schema)}`, ...(asAppRole ? [`-c role=${APP_ROLE}`] : [])].join(' ');
    const pool = new Pool({ ...base, max: options.maxConnections ?? 10, options: startup });
    // An idle client whose server went away must not crash the process; the next query reconnects.
    pool.on('error', () => undefined);
    return new PostgresKnowledgeBase({ pool, now, where, schema }, poolSql(pool));
  }

  /** Versions recorded in schema_migrations. */
  async migrations(): Promise<{ version: number; name: string }[]> {
    return this.sql.rows<{ version: number; name: string }>('SELECT version, name FROM schema_migrations ORDER BY version');
  }

  /** The highest migration this code knows. */
  static latestMigration(): number {
    return PG_MIGRATIONS.length;
  }

  /** Statements as the knowledge base runs them (its role, its schema), for tests that probe rights. */
  async rawQuery(text: string, params: unknown[] = []): Promise<Record<string, unknown>[]> {
    return this.sql.rows(text, params);
  }

  async transaction<R>(fn: (tx: T.KnowledgeBase) => Promise<R>): Promise<R> {
    if (this.sql.inTransaction) return fn(this);
    return inTransaction(this.shared.pool, (_sql, client) => fn(new PostgresKnowledgeBase(this.shared, transactionSql(client))));
  }

  async serialiseOn(scope: string): Promise<void> {
    if (!this.sql.inTransaction) throw new HomeostatError('HS_INTERNAL', `serialiseOn(${scope}) called outside a transaction`);
    await lockName(this.sql, `scope:${scope}`);
  }

  private get now(): number {
    return this.shared.now();
  }

  async savePolicy(text: string, source: string): Promise<T.StoredPolicy> {
    return cases.savePolicy(this.sql, text, source, this.now);
  }
  async latestPolicy(): Promise<T.StoredPolicy | undefined> {
    return cases.latestPolicy(this.sql);
  }
  async upsertPipeline(name: string, definition: unknown): Promise<void> {
    return cases.upsertPipeline(this.sql, name, definition, this.now);
  }
  async getPipeline(name: string): Promise<unknown> {
    return cases.getPipeline(this.sql, name);
  }
  async listPipelines(): Promise<string[]> {
    return cases.listPipelines(this.sql);
  }

  async recordCase(input: T.CaseInput): Promise<T.CaseRecord> {
    return cases.recordCase(this.sql, input, this.now);
  }
  async getCase(id: number): Promise<T.CaseRecord | undefined> {
    return cases.getCase(this.sql, id);
  }
  async casesForIncident(incidentId: string): Promise<T.CaseRecord[]> {
    return cases.casesForIncident(this.sql, incidentId);
  }
  async caseForRun(runKey: string): Promise<T.CaseRecord | undefined> {
    return cases.caseForRun(this.sql, runKey);
  }
  async pastCases(query: { pipeline?: string; faultClass?: FaultClass | typeof UNKNOWN_FAULT; limit?: number }): Promise<T.PastCase[]> {
    return cases.pastCases(this.sql, query);
  }

  async recordOutcomes(samples: readonly T.OutcomeSampleInput[]): Promise<T.OutcomeSample[]> {
    return outcomes.recordOutcomes(this.sql, samples);
  }
  async outcomeSamples(query: { faultClass?: FaultClass | typeof UNKNOWN_FAULT; action?: RepairAction; limit?: number }): Promise<T.OutcomeSample[]> {
    return outcomes.outcomeSamples(this.sql, query);
  }

  async qTable(): Promise<T.QEntry[]> {
    return learning.qTable(this.sql);
  }
  async putQEntry(entry: T.QEntry): Promise<void> {
    return learning.putQEntry(this.sql, entry, this.now);
  }

  async acquireLease(req: { resource: string; pipeline: string; holder: string; ttlMs: number }): Promise<T.LeaseResult> {
    return leases.acquireLease(this.sql, req, this.now);
  }
  async renewLease(req: { resource: string; holder: string; token: number; ttlMs: number }): Promise<T.Lease | undefined> {
    return leases.renewLease(this.sql, req, this.now);
  }
  async releaseLease(req: { resource: string; holder: string; token: number }): Promise<boolean> {
    return leases.releaseLease(this.sql, req);
  }
  async checkFence(resource: string, token: number): Promise<boolean> {
    return leases.checkFence(this.sql, resource, token, this.now);
  }
  async activeLeases(): Promise<T.Lease[]> {
    return leases.activeLeases(this.sql, this.now);
  }

  async recordActuation(input: T.ActuationInput): Promise<{ alreadyRecorded: boolean; actuation: T.Actuation }> {
    return actuations.recordActuation(this.sql, input, this.now);
  }
  async completeActuation(idempotencyKey: string, result?: unknown): Promise<T.Actuation> {
    return actuations.completeActuation(this.sql, idempotencyKey, result, this.now);
  }
  async getActuation(idempotencyKey: string): Promise<T.Actuation | undefined> {
    return actuations.getActuation(this.sql, idempotencyKey);
  }
  async listActuations(filter?: { incidentId?: string; resource?: string }): Promise<T.Actuation[]> {
    return actuations.listActuations(this.sql, filter);
  }
  async rememberReplicas(resource: string, replicas: number): Promise<void> {
    return actuations.rememberReplicas(this.sql, resource, replicas, this.now);
  }
  async rememberedReplicas(resource: string): Promise<number | undefined> {
    return actuations.rememberedReplicas(this.sql, resource);
  }
  async recordAction(record: T.ActionInput): Promise<boolean> {
    return learning.recordAction(this.sql, record);
  }
  async recentActions(query: { since: number; pipeline?: string; resource?: string }): Promise<T.ActionRecord[]> {
    return learning.recentActions(this.sql, query);
  }

  async recordShadow(record: Omit<T.ShadowRecord, 'finalAction'>): Promise<void> {
    return learning.recordShadow(this.sql, record);
  }
  async resolveShadow(incidentId: string, finalAction: RepairAction | null): Promise<number> {
    return learning.resolveShadow(this.sql, incidentId, finalAction);
  }
  async shadowRecords(pipeline: string, faultClass: FaultClass, limit?: number): Promise<T.ShadowRecord[]> {
    return learning.shadowRecords(this.sql, pipeline, faultClass, limit);
  }
  async getMode(pipeline: string, faultClass: FaultClass): Promise<T.ModeRecord | undefined> {
    return learning.getMode(this.sql, pipeline, faultClass);
  }
  async setMode(record: Omit<T.ModeRecord, 'updatedAt'>): Promise<void> {
    return learning.setMode(this.sql, record, this.now);
  }

  async registerSchemaVersion(input: { subject: string; schema: unknown; fingerprint?: string }): Promise<T.SchemaVersion> {
    return registry.registerSchemaVersion(this.sql, input, this.now);
  }
  async getSchemaVersion(subject: string, version: number): Promise<T.SchemaVersion | undefined> {
    return registry.getSchemaVersion(this.sql, subject, version);
  }
  async listSchemaVersions(subject: string): Promise<T.SchemaVersion[]> {
    return registry.listSchemaVersions(this.sql, subject);
  }
  async pinSchema(subject: string, version: number): Promise<void> {
    return registry.pinSchema(this.sql, subject, version);
  }
  async getPinnedSchema(subject: string): Promise<T.SchemaVersion | undefined> {
    return registry.getPinnedSchema(this.sql, subject);
  }
  async registerModelVersion(input: { name: string; uri: string; metrics?: Record<string, number> }): Promise<T.ModelVersion> {
    return registry.registerModelVersion(this.sql, input, this.now);
  }
  async getModelVersion(name: string, version: number): Promise<T.ModelVersion | undefined> {
    return registry.getModelVersion(this.sql, name, version);
  }
  async listModelVersions(name: string): Promise<T.ModelVersion[]> {
    return registry.listModelVersions(this.sql, name);
  }
  async pinModel(name: string, version: number): Promise<void> {
    return registry.pinModel(this.sql, name, version);
  }
  async getPinnedModel(name: string): Promise<T.ModelVersion | undefined> {
    return registry.getPinnedModel(this.sql, name);
  }

  async addLineageNode(id: string, kind: string, attrs?: unknown): Promise<void> {
    return lineage.addLineageNode(this.sql, id, kind, attrs);
  }
  async addLineageEdge(edge: T.LineageEdge): Promise<void> {
    return lineage.addLineageEdge(this.sql, edge);
  }
  async lineageEdges(): Promise<T.LineageEdge[]> {
    return lineage.lineageEdges(this.sql);
  }
  async upstreamOf(node: string): Promise<string[]> {
    return lineage.upstreamOf(this.sql, node);
  }

  async appendAudit(input: T.AuditInput): Promise<T.AuditRow> {
    return audit.appendAudit(this.sql, input, this.shared.now);
  }
  async listAudit(query?: { subject?: string; limit?: number }): Promise<T.AuditRow[]> {
    return audit.listAudit(this.sql, query);
  }
  async verifyAuditChain(): Promise<T.AuditVerification> {
    return audit.verifyAuditChain(this.sql);
  }

  /** Closes the pool (a transaction view leaves that to the knowledge base it came from). */
  async close(): Promise<void> {
    if (this.sql.inTransaction) return;
    if (!this.shared.pool.ended) await this.shared.pool.end();
  }
}
