/**
 * `homeostat detect <detector> [--<param> <value> …] [--scores]`
 *
 * Reads one number per line from stdin, runs one streaming detector over them and prints the
 * 0-based index of every detection, one per line (or, with --scores, the anomaly score after
 * every row). Parameters carry River's names in kebab-case (`--max-buckets` = `max_buckets`);
 * Homeostat's own detectors (`bernoulli-cusum`) take their registry settings the same way.
 * Output is buffered: a run that fails (bad setting, non-numeric line, value out of range)
 * prints only the error, naming the line, and exits non-zero.
 */
import { type Command, Option } from 'commander';
import { z } from 'zod';
import { HomeostatError, isHomeostatError } from '../../common/errors';
import { ALL_DETECTOR_NAMES, MODES, type DetectorName, type StreamingDetector } from '../../detection/detector';
import { createDetector, detectorParams } from '../../detection/registry';

type Kind = 'number' | 'integer' | 'boolean' | 'mode';

/** Every detector setting the CLI knows: camelCase key → kind and help text. */
const SETTINGS: Record<string, { kind: Kind; help: string }> = {
  delta: { kind: 'number', help: 'ADWIN confidence δ; Page-Hinkley tolerance δ' },
  clock: { kind: 'integer', help: 'ADWIN: test for a cut every N updates' },
  maxBuckets: { kind: 'integer', help: 'ADWIN: buckets per row before merging' },
  minWindowLength: { kind: 'integer', help: 'ADWIN: smallest sub-window tested' },
  gracePeriod: { kind: 'integer', help: 'ADWIN: updates before the first test' },
  minInstances: { kind: 'integer', help: 'Page-Hinkley / CUSUM / EWMA: warm-up length' },
  threshold: { kind: 'number', help: 'Page-Hinkley λ; CUSUM h and EWMA L (in standard deviations); Bernoulli CUSUM h (nats)' },
  alpha: { kind: 'number', help: 'Page-Hinkley forgetting factor; EWMA weight; EDDM warning level; KSWIN significance level' },
  mode: { kind: 'mode', help: `Page-Hinkley / CUSUM / EWMA direction: ${MODES.join(' | ')}` },
  slack: { kind: 'number', help: 'CUSUM slack k (in standard deviations)' },
  warmStart: { kind: 'integer', help: 'DDM / EDDM: updates before detection starts' },
  warningThreshold: { kind: 'number', help: 'DDM warning level (standard deviations)' },
  driftThreshold: { kind: 'number', help: 'DDM drift level (standard deviations)' },
  beta: { kind: 'number', help: 'EDDM drift level' },
  driftConfidence: { kind: 'number', help: 'HDDM drift confidence' },
  warningConfidence: { kind: 'number', help: 'HDDM warning confidence' },
  lambdaVal: { kind: 'number', help: 'HDDM_W EWMA weight λ' },
  twoSidedTest: { kind: 'boolean', help: 'HDDM: also detect decreases (flag, or true / false)' },
  reference: { kind: 'integer', help: 'Bernoulli CUSUM: updates whose error rate becomes the kept reference' },
  oddsRatio: { kind: 'number', help: 'Bernoulli CUSUM: odds of the rate to detect, relative to the reference (> 1)' },
  holdOff: { kind: 'integer', help: 'Bernoulli CUSUM: silent updates after a detection' },
  windowSize: { kind: 'integer', help: 'KSWIN: values kept' },
  statSize: { kind: 'integer', help: 'KSWIN: size of each compared sample (< window size)' },
  seed: { kind: 'integer', help: 'KSWIN: seed of the reference-sample draws (CPython random)' },
  slidingWindowSize: { kind: 'integer', help: 'FHDDM: bits in the long window' },
  confidenceLevel: { kind: 'number', help: 'FHDDM: δ of the Hoeffding bound, in (0, 1)' },
  shortWindowSize: { kind: 'integer', help: 'FHDDM: bits in the short window (stacking FHDDM)' },
};

const kebab = (key: string): string => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const VALUE_SCHEMAS: Record<Kind, z.ZodType<number | boolean | string>> = {
  number: z
    .string()
    .trim()
    .regex(NUMBER, 'must be a number')
    .transform(Number)
    .refine(Number.isFinite, 'must be finite'),
  integer: z.string().trim().regex(/^[+-]?\d+$/, 'must be an integer').transform(Number),
  boolean: z.union([z.literal(true), z.enum(['true', 'false']).transform((v) => v === 'true')], { message: 'must be true or false (or the bare flag)' }),
  mode: z.enum(MODES, { message: `must be one of ${MODES.join(', ')}` }),
};

