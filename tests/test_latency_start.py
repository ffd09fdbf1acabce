"""The latency objective's start for a merged block (scheduler/latency_start.py): steps
that keep room on shared budgets for the workloads still to be placed."""

import pytest

from conftest import FRANKFURT, VIRGINIA, inference, offering, scenario, site
from tierplan import PlanOptions, check_plan, plan
from tierplan.scheduler.blocks import Block, StartPlan, World, sequential_start
from tierplan.scheduler.candidates import Universe
from tierplan.scheduler.formulation import build, objectives
from tierplan.scheduler.latency_start import choose_plans, overspent, reserved_start, scaled_plans
from tierplan.scheduler.milp import by_tag, value_of
from tierplan.scheduler.solvers import get_backend


def _three_services(team_budget: float = 650.0):
    # Three services of one team, 10 rps each (one L4 at 20 rps x 80 %), 100 h: an L4 in
    # Munich (nearest, $500 per service), Frankfurt ($300) or Virginia ($100). Alone each
    # takes Munich; the team's $650 allows one Frankfurt and two Virginia at best.
    sites = [site("near", offerings=[offering("l4", 5.0)]),
             site("mid", location=FRANKFURT, offerings=[offering("l4", 3.0)]),
             site("far", location=VIRGINIA, offerings=[offering("l4", 1.0)])]
    loads = [inference(f"s{i}", team="t", slo=400,
                       accelerators={"L4": {"rps": 20, "latency_ms": 20}}) for i in range(3)]
    return scenario(sites, loads, budgets=[{"name": "team", "team": "t",
                                            "limit_usd": team_budget}])


def _block(sc):
    universe = Universe(sc, {}, 0.0)
    members = [universe.inference(w, sc.budgets, "latency") for w in sc.workloads]
    total = sum(w.total_demand for w in sc.workloads)
    form = build(universe, members, [], sc.budgets, total)
    return World(universe, members, sc.budgets, total), Block([0, 1, 2], form)


def _solver(goal):
    # Each step solved to its optimum, the other objective breaking ties (as the last
    # step of a plan would be).
    backend = get_backend("highs")

    def solve(steps):
        out = []
        for form, weights in steps:
            primary, secondary = objectives(form, goal)
            if weights is not None:
                primary = [c + w for c, w in zip(primary, weights, strict=True)]
            out.append(backend.solve(form.milp, primary, secondary, 10.0, 1e-9))
        return out

    return solve


def _feasible(milp, x):
    tol = 1e-6
    return all(lo - tol <= v <= hi + tol
               for lo, v, hi in zip(milp.col_lower, x, milp.col_upper, strict=True)) and all(
        lo - tol <= v <= hi + tol
        for lo, v, hi in zip(milp.row_lower, milp.activities(x), milp.row_upper, strict=True))


def test_greedy_latency_steps_spend_the_budget_the_last_one_needs():
    # The scenario the reserved start is for: latency-first steps fail on it.
    world, block = _block(_three_services())
    failed: list[int] = []
    assert sequential_start(world, block, [], StartPlan(_solver("latency"), "latency"),
                            failed) is None
    assert failed == [2]  # Munich ($500), Virginia ($100), and $50 left for the third


def test_reserved_start_is_feasible_and_finds_the_block_optimum():
    world, block = _block(_three_services())
    milp = block.form.milp
    cheapest = sequential_start(world, block, [], StartPlan(_solver("cost"), "cost"))
    assert cheapest is not None
    x = reserved_start(world, block, [], StartPlan(_solver("latency"), "latency"), cheapest)
    assert x is not None and _feasible(milp, x)
    latency = objectives(block.form, "latency")[0]
    oracle = get_backend("highs").solve(milp, latency, None, 10.0, 1e-9)
    assert oracle.objective is not None
    assert value_of(latency, x) == pytest.approx(oracle.objective, rel=1e-9)
    assert value_of(latency, x) < value_of(latency, cheapest)  # better than its reservation


def test_a_step_that_finds_no_plan_keeps_its_reservation():
    world, block = _block(_three_services())
    cheapest = sequential_start(world, block, [], StartPlan(_solver("cost"), "cost"))
    assert cheapest is not None

    x = reserved_start(world, block, [], StartPlan(lambda steps: [_none() for _ in steps],
                                                   "latency"), cheapest)
    assert x == pytest.approx(cheapest)


def _none():
    from tierplan.scheduler.solvers import SolveResult

    return SolveResult("no_solution", None, None, float("inf"), 0.0)


