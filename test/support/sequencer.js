'use strict';
/**
 * Test order for a suite whose services are built on first use. Jest's own order (slowest first
 * from its timing cache, else the largest file first) is kept among the files whose services are
 * ready. Files that need a service still being built (the background prewarm, see
 * scripts/prewarm.js) go after them, in the order prewarm builds their services: on a cold
 * machine both jest workers would otherwise sit waiting for a 20-minute Go build while a hundred
 * files that need nothing but the suite's shared servers queue behind them. On a warm cache
 * every service is ready and the order is Jest's.
 *
 * What a file needs is read from its imports (and those of the test helpers it imports, two
 * levels deep): `infra/<module>` names the service. Only the order changes, never what runs.
 *
 * Jest's timing cache lives in its cache directory under a key derived from the checkout's path,
 * so a fresh clone (every CI run) has none and Jest falls back to "largest file first" — which
 * puts the slowest files of the suite (the end-to-end healing drills: twenty lines each, several
 * minutes each) last, and the run ends with one worker busy for minutes while the other idles.
 * `test/support/durations.json` (seconds per file, refreshed by `node scripts/test-durations.js`
 * from a run's `--json` results) fills in where Jest's own cache knows nothing, so a fresh clone
 * also starts its longest files first.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const Sequencer = require('@jest/test-sequencer').default;

const ROOT = path.resolve(__dirname, '..', '..');
const DURATIONS_FILE = path.join(__dirname, 'durations.json');

/** Committed durations (ms) by absolute path; none when the file is missing or unreadable. */
function committedDurations() {
  try {
    const seconds = JSON.parse(fs.readFileSync(DURATIONS_FILE, 'utf8'));
    return new Map(Object.entries(seconds).filter(([, s]) => typeof s === 'number' && s >= 0).map(([file, s]) => [path.join(ROOT, file), s * 1000]));
  } catch {
    return new Map();
  }
}

/** infra module → service, in the order scripts/prewarm.js builds them. */
const SERVICES = [
  { service: 'postgres', modules: ['postgres'], ready: () => fs.existsSync('/usr/lib/postgresql') },
  { service: 'prometheus', modules: ['prometheus'], ready: () => onPath('prometheus') },
  { service: 'mlflow', modules: ['mlflow'], ready: () => cached('mlflow-') },
  { service: 'helm', modules: ['helm'], ready: () => cached('helm-') },
  { service: 'flink', modules: ['flink', 'flink-job'], ready: () => cached('flink-') },
  { service: 'kubernetes', modules: ['kubernetes', 'kube-build'], ready: () => cached('kubernetes-1') && cached('kwok-') },
  { service: 'temporal-server', modules: ['temporal-server'], ready: () => cached('temporal-server-') },
];

const cacheRoot = process.env.HOMEOSTAT_CACHE_DIR || path.join(os.homedir(), '.cache', 'homeostat');

function cacheEntries() {
  try {
    return fs.readdirSync(cacheRoot);
  } catch {
    return [];
  }
}

/** A cache directory with this prefix exists and nobody holds a build lock for it. */
function cached(prefix) {
  const entries = cacheEntries();
  return entries.some((e) => e.startsWith(prefix) && !e.endsWith('.lock')) && !entries.some((e) => e.startsWith(prefix) && e.endsWith('.lock'));
}

function onPath(binary) {
  return (process.env.PATH || '').split(path.delimiter).some((dir) => dir && fs.existsSync(path.join(dir, binary)));
}

const IMPORT = /(?:from\s+|require\()\s*['"](\.{1,2}\/[^'"]+)['"]/g;

function importsOf(file) {
  let source;
  try {
    source = fs.readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return [...source.matchAll(IMPORT)].map((m) => path.resolve(path.dirname(file), m[1]));
}

/** Services a test file needs, from its imports and its helpers' (two levels). */
function servicesOf(testPath) {
  const needed = new Set();
  const seen = new Set();
  const visit = (file, depth) => {
    for (const target of importsOf(file)) {
      const module = target.match(/[/\\]infra[/\\]([\w-]+)$/);
      if (module) {
        for (const s of SERVICES) if (s.modules.includes(module[1])) needed.add(s.service);
        continue;
      }
      if (depth === 0 || seen.has(target)) continue;
      seen.add(target);
      for (const ext of ['.ts', '.js', '/index.ts']) {
        if (fs.existsSync(target + ext)) {
          visit(target + ext, depth - 1);
          break;
        }
      }
    }
  };
  visit(testPath, 2);
  return needed;
}

class ServicesReadyFirst extends Sequencer {
  committed = committedDurations();

  /** Jest's cached duration of this checkout's last run, else the committed one. */
  time(test) {
    return super.time(test) ?? this.committed.get(test.path);
  }

  sort(tests) {
    const jestOrder = super.sort(tests);
    const readiness = new Map(SERVICES.map((s, i) => [s.service, s.ready() ? -1 : i]));
    // Rank = the latest-built service the file waits for; -1 when it waits for none.
    const rank = (test) => Math.max(-1, ...[...servicesOf(test.path)].map((s) => readiness.get(s)));
    const ranked = jestOrder.map((test, index) => ({ test, index, rank: rank(test) }));
    ranked.sort((a, b) => a.rank - b.rank || a.index - b.index);
    return ranked.map((r) => r.test);
  }
}

module.exports = ServicesReadyFirst;
