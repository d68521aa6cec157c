/**
 * The embedded knowledge base: one SQLite file (WAL, busy timeout, versioned migrations). Every
 * concern lives in its own module; the classes here only open the file, serialise calls and
 * delegate.
 *
 * Transactions: better-sqlite3 has one synchronous connection. `transaction(fn)` takes the
 * write lock of the file (BEGIN IMMEDIATE: other processes wait on the busy timeout) and this
 * object's async mutex, which every other call takes too, so calls made meanwhile by unrelated
 * code wait until COMMIT or ROLLBACK instead of landing inside the open transaction. Inside `fn`,
 * use the `tx` handle: a call on the outer object from within `fn` would wait for itself, so it
 * is refused with an error instead of deadlocking.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { HomeostatError } from '../../common/errors';
import type { FaultClass, RepairAction, UNKNOWN_FAULT } from '../../policies/taxonomy';
import type * as T from '../types';
import * as actuations from './actuations';
import * as audit from './audit';
import * as cases from './cases';
import * as learning from './learning';
import * as outcomes from './outcomes';
import * as leases from './leases';
import * as lineage from './lineage';
import { migrate } from './migrations';
import { AsyncMutex } from './mutex';
import * as registry from './registry';

export interface SqliteOptions {
  /** Clock for timestamps; tests inject one. */
  now?: () => number;
  /** How long a writer waits for the lock held by another process. */
  busyTimeoutMs?: number;
}

/** Every operation of the interface on one connection; how a call is admitted is the subclass's. */
abstract class SqliteOperations implements T.KnowledgeBase {
  protected constructor(
    protected readonly db: Database.Database,
    protected readonly now: () => number,
  ) {}

  /** Runs one synchronous operation when this handle may. */
  protected abstract gate<R>(op: () => R): Promise<R>;
  abstract transaction<R>(fn: (tx: T.KnowledgeBase) => Promise<R>): Promise<R>;
  abstract serialiseOn(scope: string): Promise<void>;
  abstract close(): Promise<void>;

  savePolicy(text: string, source: string): Promise<T.StoredPolicy> {
    return this.gate(() => cases.savePolicy(this.db, text, source, this.now()));
  }
  latestPolicy(): Promise<T.StoredPolicy | undefined> {
    return this.gate(() => cases.latestPolicy(this.db));
  }
  upsertPipeline(name: string, definition: unknown): Promise<void> {
    return this.gate(() => cases.upsertPipeline(this.db, name, definition, this.now()));
  }
  getPipeline(name: string): Promise<unknown> {
    return this.gate(() => cases.getPipeline(this.db, name));
  }
  listPipelines(): Promise<string[]> {
    return this.gate(() => cases.listPipelines(this.db));
  }

  recordCase(input: T.CaseInput): Promise<T.CaseRecord> {
    return this.gate(() => cases.recordCase(this.db, input, this.now()));
  }
  getCase(id: number): Promise<T.CaseRecord | undefined> {
    return this.gate(() => cases.getCase(this.db, id));
  }
  casesForIncident(incidentId: string): Promise<T.CaseRecord[]> {
    return this.gate(() => cases.casesForIncident(this.db, incidentId));
  }
  caseForRun(runKey: string): Promise<T.CaseRecord | undefined> {
    return this.gate(() => cases.caseForRun(this.db, runKey));
  }
  pastCases(query: { pipeline?: string; faultClass?: FaultClass | typeof UNKNOWN_FAULT; limit?: number }): Promise<T.PastCase[]> {
    return this.gate(() => cases.pastCases(this.db, query));
  }

  recordOutcomes(samples: readonly T.OutcomeSampleInput[]): Promise<T.OutcomeSample[]> {
    return this.gate(() => outcomes.recordOutcomes(this.db, samples));
  }
  outcomeSamples(query: { faultClass?: FaultClass | typeof UNKNOWN_FAULT; action?: RepairAction; limit?: number }): Promise<T.OutcomeSample[]> {
    return this.gate(() => outcomes.outcomeSamples(this.db, query));
  }

  qTable(): Promise<T.QEntry[]> {
    return this.gate(() => learning.qTable(this.db));
  }
  putQEntry(entry: T.QEntry): Promise<void> {
    return this.gate(() => learning.putQEntry(this.db, entry, this.now()));
  }

