"""Random parity cases: random detector, random settings, random seeded stream, River's answers.

Usage: fuzz_cases.py <seed> <count> <out.json>

Streams mix regimes that stress the arithmetic: Gaussian blocks of very different scales,
integers, offsets up to 1e9, near-constant values (σ = 1e-9), Cauchy noise, and 0/1 blocks.
Each case records River 0.26.1's drift indices (and warning runs; for ADWIN its window state
every 97 updates), like generate_fixtures.py. Cases on which River itself fails (ADWIN with
max_buckets = 1 panics in River's Rust code) are reported on stderr and left out.
"""

from __future__ import annotations

import json
import os
import random
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from generate_fixtures import BINARY, run_case  # noqa: E402


def random_stream(rng, r, binary):
    n = rng.randrange(200, 6000)
    blocks = rng.randrange(1, 6)
    size = n // blocks
    if binary:
        return np.concatenate([r.binomial(1, rng.uniform(0.01, 0.9), size) for _ in range(blocks)]).tolist()
    kind = rng.choice(["gauss", "int", "offset", "tiny", "bern", "heavy"])
    parts = []
    for _ in range(blocks):
        if kind == "gauss":
            parts.append(r.normal(rng.uniform(-3, 3), rng.uniform(0.01, 5), size))
        elif kind == "int":
            parts.append(r.randint(0, rng.randrange(2, 20), size) + rng.randrange(0, 5))
        elif kind == "offset":
            parts.append(rng.choice([1e3, 1e6, -1e8, 1e9]) + r.normal(rng.uniform(-1, 1), 1, size))
        elif kind == "tiny":
            parts.append(rng.uniform(-1, 1) + r.normal(0, 1e-9, size))
        elif kind == "bern":
            parts.append(r.binomial(1, rng.uniform(0.05, 0.95), size))
        else:
            parts.append(r.standard_cauchy(size) * rng.uniform(0.1, 10))
    return np.concatenate(parts).tolist()


def random_params(rng, name):
    pick = rng.choice
    if name == "adwin":
        options = {
            "delta": [0.5, 0.1, 0.01, 0.002, 1e-5],
            "clock": [1, 2, 7, 32, 100],
            "maxBuckets": [2, 3, 5, 9],
            "minWindowLength": [1, 2, 5, 30],
            "gracePeriod": [0, 5, 10, 300],
        }
        return {k: pick(v) for k, v in options.items() if rng.random() < 0.5}
    if name == "page-hinkley":
        return {"minInstances": pick([1, 30, 100]), "delta": pick([0, 0.005, 0.5]), "threshold": pick([1, 10, 50]),
                "alpha": pick([1.0, 0.9999, 0.99]), "mode": pick(["up", "down", "both"])}
    if name == "cusum":
        return {"minInstances": pick([2, 30, 200]), "slack": pick([0, 0.5, 1.5]), "threshold": pick([1, 5, 12]),
                "mode": pick(["up", "down", "both"])}
    if name == "ewma":
        return {"minInstances": pick([1, 30, 200]), "alpha": pick([1.0, 0.5, 0.1, 0.01]), "threshold": pick([1, 3, 6]),
                "mode": pick(["up", "down", "both"])}
    if name == "ddm":
        return {"warmStart": pick([0, 30, 300]), "warningThreshold": pick([1.0, 2.0]), "driftThreshold": pick([2.0, 3.0, 5.0])}
    if name == "eddm":
        beta = pick([0.5, 0.8, 0.9])
        return {"warmStart": pick([0, 30, 100]), "alpha": pick([beta, 0.95, 1.0]), "beta": beta}
    if name == "hddm-a":
        return {"driftConfidence": pick([0.1, 0.001, 1e-6]), "warningConfidence": pick([0.2, 0.005]), "twoSidedTest": rng.random() < 0.5}
    return {"driftConfidence": pick([0.1, 0.001, 1e-6]), "warningConfidence": pick([0.2, 0.005]),
            "lambdaVal": pick([0.01, 0.05, 0.5, 1.0]), "twoSidedTest": rng.random() < 0.5}


def main():
    seed, count, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    rng = random.Random(seed)
    names = ["adwin", "adwin", "adwin", "page-hinkley", "cusum", "ewma", "ddm", "eddm", "hddm-a", "hddm-w"]
    cases = []
    for k in range(count):
        name = rng.choice(names)
        r = np.random.RandomState(rng.randrange(2**31))
        values = random_stream(rng, r, name in BINARY)
        params = random_params(rng, name)
        try:
            case = run_case(name, params, values, trace_every=97 if name == "adwin" else 0)
        except BaseException as err:  # River's Rust panics surface as BaseException
            print(f"River failed on {name} {params}: {err!r}"[:200], file=sys.stderr)
            continue
        case["stream"] = f"fuzz-{k}"
        case["values"] = values
        cases.append(case)
    with open(out, "w") as f:
        json.dump({"seed": seed, "cases": cases}, f)


if __name__ == "__main__":
    main()
