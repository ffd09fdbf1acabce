"""Simulation results -> files: summary (CSV, JSON), time series (CSV, Parquet), HTML.

``timeseries.csv`` has one row per (policy, step, workload, site, offering) that held or
served anything (:mod:`.detail`): ``time_h`` (start of the step), ``step``, ``policy``,
``workload``, ``site``, ``offering`` (``*`` for a workload's totals, ``(training)`` for
training nodes), ``billed`` and ``ready`` instances, ``capacity_rps``, ``demand_rps``,
``served_rps``, ``dropped_rps``, ``compute_usd``, ``egress_usd`` and ``cost_usd`` of the
step. Parquet needs pyarrow (``pip install 'tierplan[parquet]'``); without it the Parquet
file is skipped and the CLI says so.

Every file but ``timing.json`` is a function of the inputs alone: the same on a busy and
an idle machine. ``timing.json`` holds the wall-clock seconds of each policy's run and of
its planner calls.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from html import escape
from pathlib import Path
from typing import Any

import numpy as np

from ..files import write_atomic
from .run import SimulationResult

__all__ = ["cell", "summary_rows", "timeseries_frame", "write_html", "write_results", "write_sweep"]

SUMMARY_COLUMNS = ("policy", "total_cost_usd", "cost_per_month_usd", "slo_attainment_pct",
                   "unserved_requests", "requests", "instance_hours", "scale_events", "jobs",
                   "jobs_missed_deadline", "preemptions", "plan_calls", "plan_failures")


def summary_rows(result: SimulationResult) -> list[dict[str, Any]]:
    return [p.row() for p in result.policies]


def timeseries_frame(result: SimulationResult) -> Any:
    import pandas as pd

    frames = []
    for p in result.policies:
        rows = p.rows
        if rows is None:
            continue
        labels = np.array(rows.labels, dtype=object).reshape(-1, 3) if rows.labels else np.empty((0, 3))
        picked = labels[rows.label] if len(rows) else np.empty((0, 3), dtype=object)
        data: dict[str, Any] = {
            "time_h": rows.step * result.step_s / 3600, "step": rows.step, "policy": p.policy,
            "workload": picked[:, 0], "site": picked[:, 1], "offering": picked[:, 2],
        }
        data.update(rows.columns)
        frames.append(pd.DataFrame(data))
    if not frames:
        return pd.DataFrame(columns=["time_h", "step", "policy", "workload", "site", "offering"])
    return pd.concat(frames, ignore_index=True)


def _document(result: SimulationResult) -> dict[str, Any]:
    return {
        "schema": "tierplan.simulation/v1", "simulation": result.simulation, "point": dict(result.point),
        "steps": result.steps, "step_seconds": result.step_s,
        "policies": [
            {**p.row(), "cost_by_tier": _cents(p.cost_by_tier), "cost_by_site": _cents(p.cost_by_site),
             "cost_by_workload": _cents(p.cost_by_workload), "jobs_finished": p.jobs_finished}
            for p in result.policies
        ],
    }


def _timing(result: SimulationResult) -> dict[str, Any]:
    """Wall-clock seconds: the one output that changes with the machine and its load."""
    return {
        "schema": "tierplan.simulation-timing/v1", "simulation": result.simulation,
        "policies": [{"policy": p.policy, "run_seconds": round(p.run_seconds, 3),
                      "plan_seconds": round(p.plan_seconds, 3)} for p in result.policies],
    }


def _cents(d: dict[str, float]) -> dict[str, float]:
    return {k: round(v, 2) for k, v in d.items()}


def write_results(result: SimulationResult, out_dir: str | Path) -> list[str]:
    """Write every output; returns the files written and notes on what was skipped."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: list[str] = []
    frame = timeseries_frame(result)
    write_atomic(out / "summary.json", json.dumps(_document(result), indent=2) + "\n")
    write_atomic(out / "summary.csv", _csv(summary_rows(result), SUMMARY_COLUMNS))
    write_atomic(out / "timeseries.csv", _timeseries_csv(frame))
    write_atomic(out / "timing.json", json.dumps(_timing(result), indent=2) + "\n")
    written += ["summary.json", "summary.csv", "timeseries.csv", "timing.json"]
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        written.append("(timeseries.parquet skipped: pip install 'tierplan[parquet]')")
    else:
        tmp = out / ".timeseries.parquet.tmp"
        frame.to_parquet(tmp, index=False)
        tmp.replace(out / "timeseries.parquet")
        written.append("timeseries.parquet")
    write_atomic(out / "report.html", write_html(result))
    written.append("report.html")
    return [str(out / w) if not w.startswith("(") else w for w in written]


