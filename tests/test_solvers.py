"""Every solver status path, on both back-ends, and how the planner reports each."""

import random

import pytest

from conftest import inference, offering, scenario, site
from tierplan import PlanOptions, plan
from tierplan.scheduler import solvers
from tierplan.scheduler.milp import Milp, split_fixed, split_layout
from tierplan.scheduler.polishing import Early, polish, polish_all
from tierplan.scheduler.solvers import CbcBackend, HighsBackend, SolveResult

BACKENDS = [HighsBackend, CbcBackend]


def knapsack(n: int = 300, seed: int = 1) -> Milp:
    """Feasible at once (take nothing), hard to prove optimal: big random weights."""
    rng = random.Random(seed)
    m = Milp()
    weights = [rng.randint(10**6, 2 * 10**6) for _ in range(n)]
    for j, w in enumerate(weights):
        m.add_col(("k", j), 0, 1, True, cost=-(w + rng.randint(0, 1000)))
    m.add_row(("cap",), list(range(n)), [float(w) for w in weights], upper=sum(weights) // 2)
    return m


def market_split(rows: int = 5, seed: int = 3) -> Milp:
    """Cornuejols-Dawande market split: finding any solution is hard."""
    rng = random.Random(seed)
    n = 10 * (rows - 1)
    m = Milp()
    for j in range(n):
        m.add_col(("x", j), 0, 1, True)
    for i in range(rows):
        a = [rng.randint(0, 99) for _ in range(n)]
        m.add_row(("r", i), list(range(n)), [float(x) for x in a], sum(a) // 2, sum(a) // 2)
    return m


@pytest.mark.parametrize("backend", BACKENDS)
def test_optimal_with_lexicographic_tie_break(backend):
    # Two columns cost the same; the secondary objective prefers the second.
    m = Milp()
    a = m.add_col(("a",), 0, 10, True, cost=1.0, latency=5.0)
    b = m.add_col(("b",), 0, 10, True, cost=1.0, latency=1.0)
    m.add_row(("need",), [a, b], [1.0, 1.0], lower=3)
    result = backend().solve(m, m.cost, m.latency, 10, 1e-6)
    assert result.status == "optimal" and result.objective == pytest.approx(3.0)
    assert result.x is not None and round(result.x[b]) == 3 and round(result.x[a]) == 0


def test_cbc_optimum_is_proven_only_to_the_gap_it_was_given():
    # PuLP does not pass CBC's bound on: an "optimal" MILP is within the gap asked, no
    # closer as far as anyone can tell, while an LP's optimum is exact.
    m = Milp()
    a = m.add_col(("a",), 0, 10, True, cost=3.0)
    m.add_row(("need",), [a], [2.0], lower=3)  # a >= 1.5, so a = 2 at $6
    result = CbcBackend().solve(m, m.cost, None, 10, 1e-3)
    assert result.status == "optimal" and result.objective == pytest.approx(6.0)
    assert result.gap == 1e-3
    m.col_integer[a] = False
    result = CbcBackend().solve(m, m.cost, None, 10, 1e-3)
    assert result.objective == pytest.approx(4.5) and result.gap == 0.0


@pytest.mark.parametrize("backend", BACKENDS)
def test_infeasible(backend):
    m = Milp()
    x = m.add_col(("x",), 0, 1, True, cost=1.0)
    m.add_row(("r",), [x], [1.0], lower=2)
    assert backend().solve(m, m.cost, None, 10, 1e-6).status == "infeasible"


@pytest.mark.parametrize("backend", BACKENDS)
def test_time_limit_with_a_solution(backend):
    # pulp.HiGHS reports this case as "Optimal"; the status must say time_limit.
    m = knapsack()
    result = backend().solve(m, m.cost, None, 0.2, 1e-9)
    assert result.status == "time_limit"
    assert result.x is not None


@pytest.mark.parametrize("backend", BACKENDS)
def test_time_limit_without_a_solution(backend):
    m = market_split()
    result = backend().solve(m, m.cost, None, 0.2, 1e-9)
    assert result.status == "no_solution" and result.x is None


@pytest.mark.parametrize("backend", BACKENDS)
def test_empty_model(backend):
    assert backend().solve(Milp(), [], None, 1, 1e-4).status == "optimal"


class _Forced(HighsBackend):
    """Solves for real, then reports the status a test asks for."""

    status = "time_limit"

    def solve(self, milp, primary, secondary, time_limit, gap, start=None, presolve=True):
        real = super().solve(milp, primary, secondary, time_limit, gap, start, presolve)
        if self.status == "no_solution":
            return SolveResult("no_solution", None, None, float("inf"), real.seconds)
        return SolveResult("time_limit", real.x, real.objective, 0.05, real.seconds)


@pytest.mark.parametrize(("forced", "status", "placed"), [
    ("time_limit", "time_limit", True), ("no_solution", "time_limit", False),
])
def test_planner_reports_time_limits(monkeypatch, forced, status, placed):
    monkeypatch.setattr(_Forced, "status", forced)
    monkeypatch.setitem(solvers.SOLVERS, "forced", _Forced)
    sc = scenario([site("a", offerings=[offering("l4", 1.0)])], [inference()])
    result = plan(sc, PlanOptions(solver="forced"))
    assert result.status == status
    assert bool(result.placements) is placed
    if placed:
        assert result.solver.gap == pytest.approx(0.05)
    else:
        assert "time limit" in result.diagnosis[0]


def test_unknown_solver_is_an_error():
    from tierplan import SolverError

    with pytest.raises(SolverError, match="unknown solver"):
        solvers.get_backend("gurobi")


def test_fixed_lp_splits_into_parts_that_solve_like_the_whole():
    # Two workloads' routing LPs share only a row of integer columns (a capacity):
    #   n1, n2 integer; y1 <= 8 n1, y2 <= 8 n2, y1 = 5, y2 = 7, n1 + n2 <= 3.
    # With n fixed the LP is two independent pieces; the capacity row is a constant.
    m = Milp()
    n1 = m.add_col(("n", 1), 0, 3, True, cost=10.0)
    n2 = m.add_col(("n", 2), 0, 3, True, cost=10.0)
    y1 = m.add_col(("y", 1), 0, 5, False, cost=0.5, latency=2.0)
    y2 = m.add_col(("y", 2), 0, 7, False, cost=0.25, latency=1.0)
    m.add_row(("cap", 1), [y1, n1], [1.0, -8.0], upper=0.0)
    m.add_row(("cap", 2), [y2, n2], [1.0, -8.0], upper=0.0)
    m.add_row(("demand", 1), [y1], [1.0], 5.0, 5.0)
    m.add_row(("demand", 2), [y2], [1.0], 7.0, 7.0)
    m.add_row(("shared",), [n1, n2], [1.0, 1.0], upper=3.0)
    x = [1.0, 1.0, 5.0, 7.0]
    parts = split_fixed(m, x)
    assert sorted(p.cols for p in parts) == [[y1], [y2]]
    assert sorted(sorted(p.rows) for p in parts) == [[0, 2], [1, 3]]
    # the fixed n moves into the bounds: y1 - 8 * 1 <= 0  ->  y1 <= 8
    part = next(p for p in parts if p.cols == [y1])
    assert part.milp.row_upper[part.rows.index(0)] == 8.0
    backend = HighsBackend()
    split_values, split_duals = polish(backend, m, m.cost, m.latency, x)
    whole_values, whole_duals = backend.polish(m, m.cost, m.latency, x)
    assert split_values == pytest.approx(whole_values)
    assert split_duals is not None and whole_duals is not None
    assert split_duals == pytest.approx(whole_duals)
    assert split_duals[4] == 0.0  # the shared row holds integers only
    # The layout found before x is known (polishing ahead) gives the same parts, for
    # this x and another: only the fixed columns' share of the bounds depends on x.
    layout = split_layout(m)
    for values in (x, [2.0, 0.0, 5.0, 0.0]):
        assert split_fixed(m, values, layout) == split_fixed(m, values)
    assert next(p for p in split_fixed(m, [2.0, 0.0, 5.0, 0.0], layout)
                if p.cols == [y1]).milp.row_upper[0] == 16.0
    # Polished early (polishing.Early), as a start places workload 1 (n1 = 1) and then
    # workload 2 (n2 = 1): each part once its workload is placed. The final plan has
    # n2 = 2: y2's part (its cap row now 16) is polished again, y1's is taken as it is,
    # and the result is what polishing the final plan gives.
    early = Early(m, layout, m.cost, m.latency, backend)
    start = {("n", 1): 1.0, ("y", 1): 5.0}
    early.placed([1], lambda tag: start.get(tag, 0.0))
    start.update({("n", 2): 1.0, ("y", 2): 7.0})
    early.placed([2], lambda tag: start.get(tag, 0.0))
    early.wait()
    assert sorted(len(part.cols) for part, _ in early.polished.values()) == [1, 1]
    final = [1.0, 2.0, 5.0, 7.0]
    tasks = []

    def run(jobs):
        tasks.extend(jobs)
        return [backend.polish(*job) for job in jobs]

    [result] = polish_all([(m, m.cost, m.latency, final)], run, {id(m): (m, layout)},
                          {id(m): early})
    assert [job[0].num_cols for job in tasks] == [1] and tasks[0][1] == [0.25]  # y2's part
    assert result[0] == pytest.approx(polish(backend, m, m.cost, m.latency, final)[0])
    assert result[1] == pytest.approx(polish(backend, m, m.cost, m.latency, final)[1])
