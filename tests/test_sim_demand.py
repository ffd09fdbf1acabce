"""Demand from traces: rate series are integrated over each step (the exact mean, also
when rows and steps do not line up)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from simfiles import cli_run, run, write
from tierplan.simulations.demand import step_means


def test_alternating_rates_average_over_the_step(tmp_path: Path) -> None:
    # 0 and 10 rps alternating every 30 s, simulated at 60 s steps: 5 rps, 18,000 requests an hour
    rows = "".join(f"{30 * i},{0 if i % 2 == 0 else 10}\n" for i in range(120))
    (tmp_path / "rates.csv").write_text("t,rps\n" + rows)
    out = run(tmp_path, {"duration": "1h", "demand": [
        {"workload": "web", "client": "c",
         "trace": {"path": "rates.csv", "format": "rates", "time_column": "t"}}],
        "policies": [{"kind": "static"}]})["static"]
    assert out.requests == pytest.approx(18_000)
    assert np.allclose(out.series["demand_rps"], 5.0)


def test_rows_and_steps_that_do_not_line_up() -> None:
    # 0 rps for 45 s then 10 rps for 45 s (the median spacing), 60 s steps
    got = step_means(np.array([0.0, 45.0]), np.array([0.0, 10.0]), 60.0, 3, loop=False)
    assert got == pytest.approx([150 / 60, 300 / 60, 0.0])
    # looped, the 90 s period goes on: 45..90 and 135..180 at 10 rps
    got = step_means(np.array([0.0, 45.0]), np.array([0.0, 10.0]), 60.0, 3, loop=True)
    assert got == pytest.approx([150 / 60, 300 / 60, 450 / 60])
    # steps shorter than the rows: each step holds the row's rate
    got = step_means(np.array([0.0, 60.0]), np.array([2.0, 4.0]), 15.0, 8, loop=False)
    assert got == pytest.approx([2, 2, 2, 2, 4, 4, 4, 4])


def test_the_total_is_kept_whatever_the_step(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    times = np.cumsum(rng.uniform(1, 100, 200))
    times -= times[0]
    rates = rng.uniform(0, 50, 200)
    spacing = float(np.median(np.diff(times)))
    total = float(np.sum(rates * np.diff(np.append(times, times[-1] + spacing))))
    for step in (7.0, 60.0, 333.0):
        steps = int(np.ceil((times[-1] + spacing) / step))
        got = step_means(times, rates, step, steps, loop=False)
        assert got.sum() * step == pytest.approx(total)


# ------------------------------------------------------------------ trace files


def rates_run(tmp_path: Path, name: str, body: str | None, **trace: Any) -> Any:
    if body is not None:
        (tmp_path / name).write_text(body)
    spec = {"path": name, "format": "rates", "time_column": "t", **trace}
    return run(tmp_path, {"duration": "2m", "demand": [{"workload": "web", "client": "c", "trace": spec}],
                          "policies": [{"kind": "static"}]})["static"]


def test_jsonl_with_milliseconds_a_value_column_and_a_filter(tmp_path: Path) -> None:
    rows = [{"t": 0, "qps": 4, "kind": "chat"}, {"t": 0, "qps": 100, "kind": "batch"},
            {"t": 60_000, "qps": 8, "kind": "chat"}, {"t": 60_000, "qps": 100, "kind": "batch"}]
    body = "\n".join(json.dumps(r) for r in rows) + "\n\n"
    out = rates_run(tmp_path, "q.jsonl", body, time_unit="ms", value_column="qps", filter={"kind": "chat"})
    assert list(out.series["demand_rps"]) == [4, 8]


def test_rows_sharing_a_time_are_summed_or_averaged(tmp_path: Path) -> None:
    # one row per container and minute
    body = "t,rps\n0,1\n0,2\n0,3\n60,4\n60,4\n"
    assert list(rates_run(tmp_path, "a.csv", body).series["demand_rps"]) == [6, 8]
    assert list(rates_run(tmp_path, "b.csv", body, aggregate="mean").series["demand_rps"]) == [2, 4]


def test_microseconds_and_iso_times(tmp_path: Path) -> None:
    out = rates_run(tmp_path, "u.csv", "t,rps\n0,3\n60000000,5\n", time_unit="us")
    assert list(out.series["demand_rps"]) == [3, 5]
    out = rates_run(tmp_path, "i.csv", "t,rps\n2024-05-01T00:00:00Z,3\n2024-05-01T00:01:00Z,5\n")
    assert list(out.series["demand_rps"]) == [3, 5]


def test_a_filter_on_a_numeric_column(tmp_path: Path) -> None:
    out = rates_run(tmp_path, "n.csv", "t,rps,model\n0,3,1\n0,9,2\n60,5,1\n", filter={"model": 1})
    assert list(out.series["demand_rps"]) == [3, 5]


def test_parquet_rates(tmp_path: Path) -> None:
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    pd.DataFrame({"t": [0.0, 60.0], "rps": [2.0, 7.0]}).to_parquet(tmp_path / "r.parquet")
    out = rates_run(tmp_path, "r.parquet", None)
    assert list(out.series["demand_rps"]) == [2, 7]


@pytest.mark.parametrize(("name", "body", "trace", "field", "message"), [
    ("q.csv", '{"t": 0, "rps": 3}\n{"t": 60, "rps": 4}\n', {}, "demand[0].trace.reader",
     "looks like JSON (line 1 starts with '{'), not CSV: name it .jsonl or set reader: jsonl"),
    ("q.jsonl", '{"t": 0, "rps": 3}\nt,rps\n', {}, "demand[0].trace.path", "line 2 is not JSON"),
    ("q.jsonl", '{"t": 0, "rps": 3}\n[60, 4]\n', {}, "demand[0].trace.path",
     "line 2 is a JSON list, not an object"),
    ("q.jsonl", '{"t": 0, "rate": 3}\n', {}, "demand[0].trace.rate_column",
     "has no column 'rps'; its columns: t, rate"),
    ("q.csv", "t,rps\n0,3\n120,4\n60,5\n", {}, "demand[0].trace.time_column",
     "line 4: the time goes backwards (60 after 120); sort the file by time"),
    ("q.csv", "t,rps\n0,3\n\n60,-5\n", {}, "demand[0].trace.rate_column",
     "line 4: rates (rps) must be finite numbers from 0 to 1,000,000,000; -5 is negative"),
    ("q.csv", "t,rps\n0,3\n60,inf\n", {}, "demand[0].trace.rate_column",
     "line 3: rates (rps) must be finite numbers from 0 to 1,000,000,000; inf is not finite"),
    ("q.csv", "t,qps\n0,3\n60,1e300\n", {"value_column": "qps"}, "demand[0].trace.value_column",
     "line 3: rates (rps) must be finite numbers from 0 to 1,000,000,000; 1e+300 is above 1,000,000,000"),
    ("q.csv", "t,rps\n0,3\n1e308,4\n", {}, "demand[0].trace.time_column",
     "line 3: time 1e+308 is more than a century after the first row; check time_unit (s)"),
    ("q.csv", "t,rps\n0,3\ninf,4\n", {}, "demand[0].trace.time_column", "line 3: every row needs a time"),
    ("q.csv", "t,rps,kind\n0,3,chat\n", {"filter": {"kind": "code"}}, "demand[0].trace.filter",
     "no row matches the filter; values there: kind: chat"),
    ("q.csv", "t,rps\n0,3\n", {"filter": {"kind": "code"}}, "demand[0].trace.filter", "has no column 'kind'"),
])
def test_bad_trace_files_name_the_file_line_and_problem(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, body: str, trace: dict[str, Any],
        field: str, message: str) -> None:
    (tmp_path / name).write_text(body)
    spec = {"path": name, "format": "rates", "time_column": "t", **trace}
    path = write(tmp_path, {"duration": "2m", "policies": [{"kind": "static"}],
                            "demand": [{"workload": "web", "client": "c", "trace": spec}]})
    code, out, err = cli_run(capsys, "simulate", str(path))
    assert code == 2 and out == "" and "Traceback" not in err
    assert err.startswith(f"tierplan: error: {path}: {field}: "), err
    assert message in err, err
    if "line" in message:
        assert str(tmp_path / name) in err


def test_request_traces_in_jsonl_with_milliseconds(tmp_path: Path) -> None:
    (tmp_path / "r.jsonl").write_text("".join(json.dumps({"ts": 500 * i}) + "\n" for i in range(240)))
    out = run(tmp_path, {"duration": "4m", "demand": [
        {"workload": "web", "client": "c",
         "trace": {"path": "r.jsonl", "time_column": "ts", "time_unit": "ms", "loop": False}}],
        "policies": [{"kind": "static"}]})["static"]
    assert list(out.series["demand_rps"]) == [2, 2, 0, 0]
