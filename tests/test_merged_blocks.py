"""A merged block's machinery: starts, split, repair, the neighbourhood search and leftover work."""

import pytest

from conftest import (
    PRICED_PAIR,
    THREE_JOBS,
    THREE_SITES,
    onprem_jobs,
)
from tierplan import plan
from tierplan.scheduler import neighbourhoods
from tierplan.scheduler import pool as pool_module
from tierplan.scheduler.budget import WorkClock
from tierplan.scheduler.solvers import solve_task


def _search(m, x, work=5.0, run=None, width=1, stop=lambda: False):
    """neighbourhoods.search with ``work`` seconds on a work clock of its own, which
    ``run`` (by default: solve here) charges."""
    clock = WorkClock(work)
    solve = run or (lambda tasks: [solve_task(t) for t in tasks])

    def charged(tasks):
        results = solve(tasks)
        for r in results:
            clock.charge(r.work)
        return results

    model = neighbourhoods.Model("highs", m, m.cost, 1e-4)
    return neighbourhoods.search(model, x, work, charged, width, clock.now, stop)


def test_sequential_start_is_feasible_for_the_merged_block():
    # Three 60 h jobs and one on-prem L4 (100 h): alone each takes it; the start gives it
    # to the first and sends the others to the cloud, breaking no row of the joint model.
    from tierplan.scheduler.blocks import StartPlan, World, sequential_start, solve_choice

    u, members, block = onprem_jobs(THREE_JOBS, THREE_SITES)
    sc = u.scenario
    start = sequential_start(World(u, members, sc.budgets, 1.0), block, [], StartPlan(
        lambda steps: [solve_choice(f.milp, f.milp.cost) for f, _ in steps]))
    assert start is not None
    m = block.form.milp
    for r in range(m.num_rows):
        assert m.row_lower[r] - 1e-9 <= m.activity(r, start) <= m.row_upper[r] + 1e-9
    assert sum(c * v for c, v in zip(m.cost, start, strict=True)) == pytest.approx(6 + 120 + 120)


def test_a_start_names_the_workload_left_without_room_and_places_promoted_ones_first():
    # Three 60 h jobs that may only use the one on-prem L4 (100 h): the first placed
    # takes it and the next finds no plan. The start says which (j1 after j0); with
    # j1 promoted, j1 takes the L4 and j0 is the one left without room.
    from tierplan.scheduler.blocks import StartPlan, World, sequential_start, solve_choice

    u, members, block = onprem_jobs(THREE_JOBS, {name: ["onprem"] for name in THREE_JOBS})

    def steps(batch):  # a choice that fits no row has no plan
        return [solve_choice(f.milp, f.milp.cost) for f, _ in batch]

    for promoted, left in (((), 1), ((1,), 0)):
        failed: list[int] = []
        start = sequential_start(World(u, members, u.scenario.budgets, 1.0), block, [],
                                 StartPlan(steps, promoted=promoted), failed)
        assert start is None and failed == [left]


def test_priced_start_leaves_contested_capacity_to_the_workload_that_gains_most():
    # One on-prem L4 for 100 h; two 60 h jobs, so only one fits. Job a saves $6 there
    # (cloud-a: 60 h x $0.2 = $12 vs 60 h x $0.1 = $6), job b saves $114 (cloud-b: $120).
    # Placed in order without prices, a takes it: 6 + 120 = $126. With the LP's price of
    # the on-prem hours, a's $6 saving does not pay for them: 12 + 6 = $18, the optimum.
    from tierplan.scheduler import planner, pricing
    from tierplan.scheduler.blocks import StartPlan, World, sequential_start
    from tierplan.scheduler.solvers import HighsBackend

    u, members, block = onprem_jobs(*PRICED_PAIR)
    backend = HighsBackend()

    pool = pool_module.Pool(planner.PlanOptions(), n_members=2)  # one process: no workers

    def steps(batch):
        return pool.alone(batch, "cost", 1.0)

    m = block.form.milp
    value = {}
    for name, prices in (("plain", None), ("priced", pricing.shadow_prices(backend, block, "cost")[0])):
        start = sequential_start(World(u, members, u.scenario.budgets, 1.0), block, [],
                                 StartPlan(steps, prices=prices))
        value[name] = sum(c * v for c, v in zip(m.cost, start, strict=True))
    assert value == {"plain": pytest.approx(126.0), "priced": pytest.approx(18.0)}
    assert plan(u.scenario).total_cost_usd == pytest.approx(18.0)