def write_sweep(rows: Sequence[dict[str, Any]], axes: Sequence[str], out_dir: str | Path,
                title: str = "sweep") -> list[str]:
    """``sweep.csv`` (one row per point and policy) and ``sweep.html`` (cost and SLO
    attainment per point, one chart each per policy)."""
    from ..reports.charts import bar_chart, html_page

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    columns = list(dict.fromkeys(k for row in rows for k in row))
    write_atomic(out / "sweep.csv", _csv(rows, columns))
    parts = [f"<h1>Sweep {escape(title)}</h1>"]
    parts.append(_html_table(columns, rows))
    for policy in dict.fromkeys(row["policy"] for row in rows):
        mine = [row for row in rows if row["policy"] == policy]
        labels = [", ".join(f"{a}={row[a]:g}" for a in axes) for row in mine]
        parts.append(bar_chart(list(zip(labels, (float(r["total_cost_usd"]) for r in mine), strict=True)),
                               title=f"{policy}: total cost", width=1100, full_labels=True))
        parts.append(bar_chart(list(zip(labels, (float(r["slo_attainment_pct"]) for r in mine), strict=True)),
                               title=f"{policy}: requests within the SLO",
                               value_format=lambda v: f"{v:.3f} %", width=1100, full_labels=True))
    write_atomic(out / "sweep.html", html_page(f"tierplan sweep {title}", "\n".join(parts)))
    return [str(out / "sweep.csv"), str(out / "sweep.html")]


def _csv(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> str:
    from ..reports.safe import csv_text  # formula-neutralised, as every CSV tierplan writes

    return csv_text(columns, rows)


def _timeseries_csv(frame: Any) -> str:
    """The time series as CSV; text columns (policy, site names) neutralised like ``_csv``,
    floats as ``%.6g`` (empty when NaN): what ``frame.to_csv(index=False,
    float_format="%.6g")`` writes, at a fraction of the cost (a month of minutes is
    millions of cells, most of them repeats: each distinct value is formatted once)."""
    import csv
    import io
    import os

    from pandas.api.types import is_float_dtype, is_numeric_dtype

    from ..reports.safe import csv_value

    columns: list[Any] = []
    for c in frame.columns:
        col = frame[c]
        if is_float_dtype(col):
            columns.append(_formatted(col.to_numpy(dtype=np.float64), "%.6g"))
        elif is_numeric_dtype(col):
            columns.append(col.tolist())
        elif col.isna().any():
            columns.append(["" if v is None or v != v else csv_value(v) for v in col.tolist()])
        else:
            text = {u: csv_value(u) for u in col.unique()}
            columns.append([text[v] for v in col.tolist()])
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=os.linesep)  # pandas' dialect
    writer.writerow(list(frame.columns))
    writer.writerows(zip(*columns, strict=True))
    return out.getvalue()


def _formatted(values: np.ndarray, fmt: str) -> list[str]:
    """``fmt % value`` per value ("" for NaN); distinct bit patterns
    are formatted once (-0.0 and 0.0 apart, as they print differently)."""
    out = np.full(len(values), "", dtype=object)
    known = ~np.isnan(values)
    bits, inverse = np.unique(values[known].view(np.int64), return_inverse=True)
    texts = np.array([fmt % v for v in bits.view(np.float64).tolist()], dtype=object)
    out[known] = texts[inverse]
    return out.tolist()


