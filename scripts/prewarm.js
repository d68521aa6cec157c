#!/usr/bin/env node
'use strict';
/**
 * Starts the heavy builds and downloads of the test suite's services in the background, so that a
 * cold run (nothing cached) overlaps them with the type check, the lint and the tests that do not
 * need them. Every part is an ordinary `homeostat provision --<part>`: idempotent, cached by
 * version and safe beside a concurrent caller (each takes a lock file in the cache directory), so
 * a test that needs a part simply waits for the build in progress instead of starting its own.
 * On a warm cache every part finds its artefact and the background process ends in seconds.
 *
 * `node scripts/prewarm.js` returns at once; the parts run one after another (two cores: parallel
 * builds would only slow the tests down more) at low priority, logged to
 * `<cache>/prewarm.log`. A failed part is logged and the next one runs: the test that needs it
 * calls the same provisioning and fails loudly with the reason. HOMEOSTAT_NO_PREWARM=1 turns it off.
 */
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const cache = process.env.HOMEOSTAT_CACHE_DIR || path.join(os.homedir(), '.cache', 'homeostat');
const logFile = path.join(cache, 'prewarm.log');

/**
 * In the order the suite needs them: what global setup starts first, then the services of the
 * first jest run (longest builds early), and the real Temporal server, needed only by the second.
 */
const PARTS = [
  ['--temporal', '--test-server', '--kafka'],
  ['--postgres'],
  ['--prometheus'],
  ['--mlflow'],
  ['--helm'],
  ['--flink'],
  // Cold, the control plane is the longest build (20-30 min on 2 cores): before the Temporal
  // server, which only the second jest run needs.
  ['--kubernetes'],
  ['--temporal-server'],
];

function runParts() {
  const out = fs.openSync(logFile, 'a');
  const write = (line) => fs.writeSync(out, `[prewarm ${new Date().toISOString()}] ${line}\n`);
  write(`start (pid ${process.pid})`);
  for (const flags of PARTS) {
    const started = Date.now();
    const result = spawnSync('nice', ['-n', '10', process.execPath, path.join(root, 'bin', 'homeostat.js'), 'provision', ...flags], {
      cwd: root,
      stdio: ['ignore', out, out],
      env: process.env,
    });
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    write(`${flags.join(' ')}: ${result.status === 0 ? 'ready' : `FAILED (exit ${result.status ?? result.signal})`} in ${seconds} s`);
  }
  write('done');
  fs.closeSync(out);
}

if (process.argv[2] === '--run') {
  runParts();
} else if (process.env.HOMEOSTAT_NO_PREWARM === '1') {
  process.stderr.write('[homeostat] prewarm: off (HOMEOSTAT_NO_PREWARM=1)\n');
} else {
  fs.mkdirSync(cache, { recursive: true });
  const child = spawn(process.execPath, [__filename, '--run'], { cwd: root, detached: true, stdio: 'ignore', env: process.env });
  child.unref();
  process.stderr.write(`[homeostat] prewarm: building missing services in the background (pid ${child.pid}, log ${logFile})\n`);
}
