"""Solves that run out of time: what a late workload gets, the retry when it finds no
plan or a poor one, and what a merged block keeps when its MILP has no time left."""

import math

import pytest

from tierplan import PlanOptions
from tierplan.scheduler import alone as alone_module
from tierplan.scheduler import block_solve
from tierplan.scheduler import pool as pool_module


def test_a_workload_that_finds_no_plan_in_its_time_gets_one_more_try(monkeypatch):
    # Past the deadline a workload alone gets 0.2 s with a 1 % gap; when that finds no
    # plan it gets 5 s more (before, a late solve had 0.01 s and the whole scenario could
    # come back with no plan: 250 benchmark workloads with --time-limit 1 did).
    from tierplan.scheduler.milp import Milp
    from tierplan.scheduler.solvers import SolveResult

    calls = []

    class Slow:
        def solve(self, milp, primary, secondary, work, gap, start=None, presolve=True):
            calls.append((work, gap))
            if len(calls) == 1:
                return SolveResult("no_solution", None, None, float("inf"), work)
            return SolveResult("optimal", [1.0], 3.0, 0.0, 0.1)

    monkeypatch.setattr(alone_module, "get_backend", lambda name: Slow())
    result = alone_module.solve_alone(("highs", Milp(), [3.0], None, -1.0, 1e-4, 1.0,
                                      alone_module.LATE_SECONDS, None, False))
    assert result.status == "optimal"
    assert calls == [(alone_module.LATE_SECONDS, alone_module.LATE_GAP),
                     (alone_module.LATE_RETRY_SECONDS, alone_module.LATE_GAP)]


def test_a_plan_far_above_its_bound_when_time_runs_out_gets_one_more_try(monkeypatch):
    # The first solve stops at its time with a plan 99 % above its bound (a late step
    # that needed a little longer); the second finds the optimum and is kept. One that
    # stops within POOR_GAP is kept as it is.
    from tierplan.scheduler.milp import Milp
    from tierplan.scheduler.solvers import SolveResult

    answers = []

    class Late:
        def solve(self, milp, primary, secondary, seconds, gap, start=None, presolve=True):
            answers.append(seconds)
            return (SolveResult("time_limit", [120.0], 360.0, 0.99, seconds) if len(answers) == 1
                    else SolveResult("optimal", [1.0], 3.0, 0.0, 0.05))

    monkeypatch.setattr(alone_module, "get_backend", lambda name: Late())
    task = ("highs", Milp(), [3.0], None, -1.0, 1e-4, 1.0,
            alone_module.STEP_LATE_SECONDS["cost"], None, False)
    result = alone_module.solve_alone(task)
    assert (result.status, result.objective) == ("optimal", 3.0)
    assert answers == [alone_module.STEP_LATE_SECONDS["cost"], alone_module.LATE_RETRY_SECONDS]

    class Fair:
        def solve(self, milp, primary, secondary, seconds, gap, start=None, presolve=True):
            answers.append(seconds)
            return SolveResult("time_limit", [1.5], 4.5, alone_module.POOR_GAP / 2, seconds)

    monkeypatch.setattr(alone_module, "get_backend", lambda name: Fair())
    answers.clear()
    assert alone_module.solve_alone(task).objective == 4.5
    assert answers == [alone_module.STEP_LATE_SECONDS["cost"]]


def test_a_solve_past_the_deadline_gets_its_late_work_and_one_before_it_the_work_left():
    # ``left``: work seconds left before the deadline when the solve was handed over.
    assert alone_module.alone_limits(-1.0, 1e-4) == (alone_module.LATE_SECONDS,
                                                     alone_module.LATE_GAP)
    assert alone_module.alone_limits(-1.0, 1e-4, 1.0, alone_module.STEP_LATE_SECONDS["cost"]) == (
        alone_module.STEP_LATE_SECONDS["cost"], alone_module.LATE_GAP)
    assert alone_module.alone_limits(30.0, 1e-4, 1.0) == (1.0, 1e-4)  # its cap
    assert alone_module.alone_limits(0.5, 1e-4) == (0.5, 1e-4)  # the work left