def _html_table(columns: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> str:
    """A summary table: numbers right-aligned, headers wrapping so that it fits the page."""
    def klass(value: Any) -> str:
        return ' class="n"' if isinstance(value, int | float) and not isinstance(value, bool) else ""

    head = "".join(f"<th>{escape(c.replace('_', ' '))}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td{klass(row.get(c))}>{escape(cell(c, row.get(c)))}</td>"
                                    for c in columns) + "</tr>" for row in rows)
    return f'<table class="fit"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def cell(column: str, value: Any) -> str:
    """A summary value as people read it: $1,234.56, 99.974 %, 1,234.5 (one decimal, so a
    column of counts and hours lines up)."""
    if isinstance(value, float):
        if column.endswith("_usd"):
            return f"${value:,.2f}"
        if column.endswith("_pct"):
            return f"{value:.3f} %"
        return f"{value:,.1f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def _downsample(x: np.ndarray, y: np.ndarray, points: int = 400,
                how: str = "max") -> list[tuple[float, float]]:
    """At most ``points`` points: bucket maxima (or means) keep spikes visible."""
    if len(x) <= points:
        return [(float(a), float(b)) for a, b in zip(x, y, strict=True)]
    edges = np.linspace(0, len(x), points + 1).astype(int)
    agg = np.maximum.reduceat if how == "max" else np.add.reduceat
    values = agg(y, edges[:-1])
    if how == "mean":
        values = values / np.diff(edges)
    return [(float(x[e]), float(v)) for e, v in zip(edges[:-1], values, strict=True)]


def write_html(result: SimulationResult) -> str:
    """A self-contained page (no network): summary table and the four charts per run."""
    from ..reports.charts import bar_chart, html_page, line_chart, money, number

    hours = np.arange(result.steps) * result.step_s / 3600
    parts = [f"<h1>Simulation {escape(result.simulation)}</h1>",
             f"<p>{result.steps:,} steps of {result.step_s:g} s ({hours[-1] + result.step_s / 3600:g} h)"
             + (f"; point {escape(json.dumps(dict(result.point)))}" if result.point else "") + "</p>"]
    parts.append(_html_table(SUMMARY_COLUMNS, summary_rows(result)))
    parts.append(bar_chart([(p.policy, p.total_cost_usd) for p in result.policies], title="Total cost"))
    cum = {p.policy: _downsample(hours, np.cumsum(p.series["cost_usd"]), how="max") for p in result.policies}
    marks = result.events
    parts.append(line_chart(cum, title="Cost over time (cumulative)", x_label="hours", y_format=money,
                            bands=marks))
    first = result.policies[0]
    per_workload = {name.split(":", 1)[1]: _downsample(hours, values)
                    for name, values in first.series.items() if name.startswith("demand:")}
    if per_workload:
        parts.append(line_chart(per_workload, title="Demand per workload (rps, bucket maxima)",
                                x_label="hours", y_format=number, bands=marks))
    dem = {"demand": _downsample(hours, first.series["demand_rps"])}
    for p in result.policies:
        dem[f"capacity {p.policy}"] = _downsample(hours, p.series["capacity_rps"])
    parts.append(line_chart(dem, title="Demand vs ready capacity (rps, bucket maxima)", x_label="hours",
                            y_format=number, bands=marks))
    att = {}
    for p in result.policies:
        ratio = np.where(p.series["demand_rps"] > 0,
                         p.series["served_rps"] / np.maximum(p.series["demand_rps"], 1e-12), 1.0)
        att[p.policy] = [(x, 100 * y) for x, y in _downsample(hours, ratio, how="mean")]
    parts.append(line_chart(att, title="SLO attainment per step (%, bucket means)", x_label="hours",
                            y_min=None, y_max=100.0, hlines=(), bands=marks))
    for p in result.policies:
        per_site = {name.split(":", 1)[1]: _downsample(hours, values)
                    for name, values in p.series.items() if name.startswith("instances:") and values.any()}
        if per_site:
            parts.append(line_chart(per_site, title=f"Instances per site: {p.policy}", x_label="hours",
                                    step=True, bands=marks))
    return html_page(f"tierplan simulation {result.simulation}", "\n".join(parts))
