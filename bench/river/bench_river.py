"""Times River 0.26.1's drift detectors on the streams the Homeostat benchmark wrote to disk, and
measures their memory.

Usage: bench_river.py <real.f64> <binary.f64> <stationary-real.f64> <stationary-binary.f64> <updates> <repeats> [name ...]

Each stream is a file of little-endian float64 values. The loop is the one a River user writes:

    for x in data:
        detector.update(x)
        if detector.drift_detected:
            ...

The floor is the same loop around `river.drift.NoDrift` (an update that does nothing): what the
loop, the call and the attribute read cost by themselves.

Memory: one detector receives the stationary stream (10^6 values: the worst case for ADWIN, whose
window then spans all of it), then `COPIES` deep copies of it are made; per copy, the larger of
the growth that tracemalloc sees (Python's allocator) and the growth of the process's resident
set (River's ADWIN keeps its window in Rust, which tracemalloc does not see; pymalloc's arenas
hide small Python objects from the RSS).

CUSUM and EWMA are not in River 0.26.1. With HOMEOSTAT_RIVER_MAIN pointing at a copy of River's
repository, they are River's own main-branch files (river/drift/cusum.py, ewma.py) on River
0.26.1; without it, the oracles of reference_detectors.py (the same algorithms written from their
description on River 0.26.1's statistics), and the output says which.

Prints one JSON object: {"river": version, "floorNsPerUpdate", "detectors": {name: {"nsPerUpdate",
"drifts", "impl", "bytes"}}}.
"""

from __future__ import annotations

import copy
import importlib.util
import json
import os
import sys
import time
import tracemalloc

import numpy as np
import river
from river import drift

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference_detectors import ReferenceCusum, ReferenceEwmaChart  # noqa: E402

COPIES = 1000


def main_branch(filename, cls_name):
    root = os.environ.get("HOMEOSTAT_RIVER_MAIN")
    if not root:
        return None
    path = os.path.join(root, "river", "drift", filename)
    spec = importlib.util.spec_from_file_location(f"river_main_{cls_name.lower()}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, cls_name)


def factories():
    cusum = main_branch("cusum.py", "CUSUM")
    ewma = main_branch("ewma.py", "EWMA")
    return {
        "adwin": ("river.drift.ADWIN", drift.ADWIN, "real"),
        "page-hinkley": ("river.drift.PageHinkley", drift.PageHinkley, "real"),
        "cusum": ("river main river/drift/cusum.py", cusum, "real") if cusum else ("reference_detectors.ReferenceCusum (oracle)", ReferenceCusum, "real"),
        "ewma": ("river main river/drift/ewma.py", ewma, "real") if ewma else ("reference_detectors.ReferenceEwmaChart (oracle)", ReferenceEwmaChart, "real"),
        "ddm": ("river.drift.binary.DDM", drift.binary.DDM, "binary"),
        "eddm": ("river.drift.binary.EDDM", drift.binary.EDDM, "binary"),
        "hddm-a": ("river.drift.binary.HDDMA", drift.binary.HDDMA, "binary"),
        "hddm-w": ("river.drift.binary.HDDMW", drift.binary.HDDMW, "binary"),
        # River's default seed is None; Homeostat's KSWIN defaults to 42, so both draw the same samples.
        "kswin": ("river.drift.KSWIN(seed=42)", lambda: drift.KSWIN(seed=42), "real"),
        "fhddm": ("river.drift.binary.FHDDM", drift.binary.FHDDM, "binary"),
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


def best_of(factory, data, repeats):
    best = None
    drifts = 0
    for _ in range(repeats):
        elapsed, drifts = run_once(factory, data)
        best = elapsed if best is None else min(best, elapsed)
    return best / len(data), drifts


def rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def memory(name, factory, data):
    # KSWIN's state is its 100-value window, full after 100 updates; 10^6 of its KS tests would
    # take minutes in Python without changing its size.
    if name == "kswin":
        data = data[:20_000]
    trained = factory()
    for x in data:
        trained.update(x)
    copies = []
    tracemalloc.start()
    traced_before, _ = tracemalloc.get_traced_memory()
    rss_before = rss_bytes()
    for _ in range(COPIES):
        copies.append(copy.deepcopy(trained))
    rss_after = rss_bytes()
    traced_after, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return max(0, round(max(traced_after - traced_before, rss_after - rss_before) / len(copies)))


def main():
    real_path, binary_path, real_still, binary_still = sys.argv[1:5]
    updates, repeats = int(sys.argv[5]), int(sys.argv[6])
    table = factories()
    names = sys.argv[7:] or list(table)
    load = lambda p, n=None: np.fromfile(p, dtype="<f8")[:n].tolist()  # noqa: E731
    streams = {
        "real": load(real_path, updates),
        # 0/1 streams reach River as Python ints, as a classifier's error flags would.
        "binary": [int(v) for v in load(binary_path, updates)],
    }
    still = {"real": load(real_still), "binary": [int(v) for v in load(binary_still)]}
    floor, _ = best_of(drift.NoDrift, streams["real"], max(repeats, 3))
    out = {}
    for name in names:
        impl, factory, kind = table[name]
        ns, drifts = best_of(factory, streams[kind], repeats)
        out[name] = {"nsPerUpdate": ns, "drifts": drifts, "impl": impl, "updates": len(streams[kind]), "bytes": memory(name, factory, still[kind])}
    print(json.dumps({"river": river.__version__, "floorNsPerUpdate": floor, "detectors": out}))


if __name__ == "__main__":
    main()