def test_a_batched_start_is_the_one_by_one_start():
    # The three jobs of the first start test, solved three at a time: all three choose
    # the on-prem L4 against the same (empty) usage; the first keeps it, the other two
    # no longer fit and are placed again, both in the cloud: $6 + $120 + $120 as before.
    from tierplan.scheduler.blocks import StartPlan, World, sequential_start, solve_choice

    u, members, block = onprem_jobs(THREE_JOBS, THREE_SITES)
    sc = u.scenario
    calls = []

    def steps(batch):
        batch = list(batch)  # handed over as they are written
        calls.append(len(batch))
        return [solve_choice(f.milp, f.milp.cost) for f, _ in batch]

    start = sequential_start(World(u, members, sc.budgets, 1.0), block, [],
                             StartPlan(steps, batch=3))
    m = block.form.milp
    assert sum(c * v for c, v in zip(m.cost, start, strict=True)) == pytest.approx(6 + 120 + 120)
    assert calls == [3, 2]


def _placed(m, u, members, sites):
    """A plan with job i at ``sites[i]``."""
    x = [0.0] * m.num_cols
    for i, where in enumerate(sites):
        x[_column(m, u, members, i, where)] = 1.0
    return x


def _column(m, u, members, i, site_name):
    """The column of job ``i``'s option at ``site_name``."""
    return next(j for j, tag in enumerate(m.col_tags)
                if tag[1] == members[i].workload.name
                and u.sites[members[i].options[tag[2]].site].name == site_name)


def test_split_gives_each_member_its_columns_and_shared_rows():
    # j0 on-prem ($6), j1 and j2 in the cloud: only j0 uses the on-prem capacity row.
    from tierplan.scheduler.blocks import split
    from tierplan.scheduler.solvers import SolveResult

    u, members, block = onprem_jobs(THREE_JOBS, THREE_SITES)
    m = block.form.milp
    x = _placed(m, u, members, ("onprem", "cloud-b", "cloud-b"))
    block.result = SolveResult("optimal", x, 246.0, 0.0, 0.0)
    parts = split(block, {"j0": 0, "j1": 1, "j2": 2})
    assert {i: len(values) for i, (values, _) in parts.items()} == {0: 1, 1: 1, 2: 1}
    assert [sorted(k for k, _ in keys) for _, keys in parts.values()] == [["capacity"], [], []]


def test_a_kept_solution_stays_even_when_prices_would_move_it():
    # Job a (saves $6 on-prem) keeps the on-prem L4 its earlier block gave it, though the
    # LP's prices would give it to b (saves $114): 6 + 120 = $126 instead of the $18.
    from tierplan.scheduler import planner, pricing
    from tierplan.scheduler.blocks import StartPlan, World, sequential_start
    from tierplan.scheduler.solvers import HighsBackend

    u, members, block = onprem_jobs(*PRICED_PAIR)
    m = block.form.milp
    prices, _ = pricing.shadow_prices(HighsBackend(), block, "cost")
    pool = pool_module.Pool(planner.PlanOptions(), n_members=2)

    def steps(batch):
        return pool.alone(batch, "cost", 1.0)

    known = {0: {m.col_tags[_column(m, u, members, 0, "onprem")]: 1.0}}
    value = {}
    for name, keep in (("priced", ()), ("kept", [0])):
        start = sequential_start(World(u, members, u.scenario.budgets, 1.0), block, [],
                                 StartPlan(steps, known=known, prices=prices, keep=keep))
        value[name] = sum(c * v for c, v in zip(m.cost, start, strict=True))
    assert value == {"priced": pytest.approx(18.0), "kept": pytest.approx(126.0)}


