"""Times River 0.26.1's drift detectors on the streams the Homeostat benchmark wrote to disk.

Usage: bench_river.py <real.f64> <binary.f64> <updates> <repeats> [name ...]

Each stream is a file of little-endian float64 values. The loop is the one a River user writes:

    for x in data:
        detector.update(x)
        if detector.drift_detected:
            ...

CUSUM and EWMA are not in River 0.26.1; they are timed through the oracles of
reference_detectors.py (River's main-branch algorithms on River's statistics). Prints one JSON
object: {"river": version, "detectors": {name: {"nsPerUpdate", "drifts", "impl"}}}.
"""

from __future__ import annotations

import json
import os
import sys
import time

import numpy as np
import river
from river import drift

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference_detectors import ReferenceCusum, ReferenceEwmaChart  # noqa: E402

FACTORIES = {
    "adwin": ("river.drift.ADWIN", drift.ADWIN, "real"),
    "page-hinkley": ("river.drift.PageHinkley", drift.PageHinkley, "real"),
    "cusum": ("reference_detectors.ReferenceCusum", ReferenceCusum, "real"),
    "ewma": ("reference_detectors.ReferenceEwmaChart", ReferenceEwmaChart, "real"),
    "ddm": ("river.drift.binary.DDM", drift.binary.DDM, "binary"),
    "eddm": ("river.drift.binary.EDDM", drift.binary.EDDM, "binary"),
    "hddm-a": ("river.drift.binary.HDDMA", drift.binary.HDDMA, "binary"),
    "hddm-w": ("river.drift.binary.HDDMW", drift.binary.HDDMW, "binary"),
}


def run_once(factory, data):
    detector = factory()
    drifts = 0
    start = time.perf_counter_ns()
    for x in data:
        detector.update(x)
        if detector.drift_detected:
            drifts += 1
    return time.perf_counter_ns() - start, drifts


def main():
    real_path, binary_path, updates, repeats = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    names = sys.argv[5:] or list(FACTORIES)
    streams = {
        "real": np.fromfile(real_path, dtype="<f8")[:updates].tolist(),
        # 0/1 streams reach River as Python ints, as a classifier's error flags would.
        "binary": [int(v) for v in np.fromfile(binary_path, dtype="<f8")[:updates]],
    }
    out = {}
    for name in names:
        impl, factory, kind = FACTORIES[name]
        data = streams[kind]
        best = None
        drifts = 0
        for _ in range(repeats):
            elapsed, drifts = run_once(factory, data)
            best = elapsed if best is None else min(best, elapsed)
        out[name] = {"nsPerUpdate": best / len(data), "drifts": drifts, "impl": impl, "updates": len(data)}
    print(json.dumps({"river": river.__version__, "detectors": out}))


if __name__ == "__main__":
    main()
