"""Plans over several periods, or with hardware to buy (SPEC 5.2-5.4).

Workloads that share no row are planned apart and groups that break a shared row are
merged (:func:`plan_periods`); a merged group starts from its members' plans at its LP's
prices, repaired where they break a shared row (:func:`solve_merged`). Models come from
:mod:`.period_model`, solutions become placements with one entry per period in
:mod:`.period_decoding`, and :func:`.ledger.finish` adds committed and idle cost.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from ..model import (
    Binding,
    InferenceWorkload,
    Placement,
    Plan,
    PlanStatus,
    SolverInfo,
)
from . import explain, gaps, ledger, summary
from .breakeven import buy_explanations
from .budget import Guard, WorkClock
from .candidates import InferenceCandidates, TrainingCandidates, Universe, by_kind
from .milp import Milp, by_tag, value_of
from .options import PlanOptions
from .parts import PART_LEAST, Pending, collect, hand_over, solve_by_parts
from .period_decoding import decode_periods
from .period_explain import buy_costs, buy_savings, diagnose, period_bindings
from .period_model import PeriodModel, build_periods, join_periods
from .period_pool import Runner
from .period_repair import (
    LATE_IMPROVE,
    NEIGHBOURS,
    Frame,
    GroupContext,
    improve,
    own_models,
    price_of_limits,
    priced,
    sequential_start,
)
from .polishing import PolishJob
from .rins import Search, rins_periods
from .solvers import Backend, Solver, SolveResult, Status, get_backend
from .strategy import Problem, guarded
from .unionfind import find

__all__ = ["plan_periods"]



@dataclass
class _Group:
    """Workloads solved together (by index into the candidates), with their model and
    its solution once solved."""

    members: list[int]
    model: PeriodModel | None = None
    result: SolveResult | None = None
    bound: float = -math.inf  # a lower bound of its objective, once solved
    pieces: list[_Group] = field(default_factory=list)  # the solved groups it merges


def plan_periods(problem: Problem, clock: WorkClock) -> Plan:
    """Workloads that share no row are planned apart, as the decomposition does: each
    workload starts alone (those that may buy the same offering together), and groups
    whose solutions break a capacity or budget row they share are merged and solved
    again until none is broken. The sum of separate optima bounds the whole from below,
    so a combination that breaks no shared row is the whole scenario's optimum."""
    scenario, options, objective = problem.scenario, problem.options, problem.objective
    started = time.perf_counter()
    solver = Solver(options.solver, Guard.after(options.time_limit, options.wall_clock),
                    options.backend)
    backend = get_backend(solver)
    universe = Universe(scenario)
    budgets = scenario.budgets
    prune = not any(b.per_period for b in budgets)
    cands: list[InferenceCandidates | TrainingCandidates] = [
        universe.inference(w, budgets, objective) if isinstance(w, InferenceWorkload)
        else universe.training(w, budgets, prune=prune) for w in scenario.workloads]
    inference, training = by_kind(cands)
    reasons = explain.precheck(universe, inference, training) + ledger.over_committed(scenario)
    if reasons:
        info = SolverInfo(backend.name, 0.0, 0.0, time.perf_counter() - started)
        return ledger.finish(scenario, summary.infeasible(scenario, objective, reasons, info))
    # ``monolithic``: one model of every workload, solved by one call (the oracle the
    # tests hold the groups and their repairs to).
    groups = ([_Group(list(range(len(cands))))] if options.strategy == "monolithic"
              else _first_groups(universe, cands))
    build = 0.0
    latency, exact = objective == "latency", options.tie_break == "exact"
    began = time.perf_counter()
    with Runner(solver, options.workers, len(cands) * len(scenario.timeline)) as runner:
        while True:
            todo = [g for g in groups if g.result is None]
            # Every part gets the work left now: the same wherever it is solved.
            work = max(clock.left(), PART_LEAST)
            handed: dict[int, Pending] = {}
            for g in todo:  # written here while the workers solve the ones before
                if runner.expired():
                    return _cut_short(problem, clock, backend.name, time.perf_counter() - began - build,
                                      build, groups)
                t0 = time.perf_counter()
                g.model = (join_periods([_model(piece) for piece in g.pieces]) if g.pieces
                           else build_periods(universe, *by_kind(cands[i] for i in g.members),
                                              budgets))
                build += time.perf_counter() - t0
                if not g.pieces:
                    # The tie-break is an LP over the chosen integers (polish below), as
                    # the planner's default ``routing``; ``exact`` searches them again.
                    handed[id(g)] = hand_over(runner, g.model.milp, latency, exact, work,
                                              options.gap, chain=True)
            for g in todo:
                assert g.model is not None
                m = g.model.milp
                if g.pieces:
                    g.result, g.bound = solve_merged(backend, g, objective, options, clock,
                                                     runner)
                else:
                    g.result = collect(handed.pop(id(g)), backend, clock)  # its parts then go
                    g.bound = gaps.solver_bound(g.result)
                if g.result.x is None and (g.result.cut or runner.expired()):
                    return _cut_short(problem, clock, backend.name, time.perf_counter() - began - build,
                                      build, groups)
                if g.result.x is None:
                    solve = time.perf_counter() - began - build
                    info = SolverInfo(backend.name, solve, 0.0, build, m.num_cols, m.num_rows,
                                      len(groups))
                    if g.result.status == "no_solution":
                        reason = (f"no feasible plan was found within the effort "
                                  f"({options.effort}); raise --effort or --gap")
                        return ledger.finish(scenario, summary.infeasible(
                            scenario, objective, [reason], info, "time_limit"))
                    members = [cands[i] for i in g.members]
                    why = diagnose(universe, *by_kind(members), backend, clock)
                    return ledger.finish(scenario, summary.infeasible(scenario, objective,
                                                                      why, info))
            broken = _broken(groups)
            if not broken:
                break
            groups = _merged(groups, broken)
        polished = _polished(runner, groups, objective)
        if runner.expired():  # (its polish skipped, at least): the plan says so
            clock.charge(0.0, True)
    # Parts are solved in workers while models are written: the solve time is the rest.
    solve = time.perf_counter() - began - build
    placements: list[Placement] = []
    bindings: list[Binding] = []
    bought: dict[tuple[str, str], int] = {}
    savings: dict[tuple[str, str], float | None] = {}
    extra: dict[tuple[str, str], float | None] = {}  # what buying one would add (none bought)
    limited = False
    value = lower = 0.0
    n_vars = n_rows = 0
    for g, (x, duals) in zip(groups, polished, strict=True):
        assert g.model is not None and g.result is not None
        m = g.model.milp
        n_vars += m.num_cols
        n_rows += m.num_rows
        primary = objectives(m, objective)[0]
        placements += decode_periods(universe, g.model, x)
        mine = {(universe.sites[universe.offers[k][0]].name, universe.offers[k][1].name):
                round(x[col]) for k, col in g.model.bought.items()}
        bought.update(mine)
        if options.explain:
            bindings += period_bindings(universe, g.model, x, duals, explain.Relaxer(
                backend, primary, g.result.objective or 0.0, options.gap,
                max(clock.left(), 0.01)))
        if objective == "cost" and any(mine.values()):
            savings.update(buy_savings(backend, g.model, primary, g.result.objective, mine, clock,
                                    options.gap))
        if options.explain and objective == "cost":
            extra.update(buy_costs(backend, g.model, primary, g.result.objective, mine, clock,
                                   options.gap))
        limited |= g.result.status == "time_limit"
        value += g.result.objective or 0.0
        lower += min(g.bound, g.result.objective or 0.0)
    gap = gaps.relative_gap(value, lower) if limited else 0.0
    if options.explain:
        bindings += explain.slo_bindings(universe, inference)
    info = SolverInfo(backend.name, solve, gap, build, n_vars, n_rows, len(groups))
    status: PlanStatus = "time_limit" if limited and gap > options.gap else "optimal"
    plan = ledger.finish(scenario, summary.assemble(scenario, objective, status, placements,
                                                    bindings, info), bought, savings)
    if options.explain:
        plan = replace(plan, binding=plan.binding + tuple(buy_explanations(scenario, plan, extra)))
    return guarded(plan, clock, options)


