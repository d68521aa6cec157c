/**
 * The embedded knowledge base: one SQLite file (WAL, busy timeout, versioned migrations). Every
 * concern lives in its own module; this class only opens the file and delegates.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { FaultClass, RepairAction, UNKNOWN_FAULT } from '../../policies/taxonomy';
import type * as T from '../types';
import * as actuations from './actuations';
import * as audit from './audit';
import * as cases from './cases';
import * as learning from './learning';
import * as leases from './leases';
import * as lineage from './lineage';
import { migrate } from './migrations';
import * as registry from './registry';
import { SqliteTransactions, transactionView } from './transaction';

export interface SqliteOptions {
  /** Clock for timestamps; tests inject one. */
  now?: () => number;
  /** How long a writer waits for the lock held by another process. */
  busyTimeoutMs?: number;
}

export class SqliteKnowledgeBase implements T.KnowledgeBase {
  readonly file: string;
  private readonly db: Database.Database;
  private readonly now: () => number;
  private readonly transactions: SqliteTransactions;

  constructor(file: string, options: SqliteOptions = {}) {
    this.file = file;
    this.now = options.now ?? Date.now;
    if (file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    this.db = new Database(file);
    // busy_timeout first: another process may hold the lock while we switch to WAL.
    this.db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('foreign_keys = ON');
    try {
      migrate(this.db, this.now(), undefined, file);
    } catch (err) {
      this.db.close();
      throw err;
    }
    this.transactions = new SqliteTransactions(this.db);
  }

  async transaction<R>(fn: (tx: T.KnowledgeBase) => Promise<R>): Promise<R> {
    return this.transactions.run(transactionView(this), fn);
  }
  async serialiseOn(scope: string): Promise<void> {
    return this.transactions.serialiseOn(scope);
  }

  /** Versions recorded in schema_migrations, for diagnostics and tests. */
  migrations(): { version: number; name: string }[] {
    return this.db.prepare('SELECT version, name FROM schema_migrations ORDER BY version').all() as { version: number; name: string }[];
  }

  /** Raw handle, for tests that tamper with rows on purpose. */
  rawDatabase(): Database.Database {
    return this.db;
  }

  async savePolicy(text: string, source: string): Promise<T.StoredPolicy> {
    return cases.savePolicy(this.db, text, source, this.now());
  }
  async latestPolicy(): Promise<T.StoredPolicy | undefined> {
    return cases.latestPolicy(this.db);
  }
  async upsertPipeline(name: string, definition: unknown): Promise<void> {
    cases.upsertPipeline(this.db, name, definition, this.now());
  }
  async getPipeline(name: string): Promise<unknown> {
    return cases.getPipeline(this.db, name);
  }
  async listPipelines(): Promise<string[]> {
    return cases.listPipelines(this.db);
  }

  async recordCase(input: T.CaseInput): Promise<T.CaseRecord> {
    return cases.recordCase(this.db, input, this.now());
  }
  async getCase(id: number): Promise<T.CaseRecord | undefined> {
    return cases.getCase(this.db, id);
  }
  async casesForIncident(incidentId: string): Promise<T.CaseRecord[]> {
    return cases.casesForIncident(this.db, incidentId);
  }
  async pastCases(query: { pipeline?: string; faultClass?: FaultClass | typeof UNKNOWN_FAULT; limit?: number }): Promise<T.PastCase[]> {
    return cases.pastCases(this.db, query);
  }

  async qTable(): Promise<T.QEntry[]> {
    return learning.qTable(this.db);
  }
  async putQEntry(entry: T.QEntry): Promise<void> {
    learning.putQEntry(this.db, entry, this.now());
  }

  async acquireLease(req: { resource: string; pipeline: string; holder: string; ttlMs: number }): Promise<T.LeaseResult> {
    return leases.acquireLease(this.db, req, this.now());
  }
  async renewLease(req: { resource: string; holder: string; token: number; ttlMs: number }): Promise<T.Lease | undefined> {
    return leases.renewLease(this.db, req, this.now());
  }
  async releaseLease(req: { resource: string; holder: string; token: number }): Promise<boolean> {
    return leases.releaseLease(this.db, req);
  }
  async checkFence(resource: string, token: number): Promise<boolean> {
    return leases.checkFence(this.db, resource, token, this.now());
  }
  async activeLeases(): Promise<T.Lease[]> {
    return leases.activeLeases(this.db, this.now());
  }

  async recordActuation(input: T.ActuationInput): Promise<{ alreadyRecorded: boolean; actuation: T.Actuation }> {
    return actuations.recordActuation(this.db, input, this.now());
  }
  async completeActuation(idempotencyKey: string, result?: unknown): Promise<T.Actuation> {
    return actuations.completeActuation(this.db, idempotencyKey, result, this.now());
  }
  async getActuation(idempotencyKey: string): Promise<T.Actuation | undefined> {
    return actuations.getActuation(this.db, idempotencyKey);
  }
  async listActuations(filter?: { incidentId?: string; resource?: string }): Promise<T.Actuation[]> {
    return actuations.listActuations(this.db, filter);
  }
  async recordAction(record: T.ActionRecord): Promise<void> {
    learning.recordAction(this.db, record);
  }
  async recentActions(query: { since: number; pipeline?: string; resource?: string }): Promise<T.ActionRecord[]> {
    return learning.recentActions(this.db, query);
  }

  async recordShadow(record: Omit<T.ShadowRecord, 'finalAction'>): Promise<void> {
    learning.recordShadow(this.db, record);
  }
  async resolveShadow(incidentId: string, finalAction: RepairAction | null): Promise<number> {
    return learning.resolveShadow(this.db, incidentId, finalAction);
  }
  async shadowRecords(pipeline: string, faultClass: FaultClass, limit?: number): Promise<T.ShadowRecord[]> {
    return learning.shadowRecords(this.db, pipeline, faultClass, limit);
  }
  async getMode(pipeline: string, faultClass: FaultClass): Promise<T.ModeRecord | undefined> {
    return learning.getMode(this.db, pipeline, faultClass);
  }
  async setMode(record: Omit<T.ModeRecord, 'updatedAt'>): Promise<void> {
    learning.setMode(this.db, record, this.now());
  }

  async registerSchemaVersion(input: { subject: string; schema: unknown; fingerprint?: string }): Promise<T.SchemaVersion> {
    return registry.registerSchemaVersion(this.db, input, this.now());
  }
  async getSchemaVersion(subject: string, version: number): Promise<T.SchemaVersion | undefined> {
    return registry.getSchemaVersion(this.db, subject, version);
  }
  async listSchemaVersions(subject: string): Promise<T.SchemaVersion[]> {
    return registry.listSchemaVersions(this.db, subject);
  }
  async pinSchema(subject: string, version: number): Promise<void> {
    registry.pinSchema(this.db, subject, version);
  }
  async getPinnedSchema(subject: string): Promise<T.SchemaVersion | undefined> {
    return registry.getPinnedSchema(this.db, subject);
  }
  async registerModelVersion(input: { name: string; uri: string; metrics?: Record<string, number> }): Promise<T.ModelVersion> {
    return registry.registerModelVersion(this.db, input, this.now());
  }
  async getModelVersion(name: string, version: number): Promise<T.ModelVersion | undefined> {
    return registry.getModelVersion(this.db, name, version);
  }
  async listModelVersions(name: string): Promise<T.ModelVersion[]> {
    return registry.listModelVersions(this.db, name);
  }
  async pinModel(name: string, version: number): Promise<void> {
    registry.pinModel(this.db, name, version);
  }
  async getPinnedModel(name: string): Promise<T.ModelVersion | undefined> {
    return registry.getPinnedModel(this.db, name);
  }

  async addLineageNode(id: string, kind: string, attrs?: unknown): Promise<void> {
    lineage.addLineageNode(this.db, id, kind, attrs);
  }
  async addLineageEdge(edge: T.LineageEdge): Promise<void> {
    lineage.addLineageEdge(this.db, edge);
  }
  async lineageEdges(): Promise<T.LineageEdge[]> {
    return lineage.lineageEdges(this.db);
  }
  async upstreamOf(node: string): Promise<string[]> {
    return lineage.upstreamOf(this.db, node);
  }

  async appendAudit(input: T.AuditInput): Promise<T.AuditRow> {
    return audit.appendAudit(this.db, input, this.now());
  }
  async listAudit(query?: { subject?: string; limit?: number }): Promise<T.AuditRow[]> {
    return audit.listAudit(this.db, query);
  }
  async verifyAuditChain(): Promise<T.AuditVerification> {
    return audit.verifyAuditChain(this.db);
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
