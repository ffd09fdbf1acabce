"""Plans over several periods, or with hardware to buy (SPEC 5.2-5.4): one model of the
whole scenario (:mod:`.period_model`), solved by one call of the solver.

The decomposition of :mod:`.planner` splits workloads that share no row; over periods
every owned offering's rows and every bought unit tie its users across time, so these
scenarios are solved whole (the planner's ``monolithic`` way). Decoding gives each
placement one entry per period; :func:`.ledger.finish` adds committed and idle cost.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace

from ..model import (
    Binding,
    InferenceWorkload,
    Placement,
    Plan,
    PlanStatus,
    SolverInfo,
)
from ..periods import period_of
from . import explain, ledger, summary
from .breakeven import buy_explanations
from .budget import Guard, WorkClock
from .candidates import InferenceCandidates, TrainingCandidates, Universe, by_kind
from .decoding import training_placement
from .milp import Milp
from .parts import solve_by_parts
from .period_explain import buy_costs, diagnose, period_bindings
from .period_model import PeriodModel, build_periods
from .solvers import Backend, Solver, SolveResult, get_backend
from .strategy import Problem, guarded

__all__ = ["plan_periods"]

TINY = 1e-9


@dataclass
class _Group:
    """Workloads solved together (by index into the candidates), with their model and
    its solution once solved."""

    members: list[int]
    model: PeriodModel | None = None
    result: SolveResult | None = None


def plan_periods(problem: Problem, clock: WorkClock) -> Plan:
    """Workloads that share no row are planned apart, as the decomposition does: each
    workload starts alone (those that may buy the same offering together), and groups
    whose solutions break a capacity or budget row they share are merged and solved
    again until none is broken. The sum of separate optima bounds the whole from below,
    so a combination that breaks no shared row is the whole scenario's optimum."""
    scenario, options, objective = problem.scenario, problem.options, problem.objective
    started = time.perf_counter()
    backend = get_backend(Solver(options.solver, Guard.after(options.time_limit),
                                 options.backend))
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
    groups = _first_groups(universe, cands)
    build = solve = 0.0
    while True:
        for g in groups:
            if g.result is not None:
                continue
            t0 = time.perf_counter()
            g.model = build_periods(universe, *by_kind(cands[i] for i in g.members), budgets)
            build += time.perf_counter() - t0
            m = g.model.milp
            # The tie-break is an LP over the chosen integers (polish below), as the
            # planner's default ``routing``; ``exact`` searches them again.
            g.result = solve_by_parts(backend, m, objective == "latency",
                                      options.tie_break == "exact", clock, options.gap)
            solve += g.result.seconds
            if g.result.x is None:
                info = SolverInfo(backend.name, solve, 0.0, build, m.num_cols, m.num_rows,
                                  len(groups))
                if g.result.status == "no_solution":
                    reason = (f"no feasible plan was found within the effort ({options.effort}); "
                              "raise --effort or --gap")
                    return ledger.finish(scenario, summary.infeasible(
                        scenario, objective, [reason], info, "time_limit"))
                members = [cands[i] for i in g.members]
                why = diagnose(universe, *by_kind(members), backend, clock)
                return ledger.finish(scenario, summary.infeasible(scenario, objective, why, info))
        broken = _broken(groups)
        if not broken:
            break
        groups = _merged(groups, broken)
    placements: list[Placement] = []
    bindings: list[Binding] = []
    bought: dict[tuple[str, str], int] = {}
    savings: dict[tuple[str, str], float | None] = {}
    extra: dict[tuple[str, str], float | None] = {}  # what buying one would add (none bought)
    limited = False
    gap = 0.0
    n_vars = n_rows = 0
    for g in groups:
        assert g.model is not None and g.result is not None and g.result.x is not None
        m = g.model.milp
        n_vars += m.num_cols
        n_rows += m.num_rows
        primary, secondary = objectives(m, objective)
        t0 = time.perf_counter()
        x, duals = backend.polish(m, primary, secondary, g.result.x)
        solve += time.perf_counter() - t0
        placements += decode_periods(universe, g.model, x)
        mine = {(universe.sites[universe.offers[k][0]].name, universe.offers[k][1].name):
                round(x[col]) for k, col in g.model.bought.items()}
        bought.update(mine)
        if options.explain:
            bindings += period_bindings(universe, g.model, x, duals, explain.Relaxer(
                backend, primary, g.result.objective or 0.0, options.gap,
                max(clock.left(), 0.01)))
        if objective == "cost" and any(mine.values()):
            savings.update(_savings(backend, g.model, primary, g.result.objective, mine, clock,
                                    options.gap))
        if options.explain and objective == "cost":
            extra.update(buy_costs(backend, g.model, primary, g.result.objective, mine, clock,
                                   options.gap))
        limited |= g.result.status == "time_limit"
        gap = max(gap, g.result.gap)
    if options.explain:
        bindings += explain.slo_bindings(universe, inference)
    info = SolverInfo(backend.name, solve, gap, build, n_vars, n_rows, len(groups))
    status: PlanStatus = "time_limit" if limited and gap > options.gap else "optimal"
    plan = ledger.finish(scenario, summary.assemble(scenario, objective, status, placements,
                                                    bindings, info), bought, savings)
    if options.explain:
        plan = replace(plan, binding=plan.binding + tuple(buy_explanations(scenario, plan, extra)))
    return guarded(plan, clock, options)


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

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for users in by_offer.values():
        for j in users[1:]:
            parent[find(j)] = find(users[0])
    members: dict[int, list[int]] = defaultdict(list)
    for i in range(len(cands)):
        members[find(i)].append(i)
    return [_Group(sorted(ms)) for _, ms in sorted(members.items())]