def test_repair_frees_only_the_workloads_that_were_placed_again():
    # Start: all three jobs in the cloud ($360); j0's columns are held there. The repair
    # may move j1 or j2 to the free on-prem L4: 120 + 6 + 120 = $246, j0 still in the
    # cloud.

    u, members, block = onprem_jobs(THREE_JOBS, THREE_SITES)
    m = block.form.milp
    x = _placed(m, u, members, ("cloud-b", "cloud-b", "cloud-b"))
    free = [j for j, tag in enumerate(m.col_tags) if tag[1] != "j0"]
    better = neighbourhoods.repair(neighbourhoods.Model("highs", m, m.cost, 1e-4), x, free, 5.0)
    assert sum(c * v for c, v in zip(m.cost, better, strict=True)) == pytest.approx(246.0)
    assert better[_column(m, u, members, 0, "cloud-b")] == pytest.approx(1.0)


def test_restrict_moves_the_held_columns_into_the_row_bounds():
    # j0 held on-prem: the capacity row (60 h of 100 h on-prem, as L4-hours / horizon)
    # keeps only j1 and j2's on-prem columns, with j0's 0.6 taken off its limit of 1.
    from tierplan.scheduler.milp import Matrix

    u, members, block = onprem_jobs(THREE_JOBS, THREE_SITES)
    m = block.form.milp
    x = _placed(m, u, members, ("onprem", "cloud-b", "cloud-b"))
    free = [j for j, tag in enumerate(m.col_tags) if tag[1] != "j0"]
    part = Matrix(m).restrict(free, x)
    sub = part.milp
    assert sub.num_cols == len(free) == 4
    r = next(r for r, tag in enumerate(sub.row_tags) if tag[0] == "capacity")
    assert sub.row_upper[r] == pytest.approx(1 - 0.6)
    assert all(tag[1] != "j0" for tag in sub.row_tags if tag[0] == "choose")


def test_contested_names_the_full_rows_who_is_on_them_and_who_could_be():
    # a (60 h) and c (40 h) fill the on-prem L4's 100 h; b is in the cloud but could
    # use it. With c in the cloud too the row is at 60 of 100 h: not full.
    from tierplan.scheduler.blocks import contested

    u, members, block = onprem_jobs({"a": 60, "b": 100, "c": 40})
    m = block.form.milp
    x = _placed(m, u, members, ("onprem", "cloud-a", "onprem"))
    assert [(key[0], users, others) for key, users, others in contested(m, x)] == [
        ("capacity", {"a", "c"}, {"b"})]
    x[_column(m, u, members, 2, "onprem")] = 0.0
    x[_column(m, u, members, 2, "cloud-a")] = 1.0
    assert contested(m, x) == []


def _full_row():
    """a and c (50 h each) fill the on-prem L4 and save $5 each there (cloud-a: 50 h x
    $0.20 = $10 vs $5); b (100 h) pays $200 in cloud-b and would pay $10 on-prem.
    Plan: 5 + 200 + 5 = $210; the optimum is b on-prem, a and c in cloud-a: $30."""
    u, members, block = onprem_jobs({"a": 50, "b": 100, "c": 50},
                                    {"a": ["onprem", "cloud-a"], "b": ["onprem", "cloud-b"],
                                     "c": ["onprem", "cloud-a"]})
    return block, _placed(block.form.milp, u, members, ("onprem", "cloud-b", "onprem"))


def test_search_gives_a_full_row_to_the_workload_that_gains_most():
    # Freeing the row's users (a, c) and b, who could use it: $210 -> $30.
    block, x = _full_row()
    m = block.form.milp
    better = _search(m, x)
    assert sum(c * v for c, v in zip(m.cost, better, strict=True)) == pytest.approx(30.0)


