/**
 * Per-batch data profiles: the schema fingerprint of the batch (every field seen with a value,
 * at its most common type), null rates, ranges and fixed-bin histograms. The fingerprint is
 * about which fields exist and their types, not how often they are filled: a null spike shows
 * in null rates and leaves the schema alone; a renamed, dropped or retyped field changes it. Fixed bin edges per field make histograms of different
 * batches comparable (PSI, KS, chi² in the sentinel).
 */
import { schemaFingerprint } from './events';

export interface NumericSummary {
  min: number;
  max: number;
  mean: number;
  count: number;
}

export interface Histogram {
  edges: number[];
  counts: number[];
}

export interface DataProfile {
  rows: number;
  schemaFingerprint: string;
  /** Field → its most common non-null type in the batch (fields never filled are absent). */
  fields: Record<string, string>;
  /** Fraction of rows where the expected field is null, missing or not a number when numeric. */
  nullRates: Record<string, number>;
  ranges: Record<string, NumericSummary>;
  histograms: Record<string, Histogram>;
}

/** Bin edges per profiled field; values outside fall into the first or last bin. */
export const BIN_EDGES: Record<string, number[]> = {
  amount: [0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 120],
  x1: [-4, -3, -2, -1, -0.5, 0, 0.5, 1, 2, 3, 4],
  x2: [-4, -3, -2, -1, -0.5, 0, 0.5, 1, 2, 3, 4],
  p: [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1],
  amount_z: [-4, -3, -2, -1, -0.5, 0, 0.5, 1, 2, 3, 4],
};

function typeOf(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  return typeof v;
}

export function profileBatch(rows: readonly Record<string, unknown>[], expected: readonly string[], numeric: readonly string[]): DataProfile {
  // Per field, how often each non-null type occurs.
  const typeCounts = new Map<string, Map<string, number>>();
  for (const row of rows) {
    for (const [k, v] of Object.entries(row)) {
      if (v === null || v === undefined) continue;
      let counts = typeCounts.get(k);
      if (!counts) typeCounts.set(k, (counts = new Map()));
      const t = typeOf(v);
      counts.set(t, (counts.get(t) ?? 0) + 1);
    }
  }
  const fields: Record<string, string> = {};
  for (const [k, counts] of [...typeCounts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    fields[k] = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0]![0];
  }

  const nullRates: Record<string, number> = {};
  for (const f of expected) {
    const bad = rows.filter((r) => r[f] === null || r[f] === undefined || (numeric.includes(f) && typeof r[f] !== 'number')).length;
    nullRates[f] = rows.length === 0 ? 0 : bad / rows.length;
  }
  const ranges: Record<string, NumericSummary> = {};
  const histograms: Record<string, Histogram> = {};
  for (const f of numeric) {
    const values = rows.map((r) => r[f]).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
    if (values.length > 0) {
      ranges[f] = { min: Math.min(...values), max: Math.max(...values), mean: values.reduce((a, b) => a + b, 0) / values.length, count: values.length };
    }
    const edges = BIN_EDGES[f];
    if (edges) {
      const counts = new Array<number>(edges.length - 1).fill(0);
      for (const v of values) {
        let i = edges.findIndex((e, j) => j > 0 && v < e) - 1;
        if (i < 0) i = v < edges[0] ? 0 : counts.length - 1;
        counts[i]++;
      }
      histograms[f] = { edges, counts };
    }
  }
  return { rows: rows.length, schemaFingerprint: schemaFingerprint(fields), fields, nullRates, ranges, histograms };
}
