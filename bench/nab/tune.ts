/**
 * The tuning harness of the configuration labelled "tuned on NAB" (`homeostat nab --detector
 * homeostat-tuned`): coordinate search over the numeric settings of a multi-scale configuration
 * (every weight, cap and beyond-range setting, and the emission gate), maximising the standard
 * profile on a set of NAB files. Run from the repository root:
 *
 *   npx tsx bench/nab/tune.ts --data <nab dir> [--train all|0|1] [--start neutral|tuned] [--rounds 3] [--json]
 *
 * `--train 0` tunes on fold 0 (files alternating within each group, `robustness.ts`) and scores the
 * result on fold 1 as well: the held-out figure. `--start neutral` starts from the tuned
 * configuration's structure (its scales and signals, chosen on the whole corpus) with every weight
 * 1, every cap 4, and a plain gate; `--start tuned` from the tuned settings themselves (which have
 * seen every file, so only in-sample figures mean anything then).
 *
 * Speed: a configuration's per-scale surprises do not depend on the settings searched, so they are
 * computed once per file; each candidate only re-fuses, re-gates and re-sweeps (the cached path
 * reproduces the streaming detector exactly; `verify` checks it before searching).
 */
import { type NabCorpus, type NabFile, loadCorpus } from '../../detection/nab/corpus';
import { DEFAULT_NAB_PARAMS, HomeostatNabStream, NAB_SIGNALS, type NabSignal } from '../../detection/nab/detector';
import { EmissionGate } from '../../detection/nab/emission';
import { type MultiScaleNabParams, PEAK_GATE_MULTISCALE_PARAMS, multiScaleNabDetector } from '../../detection/nab/multiscale';
import { twoFold } from '../../detection/nab/robustness';
import { scoreRows } from '../../detection/nab/run';
import { sweepAll } from '../../detection/nab/scorer';

const K = NAB_SIGNALS.length;

/** Per file and scale: the surprises of every row that completes a block (row index, K values, history size of the beyond signal). */
interface ScaleCache {
  rows: Int32Array;
  u: Float64Array;
  n: Float64Array;
}

function blockOf(params: MultiScaleNabParams, scale: MultiScaleNabParams['scales'][number], probation: number): number {
  const sizing = params.sizingRows ?? probation;
  return scale.blockRows ?? (scale.probationDiv === 0 ? 1 : Math.max(1, Math.round(sizing / scale.probationDiv)));
}

export function cacheFile(params: MultiScaleNabParams, file: NabFile): ScaleCache[] {
  return params.scales.map((scale) => {
    const block = blockOf(params, scale, file.probation);
    const stream = new HomeostatNabStream(params.stream ?? DEFAULT_NAB_PARAMS);
    const beyond = scale.beyond?.signal;
    const rows: number[] = [];
    const us: number[] = [];
    const ns: number[] = [];
    let sum = 0;
    let count = 0;
    for (let i = 0; i < file.values.length; i++) {
      const x = file.values[i];
      if (!Number.isFinite(x)) continue;
      sum += x;
      if (++count < block) continue;
      const u = stream.surprises(sum / count, file.timestamps[i]);
      sum = 0;
      count = 0;
      rows.push(i);
      for (let k = 0; k < K; k++) us.push(u[k]);
      ns.push(beyond ? stream.historySize(beyond) : 0);
    }
    return { rows: Int32Array.from(rows), u: Float64Array.from(us), n: Float64Array.from(ns) };
  });
}

/** The multi-scale detector's scores of one file from its cached surprises (same arithmetic as `multiscale.ts`). */
export function scoresFromCache(params: MultiScaleNabParams, file: NabFile, cache: ScaleCache[]): Float64Array {
  const n = file.values.length;
  const fused = new Float64Array(n);
  let total = 0;
  params.scales.forEach((scale, si) => {
    const w = NAB_SIGNALS.map((s) => scale.weights[s] ?? 0);
    const cap = NAB_SIGNALS.map((s) => scale.caps?.[s] ?? params.defaultCap);
    total += w.reduce((a, b) => a + b, 0) + (scale.beyond?.weight ?? 0);
    const b = scale.beyond;
    const bk = b ? NAB_SIGNALS.indexOf(b.signal) : -1;
    const c = cache[si];
    for (let j = 0; j < c.rows.length; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) if (w[k] > 0) s += w[k] * Math.min(1, c.u[j * K + k] / cap[k]);
      if (b && c.u[j * K + bk] > 0 && c.n[j] > 1) s += b.weight * Math.min(1, Math.max(0, c.u[j * K + bk] - Math.log10(c.n[j])) / b.span);
      fused[c.rows[j]] += s;
    }
  });
  const g = params.gate;
  const sizing = params.sizingRows ?? file.probation;
  const gate = new EmissionGate({
    ...g,
    suppressRows: Math.max(g.suppressRows, Math.round(g.suppressProbation * sizing)),
    peakRows: Math.max(g.peakRows ?? 0, Math.round((g.peakProbation ?? 0) * sizing)),
  });
  const out = new Float64Array(n);
  let row = 0;
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(file.values[i])) continue;
    const e = gate.emit(row++, fused[i] / total);
    out[i] = e > 1 ? 1 : e > 0 ? e : 0;
  }
  return out;
}

