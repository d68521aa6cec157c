/** The lineage graph: datasets, jobs and components as nodes, data flowing along edges (upstream → downstream). */
import type Database from 'better-sqlite3';
import type { LineageEdge } from '../types';

export function addLineageNode(db: Database.Database, id: string, kind: string, attrs?: unknown): void {
  db.prepare('INSERT INTO lineage_nodes (id, kind, attrs) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, attrs = excluded.attrs').run(
    id, kind, attrs === undefined ? null : JSON.stringify(attrs),
  );
}

export function addLineageEdge(db: Database.Database, e: LineageEdge): void {
  // Edges may arrive before their nodes (OpenLineage events): create placeholders.
  db.prepare(`INSERT OR IGNORE INTO lineage_nodes (id, kind) VALUES (?, 'unknown')`).run(e.from);
  db.prepare(`INSERT OR IGNORE INTO lineage_nodes (id, kind) VALUES (?, 'unknown')`).run(e.to);
  db.prepare('INSERT OR IGNORE INTO lineage_edges (src, dst, kind) VALUES (?, ?, ?)').run(e.from, e.to, e.kind ?? '');
}

export function lineageEdges(db: Database.Database): LineageEdge[] {
  const rows = db.prepare('SELECT src, dst, kind FROM lineage_edges ORDER BY src, dst, kind').all() as { src: string; dst: string; kind: string }[];
  return rows.map((r) => ({ from: r.src, to: r.dst, ...(r.kind ? { kind: r.kind } : {}) }));
}

/** Transitive upstream nodes, nearest first (breadth-first, ties by name). */
export function upstreamOf(db: Database.Database, node: string): string[] {
  const rows = db
    .prepare(
      `WITH RECURSIVE up(id, depth) AS (
         SELECT src, 1 FROM lineage_edges WHERE dst = ?
         UNION
         SELECT e.src, up.depth + 1 FROM lineage_edges e JOIN up ON e.dst = up.id WHERE up.depth < 1000
       )
       SELECT id, MIN(depth) AS depth FROM up WHERE id <> ? GROUP BY id ORDER BY depth, id`,
    )
    .all(node, node) as { id: string }[];
  return rows.map((r) => r.id);
}
