"""Kubernetes HPA arithmetic: target tracking with tolerance and stabilisation windows.

As the horizontal pod autoscaler computes it (autoscaling/v2):
- ratio = current metric / target; within ``tolerance`` of 1 nothing changes, otherwise
  desired = ceil(current replicas * ratio). Here the metric is the load across all
  replicas and the target the load one replica should carry, so the same formula also
  sizes a deployment that has 0 replicas.
- every recommendation is remembered with its time; the applied value is bounded below by
  the minimum recommendation of the scale-up window and above by the maximum of the
  scale-down window (default 0 s / 300 s), so a short dip does not scale down.
- ``max_step`` (replicas per decision, None: unlimited) limits how far one decision moves,
  then min/max replicas clamp.
Time is passed in (seconds on any clock); nothing here reads the wall clock.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field

__all__ = ["HpaSettings", "Stabiliser", "desired_replicas"]


@dataclass(frozen=True)
class HpaSettings:
    tolerance: float = 0.1
    scale_up_window_s: float = 0.0
    scale_down_window_s: float = 300.0
    min_replicas: int = 0
    max_replicas: int | None = None
    max_step: int | None = None


def desired_replicas(current: int, load: float, target_per_replica: float, tolerance: float = 0.1) -> int:
    """Replicas for ``load`` when one replica should carry ``target_per_replica``."""
    if target_per_replica <= 0:
        raise ValueError("target_per_replica must be positive")
    if current <= 0:
        return math.ceil(load / target_per_replica - 1e-9)
    ratio = load / (current * target_per_replica)
    if abs(ratio - 1.0) <= tolerance:
        return current
    return math.ceil(current * ratio - 1e-9)


@dataclass
class Stabiliser:
    """Applies the windows, the step limit and the bounds to raw recommendations."""

    settings: HpaSettings = field(default_factory=HpaSettings)
    _history: deque[tuple[float, int]] = field(default_factory=deque)

    def apply(self, now: float, current: int, recommendation: int) -> int:
        s = self.settings
        self._history.append((now, recommendation))
        horizon = max(s.scale_up_window_s, s.scale_down_window_s)
        while self._history and self._history[0][0] < now - horizon:
            self._history.popleft()
        # The lowest recommendation of the scale-up window and the highest of the
        # scale-down window, in one pass (this runs for every key at every step).
        up_from, down_from = now - s.scale_up_window_s, now - s.scale_down_window_s
        up = down = None
        for t, r in self._history:
            if t >= up_from and (up is None or r < up):
                up = r
            if t >= down_from and (down is None or r > down):
                down = r
        if up is None or down is None:
            raise ValueError("a stabilisation window holds no recommendation")
        result = current
        if result < up:
            result = up
        if result > down:
            result = down
        if s.max_step is not None:
            result = max(current - s.max_step, min(current + s.max_step, result))
        result = max(s.min_replicas, result)
        if s.max_replicas is not None:
            result = min(s.max_replicas, result)
        return result
