"""Regenerates the detection fixtures under test/fixtures/detection/ from River 0.26.1 and numpy.

Run from the repository root with the venv the benchmark creates (or any venv holding
`river==0.26.1` and numpy):

    ${HOMEOSTAT_CACHE_DIR:-~/.cache/homeostat}/river-0.26.1/bin/python bench/river/generate_fixtures.py

Outputs (all plain JSON, floats written with Python's shortest round-trip repr):
- numpy-streams.json  the three seeded streams of River's drift tests, plus raw draws of numpy's
                      legacy generator seeded with 12345, to check detection/random.ts against;
- river-golden.json   River 0.26.1 on those three streams, in the settings River's tests use;
- river-parity.json   River 0.26.1 on further seeded streams (stored inline) and settings.

CUSUM and EWMA are not in River 0.26.1 (the newest release on PyPI); River's main branch ships
them as river/drift/cusum.py and river/drift/ewma.py. Their expected outputs come from those two
files of River's own source, loaded from a local copy of River's repository on top of River
0.26.1's `stats` and `base` (they import nothing else):

    .../python bench/river/generate_fixtures.py --river-main <river checkout> --river-main-commit <sha>

The fixtures record each file's SHA-256 and the commit given.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import os
import sys

import numpy as np
import river
from river import drift

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "test", "fixtures", "detection")

# Homeostat registry name -> (how the reference is built, River's parameter names for each of ours)
PARAM_NAMES = {
    "minInstances": "min_instances",
    "delta": "delta",
    "threshold": "threshold",
    "alpha": "alpha",
    "mode": "mode",
    "clock": "clock",
    "maxBuckets": "max_buckets",
    "minWindowLength": "min_window_length",
    "gracePeriod": "grace_period",
    "slack": "slack",
    "warmStart": "warm_start",
    "warningThreshold": "warning_threshold",
    "driftThreshold": "drift_threshold",
    "beta": "beta",
    "driftConfidence": "drift_confidence",
    "warningConfidence": "warning_confidence",
    "lambdaVal": "lambda_val",
    "twoSidedTest": "two_sided_test",
    "windowSize": "window_size",
    "statSize": "stat_size",
    "seed": "seed",
    "slidingWindowSize": "sliding_window_size",
    "confidenceLevel": "confidence_level",
    "shortWindowSize": "short_window_size",
}

REFERENCES = {
    "adwin": ("river.drift.ADWIN", drift.ADWIN),
    "page-hinkley": ("river.drift.PageHinkley", drift.PageHinkley),
    "ddm": ("river.drift.binary.DDM", drift.binary.DDM),
    "eddm": ("river.drift.binary.EDDM", drift.binary.EDDM),
    "hddm-a": ("river.drift.binary.HDDMA", drift.binary.HDDMA),
    "hddm-w": ("river.drift.binary.HDDMW", drift.binary.HDDMW),
    "kswin": ("river.drift.KSWIN", drift.KSWIN),
    "fhddm": ("river.drift.binary.FHDDM", drift.binary.FHDDM),
}

BINARY = {"ddm", "eddm", "hddm-a", "hddm-w", "fhddm"}


def load_main(checkout, commit, filename, cls_name):
    """A detector class from River's own main-branch source file, run on River 0.26.1."""
    path = os.path.join(checkout, "river", "drift", filename)
    if not os.path.exists(path):
        sys.exit(f"{path} not found: --river-main must point at a copy of River's repository")
    with open(path, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    spec = importlib.util.spec_from_file_location(f"river_main_{cls_name.lower()}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    label = f"river/drift/{filename} of online-ml/river main @ {commit} (sha256 {digest[:16]}; not in River 0.26.1), on River 0.26.1"
    return label, getattr(module, cls_name)


def river_params(params):
    return {PARAM_NAMES[k]: v for k, v in params.items()}


def runs(flags):
    """[[start, end], ...] inclusive ranges of the indices where flags is true."""
    out = []
    start = None
    for i, f in enumerate(flags):
        if f and start is None:
            start = i
        if not f and start is not None:
            out.append([start, i - 1])
            start = None
    if start is not None:
        out.append([start, len(flags) - 1])
    return out


def run_case(name, params, stream, trace_every=0):
    label, cls = REFERENCES[name]
    detector = cls(**river_params(params))
    drifts = []
    warnings = []
    trace = []
    for i, x in enumerate(stream):
        detector.update(x)
        if detector.drift_detected:
            drifts.append(i)
        warnings.append(bool(getattr(detector, "warning_detected", False)))
        if trace_every and (i % trace_every == trace_every - 1 or i == len(stream) - 1):
            trace.append([i, detector.width, detector.total, detector.variance])
    case = {"detector": name, "params": params, "reference": label, "riverParams": river_params(params), "drifts": drifts}
    if name in BINARY:
        case["warnings"] = runs(warnings)
    if trace:
        case["trace"] = trace
    return case


def golden_streams():
    """The three streams of River's tests/drift/test_drift_detectors.py, drawn the same way."""
    np.random.seed(12345)
    s1 = np.concatenate((np.random.randint(2, size=1000), np.random.randint(8, size=1000)))
    np.random.seed(12345)
    s2 = np.concatenate(
        [[np.random.binomial(1, 0.2) for _ in range(1000)], [np.random.binomial(1, 0.8) for _ in range(1000)]]
    ).astype(int)
    np.random.seed(12345)
    s3 = np.concatenate(
        (
            np.random.normal(0.0, 0.1, 500) > 0,
            np.random.normal(0.25, 0.1, 500) > 0,
            np.random.normal(0.0, 0.1, 500) > 0,
            np.random.normal(0.25, 0.1, 500) > 0,
        )
    ).astype(int)
    return {"stream1": s1, "stream2": s2, "stream3": s3}


def raw_draws():
    r = np.random.RandomState(12345)
    uint32 = r.randint(0, 2**32, size=1000, dtype=np.uint32).tolist()
    r = np.random.RandomState(12345)
    doubles = r.random_sample(1000).tolist()
    r = np.random.RandomState(12345)
    normals = r.standard_normal(1000).tolist()
    r = np.random.RandomState(12345)
    binomial = [int(r.binomial(1, 0.3)) for _ in range(1000)]
    r = np.random.RandomState(12345)
    randint = [int(r.randint(k)) for k in [3, 5, 6, 7, 100, 1000, 12345] * 100]
    return {"seed": 12345, "uint32": uint32, "randomSample": doubles, "standardNormal": normals, "binomial1_0.3": binomial, "randintMixed": randint}


def extra_streams():
    """Further seeded streams: real-valued for ADWIN / Page-Hinkley / CUSUM / EWMA, 0/1 for all."""
    s = {}
    r = np.random.RandomState(7)
    s["gauss-shift"] = np.concatenate([r.normal(0, 1, 1000), r.normal(1, 1, 1000)])
    r = np.random.RandomState(11)
    s["gauss-multi"] = np.concatenate([r.normal(mu, 1, 600) for mu in [0, 2, 0, -2, 0.5]])
    r = np.random.RandomState(13)
    s["gauss-variance"] = np.concatenate([r.normal(0, 1, 1000), r.normal(0, 3, 1000)])
    r = np.random.RandomState(17)
    t = np.arange(3000)
    s["gradual"] = np.clip((t - 1000) / 1000.0, 0, 1) + r.normal(0, 0.5, 3000)
    r = np.random.RandomState(19)
    s["offset"] = np.concatenate([1e6 + r.normal(0, 1, 1500), 1e6 + 0.5 + r.normal(0, 1, 1500)])
    r = np.random.RandomState(23)
    s["integers"] = np.concatenate([r.randint(0, 10, 1000), r.randint(3, 13, 1000)])
    r = np.random.RandomState(29)
    s["laplace"] = np.concatenate([r.laplace(0, 1, 1500), r.laplace(0.8, 1, 1500)])
    r = np.random.RandomState(47)
    s["gauss-stable"] = r.normal(5, 2, 5000)
    r = np.random.RandomState(31)
    s["bern-multi"] = np.concatenate([r.binomial(1, p, 1500) for p in [0.1, 0.4, 0.1, 0.5]])
    r = np.random.RandomState(37)
    s["bern-gradual"] = (r.random_sample(4000) < np.linspace(0.05, 0.6, 4000)).astype(int)
    r = np.random.RandomState(41)
    s["bern-rare"] = np.concatenate([r.binomial(1, 0.02, 3000), r.binomial(1, 0.08, 2000)])
    r = np.random.RandomState(43)
    s["bern-stable"] = r.binomial(1, 0.3, 5000)
    return s


SETTINGS = {
    "adwin": [
        {},
        {"delta": 0.01, "clock": 1},
        {"delta": 0.0001, "clock": 16, "maxBuckets": 3},
        {"minWindowLength": 20, "gracePeriod": 100},
        {"clock": 5, "maxBuckets": 2, "minWindowLength": 2, "gracePeriod": 0},
    ],
    "page-hinkley": [
        {},
        {"mode": "up"},
        {"mode": "down"},
        {"minInstances": 10, "delta": 0.05, "threshold": 20, "alpha": 0.999},
        {"threshold": 10, "alpha": 1.0, "mode": "up"},
    ],
    "cusum": [
        {},
        {"mode": "up"},
        {"mode": "down"},
        {"minInstances": 100, "slack": 0.25, "threshold": 8},
        {"minInstances": 2, "slack": 1.0, "threshold": 3},
    ],
    "ewma": [
        {},
        {"alpha": 0.3, "threshold": 3, "minInstances": 10},
        {"alpha": 0.05, "mode": "up"},
        {"alpha": 1.0, "threshold": 2.5, "mode": "down"},
    ],
    "ddm": [{}, {"warmStart": 100, "warningThreshold": 1.5, "driftThreshold": 2.5}, {"warmStart": 0, "driftThreshold": 4}],
    "eddm": [{}, {"alpha": 0.9, "beta": 0.8}, {"warmStart": 10, "alpha": 0.99, "beta": 0.95}],
    "hddm-a": [{}, {"twoSidedTest": True}, {"driftConfidence": 0.0001, "warningConfidence": 0.01, "twoSidedTest": True}],
    "hddm-w": [
        {},
        {"twoSidedTest": True},
        {"lambdaVal": 0.2, "driftConfidence": 0.01, "warningConfidence": 0.05, "twoSidedTest": True},
        {"lambdaVal": 1.0},
    ],
    # River's default seed is None (a new sample every run); parity needs one. 470 > 277 draws
    # the sample by rejection from a set, the smaller ranges by a partial shuffle of a pool.
    "kswin": [
        {"seed": 1},
        {"alpha": 0.05, "windowSize": 60, "statSize": 20, "seed": 7},
        {"alpha": 0.0001, "windowSize": 200, "statSize": 50, "seed": 3},
        {"windowSize": 500, "statSize": 30, "seed": 5},
    ],
    "fhddm": [
        {},
        {"slidingWindowSize": 50, "confidenceLevel": 0.001},
        {"shortWindowSize": 20},
        {"slidingWindowSize": 200, "confidenceLevel": 0.0001, "shortWindowSize": 50},
    ],
}


def to_list(a):
    return [int(v) if isinstance(v, (np.integer, int)) else float(v) for v in np.asarray(a).tolist()]


def write(name, payload):
    path = os.path.join(OUT, name)
    with open(path, "w") as f:
        json.dump(payload, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {os.path.relpath(path, ROOT)} ({os.path.getsize(path)} bytes)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--river-main", required=True, help="a local copy of River's repository (main branch), for CUSUM and EWMA")
    parser.add_argument("--river-main-commit", required=True, help="the commit of that copy, recorded in the fixtures")
    args = parser.parse_args()
    REFERENCES["cusum"] = load_main(args.river_main, args.river_main_commit, "cusum.py", "CUSUM")
    REFERENCES["ewma"] = load_main(args.river_main, args.river_main_commit, "ewma.py", "EWMA")
    os.makedirs(OUT, exist_ok=True)
    versions = {"river": river.__version__, "numpy": np.__version__, "python": sys.version.split()[0]}
    if versions["river"] != "0.26.1":
        sys.exit(f"River 0.26.1 is the reference; this environment has {versions['river']}")

    golden = golden_streams()
    write("numpy-streams.json", {**versions, "streams": {k: to_list(v) for k, v in golden.items()}, "draws": raw_draws()})

    golden_cases = [
        ("adwin", {}, "stream1"),
        ("ddm", {}, "stream2"),
        ("ddm", {}, "ones1000"),
        ("eddm", {"alpha": 0.9, "beta": 0.8}, "stream2"),
        ("hddm-a", {}, "stream2"),
        ("hddm-w", {}, "stream2"),
        ("page-hinkley", {"mode": "up"}, "stream3"),
        ("page-hinkley", {"mode": "down"}, "stream3"),
        ("page-hinkley", {"mode": "both"}, "stream3"),
        ("hddm-a", {"twoSidedTest": True}, "stream3"),
        ("hddm-w", {"twoSidedTest": True}, "stream3"),
    ]
    streams = dict(golden)
    streams["ones1000"] = np.ones(1000)
    cases = []
    for name, params, stream in golden_cases:
        case = run_case(name, params, streams[stream], trace_every=100 if name == "adwin" else 0)
        case["stream"] = stream
        cases.append(case)
    write("river-golden.json", {**versions, "cases": cases})

    extra = extra_streams()
    cases = []
    for name, settings in SETTINGS.items():
        for params in settings:
            for stream, values in extra.items():
                if name in BINARY and not stream.startswith("bern-"):
                    continue
                case = run_case(name, params, values.tolist(), trace_every=250 if name == "adwin" else 0)
                case["stream"] = stream
                cases.append(case)
    write("river-parity.json", {**versions, "streams": {k: to_list(v) for k, v in extra.items()}, "cases": cases})


if __name__ == "__main__":
    main()
