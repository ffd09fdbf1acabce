"""``plan(scenario) -> Plan``: a pure function (it never writes onto its inputs).

Steps, each in its own module:
1. :mod:`.candidates` lists what every workload could use and drops what cannot be
   optimal (ineligible pairs, unreachable routes, dominated offerings and options).
2. :mod:`.explain` pre-checks the obvious reasons a plan cannot exist.
3. Workloads that share no capacity-limited offering and no budget are independent:
   each connected component is its own MILP (:mod:`.formulation`), solved on its own.
4. Each MILP is solved lexicographically (:mod:`.solvers`): the objective, then its
   tie-break (cost -> latency, latency -> cost) with the first held at its optimum.
5. The solution is decoded into placements; :mod:`.explain` adds what binds and why.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..model import (
    Budget,
    InferenceWorkload,
    Objective,
    Placement,
    Plan,
    PlanStatus,
    Scenario,
    SolverInfo,
    TrainingWorkload,
)
from . import explain, summary
from .candidates import InferenceCandidates, TrainingCandidates, Universe, budget_matches
from .formulation import Formulation, build
from .solvers import get_backend

__all__ = ["Component", "PlanOptions", "plan"]

TINY = 1e-9


@dataclass(frozen=True)
class PlanOptions:
    objective: Objective | None = None  # None: the scenario's objective
    solver: str = "highs"
    time_limit: float = 300.0
    gap: float = 1e-4
    explain: bool = True


@dataclass
class Component:
    inference: list[InferenceCandidates] = field(default_factory=list)
    training: list[TrainingCandidates] = field(default_factory=list)


def plan(scenario: Scenario, options: PlanOptions | None = None) -> Plan:
    options = options or PlanOptions()
    objective = options.objective or scenario.objective
    started = time.perf_counter()
    universe = Universe(scenario)
    inference = [universe.inference(w) for w in scenario.workloads if isinstance(w, InferenceWorkload)]
    training = [
        universe.training(w, scenario.budgets)
        for w in scenario.workloads
        if isinstance(w, TrainingWorkload)
    ]
    backend = get_backend(options.solver)
    reasons = explain.precheck(universe, inference, training)
    if reasons:
        info = SolverInfo(backend.name, 0.0, 0.0, time.perf_counter() - started)
        return summary.infeasible(scenario, objective, reasons, info)

    total_demand = sum(c.workload.total_demand for c in inference) or 1.0
    components = split(universe, inference, training, scenario.budgets)
    deadline = started + options.time_limit
    placements: list[Placement] = []
    bindings = []
    status: PlanStatus = "optimal"
    gap = 0.0
    solve_seconds = 0.0
    build_seconds = time.perf_counter() - started
    n_vars = n_rows = 0
    for comp in components:
        t0 = time.perf_counter()
        form = build(universe, comp.inference, comp.training, scenario.budgets, total_demand)
        build_seconds += time.perf_counter() - t0
        n_vars += form.milp.num_cols
        n_rows += form.milp.num_rows
        primary, secondary = _objectives(form, objective)
        left = max(deadline - time.perf_counter(), 0.01)
        result = backend.solve(form.milp, primary, secondary, left, options.gap)
        solve_seconds += result.seconds
        if result.status in ("infeasible", "no_solution") or result.x is None:
            info = SolverInfo(backend.name, solve_seconds, 0.0, build_seconds, n_vars, n_rows,
                              len(components))
            if result.status == "no_solution":
                reason = (f"no feasible plan was found within the time limit "
                          f"({options.time_limit:g} s); raise --time-limit or --gap")
                return summary.infeasible(scenario, objective, [reason], info, "time_limit")
            why = explain.diagnose(universe, form, backend, scenario.budgets,
                                   time_limit=max(deadline - time.perf_counter(), 1.0))
            return summary.infeasible(scenario, objective, why, info)
        if result.status == "time_limit":
            status = "time_limit"
        gap = max(gap, result.gap)
        t0 = time.perf_counter()
        x, duals = backend.polish(form.milp, primary, secondary, result.x)
        placements.extend(decode(universe, form, x))
        if options.explain:
            bindings.extend(explain.bindings(
                universe, form, x, duals, scenario.budgets,
                explain.Relaxer(backend, primary, result.objective or 0.0, options.gap,
                                max(deadline - time.perf_counter(), 0.01)),
            ))
        solve_seconds += time.perf_counter() - t0
    bindings.extend(explain.slo_bindings(universe, inference, placements))
    info = SolverInfo(backend.name, solve_seconds, gap, build_seconds, n_vars, n_rows,
                      len(components))
    return summary.assemble(scenario, objective, status, placements, bindings, info)


def _objectives(form: Formulation, objective: Objective) -> tuple[list[float], list[float]]:
    m = form.milp
    return (m.cost, m.latency) if objective == "cost" else (m.latency, m.cost)


# ------------------------------------------------------------------------- components


def split(
    universe: Universe,
    inference: Sequence[InferenceCandidates],
    training: Sequence[TrainingCandidates],
    budgets: Sequence[Budget],
) -> list[Component]:
    """Group workloads into independent problems (union-find over shared rows)."""
    n_inf = len(inference)
    parent = list(range(n_inf + len(training)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    owners: dict[tuple[str, object], int] = {}

    def claim(key: tuple[str, object], member: int) -> None:
        first = owners.setdefault(key, member)
        a, b = find(first), find(member)
        if a != b:
            parent[b] = a

    offers = universe.offers
    for i, cand in enumerate(inference):
        sites = {g.site for g in cand.groups}
        for g in cand.groups:
            for unit in g.units:
                if offers[unit.offer][1].available is not None:
                    claim(("offer", unit.offer), i)
        _claim_budgets(universe, budgets, cand.workload, sites, i, claim)
    for j, tcand in enumerate(training):
        member = n_inf + j
        for opt in tcand.options:
            if offers[opt.offer][1].available is not None:
                claim(("offer", opt.offer), member)
        sites = {opt.site for opt in tcand.options}
        _claim_budgets(universe, budgets, tcand.workload, sites, member, claim)
    groups: dict[int, Component] = defaultdict(Component)
    for i, cand in enumerate(inference):
        groups[find(i)].inference.append(cand)
    for j, tcand in enumerate(training):
        groups[find(n_inf + j)].training.append(tcand)
    return list(groups.values())


def _claim_budgets(universe: Universe, budgets: Sequence[Budget], workload: object,
                   sites: set[int], member: int, claim: object) -> None:
    for b, budget in enumerate(budgets):
        if any(budget_matches(budget, workload, universe.sites[s]) for s in sites):  # type: ignore[arg-type]
            claim(("budget", b), member)  # type: ignore[operator]


# ---------------------------------------------------------------------------- decoding


def decode(universe: Universe, form: Formulation, x: Sequence[float]) -> list[Placement]:
    """Turn a solution vector into placements (traffic split in proportion to capacity)."""
    H = universe.scenario.horizon_hours
    out: list[Placement] = []
    for v in form.inference:
        w = v.cand.workload
        for gi, g in enumerate(v.cand.groups):
            site = universe.sites[g.site]
            flows = {ci: x[col] for ci, col in v.y[gi].items() if x[col] > TINY}
            used = [(unit, round(x[col])) for unit, col in zip(g.units, v.n[gi], strict=True)
                    if col is not None and round(x[col]) > 0]
            capacity = sum(unit.cap * n for unit, n in used)
            egress_per_rps = 3600 * H * w.payload_kb * 1e-6 * site.egress_usd_per_gb
            for unit, n in used:
                share = unit.cap * n / capacity
                traffic = {universe.clients[ci].name: rps * share for ci, rps in flows.items()}
                offering = universe.offers[unit.offer][1]
                compute = n * offering.usd_per_hour * H
                transfer = sum(traffic.values()) * egress_per_rps
                out.append(Placement(
                    workload=w.name, kind="inference", site=site.name, tier=site.tier,
                    provider=site.provider, offering=offering.name,
                    accelerator=offering.accelerator, instances=n, purchase="on-demand",
                    usd_per_hour=offering.usd_per_hour, cost_usd=compute + transfer,
                    compute_usd=compute, transfer_usd=transfer, team=w.team,
                    traffic_rps=traffic,
                ))
    for t in form.training:
        tw = t.cand.workload
        chosen = [opt for opt, col in zip(t.cand.options, t.x, strict=True) if x[col] > 0.5]
        for opt in chosen:
            site = universe.sites[opt.site]
            offering = universe.offers[opt.offer][1]
            out.append(Placement(
                workload=tw.name, kind="training", site=site.name, tier=site.tier,
                provider=site.provider, offering=offering.name,
                accelerator=offering.accelerator, instances=opt.nodes,
                purchase="spot" if opt.spot else "on-demand", usd_per_hour=opt.usd_per_hour,
                cost_usd=opt.cost, compute_usd=opt.compute_usd, transfer_usd=opt.transfer_usd,
                team=tw.team, compute_hours=opt.compute_hours, transfer_hours=opt.transfer_hours,
            ))
    return out
