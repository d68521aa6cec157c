#!/usr/bin/env node
'use strict';
/**
 * Copies the durations of the last test runs on this machine (`<cache>/test-durations.json`,
 * written by test/support/durations-reporter.js) into `test/support/durations.json`, which the
 * sequencer uses to start a fresh clone's longest test files first. Files that no longer exist
 * are dropped. Run it after a full `npm test` and commit the result.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const cacheRoot = process.env.HOMEOSTAT_CACHE_DIR || path.join(os.homedir(), '.cache', 'homeostat');
const source = path.join(cacheRoot, 'test-durations.json');
const target = path.join(root, 'test', 'support', 'durations.json');

let measured;
try {
  measured = JSON.parse(fs.readFileSync(source, 'utf8'));
} catch (err) {
  process.stderr.write(`no measured durations at ${source} (${err.message}): run the test suite first\n`);
  process.exit(1);
}
const kept = Object.entries(measured).filter(([file, s]) => typeof s === 'number' && fs.existsSync(path.join(root, file)));
kept.sort((a, b) => b[1] - a[1]);
fs.writeFileSync(target, `${JSON.stringify(Object.fromEntries(kept), null, 2)}\n`);
process.stdout.write(`${kept.length} test files → ${path.relative(root, target)} (slowest: ${kept.slice(0, 3).map(([f, s]) => `${f} ${s} s`).join(', ')})\n`);
