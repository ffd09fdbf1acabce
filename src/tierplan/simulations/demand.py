"""Demand over time: traces and patterns -> one rps array per (workload, client).

Every array has one value per step: the mean request rate (rps) over that step.

- ``trace`` files are CSV, JSON Lines or Parquet (:mod:`.traces`: ``reader``, by the
  name's ending unless given); numeric times are in ``time_unit`` (s, ms, us), text
  times ISO 8601; ``filter: {column: value}`` keeps matching rows; rows must be in time
  order, rates finite and from 0 to 1e9.
- ``trace`` with ``format: requests``: one row per request; the time column holds
  timestamps (ISO text) or numbers. Requests are counted per step from the first row on
  and divided by the step length. ``loop`` repeats the trace when the simulation is
  longer, otherwise demand is 0 after its end.
- ``trace`` with ``format: rates``: a time column and an rps column (``value_column``;
  rows sharing a time are summed, or averaged with ``aggregate: mean``), held until the
  next row (the last row for the median spacing of the rows);
  each step gets the exact mean of that series over the step, whether or not the rows
  line up with the steps (:func:`step_means`).
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

import numpy as np

from ..model import InferenceWorkload
from . import schema as s
from .spec import DemandSpec, Simulation
from .traces import Table, Where, filtered, read_table, seconds
from .traces import values as column_values

__all__ = ["build_demand", "read_counts", "read_spot_series", "step_means", "trace_rates"]

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


def trace_rates(path: Path, trace: s.TraceIn, step_s: float, steps: int, file: str, where: str) -> np.ndarray:
    """Mean rps per step from a per-request trace or a rate series (see the module doc)."""
    at = Where(file, where)
    value = trace.value_column or trace.rate_column
    fields = {**dict.fromkeys(trace.filter, "filter"), trace.time_column: "time_column"}
    columns = [trace.time_column, *trace.filter]
    if trace.format == "rates":
        columns.append(value)
        fields[value] = "value_column" if trace.value_column else "rate_column"
    table = filtered(read_table(path, columns, at, trace.reader, fields), trace.filter, at)
    sec = seconds(table, trace.time_column, at, trace.time_unit)
    if trace.format == "requests":
        # Only the simulation's first `steps` steps are used (looped or not): later rows
        # are dropped before they are binned, however far in the future they lie.
        buckets = np.floor(sec / step_s)
        buckets = buckets[buckets < steps].astype(np.int64)
        length = int(buckets.max()) + 1 if len(buckets) else 1
        base = np.bincount(buckets, minlength=length).astype(float) / step_s
        if trace.loop:
            values = np.resize(base, steps)
        else:
            values = np.zeros(steps)
            n = min(steps, len(base))
            values[:n] = base[:n]
        return values * trace.scale
    rates = column_values(table, value, at, fields[value], "rates (rps)")
    times, inverse = np.unique(sec, return_inverse=True)
    if len(times) < len(sec):  # rows sharing a time (one per container, say)
        rates = np.bincount(inverse, weights=rates)
        if trace.aggregate == "mean":
            rates = rates / np.bincount(inverse)
    return step_means(times, rates, step_s, steps, trace.loop) * trace.scale


def step_means(sec: np.ndarray, rates: np.ndarray, step_s: float, steps: int, loop: bool) -> np.ndarray:
    """The exact mean of a rate series over each step.

    Each rate holds from its time to the next row's; the last one for the median spacing
    of the rows (one step for a single row). Steps and rows need not align: a step gets the
    integral of the series over it divided by its length. With ``loop`` the series repeats
    with a period of its span, otherwise it is 0 after its end."""
    spacing = float(np.median(np.diff(sec))) if len(sec) > 1 else step_s
    bounds = np.append(sec, sec[-1] + spacing)
    # Requests from the first row up to each bound: the integral is piecewise linear.
    cum = np.concatenate(([0.0], np.cumsum(rates * np.diff(bounds))))
    total, span = float(cum[-1]), float(bounds[-1])
    edges = np.arange(steps + 1, dtype=float) * step_s
    if loop and span > 0:
        laps = np.floor(edges / span)
        integral = laps * total + np.interp(edges - laps * span, bounds, cum)
    else:
        integral = np.interp(edges, bounds, cum, right=total)
    return np.maximum(np.diff(integral) / step_s, 0.0)


def read_counts(path: Path, time_column: str, column: str, file: str,
               where: str) -> list[tuple[float, float]]:
    """(seconds from the first row, count) from a file of counts over time (CSV, JSON
    Lines or Parquet by the name's ending), its rows in time order."""
    at = Where(file, where)
    table = read_table(path, [time_column, column], at,
                       fields={time_column: "time_column", column: "column"})
    sec = seconds(table, time_column, at)
    counts = column_values(table, column, at, "column", "counts")
    return [(float(t), float(n)) for t, n in zip(sec, np.floor(counts), strict=True)]


def read_spot_series(path: Path, instance_type: str, region: str | None, zone: str | None,
                     file: str, where: str) -> list[tuple[float, float]]:
    """(seconds from the first row, USD per hour) from an AWS spot price history file.

    Columns ``Timestamp, Region, AvailabilityZone, InstanceType, SpotPrice``. Without a
    zone, the zone with the most rows is used (prices differ per zone). ``where`` is the
    event's field path (``events[2]``); every error names its ``path``.
    """
    import pandas as pd

    at = Where(file, where)
    needed = ["Timestamp", "AvailabilityZone", "InstanceType", "SpotPrice"]
    table = read_table(path, needed, at, fields=dict.fromkeys(needed, "path"), optional=["Region"])
    rows = (table.columns["InstanceType"].astype(str) == instance_type).to_numpy(copy=True)
    if region is not None and "Region" in table.columns:
        rows &= np.asarray(table.columns["Region"].astype(str) == region)
    if not rows.any():
        return []
    zones = table.columns["AvailabilityZone"].astype(str)
    if zone is None:
        counts = zones[rows].value_counts()
        zone = str(sorted(counts[counts == counts.max()].index)[0])
    rows &= np.asarray(zones == zone)
    # AWS lists the newest price first: the history is put in time order, not refused.
    stamps = pd.to_datetime(table.columns["Timestamp"][rows].astype(str), format="ISO8601", utc=True,
                            errors="coerce")
    order = np.argsort(stamps.to_numpy(), kind="stable")
    picked = Table(table.path, table.kind,
                   {c: table.columns[c][rows].iloc[order] for c in ("Timestamp", "SpotPrice")},
                   table.lines[rows][order])
    sec = seconds(picked, "Timestamp", at, field="path")
    prices = column_values(picked, "SpotPrice", at, "path", "SpotPrice values (USD per hour)")
    return [(float(t), float(p)) for t, p in zip(sec, prices, strict=True)]
