"""File/replay source: demand read from a CSV, replayed against the clock.

Columns ``seconds,endpoint,client,rps``: from ``seconds`` after the replay started, the
client's demand is ``rps`` (until a later row for the same endpoint and client). The
replay starts at the first tick the state store recorded, so a restart continues where it
was. With ``loop`` the file repeats after its last row's time.

``format: arrivals`` reads a request log instead (one row per request, a timestamp column
in epoch seconds or ISO 8601, such as the Azure LLM inference trace): arrivals are counted
per ``window`` from the first one, rps = count / window x ``scale``, and ``split`` shares
that rate out (endpoint -> client -> share).
"""

from __future__ import annotations

import bisect
import csv
import math
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

from ...errors import ScenarioError
from ...files import read_text
from ...units import count_text
from ..config import EndpointSpec
from .base import Reading, complete

__all__ = ["ReplaySource"]

# Windows an arrivals file may span (each becomes a row of the replay per client).
MAX_WINDOWS = 1_000_000


class ReplaySource:
    def __init__(self, path: str, loop: bool = False,
                 start: Callable[[], float] | float | None = None, *, fmt: str = "rps",
                 window: float = 60.0, timestamp_column: str = "TIMESTAMP",
                 split: Mapping[str, Mapping[str, float]] | None = None, scale: float = 1.0) -> None:
        self.path = path
        self.loop = loop
        self.start = start
        self.fmt = fmt
        self.window = window
        self.timestamp_column = timestamp_column
        self.split = split or {}
        self.scale = scale
        # (endpoint, client) -> sorted times and their values
        self.series: dict[tuple[str, str], tuple[list[float], list[float]]] = {}
        self._clients: dict[str, list[str]] = {}  # endpoint -> clients with a series
        self.length = 0.0
        self._load()

    def _load(self) -> None:
        text = read_text(self.path, "demand file")
        rows: dict[tuple[str, str], list[tuple[float, float]]] = {}
        if self.fmt == "arrivals":
            self._arrivals(text, rows)
        else:
            self._rates(text, rows)
        for key, points in rows.items():
            points.sort()
            self.series[key] = ([p[0] for p in points], [p[1] for p in points])
            self._clients.setdefault(key[0], []).append(key[1])

    def _rates(self, text: str, rows: dict[tuple[str, str], list[tuple[float, float]]]) -> None:
        reader = csv.DictReader(text.splitlines())
        needed = {"seconds", "endpoint", "client", "rps"}
        if not reader.fieldnames or not needed <= set(reader.fieldnames):
            raise ScenarioError(self.path, "line 1", f"expected the columns {sorted(needed)}")
        for line, row in enumerate(reader, start=2):
            try:
                t, rps = float(row["seconds"]), float(row["rps"])
            except (TypeError, ValueError):
                raise ScenarioError(self.path, f"line {line}", "seconds and rps must be numbers") from None
            if not (math.isfinite(t) and math.isfinite(rps)) or rps < 0 or t < 0:
                raise ScenarioError(self.path, f"line {line}", "seconds and rps must be finite "
                                                               "numbers >= 0 (not inf or nan)")
            rows.setdefault((row["endpoint"], row["client"]), []).append((t, rps))
            self.length = max(self.length, t)

    def _arrivals(self, text: str, rows: dict[tuple[str, str], list[tuple[float, float]]]) -> None:
        reader = csv.DictReader(text.splitlines())
        if not reader.fieldnames or self.timestamp_column not in reader.fieldnames:
            raise ScenarioError(self.path, "line 1", f"no column {self.timestamp_column!r}")
        stamps = []
        for line, row in enumerate(reader, start=2):
            try:
                stamps.append(_epoch(row[self.timestamp_column]))
            except (TypeError, ValueError):
                raise ScenarioError(self.path, f"line {line}",
                                    f"{row[self.timestamp_column]!r} is not a timestamp") from None
        if not stamps:
            raise ScenarioError(self.path, "", "no arrivals in the file")
        first = min(stamps)
        # Checked before binning: a denormal window makes the count infinite.
        span = (max(stamps) - first) // self.window + 1
        if span > MAX_WINDOWS:
            raise ScenarioError(self.path, "", f"the arrivals span {count_text(span)} windows "
                                f"of {self.window:g} s; at most {MAX_WINDOWS:,}: widen the "
                                "window or trim the file")
        counts: dict[int, int] = {}
        for t in stamps:
            k = int((t - first) // self.window)
            counts[k] = counts.get(k, 0) + 1
        bins = max(counts) + 1
        for endpoint, shares in self.split.items():
            for client, share in shares.items():
                per_second = self.scale * share / self.window
                rows[(endpoint, client)] = [(k * self.window, counts.get(k, 0) * per_second)
                                            for k in range(bins)]
        self.length = bins * self.window

    def _start(self, now: float) -> float:
        # Asked once: the replay's start (the first recorded tick) never moves afterwards.
        if callable(self.start):
            self.start = float(self.start())
        if self.start is None:
            self.start = now
        return float(self.start)

    def read(self, endpoint: EndpointSpec, now: float) -> Reading:
        offset = now - self._start(now)
        if self.loop and self.length > 0:
            offset %= self.length
        values: dict[str, float] = {}
        for client in self._clients.get(endpoint.workload, ()):
            found = self.series.get((endpoint.workload, client))
            if found is None:
                continue
            times, rps = found
            i = bisect.bisect_right(times, offset) - 1
            if i >= 0:
                values[client] = rps[i]
        if not values:
            return Reading("down", {}, f"no rows for {endpoint.workload!r} at {offset:.0f} s in {self.path}")
        return complete(endpoint, values)


def _epoch(value: str) -> float:
    """Epoch seconds from a number or an ISO 8601 time (naive = UTC; digits past µs dropped)."""
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        if not math.isfinite(seconds):
            raise ValueError(f"{value!r} is not a time")
        return seconds
    parsed = datetime.fromisoformat(re.sub(r"(\.\d{6})\d+", r"\1", value.strip()))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()
