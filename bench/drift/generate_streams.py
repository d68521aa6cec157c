"""Generates the drift suite's streams with River 0.26.1 (`homeostat bench drift-suite`).

Run from the repository root with the venv Homeostat keeps for River:

    ${HOMEOSTAT_CACHE_DIR:-~/.cache/homeostat}/river-0.26.1/bin/python bench/drift/generate_streams.py

Writes, one JSON object per line in the format `homeostat bench drift-suite --streams` reads
({"name", "kind", "values", "changePoints", "tolerance", ...}), gzip-compressed:

- bench/drift/streams.jsonl.gz      the scored streams;
- bench/drift/calibration.jsonl.gz  streams of the same families without any drift, with other
                                    seeds: the only data the detectors' settings are chosen on.

Binary streams ("kind": "binary") are the 0/1 error stream of a prequential learner (River's
`tree.HoeffdingTreeClassifier`, default settings: predict, then learn, one sample at a time),
trained on 1,000 samples of the first concept before recording starts, on River's synthetic
concept-drift generators: SEA, Agrawal, STAGGER, Hyperplane, LED (LEDDrift), Sine and RandomRBF
with drift (RandomRBFDrift, moving centroids). Each stream holds 10,000 samples and one concept
change through River's `ConceptDriftStream`, from a first concept to another drawn at random
(magnitude), centred at a random position in [3000, 7000]: "abrupt" with width 50 (the sharpest
River's sigmoid allows at these positions), "gradual" with a random width in [500, 1500]. The
change point is the start of the transition (position − width / 2); a detection counts for it
within 1,000 samples (abrupt) or width + 1,000 samples (gradual) after it.

Numeric streams ("kind": "numeric") are the prequential absolute error of River's
`StandardScaler | LinearRegression` on `FriedmanDrift`: global recurring abrupt ("gra", two change
points), global slow gradual ("gsg", two, with a random transition window) and local expanding
abrupt ("lea", three), at random positions; calibration streams use `Friedman` without drift.

Numbers are written with Python's shortest round-trip repr (numeric values rounded to 6
significant digits first), so JavaScript reads the same doubles.
"""

from __future__ import annotations

import gzip
import json
import os
import random
import sys

import river
from river import linear_model, preprocessing, tree
from river.datasets import synth

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "bench", "drift")
LENGTH = 10_000
PRETRAIN = 1_000
STREAMS_PER_VARIANT = 4
CALIBRATION_PER_GENERATOR = 2


def concept(generator, c, seed):
    """One concept of a generator: `c` picks the concept, `seed` the samples."""
    if generator == "sea":
        return synth.SEA(variant=c, noise=0.1, seed=seed)
    if generator == "agrawal":
        return synth.Agrawal(classification_function=c, seed=seed)
    if generator == "stagger":
        return synth.STAGGER(classification_function=c, seed=seed)
    if generator == "hyperplane":
        # The hyperplane's weights come from the seed: another seed, another hyperplane.
        return synth.Hyperplane(seed=1000 * c + seed, n_features=10, n_drift_features=0, noise_percentage=0.05)
    if generator == "led":
        return synth.LEDDrift(seed=seed, noise_percentage=0.1, irrelevant_features=True, n_drift_features=c)
    if generator == "sine":
        return synth.Sine(classification_function=c, seed=seed)
    if generator == "rbf":
        return synth.RandomRBFDrift(seed_model=c, seed_sample=seed, n_classes=2, n_features=10, n_centroids=50, change_speed=0.0005, n_drift_centroids=25)
    raise ValueError(generator)


# Concepts each generator offers (the drift's magnitude: which other concept comes next).
CONCEPTS = {"sea": [0, 1, 2, 3], "agrawal": list(range(10)), "stagger": [0, 1, 2], "hyperplane": list(range(1, 30)), "led": list(range(0, 8)), "sine": [0, 1, 2, 3], "rbf": list(range(1, 30))}


def error_stream(dataset):
    model = tree.HoeffdingTreeClassifier()
    out = []
    for i, (x, y) in enumerate(dataset):
        if i >= PRETRAIN:
            out.append(0 if model.predict_one(x) == y else 1)
        model.learn_one(x, y)
        if len(out) == LENGTH:
            break
    return out


