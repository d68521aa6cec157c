/**
 * The drift suite's stream files: one JSON object per line, plain or gzip-compressed —
 *
 *   {"name": "…", "kind": "binary" | "numeric", "values": [x₀, x₁, …], "changePoints": [i, …], "tolerance"?: n}
 *
 * `binary` values are a 0/1 error stream (1 = error); `numeric` values are any finite numbers.
 * A detection at sample d counts for change point c when c ≤ d < c + tolerance (default
 * {@link DEFAULT_TOLERANCE}). Further fields (generator, variant, …) are kept; `generator` groups
 * streams in the report (default: the name). A line that breaks a rule is rejected with the file,
 * the line and the field named, and nothing is scored.
 */
import fs from 'node:fs';
import zlib from 'node:zlib';
import { z } from 'zod';
import { HomeostatError } from '../../common/errors';
import { formatZodIssues } from '../../common/zod-errors';

export const STREAM_KINDS = ['binary', 'numeric'] as const;
export type StreamKind = (typeof STREAM_KINDS)[number];

/** Samples after a change point within which a detection counts, when a line gives none. */
export const DEFAULT_TOLERANCE = 1000;

const lineSchema = z
  .object({
    name: z.string().min(1),
    kind: z.enum(STREAM_KINDS),
    values: z.array(z.number().finite()).min(1),
    changePoints: z.array(z.number().int().nonnegative()),
    tolerance: z.number().int().positive().optional(),
    generator: z.string().min(1).optional(),
    variant: z.string().min(1).optional(),
  })
  .passthrough()
  .superRefine((s, ctx) => {
    if (s.kind === 'binary') {
      const at = s.values.findIndex((v) => v !== 0 && v !== 1);
      if (at >= 0) ctx.addIssue({ code: 'custom', path: ['values', at], message: 'a binary stream holds only 0 and 1' });
    }
    for (let i = 0; i < s.changePoints.length; i++) {
      const c = s.changePoints[i];
      if (c >= s.values.length) ctx.addIssue({ code: 'custom', path: ['changePoints', i], message: `must be < the ${s.values.length} values` });
      if (i > 0 && c <= s.changePoints[i - 1]) ctx.addIssue({ code: 'custom', path: ['changePoints', i], message: 'change points must increase' });
    }
  });

export interface DriftStream {
  name: string;
  kind: StreamKind;
  values: Float64Array;
  changePoints: number[];
  tolerance: number;
  /** Report group: the `generator` field, else the name. */
  group: string;
  variant?: string;
}

/** Parses stream lines (JSONL text); `where` names the source in errors. */
export function parseStreams(text: string, where: string): DriftStream[] {
  const out: DriftStream[] = [];
  const names = new Set<string>();
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === '') return;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch (err) {
      throw new HomeostatError('HS_INVALID_INPUT', `drift streams: ${where}:${i + 1}: not JSON (${(err as Error).message})`);
    }
    const parsed = lineSchema.safeParse(json);
    if (!parsed.success) throw new HomeostatError('HS_INVALID_INPUT', `drift streams: ${where}:${i + 1}: ${formatZodIssues(parsed.error).join('; ')}`);
    const s = parsed.data;
    if (names.has(s.name)) throw new HomeostatError('HS_INVALID_INPUT', `drift streams: ${where}:${i + 1}: name "${s.name}" is used twice`);
    names.add(s.name);
    out.push({
      name: s.name,
      kind: s.kind,
      values: Float64Array.from(s.values),
      changePoints: s.changePoints,
      tolerance: s.tolerance ?? DEFAULT_TOLERANCE,
      group: s.generator ?? s.name,
      ...(s.variant ? { variant: s.variant } : {}),
    });
  });
  if (out.length === 0) throw new HomeostatError('HS_INVALID_INPUT', `drift streams: ${where} holds no stream`);
  return out;
}

/** Reads a stream file, gzip-compressed or not (decided by its first two bytes). */
export function readStreams(file: string): DriftStream[] {
  let raw: Buffer;
  try {
    raw = fs.readFileSync(file);
  } catch {
    throw new HomeostatError('HS_NOT_FOUND', `drift streams: cannot read ${file}`);
  }
  const text = raw[0] === 0x1f && raw[1] === 0x8b ? zlib.gunzipSync(raw).toString('utf8') : raw.toString('utf8');
  return parseStreams(text, file);
}