def test_search_with_no_time_left_hands_back_the_plan_at_once(monkeypatch):
    # Past its time (a start that ran past the deadline) the search returns the plan
    # as it is, without even its setup (the model's Matrix: 0.1 s at 99k columns).
    block, x = _full_row()
    m = block.form.milp
    monkeypatch.setattr(neighbourhoods, "Matrix", lambda milp: pytest.fail("set up"))
    assert _search(m, x, 0.01) is x


def test_search_past_the_wall_clock_guard_solves_no_neighbourhood():
    # The guard has passed (stop() true): each neighbourhood's solve would be cut at
    # once, so none is handed over and the plan comes back as it was.
    block, x = _full_row()
    m = block.form.milp
    assert _search(m, x, run=lambda tasks: pytest.fail("solved"), stop=lambda: True) == x


def test_search_frees_more_of_those_who_could_use_a_row_when_nothing_moved():
    # u (100 h) fills the on-prem L4 ($10; $20 in cloud-a). d1 and d2 (99 h each, $19.80
    # in cloud-a) are the dearest who could use it, but each would save $9.90 there,
    # less than u loses; g (9 h, $18 in cloud-b) would save $17.10. Freeing u with the
    # two dearest moves nothing; the next pass frees four: g takes the L4, u goes to
    # cloud-a. $67.60 -> 20 + 0.9 + 39.6 = $60.50.
    u, members, block = onprem_jobs({"u": 100, "d1": 99, "d2": 99, "g": 9},
                                    {"u": ["onprem", "cloud-a"], "d1": ["onprem", "cloud-a"],
                                     "d2": ["onprem", "cloud-a"], "g": ["onprem", "cloud-b"]})
    m = block.form.milp
    x = _placed(m, u, members, ("onprem", "cloud-a", "cloud-a", "cloud-b"))
    assert sum(c * v for c, v in zip(m.cost, x, strict=True)) == pytest.approx(67.6)
    better = _search(m, x)
    assert sum(c * v for c, v in zip(m.cost, better, strict=True)) == pytest.approx(60.5)


def test_search_two_at_a_time_takes_what_still_fits():
    # The search example with neighbourhoods solved two at a time reaches the same $30.
    # And an answer cut out of an older plan is dropped when the plan changed under it:
    # j1 freed from "all in cloud-b" takes the on-prem L4, but meanwhile j0 took it.
    block, x = _full_row()
    m = block.form.milp
    batches = []

    def run(tasks):
        batches.append(len(tasks))
        return [solve_task(t) for t in tasks]

    better = _search(m, x, run=run, width=2)
    assert sum(c * v for c, v in zip(m.cost, better, strict=True)) == pytest.approx(30.0)
    assert batches and max(batches) <= 2

    u, members, block = onprem_jobs(THREE_JOBS, THREE_SITES)
    m = block.form.milp
    x = _placed(m, u, members, ("cloud-b", "cloud-b", "cloud-b"))
    free = [j for j, tag in enumerate(m.col_tags) if tag[1] == "j1"]
    part, task = neighbourhoods.freed(neighbourhoods.Model("highs", m, m.cost, 1e-4), x, free,
                                      5.0)
    result = solve_task(task)
    assert neighbourhoods.apply(m, x, part, result)[_column(m, u, members, 1, "onprem")] == 1.0
    moved = _placed(m, u, members, ("onprem", "cloud-b", "cloud-b"))
    assert neighbourhoods.apply(m, moved, part, result) is None


