/**
 * Headless Chromium from Debian's packages, driven by its command-line flags only (no CDP
 * client): load a page, let its scripts run, and hand back the DOM as text (and optionally a
 * screenshot). Used to check what the Temporal Web UI shows an operator.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HomeostatError } from '../common/errors';
import { binaryFromEnvOrDebian } from './apt';

const ALTERNATIVE = 'install Chromium (apt-get install chromium), or set CHROMIUM_PATH to a Chromium or Chrome binary';

/** CHROMIUM_PATH, else Debian's `chromium` (installed with apt-get when missing). */
export async function ensureChromium(): Promise<string> {
  return binaryFromEnvOrDebian('CHROMIUM_PATH', ['chromium'], 'chromium', ALTERNATIVE);
}

export interface HeadlessPageOptions {
  /**
   * Virtual time the page's scripts get before the DOM is taken: timers run on it, and it waits
   * while network requests are in flight, so a single-page app's fetches (the UI's API and codec
   * calls) finish within it however slow the machine is.
   */
  virtualTimeBudgetMs?: number;
  /** Also write a PNG of the page here. */
  screenshotFile?: string;
  windowSize?: { width: number; height: number };
}

function baseArgs(profile: string, o: HeadlessPageOptions): string[] {
  const size = o.windowSize ?? { width: 1400, height: 1800 };
  return [
    '--headless',
    // As root (CI containers) Chromium's sandbox cannot start; the pages are our own loopback servers.
    ...(typeof process.getuid === 'function' && process.getuid() === 0 ? ['--no-sandbox'] : []),
    '--disable-gpu',
    '--disable-dev-shm-usage',
    '--no-first-run',
    '--no-default-browser-check',
    '--disable-extensions',
    '--disable-background-networking',
    '--run-all-compositor-stages-before-draw',
    `--user-data-dir=${profile}`,
    `--window-size=${size.width},${size.height}`,
    `--virtual-time-budget=${o.virtualTimeBudgetMs ?? 20_000}`,
  ];
}

/** The DOM of `url` after its scripts ran (serialised HTML), from a fresh, throw-away profile. */
export async function headlessDom(url: string, options: HeadlessPageOptions = {}): Promise<string> {
  const chromium = await ensureChromium();
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'homeostat-chromium-'));
  try {
    const dom = await run(chromium, [...baseArgs(profile, options), '--dump-dom', url]);
    if (options.screenshotFile) {
      await run(chromium, [...baseArgs(profile, options), `--screenshot=${options.screenshotFile}`, url]);
      if (!fs.existsSync(options.screenshotFile)) throw new HomeostatError('HS_SERVICE_UNAVAILABLE', `chromium wrote no screenshot of ${url}`);
    }
    return dom;
  } finally {
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

/** Chromium's stdout (the DOM); its stderr is noise unless it fails, then it is the reason. */
function run(chromium: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(chromium, args, { maxBuffer: 64 * 1024 * 1024, timeout: 180_000, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
      if (err) {
        reject(new HomeostatError('HS_SERVICE_UNAVAILABLE', `chromium ${args.at(-1)} failed (${err.message}):\n${stderr.split('\n').slice(-20).join('\n')}`));
      } else resolve(stdout);
    });
  });
}
