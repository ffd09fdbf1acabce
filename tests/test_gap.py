"""The gap of a plan is the gap of the whole scenario, summed over the blocks solved apart."""

import math
from dataclasses import replace

import pytest

from tierplan.scheduler.backlog import Backlog
from tierplan.scheduler.block_solve import solve_blocks
from tierplan.scheduler.blocks import Blocks
from tierplan.scheduler.gaps import block_gap, slack, whole_gap
from tierplan.scheduler.solvers import SolveResult


def _blocks() -> Blocks:
    # Workloads 0 and 1 alone (exact, $600 and $400); 2 and 3 merged and stopped at
    # the time limit at $1,000 with the solver's bound at 4 % ($960). Solo optima of 2
    # and 3: $450 + $500 = $950, below the solver's bound, so $960 is the block's bound.
    blocks = Blocks([set(), set(), set(), set()])
    blocks.merge([2, 3])
    blocks.blocks[0].result = SolveResult("optimal", [1.0], 600.0, 0.0, 0.0)
    blocks.blocks[1].result = SolveResult("optimal", [1.0], 400.0, 0.0, 0.0)
    blocks.blocks[2].result = SolveResult("time_limit", [1.0], 1000.0, 0.04, 0.0)
    return blocks


ALONE = {0: 600.0, 1: 400.0, 2: 450.0, 3: 500.0}


def test_whole_gap_adds_values_and_bounds():
    # (2,000 - (600 + 400 + 960)) / 2,000 = 40 / 2,000 = 2 %, not the block's 4 %.
    assert whole_gap(_blocks(), ALONE) == pytest.approx(0.02)


def test_solo_optima_bound_a_merged_block_when_the_solver_has_less():
    blocks = _blocks()
    blocks.blocks[2].result = SolveResult("time_limit", [1.0], 1000.0, 0.10, 0.0)
    # Solver bound 900 < 950 = 450 + 500: (2,000 - 1,950) / 2,000 = 2.5 %.
    assert whole_gap(blocks, ALONE) == pytest.approx(0.025)


def test_slack_is_what_the_unsolved_blocks_may_leave():
    blocks = _blocks()
    blocks.blocks[2].result = None
    # Lower bound 600 + 400 + 950 = 1,950; the solved blocks are exact: 1e-2 * 1,950.
    assert slack(blocks, ALONE, 1e-2) == pytest.approx(19.5)
    blocks.blocks[1].result = SolveResult("optimal", [1.0], 400.0, 0.01, 0.0)
    # Block 1 now leaves 4 of it: 1e-2 * (600 + 396 + 950) - 4 = 15.46.
    assert slack(blocks, ALONE, 1e-2) == pytest.approx(15.46)


def test_block_gap_turns_slack_into_a_relative_gap_from_the_start_value():
    assert block_gap(1e-4, 19.5, [100.0, 200.0], [1.0, 2.0]) == pytest.approx(19.5 / 500)
    assert block_gap(1e-4, 0.0, [100.0], [1.0]) == 1e-4       # never below the asked gap
    assert block_gap(1e-4, 5.0, [100.0], None) == 1e-4        # no start: no promise


def test_the_lp_relaxation_bounds_a_merged_block_that_has_no_solver_bound():
    blocks = _blocks()
    blocks.blocks[2].result = SolveResult("time_limit", [1.0], 1000.0, float("inf"), 0.0)
    # No bound from the solver: the solo optima give 950, (2,000 - 1,950) / 2,000 = 2.5 %.
    assert whole_gap(blocks, ALONE) == pytest.approx(0.025)
    # The block's LP relaxation (priced start) is at 980: (2,000 - 1,980) / 2,000 = 1 %.
    # (It gives away HiGHS's optimality tolerance, 1e-7 of it.)
    blocks.blocks[2].relaxed = 980.0
    assert whole_gap(blocks, ALONE) == pytest.approx(0.01, rel=1e-4)
    # A merge forgets it: the merged block's LP is another LP.
    blocks.merge([0, 2])
    assert blocks.blocks[0].relaxed is None


def test_a_priced_start_keeps_the_lp_optimum_of_the_block():
    # Two 60 h jobs, one on-prem L4 for 100 h (see test_shared; integer optimum $18).
    # The LP gives b the L4 for 60 h ($6) and a the other 40 h (40/60 x $6 = $4) plus
    # 20/60 of its cloud-a run (20/60 x $12 = $4): $14, a lower bound of the $18.
    from conftest import PRICED_PAIR, onprem_jobs
    from tierplan.scheduler import pricing
    from tierplan.scheduler.solvers import HighsBackend

    _, _, block = onprem_jobs(*PRICED_PAIR)
    pricing.shadow_prices(HighsBackend(), block, "cost")
    assert block.relaxed == pytest.approx(14.0)