def abs_error_stream(dataset):
    model = preprocessing.StandardScaler() | linear_model.LinearRegression()
    out = []
    for i, (x, y) in enumerate(dataset):
        if i >= PRETRAIN:
            out.append(float(f"{abs(model.predict_one(x) - y):.6g}"))
        model.learn_one(x, y)
        if len(out) == LENGTH:
            break
    return out


def binary_streams(rng):
    lines = []
    for generator in CONCEPTS:
        for variant in ("abrupt", "gradual"):
            for k in range(STREAMS_PER_VARIANT):
                a, b = rng.sample(CONCEPTS[generator], 2)
                seed = rng.randrange(1, 2**31)
                centre = rng.randrange(3000, 7001)
                width = 50 if variant == "abrupt" else rng.randrange(500, 1501)
                stream = synth.ConceptDriftStream(
                    stream=concept(generator, a, seed), drift_stream=concept(generator, b, seed + 1), position=PRETRAIN + centre + 1, width=width, seed=seed + 2
                )
                change = centre - width // 2
                lines.append(
                    {
                        "name": f"{generator}-{variant}-{k}",
                        "kind": "binary",
                        "generator": generator,
                        "variant": variant,
                        "concepts": [a, b],
                        "width": width,
                        "values": error_stream(stream),
                        "changePoints": [change],
                        "tolerance": 1000 if variant == "abrupt" else width + 1000,
                    }
                )
                print(f"  {lines[-1]['name']}: concepts {a} -> {b}, change at {change}", file=sys.stderr)
    return lines


def numeric_streams(rng):
    lines = []
    for drift_type in ("gra", "gsg", "lea"):
        for k in range(STREAMS_PER_VARIANT):
            seed = rng.randrange(1, 2**31)
            if drift_type == "lea":
                points = [rng.randrange(2000, 3501), rng.randrange(4500, 6001), rng.randrange(7000, 8501)]
            else:
                points = [rng.randrange(2500, 4501), rng.randrange(6000, 8001)]
            window = rng.randrange(500, 1501) if drift_type == "gsg" else 0
            stream = synth.FriedmanDrift(drift_type=drift_type, position=tuple(PRETRAIN + p for p in points), transition_window=window, seed=seed)
            lines.append(
                {
                    "name": f"friedman-{drift_type}-{k}",
                    "kind": "numeric",
                    "generator": f"friedman-{drift_type}",
                    "variant": "gradual" if drift_type == "gsg" else "abrupt",
                    "values": abs_error_stream(stream),
                    "changePoints": points,
                    "tolerance": window + 1000,
                }
            )
            print(f"  {lines[-1]['name']}: changes at {points}", file=sys.stderr)
    return lines


def calibration_streams(rng):
    lines = []
    for generator in CONCEPTS:
        for k in range(CALIBRATION_PER_GENERATOR):
            c = rng.choice(CONCEPTS[generator])
            seed = rng.randrange(1, 2**31)
            lines.append({"name": f"{generator}-nodrift-{k}", "kind": "binary", "generator": generator, "variant": "none", "concepts": [c], "values": error_stream(concept(generator, c, seed)), "changePoints": []})
    for k in range(4):
        seed = rng.randrange(1, 2**31)
        lines.append({"name": f"friedman-nodrift-{k}", "kind": "numeric", "generator": "friedman", "variant": "none", "values": abs_error_stream(synth.Friedman(seed=seed)), "changePoints": []})
    return lines


def write(name, lines):
    path = os.path.join(OUT, name)
    with gzip.open(path, "wt", encoding="utf8", compresslevel=9) as f:
        for line in lines:
            f.write(json.dumps({**line, "river": river.__version__}, separators=(",", ":")) + "\n")
    print(f"wrote {os.path.relpath(path, ROOT)} ({os.path.getsize(path)} bytes, {len(lines)} streams)")


def main():
    if river.__version__ != "0.26.1":
        sys.exit(f"River 0.26.1 is the reference; this environment has {river.__version__}")
    # Separate generators for the scored streams and the calibration streams: no seed is shared.
    write("streams.jsonl.gz", binary_streams(random.Random(20260101)) + numeric_streams(random.Random(20260102)))
    write("calibration.jsonl.gz", calibration_streams(random.Random(20260103)))


if __name__ == "__main__":
    main()