def test_fill_gives_the_room_a_priced_start_left_to_the_workload_the_lp_put_there():
    # a (50 h) is on-prem, b (40 h) pays $80 in cloud-b and c (10 h) $2 in cloud-a: the
    # priced start left 50 of the L4's 100 h. The LP put b there, not c: only b is
    # re-optimised, and takes it ($4). Without a price on the row nothing is tried.
    from tierplan.scheduler.blocks import coupling_key

    u, members, block = onprem_jobs({"a": 50, "b": 40, "c": 10},
                                    {"a": ["onprem", "cloud-a"], "b": ["onprem", "cloud-b"],
                                     "c": ["onprem", "cloud-a"]})
    m = block.form.milp
    x = _placed(m, u, members, ("onprem", "cloud-b", "cloud-a"))
    lp = _placed(m, u, members, ("onprem", "onprem", "cloud-a"))
    key = next(k for tag in m.row_tags if (k := coupling_key(tag)) is not None)
    freed = []

    def run(tasks):
        freed.extend({str(tag[1]) for tag in t[1].col_tags} for t in tasks)
        return [solve_task(t) for t in tasks]

    model = neighbourhoods.Model("highs", m, m.cost, 1e-4)
    better = neighbourhoods.fill(model, x, {key: 0.05}, lp, 1.0, run, 2)
    assert sum(c * v for c, v in zip(m.cost, better, strict=True)) == pytest.approx(11.0)
    assert freed == [{"b"}]
    assert neighbourhoods.fill(model, x, {}, lp, 1.0, run, 2) is x
    assert len(freed) == 1


def _leftover(monkeypatch, breaks, gap):
    """The full-row plan ($210) as a merged block that stopped at its time limit (with
    ``gap``) and time left after the last merge round: its result after
    rounds.spend_leftover; ``breaks``: a better plan would break a row shared with
    another block."""
    from tierplan.scheduler import planner, rounds
    from tierplan.scheduler.blocks import Blocks
    from tierplan.scheduler.solvers import SolveResult

    block, x = _full_row()
    blocks = Blocks([set(), set(), set()])
    blocks.merge([0, 1, 2])
    merged = blocks.blocks[0]
    merged.form, merged.result = block.form, SolveResult("time_limit", x, 210.0, gap, 1.0)
    if breaks:
        monkeypatch.setattr(Blocks, "violated", lambda self: [[0, 1, 2]])
    pool = pool_module.Pool(planner.PlanOptions(), n_members=3)
    rounds.spend_leftover(blocks, "cost", 5.0, pool)
    return merged.result


def test_leftover_time_improves_a_time_limited_block_unless_that_breaks_a_row(monkeypatch):
    # A block of the search's size: the search finds $30 and keeps it; when the better
    # plan would break a row shared with another block, the block keeps $210.
    from tierplan.scheduler import rounds

    monkeypatch.setattr(rounds, "SEARCH_FROM", 0)
    assert _leftover(monkeypatch, False, 0.5).objective == pytest.approx(30.0)
    assert _leftover(monkeypatch, True, 0.5).objective == pytest.approx(210.0)


def test_leftover_time_goes_on_with_a_small_blocks_milp(monkeypatch):
    # The same block below the search's size: its MILP goes on from the $210 plan and
    # proves the $30 optimum. When $30 would break a row with another block, the block
    # keeps $210 but also the MILP's bound ($30), which holds for its own model.
    better = _leftover(monkeypatch, False, 0.9)
    assert (better.status, better.objective, better.gap) == ("optimal", pytest.approx(30.0),
                                                            pytest.approx(0.0, abs=1e-4))
    kept = _leftover(monkeypatch, True, 0.9)
    assert (kept.status, kept.objective) == ("time_limit", pytest.approx(210.0))
    assert kept.gap == pytest.approx((210 - 30) / 210, rel=1e-3)  # was 0.9: bound $21