  acquireLease(req: { resource: string; pipeline: string; holder: string; ttlMs: number }): Promise<T.LeaseResult> {
    return this.gate(() => leases.acquireLease(this.db, req, this.now()));
  }
  renewLease(req: { resource: string; holder: string; token: number; ttlMs: number }): Promise<T.Lease | undefined> {
    return this.gate(() => leases.renewLease(this.db, req, this.now()));
  }
  releaseLease(req: { resource: string; holder: string; token: number }): Promise<boolean> {
    return this.gate(() => leases.releaseLease(this.db, req));
  }
  checkFence(resource: string, token: number): Promise<boolean> {
    return this.gate(() => leases.checkFence(this.db, resource, token, this.now()));
  }
  activeLeases(): Promise<T.Lease[]> {
    return this.gate(() => leases.activeLeases(this.db, this.now()));
  }

  recordActuation(input: T.ActuationInput): Promise<{ alreadyRecorded: boolean; actuation: T.Actuation }> {
    return this.gate(() => actuations.recordActuation(this.db, input, this.now()));
  }
  completeActuation(idempotencyKey: string, result?: unknown): Promise<T.Actuation> {
    return this.gate(() => actuations.completeActuation(this.db, idempotencyKey, result, this.now()));
  }
  getActuation(idempotencyKey: string): Promise<T.Actuation | undefined> {
    return this.gate(() => actuations.getActuation(this.db, idempotencyKey));
  }
  listActuations(filter?: { incidentId?: string; resource?: string }): Promise<T.Actuation[]> {
    return this.gate(() => actuations.listActuations(this.db, filter));
  }
  rememberReplicas(resource: string, replicas: number): Promise<void> {
    return this.gate(() => actuations.rememberReplicas(this.db, resource, replicas, this.now()));
  }
  rememberedReplicas(resource: string): Promise<number | undefined> {
    return this.gate(() => actuations.rememberedReplicas(this.db, resource));
  }
  recordAction(record: T.ActionInput): Promise<boolean> {
    return this.gate(() => learning.recordAction(this.db, record));
  }
  recentActions(query: { since: number; pipeline?: string; resource?: string }): Promise<T.ActionRecord[]> {
    return this.gate(() => learning.recentActions(this.db, query));
  }

  recordShadow(record: Omit<T.ShadowRecord, 'finalAction'>): Promise<void> {
    return this.gate(() => learning.recordShadow(this.db, record));
  }
  resolveShadow(incidentId: string, finalAction: RepairAction | null): Promise<number> {
    return this.gate(() => learning.resolveShadow(this.db, incidentId, finalAction));
  }
  shadowRecords(pipeline: string, faultClass: FaultClass, limit?: number): Promise<T.ShadowRecord[]> {
    return this.gate(() => learning.shadowRecords(this.db, pipeline, faultClass, limit));
  }
  getMode(pipeline: string, faultClass: FaultClass): Promise<T.ModeRecord | undefined> {
    return this.gate(() => learning.getMode(this.db, pipeline, faultClass));
  }
  setMode(record: Omit<T.ModeRecord, 'updatedAt'>): Promise<void> {
    return this.gate(() => learning.setMode(this.db, record, this.now()));
  }

  registerSchemaVersion(input: { subject: string; schema: unknown; fingerprint?: string }): Promise<T.SchemaVersion> {
    return this.gate(() => registry.registerSchemaVersion(this.db, input, this.now()));
  }
  getSchemaVersion(subject: string, version: number): Promise<T.SchemaVersion | undefined> {
    return this.gate(() => registry.getSchemaVersion(this.db, subject, version));
  }
  listSchemaVersions(subject: string): Promise<T.SchemaVersion[]> {
    return this.gate(() => registry.listSchemaVersions(this.db, subject));
  }
  pinSchema(subject: string, version: number): Promise<void> {
    return this.gate(() => registry.pinSchema(this.db, subject, version));
  }
  getPinnedSchema(subject: string): Promise<T.SchemaVersion | undefined> {
    return this.gate(() => registry.getPinnedSchema(this.db, subject));
  }
  registerModelVersion(input: { name: string; uri: string; metrics?: Record<string, number> }): Promise<T.ModelVersion> {
    return this.gate(() => registry.registerModelVersion(this.db, input, this.now()));
  }
  getModelVersion(name: string, version: number): Promise<T.ModelVersion | undefined> {
    return this.gate(() => registry.getModelVersion(this.db, name, version));
  }
  listModelVersions(name: string): Promise<T.ModelVersion[]> {
    return this.gate(() => registry.listModelVersions(this.db, name));
  }
  pinModel(name: string, version: number): Promise<void> {
    return this.gate(() => registry.pinModel(this.db, name, version));
  }
  getPinnedModel(name: string): Promise<T.ModelVersion | undefined> {
    return this.gate(() => registry.getPinnedModel(this.db, name));
  }

