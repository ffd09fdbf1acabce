"""Assemble a :class:`~tierplan.model.Plan` from placements: latency, budgets, ordering."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import replace

from ..model import (
    Binding,
    Budget,
    BudgetUse,
    InferenceWorkload,
    LatencyStat,
    Objective,
    Placement,
    Plan,
    PlanStatus,
    Scenario,
    SolverInfo,
)

__all__ = ["assemble", "budget_uses", "infeasible", "placement_matches", "rtt_ms"]

#: A budget counts as binding when less than half a cent of it is left.
BUDGET_TOLERANCE_USD = 0.005


def rtt_ms(scenario: Scenario, client: str, site: str) -> float:
    """Round trip between a client and a site, by name (see :meth:`Network.rtt_ms`)."""
    c = next(c for c in scenario.clients if c.name == client)
    return scenario.network.rtt_ms(c, scenario.site(site))


def placement_matches(budget: Budget, p: Placement) -> bool:
    return (
        (budget.team is None or budget.team == p.team)
        and (budget.kind is None or budget.kind == p.kind)
        and (budget.tier is None or budget.tier == p.tier)
        and (budget.provider is None or budget.provider == p.provider)
    )


def budget_uses(scenario: Scenario, placements: Sequence[Placement]) -> list[BudgetUse]:
    out = []
    for b in scenario.budgets:
        used = sum(p.cost_usd for p in placements if placement_matches(b, p))
        out.append(BudgetUse(b.name, b.limit_usd, used, used >= b.limit_usd - BUDGET_TOLERANCE_USD))
    for w in scenario.workloads:
        if w.budget_usd is None:
            continue
        used = sum(p.cost_usd for p in placements if p.workload == w.name)
        binding = used >= w.budget_usd - BUDGET_TOLERANCE_USD
        out.append(BudgetUse(w.name, w.budget_usd, used, binding, workload=w.name))
    return out


def latency_stats(scenario: Scenario, placements: Iterable[Placement]) -> list[LatencyStat]:
    workloads = {w.name: w for w in scenario.workloads}
    weighted: dict[tuple[str, str], list[tuple[float, float]]] = defaultdict(list)
    for p in placements:
        w = workloads[p.workload]
        if not isinstance(w, InferenceWorkload):
            continue
        service = w.accelerators[p.accelerator or "cpu"].latency_ms
        for client, rps in p.traffic_rps.items():
            if rps > 0:
                weighted[(w.name, client)].append((rps, rtt_ms(scenario, client, p.site) + service))
    out = []
    for w in scenario.workloads:
        if not isinstance(w, InferenceWorkload):
            continue
        for client in w.demand_rps:
            flows = weighted.get((w.name, client))
            if not flows:
                continue
            total = sum(r for r, _ in flows)
            mean = sum(r * ms for r, ms in flows) / total
            out.append(LatencyStat(w.name, client, mean, max(ms for _, ms in flows), w.latency_slo_ms))
    return out


def _moved_by(uses: Sequence[BudgetUse], bindings: Sequence[Binding]) -> list[BudgetUse]:
    """Budget uses, binding too when the explanation found that the budget moved the plan
    (one can move whole instances away and end under its limit)."""
    moved = {(b.kind == "workload_budget", b.name) for b in bindings
             if b.kind in ("budget", "workload_budget")}
    return [replace(u, binding=True) if (u.workload is not None, u.name) in moved else u for u in uses]


def assemble(
    scenario: Scenario,
    objective: Objective,
    status: PlanStatus,
    placements: Sequence[Placement],
    bindings: Sequence[Binding],
    info: SolverInfo,
) -> Plan:
    order = {w.name: i for i, w in enumerate(scenario.workloads)}
    ordered = sorted(placements, key=lambda p: (order[p.workload], p.site, p.offering, p.purchase))
    return Plan(
        scenario=scenario.name,
        status=status,
        objective=objective,
        horizon_hours=scenario.horizon_hours,
        placements=tuple(ordered),
        latency=tuple(latency_stats(scenario, ordered)),
        budgets=tuple(_moved_by(budget_uses(scenario, ordered), bindings)),
        binding=tuple(bindings),
        diagnosis=(),
        solver=info,
    )


def infeasible(
    scenario: Scenario,
    objective: Objective,
    reasons: Sequence[str],
    info: SolverInfo,
    status: PlanStatus = "infeasible",
) -> Plan:
    return Plan(
        scenario=scenario.name,
        status=status,
        objective=objective,
        horizon_hours=scenario.horizon_hours,
        placements=(),
        latency=(),
        budgets=tuple(budget_uses(scenario, ())),
        binding=(),
        diagnosis=tuple(reasons),
        solver=info,
    )
