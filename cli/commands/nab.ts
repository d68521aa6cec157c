import { type Command } from 'commander';
import { z } from 'zod';
import { HomeostatError } from '../../common/errors';
import { formatZodIssues } from '../../common/zod-errors';
import { NAB_DETECTORS, type NabDetectorName, nabDetector } from '../../detection/nab/detectors';
import { PROFILE_NAMES, loadCorpus } from '../../detection/nab/corpus';
import { type NabDetectorFactory } from '../../detection/nab/detector';
import { alignmentSpread, bootstrapFiles } from '../../detection/nab/robustness';
import { type NabScores, type ScoredFile } from '../../detection/nab/scorer';
import { PUBLISHED_DEFAULT, scorePublished } from '../../detection/nab/published';
import { runNab } from '../../detection/nab/run';

const flagsSchema = z.object({
  data: z.string().min(1).optional(),
  out: z.string().min(1).optional(),
  json: z.boolean(),
  detector: z.enum(NAB_DETECTORS),
  published: z.string().min(1).optional(),
  publishedDetectors: z.string().min(1).optional(),
  robustness: z.boolean(),
  bootstrap: z.coerce.number().int().min(10),
});

/**
 * `homeostat nab --data <dir> [--out <dir>] [--json] [--detector <name>]`: streams every file of
 * the NAB corpus through a detector configuration, scores it with NAB's rules and prints the
 * normalised score per profile. Progress goes to stderr so stdout stays machine-readable.
 */
