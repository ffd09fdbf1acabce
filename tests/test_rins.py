"""RINS by period (scheduler/rins.py): from a poor plan of a contested group it keeps
every row, never raises the objective, never passes below the optimum of the whole
model (the monolithic oracle's MILP), and answers the same with one worker or two."""

from __future__ import annotations

import pytest

from test_periods_scale import _contested
from tierplan.model import InferenceWorkload, Objective
from tierplan.scheduler.budget import WorkClock
from tierplan.scheduler.candidates import InferenceCandidates, TrainingCandidates, Universe, by_kind
from tierplan.scheduler.highs import HighsBackend
from tierplan.scheduler.milp import Milp, value_of
from tierplan.scheduler.period_model import build_periods
from tierplan.scheduler.period_pool import Runner
from tierplan.scheduler.period_repair import Frame
from tierplan.scheduler.rins import Search, rins_periods, worth_another
from tierplan.scheduler.solvers import Solver


def _model(seed: int, objective: Objective = "cost") -> Milp:
    sc = _contested(seed)
    u = Universe(sc)
    cands: list[InferenceCandidates | TrainingCandidates] = [
        u.inference(w, sc.budgets, objective) if isinstance(w, InferenceWorkload)
        else u.training(w, sc.budgets, prune=True) for w in sc.workloads]
    return build_periods(u, *by_kind(cands), sc.budgets).milp


def _poor_plan(m: Milp, backend: HighsBackend) -> list[float] | None:
    """A plan that meets every row but pays dearly for owned capacity (its optimum under
    costs that make every capacity-limited column ten times dearer)."""
    dear = list(m.cost)
    for r, tag in enumerate(m.row_tags):
        if tag[0] == "capacity":
            for j in m.row(r)[0]:
                dear[j] = 10 * m.cost[j] + 1.0
    result = backend.solve(m, dear, None, 50.0, 1e-6)
    return result.x


def _rows_hold(m: Milp, x: list[float]) -> bool:
    whole = all(abs(v - round(v)) < 1e-6 for v, i in zip(x, m.col_integer, strict=True) if i)
    return whole and not any(m.outside(r, a) for r, a in enumerate(m.activities(x)))


@pytest.mark.integration  # two workers: processes
@pytest.mark.parametrize("seed", range(8))
def test_rins_keeps_every_row_and_never_passes_the_optimum(seed: int) -> None:
    m = _model(seed)
    backend = HighsBackend()
    start = _poor_plan(m, backend)
    if start is None:  # an infeasible case of the generator
        return
    relaxed = backend.relax(m, m.cost)
    assert relaxed is not None
    optimum = backend.solve(m, m.cost, None, 100.0, 1e-9)
    assert optimum.status == "optimal" and optimum.objective is not None
    answers = []
    for workers in (1, 2):
        with Runner(Solver(), workers, 1_000) as runner:
            clock = WorkClock(100.0)
            search = Search(Frame.of(m), relaxed[0], m.cost, 1e-4, value_of(m.cost, relaxed[0]))
            x = rins_periods(search, list(start), clock, runner)
        assert _rows_hold(m, x)
        value = value_of(m.cost, x)
        assert value <= value_of(m.cost, start) + 1e-6
        assert value >= optimum.objective - 1e-6 * max(1.0, abs(optimum.objective))
        answers.append((x, clock.now()))
    assert answers[0] == answers[1]


def test_rins_improves_a_poor_plan_somewhere() -> None:
    """The property above would hold for a search that does nothing."""
    backend = HighsBackend()
    gains = 0
    for seed in range(8):
        m = _model(seed)
        start = _poor_plan(m, backend)
        relaxed = backend.relax(m, m.cost)
        if start is None or relaxed is None:
            continue
        with Runner(Solver(), 1, 1) as runner:
            search = Search(Frame.of(m), relaxed[0], m.cost, 1e-4, value_of(m.cost, relaxed[0]))
            x = rins_periods(search, list(start), WorkClock(100.0), runner)
        gains += value_of(m.cost, x) < value_of(m.cost, start) - 1e-6
    assert gains >= 2


def test_the_search_stops_once_its_gains_shrink_fast() -> None:
    assert worth_another([]) and worth_another([5_000.0])
    assert worth_another([5_000.0, 2_000.0])  # gains shrinking slowly: one more round
    assert not worth_another([10_000.0, 1_000.0])
