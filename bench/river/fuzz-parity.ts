/**
 * Live parity check against River 0.26.1 on random cases (not part of the test suite, which uses
 * the committed fixtures): generates `count` random detector / settings / stream cases with
 * fuzz_cases.py in the River venv (created when missing), replays them through Homeostat and
 * prints the tally per detector. Exits non-zero on any difference.
 *
 *     node -e "require('tsx/cjs'); require('./bench/river/fuzz-parity.ts')" -- [seed] [count]
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Adwin } from '../../detection/adwin';
import { hasWarning, type DetectorName } from '../../detection/detector';
import { createDetector } from '../../detection/registry';
import { ensureRiver } from './venv';

interface FuzzCase {
  detector: DetectorName;
  params: Record<string, unknown>;
  values: number[];
  drifts: number[];
  warnings?: [number, number][];
  trace?: [number, number, number, number][];
}

function replay(c: FuzzCase): string | null {
  const d = createDetector(c.detector, c.params);
  const drifts: number[] = [];
  const warnings: [number, number][] = [];
  const trace: [number, number, number, number][] = [];
  const wanted = new Set((c.trace ?? []).map((t) => t[0]));
  let start = -1;
  c.values.forEach((x, i) => {
    d.update(x);
    if (d.driftDetected) drifts.push(i);
    const w = hasWarning(d) && d.warningDetected;
    if (w && start < 0) start = i;
    if (!w && start >= 0) {
      warnings.push([start, i - 1]);
      start = -1;
    }
    if (wanted.has(i)) {
      const a = d as Adwin;
      trace.push([i, a.windowWidth, a.windowTotal, a.windowVarianceSum]);
    }
  });
  if (start >= 0) warnings.push([start, c.values.length - 1]);
  if (JSON.stringify(drifts) !== JSON.stringify(c.drifts)) return `drifts ${JSON.stringify(drifts.slice(0, 10))} vs River ${JSON.stringify(c.drifts.slice(0, 10))}`;
  if (c.warnings && JSON.stringify(warnings) !== JSON.stringify(c.warnings)) return 'warning runs differ';
  if (c.trace && JSON.stringify(trace) !== JSON.stringify(c.trace)) return 'ADWIN window state differs';
  return null;
}

async function main(): Promise<void> {
  // Under `node -e`, argv is [node, ...args]; under a script runner, [node, script, ...args].
  const args = process.argv.slice(1).filter((a) => /^\d+$/.test(a));
  const seed = Number(args[0] ?? 1);
  const count = Number(args[1] ?? 300);
  const python = await ensureRiver();
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'homeostat-fuzz-')), 'cases.json');
  const r = spawnSync(python, [path.join(__dirname, 'fuzz_cases.py'), String(seed), String(count), out], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) throw new Error('fuzz_cases.py failed');
  const { cases } = JSON.parse(fs.readFileSync(out, 'utf8')) as { cases: FuzzCase[] };
  fs.rmSync(path.dirname(out), { recursive: true, force: true });
  const tally: Record<string, { same: number; total: number }> = {};
  let differences = 0;
  for (const c of cases) {
    const t = (tally[c.detector] ??= { same: 0, total: 0 });
    t.total++;
    const diff = replay(c);
    if (diff === null) t.same++;
    else {
      differences++;
      process.stdout.write(`DIFFERENT ${c.detector} ${JSON.stringify(c.params)} (${c.values.length} values): ${diff}\n`);
    }
  }
  for (const [name, t] of Object.entries(tally)) process.stdout.write(`${name.padEnd(13)} ${t.same}/${t.total} identical to River 0.26.1\n`);
  if (differences > 0) process.exitCode = 1;
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