def test_a_priced_optimum_that_fits_is_the_step_and_one_that_does_not_is_solved_again():
    # Three 60 h jobs, one on-prem L4 (100 h): all three priced optima on-prem (a price
    # too low to move any). j0's fits and is taken as it is; j1's and j2's no longer fit,
    # so only they are solved, each within what is left: cloud-b. $6 + $120 + $120.
    from tierplan.scheduler.blocks import StartPlan, World, sequential_start, solve_choice

    u, members, block = onprem_jobs(THREE_JOBS, THREE_SITES)
    m = block.form.milp
    optimal = {i: {m.col_tags[_column(m, u, members, i, "onprem")]: 1.0} for i in range(3)}
    solved = []

    def steps(batch):
        batch = list(batch)  # handed over as they are written
        solved.extend(f.training[0].cand.workload.name for f, _ in batch)
        return [solve_choice(f.milp, f.milp.cost) for f, _ in batch]

    start = sequential_start(World(u, members, u.scenario.budgets, 1.0), block, [],
                             StartPlan(steps, optimal=optimal))
    assert sum(c * v for c, v in zip(m.cost, start, strict=True)) == pytest.approx(6 + 240)
    assert solved == ["j1", "j2"]


def test_own_models_check_the_steps_without_writing_them(monkeypatch):
    # The jobs above with their own models given: j0's optimum is checked against its
    # own model within what is left (all of the L4) and kept without a model of its
    # step; j1's and j2's no longer fit what j0 left, so only their steps are written
    # and solved. The start is the same: $6 + $120 + $120.
    from tierplan.scheduler import blocks
    from tierplan.scheduler.formulation import build

    u, members, block = onprem_jobs(THREE_JOBS, THREE_SITES)
    m = block.form.milp
    optimal = {i: {m.col_tags[_column(m, u, members, i, "onprem")]: 1.0} for i in range(3)}
    models = {i: build(u, [], [members[i]], u.scenario.budgets, 1.0) for i in range(3)}
    written, solved = [], []
    monkeypatch.setattr(blocks, "build", lambda *a, **k: written.append(1) or build(*a, **k))

    def steps(batch):
        batch = list(batch)  # handed over as they are written
        solved.extend(f.training[0].cand.workload.name for f, _ in batch)
        return [blocks.solve_choice(f.milp, f.milp.cost) for f, _ in batch]

    start = blocks.sequential_start(blocks.World(u, members, u.scenario.budgets, 1.0), block,
                                    [], blocks.StartPlan(steps, optimal=optimal, models=models))
    assert sum(c * v for c, v in zip(m.cost, start, strict=True)) == pytest.approx(6 + 240)
    assert solved == ["j1", "j2"]
    assert len(written) == 2


def test_a_solo_optimum_stays_optimal_when_its_prices_scale_its_cost():
    # x is optimal for c over a model containing the step's. If the prices are
    # lam * c on every column (a team budget covering all of a workload's columns,
    # under the cost objective), every plan's priced cost is (1 + lam) times its cost:
    # x stays optimal. The same holds with more on columns x does not use.
    from tierplan.scheduler.blocks import _still_optimal

    c = [10.0, 20.0, 5.0]
    x = [1.0, 0.0, 0.0]
    assert _still_optimal(c, [0.0, 3.0, 1.0], x)  # x pays nothing (lam = 0)
    assert _still_optimal(c, [1.0, 2.0, 0.5], x)  # lam = 0.1 everywhere
    assert _still_optimal(c, [1.0, 9.0, 0.5], x)  # lam = 0.1, more on an unused column
    # Less than lam * c on another column: that plan may now be the cheaper one
    # (priced, column 2 costs 5 + 0.1 = 5.1 against 10 + 1 = 11); not provable, so solved.
    assert not _still_optimal(c, [1.0, 2.0, 0.1], x)
    # Two used columns charged at different rates: not a scaling, so solved.
    assert not _still_optimal(c, [1.0, 4.0, 0.5], [1.0, 1.0, 0.0])
    # A used column with no cost that pays a price: solved.
    assert not _still_optimal([0.0, 20.0, 5.0], [1.0, 2.0, 0.5], [1.0, 0.0, 0.0])
