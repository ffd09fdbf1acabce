"""The wall-clock guard (``--time-limit``) of a plan over periods: once it is past, no
new solve starts, and the plan says so (status ``time_limit`` and a note), whether it
has placements (then checked) or none. Driven through the clock seam
(``PlanOptions.wall_clock``) and an injected back-end that moves that clock."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from conftest import offering, scenario, site
from tierplan import PlanOptions, plan
from tierplan.model import Scenario
from tierplan.scheduler.check import check_plan
from tierplan.scheduler.highs import HighsBackend
from tierplan.scheduler.milp import Milp

LIMIT = 100.0  # wall seconds of the guard; the clock below moves only when told


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


class Moving:
    """HiGHS, counting its calls; the ``after``-th call takes the whole time limit
    (the clock jumps past the guard while it runs)."""

    name = "HiGHS"

    def __init__(self, clock: Clock, after: int | None) -> None:
        self.inner = HighsBackend()
        self.clock = clock
        self.after = after
        self.calls = 0
        self.late = 0  # calls that started past the guard

    def _count(self) -> None:
        if self.after is not None and self.calls >= self.after:
            self.late += 1
        self.calls += 1
        if self.calls == self.after:
            self.clock.now += 2 * LIMIT

    def solve(self, milp: Milp, primary: Sequence[float], secondary: Sequence[float] | None,
              work: float, gap: float, start: Sequence[float] | None = None,
              presolve: bool = True) -> Any:
        self._count()
        return self.inner.solve(milp, primary, secondary, work, gap, start, presolve)

    def polish(self, milp: Milp, primary: Sequence[float], secondary: Sequence[float] | None,
               x: Sequence[float]) -> Any:
        self._count()
        return self.inner.polish(milp, primary, secondary, x)

    def relax(self, milp: Milp, primary: Sequence[float]) -> Any:
        self._count()
        return self.inner.relax(milp, primary)


def _contested() -> Scenario:
    """Five services over four periods whose own plans all want the same two cheap edge
    servers (a merged group, repaired), and a training job beside them."""
    workloads: list[dict[str, Any]] = [
        {"name": f"svc{i}", "kind": "inference", "accelerators": {"L4": {"rps": 10,
                                                                           "latency_ms": 20}},
         "demand_rps": {"munich": [round((6 + 2 * i) * (1 + 0.3 * p), 2) for p in range(4)]},
         "latency_slo_ms": 100, "team": "a"} for i in range(5)]
    workloads.append({"name": "job", "kind": "training", "accelerators": {"L4": 1.0},
                      "work_hours": 40, "max_nodes": 2, "deadline_hours": 75, "team": "a"})
    sites = [site("edge/munich", tier="edge", offerings=[
                 offering("l4", 0.4, available=2), offering("l4x", 0.9, available=1)]),
             site("aws/fra", provider="aws", offerings=[offering("g6", 1.3)])]
    return scenario(sites, workloads, periods="25h")


def _plan(after: int | None) -> tuple[Any, Moving]:
    clock = Clock()
    backend = Moving(clock, after)
    result = plan(_contested(), PlanOptions(backend=backend, wall_clock=clock,
                                            time_limit=LIMIT, workers=1, explain=False))
    return result, backend


def test_without_the_guard_the_group_is_merged_and_planned() -> None:
    result, backend = _plan(None)
    assert result.status == "optimal"
    assert result.solver.components < len(_contested().workloads)  # a merged group
    assert backend.calls > 8


@pytest.mark.parametrize("share", [0.0, 0.2, 0.5, 0.8, 0.95])
def test_a_guard_passed_mid_plan_stops_every_solve_after_it_and_the_plan_says_so(
        share: float) -> None:
    _, whole = _plan(None)
    after = max(1, int(share * whole.calls))
    result, backend = _plan(after)
    assert backend.late == 0  # nothing started once the guard was past
    assert result.status == "time_limit"
    assert any("wall-clock limit (100 s)" in note for note in result.diagnosis), result.diagnosis
    if result.placements:
        assert check_plan(_contested(), result) == []
