'use strict';
/**
 * After a run: how long each test file took, written to `<cache>/test-durations.json` (seconds by
 * repo-relative path, merged with earlier runs so a partial run updates only what it ran), and
 * the slowest files beside the run's wall time and its workers' busy share, so a suite creeping
 * over its time budget says where the time went. `node scripts/test-durations.js` copies the
 * figures into `test/support/durations.json`, the order a fresh clone starts its files in
 * (sequencer.js).
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');
const cacheRoot = process.env.HOMEOSTAT_CACHE_DIR || path.join(os.homedir(), '.cache', 'homeostat');
const SHOWN = 12;

class DurationsReporter {
  /** `options.file`: another file name in the cache directory (the real-server run keeps its own). */
  constructor(globalConfig, options = {}) {
    this.workers = globalConfig.maxWorkers;
    // With -t only some tests of each file ran: its time says nothing about the whole file.
    this.partial = Boolean(globalConfig.testNamePattern);
    this.out = path.join(cacheRoot, options.file || 'test-durations.json');
  }

  onRunComplete(_contexts, results) {
    const files = results.testResults
      .filter((r) => r.perfStats && r.perfStats.end > r.perfStats.start)
      .map((r) => ({ file: path.relative(ROOT, r.testFilePath), seconds: (r.perfStats.end - r.perfStats.start) / 1000 }));
    if (files.length === 0) return;
    let known = {};
    try {
      known = JSON.parse(fs.readFileSync(this.out, 'utf8'));
    } catch {
      // First run on this machine.
    }
    for (const f of files) known[f.file] = Math.round(f.seconds * 10) / 10;
    try {
      if (this.partial) throw new Error('a run filtered by test name (-t)');
      fs.mkdirSync(cacheRoot, { recursive: true });
      fs.writeFileSync(this.out, `${JSON.stringify(sortedByValue(known), null, 2)}\n`);
    } catch (err) {
      process.stderr.write(`[homeostat] test durations not saved (${err.message})\n`);
    }
    const wall = (Date.now() - results.startTime) / 1000;
    const busy = files.reduce((s, f) => s + f.seconds, 0);
    const slowest = [...files].sort((a, b) => b.seconds - a.seconds).slice(0, SHOWN);
    const lines = slowest.map((f) => `  ${f.seconds.toFixed(0).padStart(5)} s  ${f.file}`);
    process.stderr.write(
      `\n[homeostat] ${files.length} test files in ${wall.toFixed(0)} s wall; file time ${busy.toFixed(0)} s over ${this.workers} workers ` +
        `(${((busy / (wall * this.workers)) * 100).toFixed(0)} % busy). Slowest:\n${lines.join('\n')}\n` +
        `  (all figures: ${this.out}; \`node scripts/test-durations.js\` refreshes test/support/durations.json)\n`,
    );
  }
}

function sortedByValue(o) {
  return Object.fromEntries(Object.entries(o).sort((a, b) => b[1] - a[1]));
}

module.exports = DurationsReporter;