def _cut_short(problem: Problem, clock: WorkClock, backend: str, seconds: float, build: float,
               groups: Sequence[_Group]) -> Plan:
    """No plan: the wall-clock guard stopped planning before one was found (the solver
    info counts the models written by then)."""
    clock.charge(0.0, True)
    limit = problem.options.time_limit
    reason = (f"the wall-clock limit ({limit:g} s) stopped planning before a plan was found; "
              "raise --time-limit or lower --effort")
    written = [g.model.milp for g in groups if g.model is not None]
    info = SolverInfo(backend, seconds, 0.0, build, sum(m.num_cols for m in written),
                      sum(m.num_rows for m in written), len(groups))
    return ledger.finish(problem.scenario, summary.infeasible(
        problem.scenario, problem.objective, [reason], info, "time_limit"))


def objectives(m: Milp, objective: str) -> tuple[list[float], list[float]]:
    return (m.cost, m.latency) if objective == "cost" else (m.latency, m.cost)


def _first_groups(u: Universe, cands: Sequence[InferenceCandidates | TrainingCandidates],
                  ) -> list[_Group]:
    """Each workload alone, except those that may use an offering that can be bought:
    the units bought are one decision for all of them."""
    by_offer: dict[int, list[int]] = defaultdict(list)
    for i, c in enumerate(cands):
        offers = ({unit.offer for g in c.groups for unit in g.units}
                  if isinstance(c, InferenceCandidates) else {o.offer for o in c.options})
        for k in offers:
            if u.buyable[k]:
                by_offer[k].append(i)
    parent = list(range(len(cands)))
    for users in by_offer.values():
        for j in users[1:]:
            parent[find(parent, j)] = find(parent, users[0])
    members: dict[int, list[int]] = defaultdict(list)
    for i in range(len(cands)):
        members[find(parent, i)].append(i)
    return [_Group(sorted(ms)) for _, ms in sorted(members.items())]


