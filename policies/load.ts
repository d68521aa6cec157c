/**
 * Reads a policy file (YAML), validates it, and reports EVERY problem with its path in the file
 * and, when the YAML gives it, its line and column — so one run of `policy check` fixes a file.
 */
import fs from 'node:fs';
import YAML, { isMap, isScalar, isSeq, LineCounter, type Node as YamlNode, type Document } from 'yaml';
import { type z } from 'zod';
import { HomeostatError } from '../common/errors';
import { checkPolicyReferences, PolicyFileSchema, type PolicyConfig } from './schema';

export interface PolicyIssue {
  /** Where in the file, e.g. `pipelines[0].slo.latencyMs`; `(root)` for the whole file. */
  path: string;
  message: string;
  /** 1-based, when the YAML node could be located. */
  line?: number;
  col?: number;
}

export type PolicyParseResult = { ok: true; config: PolicyConfig } | { ok: false; issues: PolicyIssue[] };

type PathSegment = string | number;

/** `['pipelines', 0, 'slo']` → `pipelines[0].slo`. */
export function formatPath(path: readonly PathSegment[]): string {
  if (path.length === 0) return '(root)';
  return path.reduce<string>((acc, seg) => (typeof seg === 'number' ? `${acc}[${seg}]` : acc === '' ? seg : `${acc}.${seg}`), '');
}

/** Deepest YAML node on `path` (the key node when the path ends at a map key), with its offset. */
function locate(doc: Document, path: readonly PathSegment[]): number | undefined {
  let node: unknown = doc.contents;
  let offset: number | undefined = (doc.contents as YamlNode | null)?.range?.[0];
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) break;
      offset = (pair.key as YamlNode).range?.[0] ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg] as YamlNode | undefined;
      if (!item) break;
      offset = item.range?.[0] ?? offset;
      node = item;
    } else {
      break;
    }
  }
  return offset;
}

function cleanMessage(message: string): string {
  // zod prefixes errors with "Invalid input: " / "Invalid option: "; the path already says where.
  const cleaned = message.replace(/^Invalid (input|option): /, '');
  const missing = /^expected (.+), received undefined$/.exec(cleaned);
  return missing ? `required field is missing (expected ${missing[1]})` : cleaned;
}

function position(doc: Document, lines: LineCounter, path: readonly PathSegment[]): { line: number; col: number } | undefined {
  const offset = locate(doc, path);
  return offset === undefined ? undefined : lines.linePos(offset);
}

function issuesFromRefs(
  refs: { path: PathSegment[]; message: string }[],
  doc: Document,
  lines: LineCounter,
  zodError: z.ZodError,
): PolicyIssue[] {
  const already = new Set(zodError.issues.map((i) => `${formatPath(i.path.filter((s): s is PathSegment => typeof s !== 'symbol'))}|${i.message}`));
  return refs
    .filter((r) => !already.has(`${formatPath(r.path)}|${r.message}`))
    .map((r) => ({ path: formatPath(r.path), message: r.message, ...(position(doc, lines, r.path) ?? {}) }));
}

function issuesFromZod(error: z.ZodError, doc: Document, lines: LineCounter): PolicyIssue[] {
  const out: PolicyIssue[] = [];
  const push = (path: PathSegment[], message: string): void => {
    out.push({ path: formatPath(path), message: cleanMessage(message), ...(position(doc, lines, path) ?? {}) });
  };
  for (const issue of error.issues) {
    const path = issue.path.filter((s): s is PathSegment => typeof s !== 'symbol');
    if (issue.code === 'unrecognized_keys') {
      // One line per key, pointing at the key itself.
      for (const key of issue.keys) push([...path, key], `unknown field "${key}"`);
    } else {
      push(path, issue.message);
    }
  }
  return out;
}

/** Validates YAML text; never throws for bad input. */
export function parsePolicyText(text: string): PolicyParseResult {
  const lines = new LineCounter();
  const doc = YAML.parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      issues: doc.errors.map((e) => {
        const pos = lines.linePos(e.pos[0]);
        return { path: '(yaml)', message: e.message.split('\n')[0] ?? e.message, line: pos.line, col: pos.col };
      }),
    };
  }
  const raw: unknown = doc.toJS();
  const parsed = PolicyFileSchema.safeParse(raw);
  if (parsed.success) return { ok: true, config: parsed.data };
  // Cross-field checks only run inside zod once the shape is right; run them here too so one
  // pass reports everything. A successful parse already ran them, so nothing is reported twice.
  const issues = [...issuesFromZod(parsed.error, doc, lines), ...issuesFromRefs(checkPolicyReferences(raw), doc, lines, parsed.error)];
  return { ok: false, issues: issues.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.col ?? 0) - (b.col ?? 0)) };
}

/** Validates an already-parsed object (e.g. a policy stored as JSON in the knowledge base). */
export function parsePolicyObject(value: unknown): PolicyParseResult {
  const parsed = PolicyFileSchema.safeParse(value);
  if (parsed.success) return { ok: true, config: parsed.data };
  return {
    ok: false,
    issues: parsed.error.issues.map((i) => ({
      path: formatPath(i.path.filter((s): s is PathSegment => typeof s !== 'symbol')),
      message: cleanMessage(i.message),
    })),
  };
}

/** `file:line:col path: message`, the shape editors and terminals link. */
export function formatIssue(file: string, issue: PolicyIssue): string {
  const where = issue.line === undefined ? file : `${file}:${issue.line}:${issue.col ?? 1}`;
  return `${where} ${issue.path}: ${issue.message}`;
}

/**
 * Loads and validates a policy file. Throws HomeostatError('HS_INVALID_INPUT') listing every
 * issue (also in `details.issues`), or 'HS_NOT_FOUND' when the file does not exist.
 */
export function loadPolicyFile(file: string): PolicyConfig {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new HomeostatError('HS_NOT_FOUND', `cannot read policy file ${file}: ${(err as Error).message}`);
  }
  return parsePolicyOrThrow(text, file);
}

/** As loadPolicyFile, for text already in memory (`source` names it in messages). */
export function parsePolicyOrThrow(text: string, source: string): PolicyConfig {
  const result = parsePolicyText(text);
  if (result.ok) return result.config;
  const lines = result.issues.map((i) => `  ${formatIssue(source, i)}`);
  throw new HomeostatError('HS_INVALID_INPUT', `policy file ${source} has ${result.issues.length} error(s):\n${lines.join('\n')}`, {
    issues: result.issues,
  });
}