_SHARED = ("capacity", "budget")


def _broken(groups: Sequence[_Group]) -> list[list[int]]:
    """For every shared row the groups' solutions break together: the groups (by
    position) that use it."""
    use: dict[tuple[object, ...], list[tuple[int, float]]] = defaultdict(list)
    limit: dict[tuple[object, ...], float] = {}
    for gi, g in enumerate(groups):
        assert g.model is not None and g.result is not None and g.result.x is not None
        m, x = g.model.milp, g.result.x
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

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for users in broken:
        for j in users[1:]:
            parent[find(j)] = find(users[0])
    joined: dict[int, list[int]] = defaultdict(list)
    for gi in range(len(groups)):
        joined[find(gi)].append(gi)
    out = []
    for root, parts in sorted(joined.items()):
        if len(parts) == 1:
            out.append(groups[root])
        else:
            out.append(_Group(sorted(i for gi in parts for i in groups[gi].members)))
    return out


def _savings(backend: Backend, model: PeriodModel, primary: Sequence[float],
             value: float | None, bought: dict[tuple[str, str], int], clock: WorkClock,
             gap: float) -> dict[tuple[str, str], float | None]:
    """What the units bought save against renting: the cost of the best plan that buys
    none of them (the other offerings' purchases kept free) less the plan's cost; None
    when no plan meets every rule without them."""
    assert value is not None
    m = model.milp
    out: dict[tuple[str, str], float | None] = {}
    keys = list(bought)
    for key, col in zip(keys, model.bought.values(), strict=True):
        if not bought[key]:
            continue
        saved = m.col_upper[col]
        m.col_upper[col] = 0.0
        try:
            other = backend.solve(m, primary, None, max(clock.left(), 0.5), gap)
            clock.charge(other.work, other.cut)
        finally:
            m.col_upper[col] = saved
        if other.objective is not None:
            out[key] = other.objective - value
        elif other.status == "infeasible":
            out[key] = None
    return out


def decode_periods(universe: Universe, model: PeriodModel, x: Sequence[float]) -> list[Placement]:
    sc = universe.scenario
    periods = sc.timeline
    out: list[Placement] = []
    for v in model.inference:
        w = v.cand.workload
        for gi, g in enumerate(v.cand.groups):
            site = universe.sites[g.site]
            for ui, unit in enumerate(g.units):
                counts = [round(x[c]) if (c := v.n[p][gi][ui]) is not None else 0
                          for p in range(len(periods))]
                if not any(counts):
                    continue
                offering = universe.offers[unit.offer][1]
                traffic: list[dict[str, float]] = []
                costs: list[float] = []
                compute = transfer = 0.0
                for p, period in enumerate(periods):
                    n = counts[p]
                    used = [(u2, round(x[c])) for u2, c in zip(g.units, v.n[p][gi], strict=True)
                            if c is not None and round(x[c]) > 0]
                    capacity = sum(u2.cap * k for u2, k in used)
                    share = unit.cap * n / capacity if n else 0.0
                    flows = {universe.clients[ci].name: x[c] * share
                             for ci, c in v.y[p][gi].items() if x[c] > TINY and share}
                    traffic.append(flows)
                    c_p = n * offering.usd_per_hour * period.hours
                    t_p = sum(flows.values()) * 3600 * period.hours * w.payload_kb * 1e-6 * (
                        site.egress_usd_per_gb)
                    compute += c_p
                    transfer += t_p
                    costs.append(c_p + t_p)
                H = sc.horizon_hours
                mean = {c: sum(t.get(c, 0.0) * q.hours for t, q in zip(traffic, periods,
                                                                      strict=True)) / H
                        for c in sorted({c for t in traffic for c in t})}
                out.append(Placement(
                    workload=w.name, kind="inference", site=site.name, tier=site.tier,
                    provider=site.provider, offering=offering.name,
                    accelerator=offering.accelerator, instances=max(counts),
                    purchase="on-demand", usd_per_hour=offering.usd_per_hour,
                    cost_usd=compute + transfer, compute_usd=compute, transfer_usd=transfer,
                    team=w.team, traffic_rps=mean, instances_by_period=tuple(counts),
                    traffic_by_period=tuple(traffic), cost_by_period=tuple(costs),
                    price_source=offering.price_source, price_as_of=offering.price_as_of))
    for t in model.training:
        tw = t.cand.workload
        for ti, opt in enumerate(t.cand.options):
            col = t.x[ti]
            if col is None or x[col] <= 0.5:
                continue
            hours = _schedule(t.h[ti], t.hours[ti], opt.instance_hours, x)
            costs = [opt.usd_per_hour * h for h in hours]
            begin = tw.release_hours + opt.transfer_hours
            costs[period_of(periods, begin)] += opt.transfer_usd
            out.append(training_placement(universe, tw, opt, hours, costs))
    return out


def _schedule(cols: Sequence[int | None], most: Sequence[float], total: float,
              x: Sequence[float]) -> list[float]:
    """Instance-hours per period: the model's h, or (an option no row limits) as early
    as its window allows."""
    if any(c is not None for c in cols):
        hours = [max(0.0, x[c]) if c is not None else 0.0 for c in cols]
        scale = total / sum(hours) if sum(hours) > 0 else 1.0
        return [h * scale for h in hours]  # the solver's tolerance off, the sum exact
    out, left = [], total
    for top in most:
        take = min(top, left)
        out.append(take)
        left -= take
    return out