_SHARED = ("capacity", "budget")


def _polished(runner: Runner, groups: Sequence[_Group], objective: str,
              ) -> list[tuple[list[float], list[float] | None]]:
    """Each group's solution re-solved as an LP with its integers fixed (clean values and
    the tie-break). That LP sees only the group's own model, so it may move training
    hours into a period another group fills (the same cost to it): a group whose polish
    breaks a shared row is polished again with each shared row capped at its use in
    the group's MILP solution, which the groups' solutions together respect."""
    # Part by part (the LP falls apart by workload and period), in the workers when many.
    out = runner.polish([(_model(g).milp, *objectives(_model(g).milp, objective), _solution(g))
                         for g in groups])
    if len(groups) > 1:
        again = sorted({gi for users in _broken(groups, [x for x, _ in out]) for gi in users})
        jobs: list[PolishJob] = []
        for gi in again:
            m, x = _model(groups[gi]).milp, _solution(groups[gi])
            # (an LP this makes infeasible by the MILP's noise returns x as it is)
            upper = [min(u, m.activity(r, x)) if tag[0] in _SHARED else u
                     for r, (tag, u) in enumerate(zip(m.row_tags, m.row_upper, strict=True))]
            jobs.append((replace(m, row_upper=upper), *objectives(m, objective), x))
        for gi, done in zip(again, runner.polish(jobs), strict=True):
            out[gi] = done
    return out


