"""A model solved by its independent parts (scheduler/parts.py) is bounded by the sum of
its parts' bounds: tighter than its largest part's gap applied to the whole, and still
below the whole model's optimum when the parts stop early."""

from __future__ import annotations

import math

import pytest

from test_rins import _model
from tierplan.scheduler.budget import WorkClock
from tierplan.scheduler.gaps import solver_bound
from tierplan.scheduler.highs import HighsBackend
from tierplan.scheduler.milp import Milp
from tierplan.scheduler.parts import solve_by_parts
from tierplan.scheduler.period_pool import Runner
from tierplan.scheduler.solvers import Solver, SolveResult


class _Gapped:
    """HiGHS, reporting each part's gap as ``gaps[its first column's tag]`` (a part
    stopped early: its bound is its value less that gap)."""

    name = "gapped"

    def __init__(self, gaps: dict[object, float]) -> None:
        self.inner = HighsBackend()
        self.gaps = gaps

    def solve(self, milp, primary, secondary, work, gap, start=None, presolve=True):  # type: ignore[no-untyped-def]
        result = self.inner.solve(milp, primary, secondary, work, gap, start, presolve)
        extra = self.gaps.get(milp.col_tags[0], 0.0)
        return SolveResult("time_limit", result.x, result.objective, extra, result.seconds,
                           result.work)


def _two_parts() -> Milp:
    """Two independent covering rows: 4 n1 >= 9 (n1 = 3, cost 30) and 2 n2 >= 3
    (n2 = 2, cost 20)."""
    m = Milp()
    a = m.add_col(("n1",), 0, 10, True, 10.0)
    b = m.add_col(("n2",), 0, 10, True, 10.0)
    m.add_row(("cover", 1), [a], [4.0], 9.0)
    m.add_row(("cover", 2), [b], [2.0], 3.0)
    return m


def test_the_bound_of_a_model_in_parts_is_the_sum_of_its_parts_bounds() -> None:
    backend = _Gapped({("n1",): 0.5})  # the first part's bound: 15, the second's: 20
    with Runner(Solver(backend=backend), 1, 2) as runner:
        result = solve_by_parts(backend, _two_parts(), False, False, WorkClock(10.0), 1e-4,
                                runner)
    assert result.objective == pytest.approx(50.0)
    assert solver_bound(result) == pytest.approx(35.0)  # not 50 x (1 - 0.5) = 25


def test_a_part_without_a_bound_leaves_the_model_without_one() -> None:
    backend = _Gapped({("n2",): math.inf})
    with Runner(Solver(backend=backend), 1, 2) as runner:
        result = solve_by_parts(backend, _two_parts(), False, False, WorkClock(10.0), 1e-4,
                                runner)
    assert solver_bound(result) == -math.inf


@pytest.mark.parametrize("seed", range(6))
def test_parts_stopped_early_still_bound_the_whole_optimum(seed: int) -> None:
    """The contested cases over periods with their shared rows dropped (so that they fall
    apart by workload and period), solved in parts with a sliver of work."""
    m = _model(seed)
    keep = [r for r, tag in enumerate(m.row_tags) if tag[0] not in ("capacity", "budget")]
    loose = Milp(m.col_lower, m.col_upper, m.col_integer, m.cost, m.latency, m.penalty,
                 m.col_tags)
    for r in keep:
        loose.add_row(m.row_tags[r], *m.row(r), m.row_lower[r], m.row_upper[r])
    backend = HighsBackend()
    optimum = backend.solve(loose, loose.cost, None, 100.0, 1e-9)
    if optimum.objective is None:
        return
    with Runner(Solver(), 1, 1) as runner:
        result = solve_by_parts(backend, loose, False, False, WorkClock(0.0), 1e-4, runner,
                                least=0.001)
    if result.x is None:
        return
    assert solver_bound(result) <= optimum.objective + 1e-6 * max(1.0, abs(optimum.objective))
