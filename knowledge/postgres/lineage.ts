/** The lineage graph on PostgreSQL: nodes, edges (upstream → downstream), transitive upstream. */
import type { LineageEdge } from '../types';
import type { Sql } from './sql';

export async function addLineageNode(sql: Sql, id: string, kind: string, attrs?: unknown): Promise<void> {
  await sql.run('INSERT INTO lineage_nodes (id, kind, attrs) VALUES ($1, $2, $3) ON CONFLICT (id) DO UPDATE SET kind = EXCLUDED.kind, attrs = EXCLUDED.attrs', [
    id, kind, attrs === undefined ? null : JSON.stringify(attrs),
  ]);
}

export function addLineageEdge(sql: Sql, e: LineageEdge): Promise<void> {
  // Edges may arrive before their nodes (OpenLineage events): create placeholders.
  return sql.atomic(async (tx) => {
    await tx.run(`INSERT INTO lineage_nodes (id, kind) VALUES ($1, 'unknown'), ($2, 'unknown') ON CONFLICT (id) DO NOTHING`, [e.from, e.to]);
    await tx.run('INSERT INTO lineage_edges (src, dst, kind) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [e.from, e.to, e.kind ?? '']);
  });
}

export async function lineageEdges(sql: Sql): Promise<LineageEdge[]> {
  const rows = await sql.rows<{ src: string; dst: string; kind: string }>('SELECT src, dst, kind FROM lineage_edges ORDER BY src, dst, kind');
  return rows.map((r) => ({ from: r.src, to: r.dst, ...(r.kind ? { kind: r.kind } : {}) }));
}

/** Transitive upstream nodes, nearest first (breadth-first, ties by name). */
export async function upstreamOf(sql: Sql, node: string): Promise<string[]> {
  const rows = await sql.rows<{ id: string }>(
    `WITH RECURSIVE up(id, depth) AS (
       SELECT src, 1 FROM lineage_edges WHERE dst = $1
       UNION
       SELECT e.src, up.depth + 1 FROM lineage_edges e JOIN up ON e.dst = up.id WHERE up.depth < 1000
     )
     SELECT id FROM up WHERE id <> $1 GROUP BY id ORDER BY MIN(depth), id`,
    [node],
  );
  return rows.map((r) => r.id);
}