def _broken(groups: Sequence[_Group], xs: Sequence[Sequence[float]] | None = None,
            ) -> list[list[int]]:
    """For every shared row the groups' solutions (``xs``, else their MILP solutions)
    break together: the groups (by position) that use it."""
    use: dict[tuple[object, ...], list[tuple[int, float]]] = defaultdict(list)
    limit: dict[tuple[object, ...], float] = {}
    for gi, g in enumerate(groups):
        assert g.model is not None and g.result is not None and g.result.x is not None
        m, x = g.model.milp, (xs[gi] if xs is not None else g.result.x)
        for r, tag in enumerate(m.row_tags):
            if tag[0] in _SHARED:
                value = m.activity(r, x)
                if value > 1e-9:
                    use[tag].append((gi, value))
                limit[tag] = m.row_upper[r]
    out = []
    for tag, users in use.items():
        if len(users) > 1 and sum(v for _, v in users) > limit[tag] + 1e-6 * max(1.0, abs(limit[tag])):
            out.append([gi for gi, _ in users])
    return out


def _merged(groups: list[_Group], broken: Sequence[Sequence[int]]) -> list[_Group]:
    parent = list(range(len(groups)))
    for users in broken:
        for j in users[1:]:
            parent[find(parent, j)] = find(parent, users[0])
    joined: dict[int, list[int]] = defaultdict(list)
    for gi in range(len(groups)):
        joined[find(parent, gi)].append(gi)
    out = []
    for root, parts in sorted(joined.items()):
        if len(parts) == 1:
            out.append(groups[root])
        else:
            out.append(_Group(sorted(i for gi in parts for i in groups[gi].members),
                              pieces=[groups[gi] for gi in parts]))
    return out


def solve_merged(backend: Backend, g: _Group, objective: str, options: PlanOptions,
                 clock: WorkClock, runner: Runner) -> tuple[SolveResult, float]:
    """A merged group: its pieces' plans repaired workload by workload into a plan that
    breaks no shared row, then improved (see :mod:`.period_repair`); a small group is
    then solved whole from that start. Its bound: the sum of its pieces' bounds, or the
    solver's when that is higher. Without a start, the group is solved whole."""
    assert g.model is not None
    began = time.perf_counter()
    spent = clock.now()
    m = g.model.milp
    latency = objective == "latency"
    primary, _ = objectives(m, objective)
    known: dict[tuple[object, ...], float] = {}
    for piece in g.pieces:
        assert piece.model is not None and piece.result is not None and piece.result.x is not None
        known.update(by_tag(piece.model.milp, piece.result.x))
    x0 = [known.get(tag, 0.0) for tag in m.col_tags]
    bound = sum(piece.bound for piece in g.pieces)
    frame = Frame.of(m)  # who owns each column, and each column's rows: read once
    ctx = GroupContext(backend, frame, latency, clock, options.gap, runner)
    # The LP relaxation (not charged: see budget) bounds the group and prices its
    # shared rows for the start's steps.
    relaxed = None if runner.expired() else backend.relax(m, primary)
    steps = list(primary)
    priced_plans: list[float] | None = None
    if relaxed is not None and not runner.expired():
        bound = max(bound, gaps.lp_bound(value_of(primary, relaxed[0])))
        steps = priced(m, primary, relaxed[1])
        lagrange = _priced_members(ctx, steps, _efforts(g.pieces))
        if lagrange is not None:
            # Each member's own model at the LP's prices: a Lagrangian bound (see
            # gaps.lagrangian), and plans that leave the contested rows to those
            # who gain most from them, a better start than the pieces' own.
            priced_plans, low = lagrange
            bound = max(bound, low - price_of_limits(m, relaxed[1]))
    order = _placing_order(g.model)
    # The priced plans leave the contested rows to those who gain most from them: they
    # are repaired, and the pieces' own plans only when that finds no plan.
    start = (sequential_start(ctx, priced_plans, steps, order) if priced_plans is not None
             else None)
    if start is None:
        start = sequential_start(ctx, x0, steps, order)
    if start is None:
        whole = solve_by_parts(backend, m, latency, options.tie_break == "exact", clock,
                               options.gap, runner)
        return whole, max(bound, gaps.solver_bound(whole))
    x = start
    if runner.expired():
        clock.charge(0.0, True)  # the plan says the guard cut it short
    elif m.num_cols <= WHOLE_COLUMNS and clock.left() > 0:
        result = backend.solve(m, primary, None, clock.left(), options.gap, x)
        clock.charge(result.work, result.cut)
        if result.x is not None and result.objective is not None:
            bound = max(bound, gaps.solver_bound(result))
            if result.objective < value_of(primary, x):
                x = result.x
    late = clock.now()  # RINS by period (.rins), then improve gets what it leaves
    if relaxed is not None and not runner.expired():
        x = rins_periods(Search(frame, relaxed[0], primary, options.gap, bound), x, clock,
                         runner)
    within = clock.left() > LATE_IMPROVE
    x = improve(ctx, x, primary, max(clock.deadline, late + LATE_IMPROVE),
                NEIGHBOURS if within else 0)
    value = value_of(primary, x)
    reached = gaps.relative_gap(value, bound)
    status: Status = "optimal" if reached <= options.gap else "time_limit"
    return (SolveResult(status, x, value, reached, time.perf_counter() - began,
                        clock.now() - spent), bound)


