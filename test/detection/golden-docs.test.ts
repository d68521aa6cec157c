/**
 * Every detector's doc comment carries a seeded example with its exact output; this runs each
 * example and checks that it prints exactly what the comment says.
 */
import fs from 'node:fs';
import path from 'node:path';

const DIR = path.resolve(__dirname, '../../detection');
const FILES = ['adwin.ts', 'page-hinkley.ts', 'cusum.ts', 'ddm.ts', 'eddm.ts', 'hddm-a.ts', 'hddm-w.ts', 'ewma-chart.ts', 'kswin.ts', 'fhddm.ts', 'bernoulli-cusum.ts', 'random.ts'];

interface Example {
  code: string;
  expected: string[];
}

function extract(file: string): Example {
  const source = fs.readFileSync(path.join(DIR, file), 'utf8');
  const doc = /\/\*\*([\s\S]*?)\*\//.exec(source)?.[1] ?? '';
  const lines = doc.split('\n').map((l) => l.replace(/^\s*\* ?/, ''));
  const start = lines.findIndex((l) => l.trim() === '```ts');
  const end = lines.findIndex((l, i) => i > start && l.trim() === '```');
  if (start < 0 || end < 0) throw new Error(`${file}: no \`\`\`ts example in the doc comment`);
  const body = lines.slice(start + 1, end);
  const expected = body.filter((l) => l.startsWith('// ')).map((l) => l.slice(3));
  const code = body
    .filter((l) => !l.startsWith('// '))
    .map((l) => l.replace(/^import \{([^}]+)\} from '\.\/([\w-]+)';$/, (_m, names: string, mod: string) => `const {${names}} = require(${JSON.stringify(path.join(DIR, mod))});`))
    .join('\n');
  return { code, expected };
}

test.each(FILES.map((f) => [f]))('the doc-comment example of detection/%s prints what it says', (file) => {
  const { code, expected } = extract(file);
  expect(expected.length).toBeGreaterThan(0);
  const printed: string[] = [];
  const fakeConsole = { log: (...args: unknown[]) => printed.push(args.map(String).join(' ')) };
  new Function('require', 'console', code)(require, fakeConsole);
  expect(printed).toEqual(expected);
});
