"""Demand over time: traces and patterns -> one rps array per (workload, client).

Every array has one value per step: the mean request rate (rps) over that step.

- ``trace`` with ``format: requests``: one row per request; the time column holds
  timestamps (ISO text) or seconds. Requests are counted per step from the first row on
  and divided by the step length. ``loop`` repeats the trace when the simulation is
  longer, otherwise demand is 0 after its end.
- ``trace`` with ``format: rates``: a time column (timestamps or seconds) and an rps
  column, held until the next row.
- ``diurnal``: ``mean * (1 + amplitude * cos(2 pi (h - peak_hour) / 24))`` where h is the
  hour of day (the simulation starts at 00:00).
- ``step``: ``base_rps``, then each level from its time on.
- ``spikes``: ``base_rps`` plus ``spike_rps`` during spikes of ``duration`` starting at
  Poisson arrivals (``per_day``).
- ``noise``: every value is multiplied by ``max(0, 1 + noise * N(0, 1))``.

Randomness comes from ``numpy.random.default_rng((seed, entry index))``: the same seed
gives the same demand, and adding an entry does not change the others.
A demand entry without ``client`` is split over the workload's clients in proportion to
their ``demand_rps``; a (workload, client) pair without an entry keeps its ``demand_rps``.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ScenarioError
from ..model import InferenceWorkload
from . import schema as s
from .spec import DemandSpec, Simulation

__all__ = ["build_demand", "read_counts", "read_spot_series", "trace_rates"]

DemandKey = tuple[str, str]


def build_demand(sim: Simulation, scale: float = 1.0) -> dict[DemandKey, np.ndarray]:
    """(workload, client) -> rps per step, for every inference workload of the scenario."""
    steps = sim.steps
    times = np.arange(steps, dtype=float) * sim.step_s
    out: dict[DemandKey, np.ndarray] = {}
    workloads = {w.name: w for w in sim.scenario.workloads if isinstance(w, InferenceWorkload)}
    for w in workloads.values():
        for client, rps in w.demand_rps.items():
            if rps > 0:
                out[w.name, client] = np.full(steps, float(rps))
    given: dict[DemandKey, np.ndarray] = {}
    for spec in sim.demand:
        series = _series(spec, sim, times)
        w = workloads[spec.workload]
        if spec.client is not None:
            given[w.name, spec.client] = series
            continue
        for pair in [k for k in out if k[0] == w.name]:
            del out[pair]
        total = w.total_demand
        for client, rps in w.demand_rps.items():
            if rps > 0:
                given[w.name, client] = series * (rps / total)
    out.update(given)
    return {k: np.maximum(v * scale, 0.0) for k, v in sorted(out.items())}


def _series(spec: DemandSpec, sim: Simulation, times: np.ndarray) -> np.ndarray:
    rng = np.random.default_rng((sim.seed, spec.index))
    noise = 0.0
    if spec.trace is not None:
        assert spec.trace_path is not None
        values = trace_rates(spec.trace_path, spec.trace, sim.step_s, len(times), sim.file,
                             f"demand[{spec.index}].trace")
    else:
        p = spec.pattern
        hours = times / 3600.0
        if isinstance(p, s.DiurnalIn):
            values = p.mean_rps * (1 + p.amplitude * np.cos(2 * math.pi * (hours % 24 - p.peak_hour) / 24))
        elif isinstance(p, s.StepIn):
            values = np.full(len(times), p.base_rps)
            for level in sorted(p.levels, key=lambda lv: lv.at):
                values[hours >= level.at - 1e-12] = level.rps
        else:
            assert isinstance(p, s.SpikesIn)
            values = np.full(len(times), p.base_rps)
            span_h = len(times) * sim.step_s / 3600
            count = rng.poisson(p.per_day * span_h / 24)
            starts = np.sort(rng.uniform(0, span_h, count))
            # A step is in a spike when start <= hour < start + duration: add the spike
            # at its first step and take it off after its last (O(steps + spikes)).
            change = np.zeros(len(times) + 1)
            np.add.at(change, np.searchsorted(hours, starts, side="left"), p.spike_rps)
            np.add.at(change, np.searchsorted(hours, starts + p.duration, side="left"),
                      -p.spike_rps)
            values = values + np.cumsum(change)[:-1]
        assert p is not None
        noise = p.noise
    if noise > 0:
        values = values * np.maximum(0.0, 1 + noise * rng.standard_normal(len(times)))
    return np.asarray(values, dtype=float)


def _seconds(column: Any, file: str, path: str) -> np.ndarray:
    """Seconds from the first row: numbers are seconds already, text is parsed as timestamps."""
    import pandas as pd

    if pd.api.types.is_numeric_dtype(column):
        sec = column.to_numpy(dtype=float)
    else:
        try:
            stamps = pd.to_datetime(column, format="ISO8601", utc=True)
        except (ValueError, TypeError) as exc:
            # pandas appends advice about its own arguments after the first sentence
            reason = str(exc).split(". You might")[0].split("\n")[0]
            raise ScenarioError(file, path, f"cannot read the timestamps ({reason}); use "
                                "seconds or ISO 8601 times such as 2024-05-01T12:00:00Z") from None
        sec = (stamps - stamps.min()).dt.total_seconds().to_numpy(dtype=float)
    if len(sec) == 0:
        raise ScenarioError(file, path, "the file has no rows")
    if not np.isfinite(sec).all():
        raise ScenarioError(file, path, "every row needs a time: a finite number of seconds or "
                                        "a timestamp (a cell is empty, inf or nan)")
    return np.asarray(sec - float(np.min(sec)), dtype=float)


def _read_csv(path: Path, file: str, where: str, **options: Any) -> Any:
    """``pandas.read_csv``, with any file it cannot read reported as the user's error."""
    import pandas as pd

    try:
        return pd.read_csv(path, **options)
    except (OSError, ValueError, pd.errors.ParserError) as exc:  # EmptyDataError, bad UTF-8
        raise ScenarioError(file, where, f"cannot read {path} ({exc})") from None