type Evaluator = (params: MultiScaleNabParams, files: readonly NabFile[]) => number;

export function evaluator(corpus: NabCorpus, structure: MultiScaleNabParams): Evaluator {
  const caches = new Map(corpus.files.map((f) => [f.key, cacheFile(structure, f)]));
  return (params, files) => sweepAll(files.map((file) => ({ file, scores: scoresFromCache(params, file, caches.get(file.key) as ScaleCache[]) })), corpus.profiles).standard.score;
}

/** The cached path must give the streaming detector's scores exactly. */
function verify(params: MultiScaleNabParams, corpus: NabCorpus): void {
  const file = corpus.files[0];
  const streamed = scoreRows(multiScaleNabDetector(params), file);
  const cached = scoresFromCache(params, file, cacheFile(params, file));
  for (let i = 0; i < streamed.length; i++) {
    if (streamed[i] !== cached[i]) throw new Error(`tune: cached scores differ from the streaming detector at ${file.key} row ${i}`);
  }
}

/** The tuned structure with neutral settings: weight 1 for every signal the tuned configuration uses, cap 4, a plain gate. */
export function neutralStart(): MultiScaleNabParams {
  const t = PEAK_GATE_MULTISCALE_PARAMS;
  return {
    ...t,
    scales: t.scales.map((s) => ({
      ...s,
      weights: Object.fromEntries(Object.keys(s.weights).map((k) => [k, 1])),
      caps: undefined,
      beyond: s.beyond && { ...s.beyond, weight: 1, span: 4 },
    })),
    defaultCap: 4,
    gate: { warmup: 100, suppressRows: 100, suppressProbation: 0, emitMemory: 0, emitDiscount: 0 },
  };
}

interface Knob {
  name: string;
  get(p: MultiScaleNabParams): number;
  set(p: MultiScaleNabParams, v: number): MultiScaleNabParams;
  steps: number[];
}

function clone(p: MultiScaleNabParams): MultiScaleNabParams {
  return JSON.parse(JSON.stringify(p)) as MultiScaleNabParams;
}

function knobs(start: MultiScaleNabParams): Knob[] {
  const out: Knob[] = [];
  const ratio = [0.5, 0.75, 1.33, 2];
  start.scales.forEach((scale, si) => {
    for (const sig of Object.keys(scale.weights) as NabSignal[]) {
      out.push({
        name: `scale${si}.w.${sig}`,
        get: (p) => p.scales[si].weights[sig] ?? 0,
        set: (p, v) => {
          const q = clone(p);
          q.scales[si].weights[sig] = v;
          return q;
        },
        steps: [0, ...ratio],
      });
      out.push({
        name: `scale${si}.cap.${sig}`,
        get: (p) => p.scales[si].caps?.[sig] ?? p.defaultCap,
        set: (p, v) => {
          const q = clone(p);
          q.scales[si].caps = { ...(q.scales[si].caps ?? {}), [sig]: v };
          return q;
        },
        steps: ratio,
      });
    }
    if (scale.beyond) {
      for (const key of ['weight', 'span'] as const) {
        out.push({
          name: `scale${si}.beyond.${key}`,
          get: (p) => p.scales[si].beyond?.[key] ?? 0,
          set: (p, v) => {
            const q = clone(p);
            const b = q.scales[si].beyond;
            if (b) b[key] = v;
            return q;
          },
          steps: key === 'weight' ? [0, 0.5, 2, 4, 8] : ratio,
        });
      }
    }
  });
  const gateKnob = (key: 'suppressProbation' | 'emitMemory' | 'emitDiscount' | 'realertMargin' | 'peakProbation' | 'peakDiscount', values: number[]): Knob => ({
    name: `gate.${key}`,
    get: (p) => p.gate[key] ?? 0,
    set: (p, v) => {
      const q = clone(p);
      q.gate = { ...q.gate, [key]: key === 'emitMemory' ? Math.round(v) : v };
      return q;
    },
    steps: values,
  });
  out.push(
    gateKnob('suppressProbation', [0, 0.1, 0.2, 0.3]),
    gateKnob('emitMemory', [0, 20, 40, 80]),
    gateKnob('emitDiscount', [0, 0.25, 0.5, 0.75]),
    gateKnob('realertMargin', [0, 0.01, 0.025, 0.05]),
    gateKnob('peakProbation', [0, 0.15, 0.3, 0.45]),
    gateKnob('peakDiscount', [0, 0.15, 0.3, 0.5]),
  );
  return out;
}

