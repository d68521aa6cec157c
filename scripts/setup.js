#!/usr/bin/env node
'use strict';
/**
 * Installs the npm dependencies when they are missing or stale, and only then: a warm checkout
 * whose lockfile has not changed skips it; a fresh clone copies the `node_modules` that an earlier
 * `npm ci` of the same lockfile, package.json and Node version left in the cache directory
 * (seconds); only a new combination runs `npm ci` (minutes: better-sqlite3 builds from source)
 * and then stores its result there. The two newest copies are kept.
 * Services (Temporal, Kafka) are provisioned on demand by the commands that need them.
 */
const { execFileSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
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

const cacheRoot = path.join(process.env.HOMEOSTAT_CACHE_DIR || path.join(os.homedir(), '.cache', 'homeostat'), 'node-modules');
const cached = path.join(cacheRoot, digest.slice(0, 16));
const KEEP = 2;

/** A whole-tree copy that keeps symlinks as they are (node_modules/.bin links are relative). */
function copyTree(from, to) {
  try {
    execFileSync('cp', ['-a', '--reflink=auto', from, to], { stdio: 'pipe' });
  } catch {
    fs.rmSync(to, { recursive: true, force: true });
    fs.cpSync(from, to, { recursive: true, verbatimSymlinks: true, preserveTimestamps: true });
  }
}

function betterSqliteLoads() {
  try {
    execFileSync(process.execPath, ['-e', "new (require('better-sqlite3'))(':memory:').close()"], { cwd: root, stdio: 'pipe' });
    return null;
  } catch (err) {
    return String(err.stderr || err.message);
  }
}

function restoreFromCache() {
  if (!fs.existsSync(path.join(cached, 'node_modules', '.homeostat-install-stamp'))) return false;
  const target = path.join(root, 'node_modules');
  fs.rmSync(target, { recursive: true, force: true });
  copyTree(path.join(cached, 'node_modules'), target);
  if (betterSqliteLoads() !== null) {
    // A damaged copy: drop it and install from the registry instead.
    fs.rmSync(cached, { recursive: true, force: true });
    fs.rmSync(target, { recursive: true, force: true });
    return false;
  }
  fs.utimesSync(cached, new Date(), new Date());
  return true;
}

/** Stores this install for the next fresh clone; a failure here only costs the next clone an npm ci. */
function saveToCache() {
  try {
    fs.mkdirSync(cacheRoot, { recursive: true });
    const partial = `${cached}.partial-${process.pid}`;
    fs.rmSync(partial, { recursive: true, force: true });
    fs.mkdirSync(partial);
    copyTree(path.join(root, 'node_modules'), path.join(partial, 'node_modules'));
    fs.rmSync(cached, { recursive: true, force: true });
    fs.renameSync(partial, cached);
    const copies = fs
      .readdirSync(cacheRoot)
      .filter((name) => !name.includes('.partial-'))
      .map((name) => ({ name, at: fs.statSync(path.join(cacheRoot, name)).mtimeMs }))
      .sort((a, b) => b.at - a.at);
    for (const old of copies.slice(KEEP)) fs.rmSync(path.join(cacheRoot, old.name), { recursive: true, force: true });
  } catch (err) {
    process.stderr.write(`[homeostat] npm dependencies: could not cache node_modules (${err.message}); the next fresh clone runs npm ci again\n`);
  }
}

if (restoreFromCache()) {
  process.stderr.write(`[homeostat] npm dependencies: copied from the cache (${cached}) in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
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
const loadError = betterSqliteLoads();
if (loadError !== null) {
  process.stderr.write(`[homeostat] better-sqlite3 did not build: ${loadError}\n`);
  process.exit(1);
}
fs.writeFileSync(stamp, digest);
saveToCache();
process.stderr.write(`[homeostat] npm dependencies: installed in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
