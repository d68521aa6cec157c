/**
 * KSWIN and FHDDM beyond the parity fixture: the pieces of Python and scipy they reproduce, the
 * `homeostat detect` command at River 0.26.1's exact indices (a drifting and a stationary stream
 * each), and the sentinel building, holding and restoring them like any registry detector.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { ksProbOutsideSquare } from '../../detection/kswin';
import { PythonRandom } from '../../detection/python-random';
import { createDetector } from '../../detection/registry';
import { detectorsFor, sentinelConfigSchema } from '../../sentinel/config';
import { HeldDetector, restoreAny } from '../../sentinel/detectors';
import { registryFactory } from '../../sentinel/registry-factory';
import { parityCases } from '../fixtures/detection/fixtures';

const BIN = path.resolve(__dirname, '../../bin/homeostat.js');
const { streams = {} } = parityCases();

function detect(args: string[], values: readonly number[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, 'detect', ...args], { input: `${values.join('\n')}\n`, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('what KSWIN reproduces', () => {
  it("CPython's random.Random: random(), getrandbits, _randbelow and sample(range(n), k) on both of its paths", () => {
    const r = new PythonRandom(42);
    expect([r.random(), r.random(), r.getrandbits(7), r.randbelow(70)]).toEqual([0.6394267984578837, 0.025010755222666936, 35, 31]);
    expect(r.sample(70, 30)).toEqual([28, 17, 13, 11, 54, 4, 3, 5, 67, 14, 32, 38, 1, 35, 12, 45, 41, 44, 34, 26, 60, 69, 37, 68, 0, 10, 27, 21, 46, 9]);
    // n > 21 + 4^⌈log4 3k⌉: rejection from a set; a seed wider than 32 bits.
    expect(new PythonRandom(2 ** 40 + 5).sample(1000, 10)).toEqual([516, 529, 275, 679, 948, 28, 543, 776, 837, 854]);
    const s = new PythonRandom(9);
    s.random();
    const copy = new PythonRandom(0);
    copy.setState(s.getState());
    expect(copy.random()).toBe(s.random());
  });

  it("scipy's exact two-sample KS p-value for equal sizes (_compute_prob_outside_square)", () => {
    expect([1, 5, 10, 15, 30].map((h) => ksProbOutsideSquare(30, h))).toEqual([1.0000000000000004, 0.8079631540901643, 0.07088798787114439, 0.0008995776840176799, 1.6911233892144742e-17]);
    expect(ksProbOutsideSquare(20, 7)).toBe(0.17453300569806826);
    expect(ksProbOutsideSquare(50, 12)).toBe(0.11238524845512393);
  });
});

describe('homeostat detect kswin | fhddm (child process, River 0.26.1 indices)', () => {
  it('kswin --seed 1: a mean shift, and a stationary stream', () => {
    expect(detect(['kswin', '--seed', '1'], streams['gauss-shift']).stdout).toBe('592\n1031\n');
    expect(detect(['kswin', '--seed', '1'], streams['gauss-stable']).stdout).toBe('637\n1285\n4134\n');
    const strict = detect(['kswin', '--alpha', '0.0001', '--window-size', '200', '--stat-size', '50', '--seed', '3'], streams['gauss-stable']);
    expect(strict).toEqual({ status: 0, stdout: '', stderr: '' });
  });

  it('fhddm: a change of the 0/1 rate, and no detection on a stationary one', () => {
    expect(detect(['fhddm'], streams['bern-multi']).stdout).toBe('3062\n');
    expect(detect(['fhddm'], streams['bern-stable'])).toEqual({ status: 0, stdout: '', stderr: '' });
    expect(detect(['fhddm', '--short-window-size', '20'], streams['bern-multi']).stdout).toBe('3037\n5175\n5593\n');
  });

  it('rejects settings they cannot run with, naming them', () => {
    const r = detect(['kswin', '--stat-size', '100'], [1]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/statSize/);
    expect(detect(['fhddm', '--confidence-level', '1'], [1]).stderr).toMatch(/confidenceLevel/);
    expect(detect(['fhddm'], [0.5, 2]).stderr).toMatch(/\[0, 1\]/);
  });
});

describe('in the sentinel', () => {
  it('a signal rule can name kswin or fhddm; the held wrapper snapshots and restores them', () => {
    const config = sentinelConfigSchema.parse({
      signals: [
        { signal: 'latency.*', detectors: [{ detector: 'kswin', params: { seed: 1 } }] },
        { signal: 'errors', detectors: [{ detector: 'fhddm', params: { shortWindowSize: 20 } }] },
      ],
    });
    expect(detectorsFor(config, 'metric', { pipeline: 'p', component: 'c', signal: 'latency.p99' }).detectors.map((d) => d.detector)).toEqual(['kswin']);
    expect(detectorsFor(config, 'model.error', { pipeline: 'p', component: 'c', signal: 'errors' }).detectors.map((d) => d.detector)).toEqual(['fhddm']);
    for (const [name, params, stream] of [
      ['kswin', { seed: 1 }, streams['gauss-shift']],
      ['fhddm', { shortWindowSize: 20 }, streams['bern-multi']],
    ] as const) {
      const straight = new HeldDetector(registryFactory.create(name, params), 20, 8, 0.1);
      let resumed = new HeldDetector(registryFactory.create(name, params), 20, 8, 0.1);
      const a: number[] = [];
      const b: number[] = [];
      stream.forEach((x, i) => {
        if (i === 1500) resumed = restoreAny(registryFactory)(JSON.parse(JSON.stringify(resumed.snapshot()))) as HeldDetector;
        a.push(straight.update(x).score);
        b.push(resumed.update(x).score);
      });
      expect(b).toEqual(a);
      expect(a.filter((s) => s === 1).length).toBeGreaterThan(0);
    }
    expect(createDetector('kswin').seed).toBe(42);
  });
});
