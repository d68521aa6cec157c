/**
 * Audit anchors in the real dev server: a worker-side anchorer signs checkpoints of a SQLite
 * audit chain into Temporal; cutting the tail, or re-hashing every row from row k on (the chain
 * itself still verifies), is caught against the anchors and names the row.
 */
import { generateKeyPairSync } from 'node:crypto';
import path from 'node:path';
import Database from 'better-sqlite3';
import { AnchorSigner, verifyAgainstAnchors } from '../../knowledge/audit-anchor';
import { openKnowledgeBase } from '../../knowledge/open';
import { auditRowHash, type AuditDbRow } from '../../knowledge/sqlite/audit';
import { anchoringKnowledgeBase, AuditAnchorer, TemporalAnchorStore } from '../../workers/audit-anchor';
import { temporalClient, tempDir } from '../sentinel/harness';
import { uniqueName } from '../support/services';

test('tail truncation and re-chaining from row k are detected against the anchors', async () => {
  const { client, connection } = await temporalClient();
  const file = path.join(tempDir('anchor'), 'kb.db');
  const raw = openKnowledgeBase(file);
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const store = new TemporalAnchorStore(client, uniqueName('chain'));
  const anchorer = new AuditAnchorer(raw, new AnchorSigner(privateKey), 'c', 5);
  anchorer.attach(store);
  const kb = anchoringKnowledgeBase(raw, anchorer);
  for (let i = 1; i <= 12; i++) await kb.appendAudit({ actor: 'w', action: i === 12 ? 'incident.closed' : 'x', subject: 'inc', detail: { i } });
  await anchorer.flush();
  const anchors = await store.readAll();
  expect(anchors.length).toBeGreaterThan(0);
  expect(await verifyAgainstAnchors(raw, anchors, [publicKey])).toMatchObject({ ok: true, anchoredHead: 12 });
  await raw.close();

  // Re-chain from row 7: change it and re-hash it and every later row.
  const db = new Database(file);
  // Whoever can write the file can drop the append-only triggers too.
  const dropTriggers = (d: Database.Database): void => {
    for (const t of d.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger'").all() as { name: string }[]) d.exec(`DROP TRIGGER "${t.name}"`);
  };
  dropTriggers(db);
  const rows = db.prepare('SELECT * FROM audit_log ORDER BY seq').all() as AuditDbRow[];
  let prev = rows[5]!.hash;
  for (const r of rows.slice(6)) {
    const detail = r.seq === 7 ? { i: 700 } : (JSON.parse(r.detail) as unknown);
    const hash = auditRowHash({ seq: r.seq, at: r.at, actor: r.actor, action: r.action, subject: r.subject, detail, prevHash: prev });
    db.prepare('UPDATE audit_log SET detail = ?, prev_hash = ?, hash = ? WHERE seq = ?').run(JSON.stringify(detail), prev, hash, r.seq);
    prev = hash;
  }
  db.close();
  const rechained = openKnowledgeBase(file);
  expect((await rechained.verifyAuditChain()).ok).toBe(true);
  expect(await verifyAgainstAnchors(rechained, anchors, [publicKey])).toMatchObject({ ok: false, firstBrokenRow: 7 });
  await rechained.close();

  // Cut the tail: rows 10.. deleted.
  const db2 = new Database(file);
  dropTriggers(db2);
  db2.prepare('DELETE FROM audit_log WHERE seq >= 10').run();
  db2.prepare('UPDATE audit_log SET detail = ? WHERE seq = 7').run(JSON.stringify({ i: 7 }));
  db2.close();
  const cut = openKnowledgeBase(file);
  const v = await verifyAgainstAnchors(cut, anchors, [publicKey]);
  expect(v.ok).toBe(false);
  expect(v.firstBrokenRow).toBeLessThanOrEqual(10);
  // A forged anchor set (another key) is not accepted.
  const other = generateKeyPairSync('ed25519').publicKey;
  expect((await verifyAgainstAnchors(cut, anchors, [other])).badSignatures).toBe(anchors.length);
  await cut.close();
  await connection.close();
});