/** Coordinate search: each knob in turn takes the best of its candidate values; repeat for `rounds`. */
export function coordinateSearch(evaluate: Evaluator, start: MultiScaleNabParams, files: readonly NabFile[], rounds: number, log: (line: string) => void): { params: MultiScaleNabParams; score: number } {
  let best = start;
  let bestScore = evaluate(best, files);
  log(`start: ${bestScore.toFixed(2)}`);
  const all = knobs(start);
  for (let round = 0; round < rounds; round++) {
    let improved = false;
    for (const knob of all) {
      const current = knob.get(best);
      const isRatio = !knob.name.startsWith('gate.') && !knob.name.endsWith('beyond.weight');
      const candidates = knob.steps.map((s) => (isRatio && s !== 0 ? current * s : s)).filter((v) => v !== current && (v > 0 || knob.name.includes('.w.') || knob.name.startsWith('gate.') || knob.name.endsWith('beyond.weight')));
      for (const v of candidates) {
        const trial = knob.set(best, v);
        const score = evaluate(trial, files);
        if (score > bestScore + 1e-9) {
          best = trial;
          bestScore = score;
          improved = true;
          log(`round ${round + 1}: ${knob.name} = ${Number(v.toPrecision(4))} → ${score.toFixed(2)}`);
        }
      }
    }
    if (!improved) break;
  }
  return { params: best, score: bestScore };
}

function main(argv: string[]): void {
  const arg = (name: string, dflt: string): string => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 && argv[i + 1] ? argv[i + 1] : dflt;
  };
  const data = arg('data', '');
  if (!data) {
    process.stderr.write('usage: npx tsx bench/nab/tune.ts --data <nab dir> [--train all|0|1] [--start neutral|tuned] [--rounds 3] [--json]\n');
    process.exit(2);
  }
  const train = arg('train', 'all');
  const startName = arg('start', 'neutral');
  const rounds = Number(arg('rounds', '3'));
  const json = argv.includes('--json');
  const corpus = loadCorpus(data);
  const start = startName === 'tuned' ? PEAK_GATE_MULTISCALE_PARAMS : neutralStart();
  verify(start, corpus);
  const evaluate = evaluator(corpus, start);
  const folds = twoFold(corpus.files);
  const trainFiles = train === 'all' ? corpus.files : folds[Number(train)];
  const heldOut = train === 'all' ? [] : folds[1 - Number(train)];
  const log = (line: string): void => void process.stderr.write(`tune: ${line}\n`);
  const result = coordinateSearch(evaluate, start, trainFiles, rounds, log);
  const figures = {
    train,
    start: startName,
    startTrain: evaluate(start, trainFiles),
    tunedTrain: result.score,
    startHeldOut: heldOut.length ? evaluate(start, heldOut) : null,
    tunedHeldOut: heldOut.length ? evaluate(result.params, heldOut) : null,
    committedTunedTrain: evaluate(PEAK_GATE_MULTISCALE_PARAMS, trainFiles),
    committedTunedHeldOut: heldOut.length ? evaluate(PEAK_GATE_MULTISCALE_PARAMS, heldOut) : null,
    params: result.params,
  };
  if (json) {
    process.stdout.write(`${JSON.stringify(figures)}\n`);
    return;
  }
  const f = (x: number | null): string => (x === null ? '–' : x.toFixed(2));
  process.stdout.write(
    [
      `NAB tuning (standard profile), trained on ${train === 'all' ? 'all files' : `fold ${train}`}, start ${startName}, ${rounds} rounds`,
      `start:  train ${f(figures.startTrain)}  held out ${f(figures.startHeldOut)}`,
      `tuned:  train ${f(figures.tunedTrain)}  held out ${f(figures.tunedHeldOut)}`,
      `homeostat-tuned (committed, tuned on all files): train ${f(figures.committedTunedTrain)}  held out ${f(figures.committedTunedHeldOut)}`,
      `settings: ${JSON.stringify(result.params)}`,
    ].join('\n') + '\n',
  );
}

if (require.main === module) main(process.argv.slice(2));
