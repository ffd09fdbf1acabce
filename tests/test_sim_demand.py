"""Demand from traces: rate series are integrated over each step (the exact mean, also
when rows and steps do not line up)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from simfiles import run
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