export function register(program: Command): void {
  program
    .command('nab')
    .description('score a detector configuration on the Numenta Anomaly Benchmark (NAB)')
    .option('--data <dir>', 'NAB corpus directory (with data/, labels/, config/); required unless --published')
    .option('--published <checkout>', "score NAB's own published results (<checkout>/results) with Homeostat's scorer instead of running a detector")
    .option('--published-detectors <list>', `with --published: comma-separated NAB detectors (default ${PUBLISHED_DEFAULT.join(',')})`)
    .option('--out <dir>', "write per-row scores in NAB's results layout")
    .option('--json', 'print {"standard":…,"reward_low_FP_rate":…,"reward_low_FN_rate":…}', false)
    .option('--robustness', 'also print a bootstrap 95 % interval over files and the mean over block alignments', false)
    .option('--bootstrap <n>', 'bootstrap replicates for --robustness', '1000')
    .option('--detector <name>', `detector configuration (${NAB_DETECTORS.join(' | ')})`, 'homeostat')
    .action((raw: unknown) => {
      const parsed = flagsSchema.safeParse(raw);
      if (!parsed.success) throw new HomeostatError('HS_INVALID_INPUT', `nab: ${formatZodIssues(parsed.error).join('; ')}`);
      const flags = parsed.data;
      if (flags.published) {
        printPublished(flags.published, flags.publishedDetectors?.split(',') ?? PUBLISHED_DEFAULT, flags.json);
        return;
      }
      if (!flags.data) throw new HomeostatError('HS_INVALID_INPUT', 'nab: --data <dir> is required (or --published <NAB checkout>)');
      const started = Date.now();
      const tty = process.stderr.isTTY === true;
      const result = runNab({
        dataDir: flags.data,
        outDir: flags.out,
        detector: nabDetector(flags.detector as NabDetectorName),
        onProgress: (p) => {
          const line = `nab: [${p.index + 1}/${p.total}] ${p.file} (${p.rows} rows)`;
          process.stderr.write(tty ? `\r\x1b[2K${line}` : `${line}\n`);
        },
      });
      if (tty) process.stderr.write('\n');
      const seconds = (Date.now() - started) / 1000;
      process.stderr.write(`nab: ${result.files} files, ${result.rows} rows, ${result.windows} windows in ${seconds.toFixed(1)} s\n`);
      // A detector that decides by itself (the sentinel as deployed) is reported at its own decisions.
      const s = result.atDecision ?? result.scores;
      const robust = flags.robustness ? robustness(nabDetector(flags.detector as NabDetectorName), result.scored, flags.data, flags.bootstrap) : undefined;
      if (flags.json) {
        const three = (x: NabScores) => Object.fromEntries(PROFILE_NAMES.map((p) => [p, round(x[p].score)]));
        process.stdout.write(
          `${JSON.stringify({
            ...three(s),
            ...(result.atDecision ? { sweep: three(result.scores) } : {}),
            ...(robust
              ? {
                  alignmentMean: robust.alignments && Object.fromEntries(PROFILE_NAMES.map((p) => [p, round(robust.alignments?.mean[p] ?? Number.NaN)])),
                  bootstrap95: Object.fromEntries(PROFILE_NAMES.map((p) => [p, [round(robust.bootstrap[p].low), round(robust.bootstrap[p].high)]])),
                }
              : {}),
          })}\n`,
        );
        return;
      }
      const rows = Object.entries(s).map(
        ([name, r]) =>
          `${name.padEnd(20)} ${r.score.toFixed(2).padStart(7)}   threshold ${r.threshold.toFixed(4)}  TP ${r.tp}  FP ${r.fp}  FN ${r.fn}  raw ${r.raw.toFixed(2)}`,
      );
      const detector = nabDetector(flags.detector as NabDetectorName);
      const how = result.atDecision ? ' at its own decisions (as deployed)' : detector.tunedOnNab ? ' — TUNED ON NAB: in-sample figures; held-out ones in docs/nab.md' : '';
      const lines = [`NAB normalised scores for detector "${result.detector}"${how} (0 = null, 100 = perfect)`, ...rows];
      if (result.atDecision) lines.push(`with the threshold chosen by NAB's sweep instead: ${PROFILE_NAMES.map((p) => `${p} ${result.scores[p].score.toFixed(2)}`).join(', ')}`);
      if (robust) {
        lines.push(`bootstrap 95 % interval over files (${flags.bootstrap} replicates): ${PROFILE_NAMES.map((p) => `${p} ${robust.bootstrap[p].low.toFixed(2)}–${robust.bootstrap[p].high.toFixed(2)}`).join(', ')}`);
        const al = robust.alignments;
        lines.push(
          al
            ? `mean over ${al.runs.length} block alignments: ${PROFILE_NAMES.map((p) => `${p} ${al.mean[p].toFixed(2)}`).join(', ')} (standard per alignment: ${al.runs.map((r) => r.scores.standard.toFixed(2)).join(' ')})`
            : 'block alignments: none (no block scales)',
        );
      }
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}

function robustness(detector: NabDetectorFactory, scored: ScoredFile[], dataDir: string, replicates: number): { bootstrap: ReturnType<typeof bootstrapFiles>; alignments: ReturnType<typeof alignmentSpread> } {
  const corpus = loadCorpus(dataDir);
  const bootstrap = bootstrapFiles(scored, corpus.profiles, replicates, 17, detector.decisionThreshold);
  const alignments = alignmentSpread(detector, corpus, (a) => process.stderr.write(`nab: block alignment ${a}\n`));
  return { bootstrap, alignments };
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

/** NAB's published results scored two ways, beside NAB's `final_results.json`. */
function printPublished(checkout: string, detectors: readonly string[], json: boolean): void {
  const rows = scorePublished(checkout, detectors);
  if (json) {
    const out = rows.map((r) => ({
      detector: r.detector,
      nab: r.nab,
      atNabThreshold: r.atNabThreshold,
      sweep: Object.fromEntries(PROFILE_NAMES.map((p) => [p, { score: r.sweep[p].score, threshold: r.sweep[p].threshold }])),
    }));
    process.stdout.write(`${JSON.stringify(out)}\n`);
    return;
  }
  const lines = [`NAB's published results scored by Homeostat (${checkout}); per profile: NAB final_results.json | at NAB's thresholds | exact sweep`];
  lines.push(`${'detector'.padEnd(18)}${PROFILE_NAMES.map((p) => p.padEnd(34)).join('')}`);
  for (const r of rows) {
    const cells = PROFILE_NAMES.map((p) => `${r.nab[p].toFixed(3)} | ${r.atNabThreshold[p].toFixed(3)} | ${r.sweep[p].score.toFixed(3)}`.padEnd(34));
    lines.push(`${r.detector.padEnd(18)}${cells.join('')}`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}