const DETECTOR = z.enum(ALL_DETECTOR_NAMES, { message: `must be one of ${ALL_DETECTOR_NAMES.join(', ')}` });

/**
 * Turns the parsed command-line options into detector settings: rejects settings the detector
 * does not take (naming those it does) and values of the wrong kind. Ranges are checked by the
 * detector's constructor.
 */
export function settingsFromOptions(name: string, options: Record<string, unknown>): { detector: DetectorName; params: Record<string, unknown> } {
  const parsedName = DETECTOR.safeParse(name);
  if (!parsedName.success) {
    throw new HomeostatError('HS_INVALID_INPUT', `unknown detector "${name}"; valid detectors: ${ALL_DETECTOR_NAMES.join(', ')}`);
  }
  const detector = parsedName.data;
  const accepted = detectorParams(detector);
  const params: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries(options)) {
    if (raw === undefined || !(key in SETTINGS)) continue;
    if (!accepted.includes(key)) {
      throw new HomeostatError(
        'HS_INVALID_INPUT',
        `${detector} does not take --${kebab(key)}; its settings: ${accepted.map((k) => `--${kebab(k)}`).join(', ')}`,
      );
    }
    const parsed = VALUE_SCHEMAS[SETTINGS[key].kind].safeParse(raw);
    if (!parsed.success) {
      throw new HomeostatError('HS_INVALID_INPUT', `invalid --${kebab(key)} ${JSON.stringify(raw)}: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
    }
    params[key] = parsed.data;
  }
  return { detector, params };
}

/**
 * Runs a detector over newline-separated numbers and returns the whole output text. Throws
 * HS_INVALID_INPUT naming the 1-based line of the first value that is not a finite number (or
 * that the detector refuses). A final newline does not count as an empty line.
 */
export function runDetectText(detector: StreamingDetector, text: string, scores: boolean): string {
  const out: string[] = [];
  const length = text.length;
  let start = 0;
  let line = 0;
  let row = 0;
  while (start < length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = length;
    line++;
    const raw = text.slice(start, end > start && text.charCodeAt(end - 1) === 13 ? end - 1 : end).trim();
    start = end + 1;
    const x = NUMBER.test(raw) ? Number(raw) : NaN;
    if (!Number.isFinite(x)) {
      throw new HomeostatError('HS_INVALID_INPUT', `line ${line}: expected one number per line, got ${JSON.stringify(raw.length > 40 ? `${raw.slice(0, 40)}…` : raw)}`, { line });
    }
    try {
      detector.update(x);
    } catch (err) {
      // The library's hint about skipInvalid does not apply to the CLI, which never skips.
      if (isHomeostatError(err)) throw new HomeostatError(err.code, `line ${line}: ${err.message.replace(/ \(pass skipInvalid[^)]*\)$/, '')}`, { line });
      throw err;
    }
    if (scores) out.push(String(detector.score));
    else if (detector.driftDetected) out.push(String(row));
    row++;
  }
  return out.length > 0 ? `${out.join('\n')}\n` : '';
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

function describeSettings(): string {
  const lines = ALL_DETECTOR_NAMES.map((n) => `  ${n.padEnd(16)}${detectorParams(n).map((k) => `--${kebab(k)}`).join(' ')}`);
  return `\nSettings per detector (defaults — River's for the River ports — apply when omitted):\n${lines.join('\n')}\n\nExample:\n  seq 1 100 | homeostat detect page-hinkley --threshold 10 --mode up\n`;
}

export function register(program: Command): void {
  const command = program
    .command('detect')
    .description('run a streaming drift detector over stdin (one number per line); prints the 0-based index of every detection')
    .argument('<detector>', ALL_DETECTOR_NAMES.join(' | '))
    .option('--scores', 'print the anomaly score in [0, 1] after every row instead of detection indices', false)
    .addHelpText('after', describeSettings());
  for (const [key, { kind, help }] of Object.entries(SETTINGS)) {
    const flag = kind === 'boolean' ? `--${kebab(key)} [bool]` : `--${kebab(key)} <value>`;
    command.addOption(new Option(flag, help));
  }
  command.action(async (name: string, opts: Record<string, unknown>) => {
    const { detector, params } = settingsFromOptions(name, opts);
    const instance = createDetector(detector, params);
    const text = await readStdin();
    const output = runDetectText(instance, text, opts.scores === true);
    process.stdout.write(output);
  });
}