def trace_rates(path: Path, trace: s.TraceIn, step_s: float, steps: int, file: str, where: str) -> np.ndarray:
    """Mean rps per step from a per-request trace or a rate series (see the module doc)."""
    import pandas as pd

    column = trace.time_column
    usecols = [column] if trace.format == "requests" else [column, trace.rate_column]
    header = list(_read_csv(path, file, f"{where}.path", nrows=0).columns)
    for field, name in (("time_column", column), ("rate_column", trace.rate_column)):
        if name in usecols and name not in header:
            raise ScenarioError(file, f"{where}.{field}", f"{path} has no column {name!r}; "
                                f"its columns: {', '.join(map(str, header)) or 'none'}")
    frame = _read_csv(path, file, f"{where}.path", usecols=usecols)
    sec = _seconds(frame[column], file, f"{where}.time_column")
    # Only the simulation's first `steps` steps are used (looped or not): later rows are
    # dropped before they are binned, however far in the future they lie.
    if trace.format == "requests":
        buckets = np.floor(sec / step_s)
        buckets = buckets[buckets < steps].astype(np.int64)
        length = int(buckets.max()) + 1 if len(buckets) else 1
        base = np.bincount(buckets, minlength=length).astype(float) / step_s
    else:
        rates = pd.to_numeric(frame[trace.rate_column], errors="coerce").to_numpy(dtype=float)
        if np.isnan(rates).any() or (rates < 0).any():
            raise ScenarioError(file, f"{where}.rate_column", "rates must be numbers >= 0")
        order = np.argsort(sec, kind="stable")
        sec, rates = sec[order], rates[order]
        spacing = float(np.median(np.diff(sec))) if len(sec) > 1 else step_s
        length = min(steps, max(1, math.ceil((sec[-1] + spacing) / step_s - 1e-9)))
        grid = np.arange(length) * step_s
        base = rates[np.maximum(np.searchsorted(sec, grid, side="right") - 1, 0)]
    if trace.loop:
        values = np.resize(base, steps)
    else:
        values = np.zeros(steps)
        n = min(steps, len(base))
        values[:n] = base[:n]
    return values * trace.scale


def read_counts(path: Path, time_column: str, column: str, file: str,
                where: str) -> list[tuple[float, float]]:
    """(seconds from the first row, count) from a CSV of counts over time."""
    import pandas as pd

    frame = _read_csv(path, file, f"{where}.path")
    for field, name in (("time_column", time_column), ("column", column)):
        if name not in frame.columns:
            raise ScenarioError(file, f"{where}.{field}", f"{path} has no column {name!r}; "
                                f"its columns: {', '.join(map(str, frame.columns))}")
    sec = _seconds(frame[time_column], file, f"{where}.time_column")
    counts = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)
    if not np.isfinite(counts).all() or (counts < 0).any():
        raise ScenarioError(file, f"{where}.column", "counts must be finite numbers >= 0 (a cell "
                                                     "is empty, not a number, inf or nan)")
    return [(float(t), float(n)) for t, n in zip(sec, np.floor(counts), strict=True)]


def read_spot_series(path: Path, instance_type: str, region: str | None, zone: str | None,
                     file: str, where: str) -> list[tuple[float, float]]:
    """(seconds from the first row, USD per hour) from an AWS spot price history CSV.

    Columns ``Timestamp, Region, AvailabilityZone, InstanceType, SpotPrice``. Without a
    zone, the zone with the most rows is used (prices differ per zone).
    """
    import pandas as pd

    frame = _read_csv(path, file, where)
    needed = {"Timestamp", "InstanceType", "SpotPrice", "AvailabilityZone"}
    if not needed <= set(frame.columns):
        raise ScenarioError(file, where, f"{path}: expected columns {', '.join(sorted(needed))}")
    rows = frame[frame["InstanceType"] == instance_type]
    if region is not None and "Region" in rows.columns:
        rows = rows[rows["Region"] == region]
    if rows.empty:
        return []
    if zone is None:
        counts = rows["AvailabilityZone"].value_counts()
        zone = str(sorted(counts[counts == counts.max()].index)[0])
    rows = rows[rows["AvailabilityZone"] == zone]
    sec = _seconds(rows["Timestamp"], file, where)
    prices = pd.to_numeric(rows["SpotPrice"], errors="coerce").to_numpy(dtype=float)
    if not (np.isfinite(prices) & (prices >= 0)).all():
        raise ScenarioError(file, where, f"{path}: SpotPrice must be numbers >= 0")
    order = np.argsort(sec, kind="stable")
    return [(float(sec[i]), float(prices[i])) for i in order]
