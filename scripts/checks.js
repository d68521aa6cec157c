#!/usr/bin/env node
'use strict';
/**
 * The static checks before the tests: the type check and the lint, side by side (each is one
 * single-threaded process, so on two cores they take the time of the longer one instead of the
 * sum). Each check's output is printed whole when it ends, never interleaved; the exit code is
 * non-zero when either fails, and the failing ones are named last.
 */
const { spawn } = require('node:child_process');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const bin = (name) => path.join(root, 'node_modules', '.bin', name);
const CHECKS = [
  { name: 'typecheck', command: bin('tsc'), args: ['--noEmit', '-p', 'tsconfig.json'] },
  { name: 'lint', command: bin('eslint'), args: ['--max-warnings', '0', '.'] },
];

function run(check) {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(check.command, check.args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    const output = [];
    child.stdout.on('data', (b) => output.push(b));
    child.stderr.on('data', (b) => output.push(b));
    child.on('error', (err) => resolve({ check, ok: false, output: `${check.name}: could not start ${check.command}: ${err.message}\n`, ms: Date.now() - started }));
    child.on('close', (code, signal) =>
      resolve({ check, ok: code === 0, output: Buffer.concat(output).toString('utf8') + (signal ? `${check.name}: killed by ${signal}\n` : ''), ms: Date.now() - started }),
    );
  });
}

async function main() {
  process.stderr.write(`[homeostat] checks: ${CHECKS.map((c) => c.name).join(' and ')}, side by side…\n`);
  const results = await Promise.all(
    CHECKS.map((c) =>
      run(c).then((r) => {
        if (r.output.trim()) process.stdout.write(`--- ${c.name} ---\n${r.output}${r.output.endsWith('\n') ? '' : '\n'}`);
        process.stderr.write(`[homeostat] ${c.name}: ${r.ok ? 'passed' : 'FAILED'} in ${(r.ms / 1000).toFixed(1)} s\n`);
        return r;
      }),
    ),
  );
  const failed = results.filter((r) => !r.ok).map((r) => r.check.name);
  if (failed.length > 0) {
    process.stderr.write(`[homeostat] checks failed: ${failed.join(', ')} (output above)\n`);
    process.exit(1);
  }
}

main();
