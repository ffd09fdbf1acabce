"""What a deployment on a limited offering may soon want again (``optimal``'s fast loop).

Units of a limited offering (edge, on-prem, a quota) that a deployment does not want
this step may be lent to moves, but not

- the ones it wanted within its scale-down window: it is likely to want them again, and
  a move undone a minute later pays both keys' bills for nothing;
- where its key boots faster than the slowest key in reach (the caller decides), room
  for growth while it grows: as many replicas as its load would need if its rise over
  the provisioning lead went on for one more lead (or, if more, as many as it has just
  grown by). Growth then finds its own key's units, which boot faster than the key a
  move came from; ``hpa`` leaves them idle and boots them.
"""

from __future__ import annotations

import math
from collections import deque

__all__ = ["Recent"]


class Recent:
    """Per deployment (slot index): the replicas wanted within ``window_s`` and over the
    last ``lead`` steps, and its load over the last ``lead`` steps."""

    def __init__(self, window_s: float, lead: int) -> None:
        self.window_s = window_s
        self.lead = max(1, lead)
        # (time, replicas), replicas falling from the front: the front is the window's most
        self._window: dict[int, deque[tuple[float, int]]] = {}
        self._replicas: dict[int, deque[int]] = {}
        self._loads: dict[int, deque[float]] = {}
        self.most: dict[int, int] = {}  # the most replicas wanted within the window
        self.kept: dict[int, int] = {}  # units a move should leave beyond those wanted now
        self.lately: dict[int, int] = {}  # of which wanted within the window

    def update(self, key: int, now: float, wanted: int, load: float, per_replica: float) -> None:
        """This step's replicas ``wanted`` by ``key``'s deployment, its load and rps per replica."""
        window = self._window.get(key)
        if window is None:
            window = self._window[key] = deque()
            self._replicas[key] = deque(maxlen=self.lead + 1)
            self._loads[key] = deque(maxlen=self.lead + 1)
        while window and window[-1][1] <= wanted:
            window.pop()  # never the most again: ``wanted`` is newer and at least as high
        window.append((now, wanted))
        while window[0][0] < now - self.window_s:
            window.popleft()
        replicas, loads = self._replicas[key], self._loads[key]
        replicas.append(wanted)
        loads.append(load)
        growth = wanted - min(replicas)
        rise = load - min(loads)
        if rise > 0:
            growth = max(growth, math.ceil((load + rise) / per_replica - 1e-9) - wanted)
        most = self.most[key] = window[0][1]
        self.kept[key] = most - wanted + growth
        self.lately[key] = most - wanted