def test_a_merged_blocks_milp_that_does_worse_than_its_start_keeps_the_start():
    # Start worth 3 x 10 = 30. A MILP result of 25 is kept; one of 40 (its bound 20:
    # 40 less 50 %) gives way to the start, whose gap against that bound is 1/3; a MILP
    # that found nothing (HiGHS dropped a start it thought infeasible) gives the start,
    # with no bound of its own.
    from tierplan.scheduler.solvers import SolveResult

    start, primary = [3.0], [10.0]
    better = SolveResult("time_limit", [2.5], 25.0, 0.1, 1.0)
    assert block_solve.no_worse(better, start, primary) is better
    worse = block_solve.no_worse(SolveResult("time_limit", [4.0], 40.0, 0.5, 1.0), start, primary)
    assert (worse.status, worse.x, worse.objective) == ("time_limit", [3.0], 30.0)
    assert worse.gap == pytest.approx(1 / 3)
    none = block_solve.no_worse(SolveResult("no_solution", None, None, float("inf"), 1.0),
                                start, primary)
    assert (none.x, none.objective, none.gap) == ([3.0], 30.0, float("inf"))


def test_past_the_deadline_a_large_blocks_milp_is_not_run_and_its_start_stands(monkeypatch):
    # The three jobs' merged block, counted as large (SEARCH_FROM lowered to 1) and solved
    # after its deadline: its start comes back as its plan, with no MILP run for it.
    from conftest import THREE_JOBS, THREE_SITES, onprem_jobs

    _, _, block = onprem_jobs(THREE_JOBS, THREE_SITES)
    start = [0.0] * block.form.milp.num_cols
    for i in range(3):  # each job's first option (a feasible choice for the test's purpose)
        start[next(j for j, t in enumerate(block.form.milp.col_tags) if t[1] == f"j{i}")] = 1.0
    monkeypatch.setattr(block_solve, "SEARCH_FROM", 1)
    monkeypatch.setattr(pool_module.Pool, "search", lambda self, milp, primary, x, until: x)
    monkeypatch.setattr(pool_module, "solve_task", lambda task: pytest.fail("MILP run"))
    with pool_module.Pool(PlanOptions(workers=1), 3) as pool:  # its clock is at 0
        [result] = block_solve.solve_blocks(pool, [block], "cost", -1.0, lambda b: (list(start), []))
    assert result.x == start and result.status == "time_limit"
    assert result.objective == pytest.approx(sum(
        c * v for c, v in zip(block.form.milp.cost, start, strict=True)))


def test_a_merged_blocks_milp_gets_a_third_of_the_time_left_after_a_slow_start(monkeypatch):
    # The start takes 0.2 s and leaves 1 s: the reserve for a further merge (1.2 x the
    # start, 0.24 s) would leave 0.76 s, more than half, so the MILP gets half; when the
    # start takes 1 s, the reserve (1.2 s) would leave nothing, and the MILP gets a
    # third of the time left instead of 0.01 s.
    from conftest import THREE_JOBS, THREE_SITES, onprem_jobs

    _, _, block = onprem_jobs(THREE_JOBS, THREE_SITES)
    start = [0.0] * block.form.milp.num_cols
    for i in range(3):
        start[next(j for j, t in enumerate(block.form.milp.col_tags) if t[1] == f"j{i}")] = 1.0
    given = []

    def solve(task):
        given.append(task.work)
        return block_solve.no_worse(pool_module.SolveResult(
            "no_solution", None, None, float("inf"), 0.0), task.start, task.primary)

    monkeypatch.setattr(pool_module, "solve_task", solve)
    for took in (0.2, 1.0):
        with pool_module.Pool(PlanOptions(workers=1), 3) as pool:
            def slow_start(b, took=took, pool=pool):
                pool.clock.charge(took)  # the start's work
                return list(start), []

            block_solve.solve_blocks(pool, [block], "cost", took + 1.0, slow_start)
    assert given[0] == pytest.approx(0.5, abs=0.05)
    assert given[1] == pytest.approx(1 / 3, abs=0.05)


