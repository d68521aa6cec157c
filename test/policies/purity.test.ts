/**
 * The decision modules run inside workflow code and must stay pure: no Node built-ins, no
 * knowledge base, no I/O libraries — also not through the local modules they import.
 */
import fs from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';

const POLICIES = path.join(__dirname, '..', '..', 'policies');
const PURE = ['safety', 'engine', 'q-learning', 'case-based', 'promotion'];

/** Runtime (non-type) imports of a file. */
function runtimeImports(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/^import\s+(type\s+)?[^'"]*?from\s+'([^']+)'/gm)) {
    if (!m[1]) out.push(m[2] as string);
  }
  for (const m of text.matchAll(/require\(\s*'([^']+)'\s*\)/g)) out.push(m[1] as string);
  return out;
}

function closure(start: string): Map<string, string[]> {
  const seen = new Map<string, string[]>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    const imports = runtimeImports(file);
    seen.set(file, imports);
    for (const spec of imports.filter((s) => s.startsWith('.'))) visit(`${path.resolve(path.dirname(file), spec)}.ts`);
  };
  visit(start);
  return seen;
}

describe('pure policy modules', () => {
  it.each(PURE)('%s imports no Node built-ins, no knowledge/, no I/O library (transitively)', (name) => {
    const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
    for (const [file, imports] of closure(path.join(POLICIES, `${name}.ts`))) {
      for (const spec of imports) {
        const where = `${path.basename(file)} imports ${spec}`;
        expect({ where, builtin: builtins.has(spec) || spec.startsWith('node:') }).toEqual({ where, builtin: false });
        expect({ where, knowledge: spec.includes('knowledge') }).toEqual({ where, knowledge: false });
        expect({ where, io: ['yaml', 'better-sqlite3'].includes(spec) }).toEqual({ where, io: false });
        if (!spec.startsWith('.')) expect({ where, external: true }).toEqual({ where, external: false });
        else expect(path.resolve(path.dirname(file), spec).startsWith(POLICIES)).toBe(true);
      }
    }
  });
});
