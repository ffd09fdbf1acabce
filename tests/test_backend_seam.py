"""The solver back-end is injected through PlanOptions.backend (as an HTTP client takes
a transport): tests see every model the planner hands over and can make it fail."""

import math

import pytest

from conftest import inference, offering, placements, scenario, site
from tierplan import PlanOptions, plan
from tierplan.scheduler.solvers import HighsBackend, SolveResult

pytestmark = pytest.mark.unit

SCENARIO = scenario(
    [site("a", offerings=[offering("l4", 1.0, available=1)]),
     site("b", offerings=[offering("l4", 1.5)])],
    [inference("s1", {"munich": 10}), inference("s2", {"munich": 10})])


class Recording:
    """HiGHS, recording the size of every MILP it is given."""

    name = "recording"

    def __init__(self) -> None:
        self.inner = HighsBackend()
        self.columns: list[int] = []

    def solve(self, milp, primary, secondary, work, gap, start=None, presolve=True):
        self.columns.append(milp.num_cols)
        return self.inner.solve(milp, primary, secondary, work, gap, start, presolve)

    def polish(self, milp, primary, secondary, x):
        return self.inner.polish(milp, primary, secondary, x)

    def relax(self, milp, primary):
        return self.inner.relax(milp, primary)


class Nothing(Recording):
    """Finds no plan for any MILP (as HiGHS does when its limits stop it first), and
    no optimum for any LP relaxation."""

    def solve(self, milp, primary, secondary, work, gap, start=None, presolve=True):
        self.columns.append(milp.num_cols)
        return SolveResult("no_solution", None, None, math.inf, 0.0, work)

    def relax(self, milp, primary):
        return None


@pytest.mark.parametrize("strategy", ["decomposition", "monolithic"])
def test_an_injected_backend_solves_the_plans_models(strategy):
    # Two services share one cheap instance: one gets it, the other goes to b.
    backend = Recording()
    result = plan(SCENARIO, PlanOptions(backend=backend, strategy=strategy))
    assert backend.columns  # every MILP went through it
    assert result.status == "optimal"
    assert ("a", "l4", 1) in placements(result)  # the capacity of a is used, and not more
    assert placements(result) == placements(plan(SCENARIO))


@pytest.mark.parametrize("strategy", ["decomposition", "monolithic"])
def test_a_backend_that_finds_no_plan_gives_a_plan_that_says_so(strategy):
    result = plan(SCENARIO, PlanOptions(backend=Nothing(), strategy=strategy, explain=False))
    assert result.status == "time_limit" and not result.placements
    assert any("no feasible plan was found" in reason for reason in result.diagnosis)