def test_the_rounding_box_holds_integer_columns_between_the_floor_and_ceiling_of_the_lp():
    # Columns: n (integer, 0..10) at 1.4 -> [1, 2]; m (integer, 0..1) at 1 - 1e-9, a
    # whole number to the LP's tolerance -> [1, 1]; y (continuous) keeps its bounds.
    from tierplan.scheduler.milp import Milp, rounding_box

    milp = Milp()
    milp.add_col(("n",), 0, 10, True, 3.0)
    milp.add_col(("m",), 0, 1, True, 1.0)
    milp.add_col(("y",), 0, 5, False, 0.5)
    box = rounding_box(milp, [1.4, 1 - 1e-9, 2.5])
    assert (box.col_lower, box.col_upper) == ([1.0, 1.0, 0], [2.0, 1.0, 5])
    assert (milp.col_lower, milp.col_upper) == ([0, 0, 0], [10, 1, 5])  # its own are kept
    assert box.cost is milp.cost and box.row_index is milp.row_index


def test_a_hinted_solve_starts_from_the_rounding_box_and_still_searches_the_whole_model(
        monkeypatch):
    # min 3a + 5b with 2a + 3b >= 7 (a, b whole, at most 10). The LP takes a = 3.5 ($10.50);
    # its box (a in [3, 4], b = 0) holds a = 4 ($12), the start; the model's optimum lies
    # outside it: a = 2, b = 1 (4 + 3 = 7) for $11.
    from tierplan.scheduler.milp import Milp
    from tierplan.scheduler.solvers import HighsBackend

    milp = Milp()
    a = milp.add_col(("a",), 0, 10, True, 3.0)
    b = milp.add_col(("b",), 0, 10, True, 5.0)
    milp.add_row(("cover",), [a, b], [2.0, 3.0], 7.0)
    calls = []

    class Spy(HighsBackend):
        def solve(self, model, primary, secondary, seconds, gap, start=None, presolve=True):
            result = super().solve(model, primary, secondary, seconds, gap, start, presolve)
            calls.append((model.col_upper, seconds, start, result.objective))
            return result

    monkeypatch.setattr(alone_module, "get_backend", lambda name: Spy())
    # The hint is given (a member's part of its block's LP), or RELAX: the model's own
    # LP, solved first (a start's step), which is the same a = 3.5 here. (box_late, see
    # below, changes nothing before the deadline.)
    for hint in ([3.5, 0.0], alone_module.RELAX):
        calls.clear()
        task = ("highs", milp, [3.0, 5.0], None, 30.0, 1e-4, 1.0,
                alone_module.LATE_SECONDS, hint, True)
        result = alone_module.solve_alone(task)
        assert result.objective == pytest.approx(11.0)
        assert result.x == pytest.approx([2.0, 1.0])
        (box, box_seconds, _, box_value), (whole, seconds, start, _) = calls
        assert box == [4.0, 0.0] and box_value == pytest.approx(12.0)
        assert box_seconds == pytest.approx(alone_module.HINT_SHARE, rel=0.05)  # of the cap
        assert whole == [10, 10] and start == pytest.approx([4.0, 0.0]) and seconds < 1.0
    # Through CBC the hint is left out: one solve, of the whole model, with no start.
    calls.clear()
    task = ("cbc", milp, [3.0, 5.0], None, 30.0, 1e-4, 1.0,
            alone_module.LATE_SECONDS, alone_module.RELAX, False)
    assert alone_module.solve_alone(task).objective == pytest.approx(11.0)
    assert [(upper, start) for upper, _, start, _ in calls] == [([10, 10], None)]
    # Past its deadline with box_late (a priced member's solve, see pricing.BOX_LATE) it
    # ends with the box's plan, a = 4 ($12), time-limited and with no bound; without
    # box_late it still searches the whole model from there.
    for box_late, value, solves in ((True, 12.0, 1), (False, 11.0, 2)):
        calls.clear()
        task = ("highs", milp, [3.0, 5.0], None, -1.0, 1e-4, 1.0,
                alone_module.LATE_SECONDS, [3.5, 0.0], box_late)
        result = alone_module.solve_alone(task)
        assert result.objective == pytest.approx(value) and len(calls) == solves
        if box_late:
            assert (result.status, result.gap) == ("time_limit", math.inf)
            assert result.x == pytest.approx([4.0, 0.0])