  addLineageNode(id: string, kind: string, attrs?: unknown): Promise<void> {
    return this.gate(() => lineage.addLineageNode(this.db, id, kind, attrs));
  }
  addLineageEdge(edge: T.LineageEdge): Promise<void> {
    return this.gate(() => lineage.addLineageEdge(this.db, edge));
  }
  lineageEdges(): Promise<T.LineageEdge[]> {
    return this.gate(() => lineage.lineageEdges(this.db));
  }
  upstreamOf(node: string): Promise<string[]> {
    return this.gate(() => lineage.upstreamOf(this.db, node));
  }

  appendAudit(input: T.AuditInput): Promise<T.AuditRow> {
    return this.gate(() => audit.appendAudit(this.db, input, this.now()));
  }
  listAudit(query?: { subject?: string; limit?: number }): Promise<T.AuditRow[]> {
    return this.gate(() => audit.listAudit(this.db, query));
  }
  verifyAuditChain(): Promise<T.AuditVerification> {
    return this.gate(() => audit.verifyAuditChain(this.db));
  }

}

/** The handle `transaction` passes to its body: runs directly, inside the open transaction. */
class SqliteTransaction extends SqliteOperations {
  private open = true;

  constructor(db: Database.Database, now: () => number) {
    super(db, now);
  }

  protected async gate<R>(op: () => R): Promise<R> {
    if (!this.open) throw new HomeostatError('HS_INTERNAL', 'knowledge base transaction handle used after its transaction ended');
    return op();
  }

  transaction<R>(fn: (tx: T.KnowledgeBase) => Promise<R>): Promise<R> {
    return fn(this);
  }

  /**
   * BEGIN IMMEDIATE took the database's write lock when this transaction began, so it is already
   * exclusive among writers in every process on the file: there is nothing left to wait for.
   */
  async serialiseOn(): Promise<void> {
    if (!this.open) throw new HomeostatError('HS_INTERNAL', 'knowledge base transaction handle used after its transaction ended');
  }

  end(): void {
    this.open = false;
  }

  async close(): Promise<void> {
    throw new HomeostatError('HS_INTERNAL', 'close() called on a transaction handle: close the knowledge base itself');
  }
}

export class SqliteKnowledgeBase extends SqliteOperations {
  readonly file: string;
  private readonly mutex = new AsyncMutex();
  /** Marks the async context of this object's open transaction. */
  private readonly inTransaction = new AsyncLocalStorage<true>();

  constructor(file: string, options: SqliteOptions = {}) {
    if (file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    const db = new Database(file);
    super(db, options.now ?? Date.now);
    this.file = file;
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
  }

  serialiseOn(scope: string): Promise<void> {
    return Promise.reject(new HomeostatError('HS_INTERNAL', `serialiseOn(${scope}) called outside a transaction: call it on the tx handle`));
  }

  /** Versions recorded in schema_migrations, for diagnostics and tests. */
  migrations(): { version: number; name: string }[] {
    return this.db.prepare('SELECT version, name FROM schema_migrations ORDER BY version').all() as { version: number; name: string }[];
  }

  /** Raw handle, for tests that tamper with rows on purpose. */
  rawDatabase(): Database.Database {
    return this.db;
  }

  protected gate<R>(op: () => R): Promise<R> {
    if (this.inTransaction.getStore()) {
      return Promise.reject(
        new HomeostatError('HS_INTERNAL', 'knowledge base called outside its transaction handle from inside transaction(): use the tx argument'),
      );
    }
    return this.mutex.runExclusive(op);
  }

  transaction<R>(fn: (tx: T.KnowledgeBase) => Promise<R>): Promise<R> {
    if (this.inTransaction.getStore()) {
      return Promise.reject(new HomeostatError('HS_INTERNAL', 'transaction() called on the knowledge base from inside its own transaction: use tx.transaction'));
    }
    return this.mutex.runExclusive(() =>
      this.inTransaction.run(true, async () => {
        const tx = new SqliteTransaction(this.db, this.now);
        this.db.exec('BEGIN IMMEDIATE');
        try {
          const result = await fn(tx);
          this.db.exec('COMMIT');
          return result;
        } catch (err) {
          if (this.db.inTransaction) this.db.exec('ROLLBACK');
          throw err;
        } finally {
          tx.end();
        }
      }),
    );
  }

  async close(): Promise<void> {
    // After every call already admitted, so none of them finds the connection closed.
    await this.mutex.runExclusive(() => {
      if (this.db.open) this.db.close();
    });
  }
}
