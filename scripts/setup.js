#!/usr/bin/env node
'use strict';
/**
 * Installs the npm dependencies when they are missing or stale, and only then: a fresh clone
 * gets `npm ci`; a warm checkout whose lockfile has not changed skips it (seconds, not minutes).
 * Services (Temporal, Kafka) are provisioned on demand by the commands that need them.
 */
const { execFileSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const lock = path.join(root, 'package-lock.json');
const stamp = path.join(root, 'node_modules', '.homeostat-install-stamp');
const started = Date.now();

const digest = crypto
  .createHash('sha256')
  .update(fs.readFileSync(lock))
  .update(fs.readFileSync(path.join(root, 'package.json')))
  .update(process.version)
  .digest('hex');

if (fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === digest) {
  process.stderr.write('[homeostat] npm dependencies: up to date\n');
  process.exit(0);
}
process.stderr.write('[homeostat] npm dependencies: installing with npm ci (first run builds better-sqlite3 from source; takes a few minutes)…\n');
try {
  execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
} catch {
  process.stderr.write('[homeostat] npm ci failed: see the output above\n');
  process.exit(1);
}
// better-sqlite3 must have its native module: fail here, with the reason, rather than later.
try {
  execFileSync(process.execPath, ['-e', "new (require('better-sqlite3'))(':memory:').close()"], { cwd: root, stdio: 'pipe' });
} catch (err) {
  process.stderr.write(`[homeostat] better-sqlite3 did not build: ${String(err.stderr || err.message)}\n`);
  process.exit(1);
}
fs.writeFileSync(stamp, digest);
process.stderr.write(`[homeostat] npm dependencies: installed in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