@pytest.mark.parametrize("budget", [650.0, 900.0, 1600.0])
def test_decomposition_matches_the_monolithic_oracle_under_the_latency_objective(budget):
    sc = _three_services(budget)
    ours = plan(sc, PlanOptions(objective="latency", strategy="decomposition", explain=False))
    oracle = plan(sc, PlanOptions(objective="latency", strategy="monolithic", explain=False))
    assert ours.status == oracle.status == "optimal"
    assert check_plan(sc, ours) == []

    def mean(p):
        return sum(s.mean_ms * 10 for s in p.latency) / 30

    assert mean(ours) == pytest.approx(mean(oracle), rel=1e-6)
    assert ours.total_cost_usd == pytest.approx(oracle.total_cost_usd, rel=1e-6)


def test_the_choice_takes_the_best_plans_that_fit_together():
    # Candidates: the cheapest plan (Virginia, $100 each, the reservation) and each
    # service's own optimum (Munich, $500). Within $900 only one can have Munich.
    sc = _three_services(900.0)
    world, block = _block(sc)
    cheapest = sequential_start(world, block, [], StartPlan(_solver("cost"), "cost"))
    assert cheapest is not None
    backend = get_backend("highs")
    own = {}
    for i, member in enumerate(world.members):
        form = build(world.universe, [member], [], sc.budgets, world.total_demand)
        primary, secondary = objectives(form, "latency")
        solved = backend.solve(form.milp, primary, secondary, 10.0, 1e-9)
        own[i] = [by_tag(form.milp, solved.x)]
    calls = []

    def select(milp, primary, secondary, start):
        calls.append(start)
        return backend.solve(milp, primary, secondary, 10.0, 1e-9, start)

    x = choose_plans(world, block, [], "latency", cheapest, own, select)
    milp = block.form.milp
    assert _feasible(milp, x)
    cost = objectives(block.form, "cost")[0]
    assert value_of(cost, x) == pytest.approx(700.0)  # Munich once, Virginia twice
    assert len(calls) == 1 and sum(calls[0]) == 3  # started from the reservation
    latency = objectives(block.form, "latency")[0]
    assert value_of(latency, x) < value_of(latency, cheapest)


def test_without_an_answer_the_choice_keeps_the_reservation():
    sc = _three_services(900.0)
    world, block = _block(sc)
    cheapest = sequential_start(world, block, [], StartPlan(_solver("cost"), "cost"))
    assert cheapest is not None
    x = choose_plans(world, block, [], "latency", cheapest, {}, lambda *a: _none())
    assert x == pytest.approx(cheapest)


def _own_models(sc, world):
    return {i: build(world.universe, [member], [], sc.budgets, world.total_demand)
            for i, member in enumerate(world.members)}


def _priced_solver(goal):
    # What the planner's solve of members at prices does: each model with its column
    # prices added to its objective (the hints are the LP's parts, none here).
    solve = _solver(goal)

    def with_hints(steps, hints):
        assert len(hints) == len(steps)
        return solve(steps)

    return with_hints


@pytest.mark.parametrize(("price", "each_usd"), [(1e-9, 500.0), (1.0, 100.0)])
def test_dearer_prices_give_each_member_a_plan_that_takes_less_of_the_budget(price, each_usd):
    sc = _three_services(650.0)
    world, block = _block(sc)
    forms = _own_models(sc, world)
    plans = scaled_plans(block, forms, {("budget", 0): price}, _priced_solver("latency"))
    assert sorted(plans) == [0, 1, 2]
    for i, form in forms.items():
        x = [plans[i].get(tag, 0.0) for tag in form.milp.col_tags]
        assert value_of(objectives(form, "cost")[0], x) == pytest.approx(each_usd)


def test_members_that_pay_no_price_are_not_solved_again():
    sc = _three_services(650.0)
    world, block = _block(sc)
    calls = []

    def solve(steps, hints):
        calls.append(len(steps))
        return []

    assert scaled_plans(block, _own_models(sc, world), {("capacity", 0): 1.0}, solve) == {}
    assert calls == [0]


@pytest.mark.parametrize(("budget", "over"), [(650.0, True), (1600.0, False)])
def test_overspent_tells_whether_the_members_plans_break_a_budget_together(budget, over):
    # Each service's own optimum is Munich at $500: $1,500 together.
    sc = _three_services(budget)
    world, block = _block(sc)
    plans = scaled_plans(block, _own_models(sc, world), {("budget", 0): 1e-9},
                         _priced_solver("latency"))
    assert bool(overspent(world, block, [], plans)) is over
    # Without every member's plan it cannot be told.
    assert overspent(world, block, [], {0: plans[0], 1: plans[1]}) == []


def test_without_prices_no_member_is_solved_again():
    # A block whose LP prices no shared row: its members' models need not exist.
    sc = _three_services(650.0)
    _, block = _block(sc)
    assert scaled_plans(block, {}, {}, lambda steps, hints: []) == {}