def test_the_lagrangian_bound_moves_the_shared_rows_into_the_objective():
    # PRICED_PAIR's block, its on-prem capacity row (limit 1) priced at lam = $10: each
    # job's own bound at that price is $12 (a: cloud-a $12 < on-prem $6 + 0.6 x $10;
    # b: on-prem $6 + $6 < cloud-b $120), so 12 + 12 - 10 x 1 = $14, the LP's optimum.
    # A job whose own model is worth more at the price (its LP is not integral) raises it.
    from conftest import PRICED_PAIR, onprem_jobs
    from tierplan.scheduler.blocks import coupling_key
    from tierplan.scheduler.gaps import lagrangian

    _, _, block = onprem_jobs(*PRICED_PAIR)
    m = block.form.milp
    row = next(coupling_key(t) for t in m.row_tags if coupling_key(t) is not None)
    assert lagrangian(m, {row: 10.0}, [12.0, 12.0]) == pytest.approx(14.0)
    assert lagrangian(m, {row: 10.0}, [12.0, 15.0]) == pytest.approx(17.0)
    assert lagrangian(m, {}, [12.0, 15.0]) == pytest.approx(27.0)  # no price: the solo sum


def test_the_start_prices_each_member_alone_for_the_block_bound():
    # The same block at the LP's price with the start's 0.1 % markup, lam = $10.01:
    # a: min(6 + 0.6 x 10.01, 12) = $12 in cloud-a; b: min(6 + 6.006, 120) = $12.006
    # on-prem; 12 + 12.006 - 10.01 = $13.996, a valid bound of the $18 optimum. Each
    # job's priced optimum is also what the start takes for it when it fits.

    from conftest import PRICED_PAIR, onprem_jobs
    from tierplan.scheduler import planner, pricing
    from tierplan.scheduler import pool as pool_module
    from tierplan.scheduler.formulation import build
    from tierplan.scheduler.solvers import HighsBackend

    u, members, block = onprem_jobs(*PRICED_PAIR)
    prices, _ = pricing.shadow_prices(HighsBackend(), block, "cost")
    assert list(prices.values()) == [pytest.approx(10.01)]
    forms = {i: build(u, [], [members[i]], u.scenario.budgets, 1.0) for i in block.members}
    pool = pool_module.Pool(planner.PlanOptions(), n_members=2)  # one process: no workers
    block.prices, block.lp = prices, None
    optimal = pricing.price_members(pool, block, forms, {}, "cost", 5.0)
    assert block.dual == pytest.approx(13.996)
    sites = {i: {u.sites[members[i].options[tag[2]].site].name for tag in sol}
             for i, sol in optimal.items()}
    assert sites == {0: {"cloud-a"}, 1: {"onprem"}}
    # Given the LP's solution, b's part of it (all 60 h on-prem) is integral: optimal for
    # b at the LP's own price ($10: 6 + 0.6 x 10 = $12), so b is not solved; only a is
    # (at $10.01, $12 as before). 12 + 12 - 10.01 = $13.99.
    block.prices, block.lp = pricing.shadow_prices(HighsBackend(), block, "cost")
    lp = block.lp
    solved, hints = [], []
    real = pool.hand_over
    pool.hand_over = lambda steps, objective, deadline, request, given, order: (
        solved.extend(steps) or hints.extend(given)
        or real(steps, objective, deadline, request, given, order))
    optimal = pricing.price_members(pool, block, forms, {}, "cost", 5.0)
    assert len(solved) == 1 and solved[0][0] is forms[0]
    # a's solve is hinted with its part of the LP, to round for a start (alone.solve_alone)
    at_lp = dict(zip(block.form.milp.col_tags, lp, strict=True))
    assert hints == [[at_lp[t] for t in forms[0].milp.col_tags]]
    assert block.dual == pytest.approx(13.99)
    assert optimal[1] == {next(iter(optimal[1])): 1.0}  # b: its one on-prem option
    # The bound counts in the whole gap: 18 against 13.99 when the solver has none.
    blocks = Blocks([set(), set()])
    blocks.merge([0, 1])
    merged = blocks.blocks[0]
    merged.result = SolveResult("time_limit", [1.0], 18.0, float("inf"), 0.0)
    merged.dual = block.dual
    assert whole_gap(blocks, {0: 6.0, 1: 6.0}) == pytest.approx((18 - 13.99) / 18)


