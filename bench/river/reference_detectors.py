"""Python oracles for the two Homeostat detectors that River 0.26.1 does not ship.

River 0.26.1 (the newest release on PyPI) has no CUSUM and no EWMA drift detector; River's main
branch has both (`river/drift/cusum.py`, `river/drift/ewma.py`). These classes follow the same
algorithms, written here from their mathematical description, and they take every running
statistic from River 0.26.1's own primitives (`stats.Mean`, `stats.Var`, `stats.EWVar`), so the
floating-point arithmetic of the statistics is River's. They are used to produce the CUSUM and
EWMA fixtures and as the Python baseline in the benchmark.
"""

from __future__ import annotations

from river import stats


class ReferenceCusum:
    """Tabular CUSUM with the reference (mean, sample std) frozen after `min_instances` values."""

    def __init__(self, min_instances=30, slack=0.5, threshold=5.0, mode="both"):
        self.min_instances = min_instances
        self.slack = slack
        self.threshold = threshold
        self.mode = mode
        self.drift_detected = False
        self._clear()

    def _clear(self):
        self.drift_detected = False
        self._count = 0
        self._avg = stats.Mean()
        self._spread = stats.Var()
        self._up = 0.0
        self._down = 0.0
        self._mu = None
        self._sd = 0.0

    def update(self, x):
        if self.drift_detected:
            self._clear()
        self._count += 1
        self._avg.update(x)
        self._spread.update(x)
        if self._count < self.min_instances:
            return
        if self._mu is None:
            self._mu = self._avg.get()
            self._sd = max(self._spread.get(), 0.0) ** 0.5
        allowance = self.slack * self._sd
        interval = self.threshold * self._sd
        gap = x - self._mu
        self._up = max(0.0, self._up + gap - allowance)
        self._down = max(0.0, self._down - gap - allowance)
        rising = self._up > interval
        falling = self._down > interval
        if self.mode == "up":
            self.drift_detected = rising
        elif self.mode == "down":
            self.drift_detected = falling
        else:
            self.drift_detected = rising or falling


class ReferenceEwmaChart:
    """EWMA chart: statistic Z, running mean, EW variance, start-up corrected limit."""

    def __init__(self, alpha=0.1, threshold=4.0, min_instances=30, mode="both"):
        self.alpha = alpha
        self.threshold = threshold
        self.min_instances = min_instances
        self.mode = mode
        self.drift_detected = False
        self._clear()

    def _clear(self):
        self.drift_detected = False
        self._count = 0
        self._chart = 0.0
        self._avg = stats.Mean()
        self._ew = stats.EWVar(self.alpha)

    def update(self, x):
        if self.drift_detected:
            self._clear()
        self._count += 1
        if self._count == 1:
            self._chart = x
        else:
            self._chart = self.alpha * x + (1 - self.alpha) * self._chart
        self._avg.update(x)
        self._ew.update(x)
        if self._count < self.min_instances:
            self.drift_detected = False
            return
        sd = max(self._ew.get(), 0.0) ** 0.5
        startup = (self.alpha / (2 - self.alpha)) * (1 - (1 - self.alpha) ** (2 * self._count))
        limit = self.threshold * sd * startup ** 0.5
        above = self._chart - self._avg.get()
        below = -above
        if self.mode == "up":
            self.drift_detected = above > limit
        elif self.mode == "down":
            self.drift_detected = below > limit
        else:
            self.drift_detected = above > limit or below > limit