def _priced_members(ctx: GroupContext, costs: list[float], effort: dict[str, float],
                    ) -> tuple[list[float], float] | None:
    """Every member of a merged group alone under ``costs`` (its model's objective with
    the shared rows priced): their plans side by side and the sum of their bounds; None
    when the group does not fall apart by workload (units to buy) or a member has no
    plan. ``effort``: each member's work when it was solved before (see _efforts)."""
    m, clock = ctx.frame.milp, ctx.clock
    own = own_models(m, ctx.frame.owners)
    if not own:
        return None
    work = max(clock.left(), PART_LEAST)
    handed: dict[str, Pending] = {}
    # The longest chains go to the workers first (a long one handed over last would be
    # solved alone at the end); they are read in the members' order, so the plan is the
    # same whatever the order here.
    for name in sorted(own, key=lambda w: (-effort.get(w, 0.0), w)):
        part = own[name]
        sub = part.milp
        if ctx.latency:
            sub.latency = [costs[j] for j in part.cols]
        else:
            sub.cost = [costs[j] for j in part.cols]
        handed[name] = hand_over(ctx.runner, sub, ctx.latency, False, work, ctx.gap, chain=True)
    x = [0.0] * m.num_cols
    low = 0.0
    for name, part in own.items():
        result = collect(handed[name], ctx.backend, clock)
        if result.x is None:
            return None
        low += gaps.solver_bound(result)
        for j, v in zip(part.cols, result.x, strict=True):
            x[j] = v
    return x, low


def _efforts(pieces: Sequence[_Group]) -> dict[str, float]:
    """The work each workload of ``pieces`` took in its piece's solve (a piece's work
    shared among its workloads): how long its chain at the LP's prices may take."""
    out: dict[str, float] = {}
    for piece in pieces:
        model = _model(piece)
        names = ([v.cand.workload.name for v in model.inference]
                 + [t.cand.workload.name for t in model.training])
        work = piece.result.work if piece.result is not None else 0.0
        for name in names:
            out[name] = work / len(names)
    return out


def _model(g: _Group) -> PeriodModel:
    assert g.model is not None
    return g.model


def _solution(g: _Group) -> list[float]:
    assert g.result is not None and g.result.x is not None
    return g.result.x


def _placing_order(model: PeriodModel) -> Callable[[Sequence[str]], list[str]]:
    """The order a start places the workloads it moves: training jobs first (they need
    capacity over many hours and have the fewest ways to get it), the ones with the
    most work first; then inference, the largest demand first."""
    rank: dict[str, tuple[int, float]] = {}
    for t in model.training:
        rank[t.cand.workload.name] = (0, -t.cand.workload.work_hours)
    for v in model.inference:
        rank[v.cand.workload.name] = (1, -v.cand.workload.total_demand)

    def order(names: Sequence[str]) -> list[str]:
        return sorted(names, key=lambda n: (*rank.get(n, (2, 0.0)), n))

    return order


# Merged groups up to this many columns are solved whole after their start, with the
# work left (an exact optimum for small groups); larger ones only by neighbourhoods.
WHOLE_COLUMNS = 15_000