def test_a_priced_member_without_a_bound_from_its_solve_is_bounded_by_its_part_of_the_lp():
    # Past its deadline a priced member keeps the plan of its LP part's rounding box, with
    # no bound from the solver (alone.solve_alone with box_late). Its part of the LP still
    # bounds it: that part is optimal for a's own LP at the LP's price of $10, so a costs
    # at least min(6 + 0.6 x 10, 12) = $12 at $10.01 too, and the block keeps its bound
    # 12 + 12 - 10.01 = $13.99 (b's part is integral, as above). Without it: none.

    from conftest import PRICED_PAIR, onprem_jobs
    from tierplan.scheduler import planner, pricing
    from tierplan.scheduler import pool as pool_module
    from tierplan.scheduler.formulation import build
    from tierplan.scheduler.solvers import HighsBackend

    u, members, block = onprem_jobs(*PRICED_PAIR)
    forms = {i: build(u, [], [members[i]], u.scenario.budgets, 1.0) for i in block.members}
    prices, lp = pricing.shadow_prices(HighsBackend(), block, "cost")
    pool = pool_module.Pool(planner.PlanOptions(), n_members=2)
    real = pool.alone
    asked = []

    def boxed(steps, objective, deadline, request, hints, order):
        asked.append(request.box_late)
        return Backlog(pool.clock, [
            SolveResult("time_limit", r.x, r.objective, float("inf"), r.seconds)
            for r in real(steps, objective, deadline, replace(request, box_late=False),
                          hints)])

    pool.hand_over = boxed
    block.prices, block.lp = prices, lp
    optimal = pricing.price_members(pool, block, forms, {}, "cost", -1.0)
    assert asked == [True] and set(optimal) == {0, 1}
    assert block.dual == pytest.approx(13.99)
    block.lp = None
    pricing.price_members(pool, block, forms, {}, "cost", -1.0)  # no LP
    assert block.dual == -math.inf


def test_the_rounding_at_stake_is_each_integer_columns_distance_from_whole_at_its_cost():
    # 2.5 instances at $3 are half an instance from whole ($1.50), 0.9 at $10 a tenth
    # ($1); the continuous column's 0.5 counts for nothing: $2.50.
    from tierplan.scheduler.milp import Milp
    from tierplan.scheduler.pricing import rounding_risk

    milp = Milp()
    milp.add_col(("n",), 0, 10, True, 3.0)
    milp.add_col(("m",), 0, 10, True, 10.0)
    milp.add_col(("y",), 0, 1, False, 7.0)
    assert rounding_risk(milp, [3.0, 10.0, 7.0], [2.5, 0.9, 0.5]) == pytest.approx(2.5)
    assert rounding_risk(milp, [3.0, 10.0, 7.0], [2.0, 1.0, 0.5]) == 0.0


def test_merged_blocks_keep_a_reserve_for_a_further_merge(monkeypatch):
    # A merged block's MILP gets what is left less a reserve: half the time left, or
    # 1.2x what the starts took when that is more (a further merge redoes the starts).
    # Starts that take 0.5 s with 1.5 s to the deadline leave 1 s: the MILP gets
    # 1 - 1.2 x 0.5 = 0.4 s, not half of it (0.5 s). Only the start moves the pool's
    # work clock here.
    from conftest import PRICED_PAIR, onprem_jobs
    from tierplan.scheduler import planner
    from tierplan.scheduler import pool as pool_module

    _, _, block = onprem_jobs(*PRICED_PAIR)
    given = []

    def solve_task(task):
        given.append(task.work)
        return SolveResult("optimal", [0.0] * block.form.milp.num_cols, 0.0, 0.0, 0.0)

    pool = pool_module.Pool(planner.PlanOptions(), n_members=2)  # one process: no workers

    def start(_block):
        pool.clock.charge(0.5)
        return None, []

    monkeypatch.setattr(pool_module, "solve_task", solve_task)
    solve_blocks(pool, [block], "cost", 1.5, start)
    assert given == [pytest.approx(0.4)]


def test_priced_solves_get_less_time_when_time_is_short():
    # Each priced solve is capped, and at less when the work left is short (down to what
    # one gets past the limit): with 10 work seconds left for two members, more than
    # with 0.01 left.
    from conftest import PRICED_PAIR, onprem_jobs
    from tierplan.scheduler import planner, pricing
    from tierplan.scheduler import pool as pool_module
    from tierplan.scheduler.formulation import build
    from tierplan.scheduler.solvers import HighsBackend

    u, members, block = onprem_jobs(*PRICED_PAIR)
    forms = {i: build(u, [], [members[i]], u.scenario.budgets, 1.0) for i in block.members}
    prices, _ = pricing.shadow_prices(HighsBackend(), block, "cost")
    pool = pool_module.Pool(planner.PlanOptions(), n_members=2)  # one process: no workers
    caps = []
    real = pool.hand_over
    pool.hand_over = lambda steps, objective, deadline, request, hints, order: caps.append(
        (request.cap, request.late)) or real(steps, objective, deadline, request, hints, order)
    block.prices, block.lp = prices, None
    for left in (10.0, 0.01):
        pricing.price_members(pool, block, forms, {}, "cost", pool.clock.now() + left)
    (plenty, late), (short, late_too) = caps
    assert plenty > short >= late and late == late_too
