"""What a plan costs over time (SPEC 5.2-5.5): committed and idle owned hardware, the
cost of every period, and budgets with the committed cost they cover.

Shared by both ways of planning: the decomposition (one period, nothing to buy) and the
whole model over periods (:mod:`.periodic`). Both decode placements with one entry per
period; :func:`finish` adds what only the whole plan knows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import replace

from ..model import (
    Budget,
    BudgetUse,
    Offering,
    OwnedUse,
    PeriodCost,
    Placement,
    Plan,
    Scenario,
    Site,
)
from .summary import BUDGET_TOLERANCE_USD, placement_matches

__all__ = ["arrival", "available_in", "budget_committed", "committed_shift", "finish",
           "needs_periods", "over_committed", "owned_offerings"]


def owned_offerings(scenario: Scenario) -> list[tuple[Site, Offering]]:
    return [(s, o) for s in scenario.sites for o in s.offerings if o.owned]


def arrival(scenario: Scenario, o: Offering) -> int | None:
    """Index of the period bought units of ``o`` arrive in: the first period starting at
    or after the lead time (SPEC 5.2), or None when it cannot be bought in time."""
    if o.buy_max <= 0:
        return None
    return next((i for i, p in enumerate(scenario.timeline)
                 if p.start_hour >= o.buy_lead_hours - 1e-9), None)


def available_in(scenario: Scenario, o: Offering, period: int, bought: int = 0) -> int:
    """A[o,p]: the owned (or quota) instances in period ``period``."""
    t = arrival(scenario, o)
    extra = bought if t is not None and period >= t else 0
    return (o.available or 0) + extra


def needs_periods(scenario: Scenario) -> bool:
    """True when the one-period model of section 2 cannot say it: several periods, or
    hardware to buy."""
    return len(scenario.timeline) > 1 or any(
        arrival(scenario, o) is not None for _, o in owned_offerings(scenario))


def _committed_matches(b: Budget, site: Site) -> bool:
    """Committed cost counts in budgets without team or kind filters whose tier and
    provider filters match the owned site (SPEC 5.3)."""
    return (b.team is None and b.kind is None and (b.tier is None or b.tier == site.tier)
            and (b.provider is None or b.provider == site.provider))


def budget_committed(scenario: Scenario, b: Budget, period: int | None = None,
                     bought: Mapping[tuple[str, str], int] | None = None) -> float:
    """Committed cost a budget covers: over the horizon, or in one period."""
    if scenario.owned_cost != "sunk":
        return 0.0
    total = 0.0
    periods = scenario.timeline
    for site, o in owned_offerings(scenario):
        if not _committed_matches(b, site):
            continue
        assert o.fixed_usd_per_hour is not None
        n = (bought or {}).get((site.name, o.name), 0)
        spans = range(len(periods)) if period is None else (period,)
        total += sum(o.fixed_usd_per_hour * available_in(scenario, o, p, n) * periods[p].hours
                     for p in spans)
    return total


def over_committed(scenario: Scenario) -> list[str]:
    """Budgets whose limit is below the committed cost they cover: no plan meets them."""
    out = []
    for b in scenario.budgets:
        fixed = budget_committed(scenario, b, 0 if b.per_period else None)
        if b.per_period:
            fixed = max(budget_committed(scenario, b, i) for i in range(len(scenario.timeline)))
        if fixed > b.limit_usd + BUDGET_TOLERANCE_USD:
            span = "a period" if b.per_period else "the horizon"
            out.append(f"budget {b.name} (${b.limit_usd:,.2f}) is below the committed cost of the "
                       f"owned hardware it covers over {span} (${fixed:,.2f}), which is paid "
                       "whatever runs; raise the limit, or give the budget a team or kind "
                       "filter (those count only what is used)")
    return out


def committed_shift(scenario: Scenario) -> tuple[Budget, ...]:
    """The budgets the one-period model plans with: each limit less the committed cost it
    covers (a constant when nothing is bought)."""
    return tuple(replace(b, limit_usd=b.limit_usd - budget_committed(scenario, b))
                 for b in scenario.budgets)


def _period_costs(p: Placement, count: int) -> tuple[float, ...]:
    if p.cost_by_period:
        return p.cost_by_period
    return (p.cost_usd,) + (0.0,) * (count - 1)


def _used_hours(scenario: Scenario, p: Placement) -> list[float]:
    periods = scenario.timeline
    if p.kind == "training":
        if p.hours_by_period:
            return list(p.hours_by_period)
        return [p.instances * (p.compute_hours or 0.0)] + [0.0] * (len(periods) - 1)
    counts = p.instances_by_period or (p.instances,) * len(periods)
    return [n * q.hours for n, q in zip(counts, periods, strict=True)]


def finish(scenario: Scenario, plan: Plan, bought: Mapping[tuple[str, str], int] | None = None,
           savings: Mapping[tuple[str, str], float | None] | None = None) -> Plan:
    """The plan with its periods, owned hardware, committed and idle cost, and budgets
    that count the committed cost they cover."""
    bought = bought or {}
    periods = scenario.timeline
    count = len(periods)
    sunk = scenario.owned_cost == "sunk"
    per_period = [0.0] * count
    by_tier: list[dict[str, float]] = [defaultdict(float) for _ in periods]
    by_team: list[dict[str, float]] = [defaultdict(float) for _ in periods]
    used: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0.0] * count)
    for p in plan.placements:
        for i, c in enumerate(_period_costs(p, count)):
            per_period[i] += c
            by_tier[i][p.tier] += c
            by_team[i][p.team or "(none)"] += c
        for i, h in enumerate(_used_hours(scenario, p)):
            used[(p.site, p.offering)][i] += h
    owned: list[OwnedUse] = []
    committed_by_period = [0.0] * count
    for site, o in owned_offerings(scenario):
        assert o.fixed_usd_per_hour is not None
        key = (site.name, o.name)
        n = bought.get(key, 0)
        capacity = [available_in(scenario, o, i, n) * q.hours for i, q in enumerate(periods)]
        hours = used.get(key, [0.0] * count)
        fixed = o.fixed_usd_per_hour
        committed = [fixed * c if sunk else 0.0 for c in capacity]
        for i, c in enumerate(committed):
            committed_by_period[i] += c
            by_tier[i][site.tier] += c
            if sunk:
                by_team[i]["(committed)"] += c
        total_capacity, total_used = sum(capacity), sum(hours)
        idle_hours = sum(max(0.0, c - h) for c, h in zip(capacity, hours, strict=True))
        t = arrival(scenario, o)
        owned.append(OwnedUse(
            site=site.name, offering=o.name, available=o.available or 0, bought=n,
            fixed_usd_per_hour=fixed, used_instance_hours=total_used,
            idle_instance_hours=idle_hours, committed_usd=sum(committed),
            idle_usd=fixed * idle_hours,
            utilisation=total_used / total_capacity if total_capacity > 0 else 0.0,
            usd_per_hour=o.usd_per_hour,
            arrival_hour=periods[t].start_hour if t is not None else None,
            used_by_period=tuple(hours), capacity_by_period=tuple(capacity),
            saving_usd=(savings or {}).get(key), tier=site.tier, provider=site.provider,
            required=key in (savings or {}) and (savings or {})[key] is None))
    period_rows = tuple(
        PeriodCost(index=i, start_hour=q.start_hour, hours=q.hours,
                   cost_usd=per_period[i] + committed_by_period[i], start=scenario.start,
                   by_tier=dict(by_tier[i]), by_team=dict(by_team[i]),
                   committed_usd=committed_by_period[i])
        for i, q in enumerate(periods))
    # a budget the plan marked binding (its explanation found it moved the plan) stays so
    moved = {(u.workload is not None, u.name) for u in plan.budgets if u.binding}
    budgets = tuple(replace(u, binding=True) if (u.workload is not None, u.name) in moved else u
                    for u in _budget_uses(scenario, plan.placements, bought))
    plan = _with_committed_words(scenario, plan, budgets)
    return replace(plan, periods=period_rows, owned=tuple(owned),
                   committed_usd=sum(committed_by_period),
                   idle_usd=sum(u.idle_usd for u in owned), start=scenario.start,
                   budgets=budgets)


def _with_committed_words(scenario: Scenario, plan: Plan, uses: Sequence[BudgetUse]) -> Plan:
    """Budget bindings and diagnoses in the user's figures: the one-period model plans with
    each limit less the committed cost it covers, and its words carry that figure."""
    if scenario.owned_cost != "sunk" or not any(budget_committed(scenario, b) for b in
                                                 scenario.budgets):
        return plan
    by_name = {u.name: u for u in uses if u.workload is None}
    # only budgets that cover committed cost, and not the model over periods' words
    # (they name their period, or the committed cost they include, already)
    covers = {b.name for b in scenario.budgets if budget_committed(scenario, b)}
    binding = tuple(
        replace(b, detail=f"{_usd(by_name[b.name].used_usd)} of {_usd(by_name[b.name].limit_usd)} "
                          "used (with the committed cost of owned hardware)")
        if b.kind == "budget" and b.name in by_name and b.name in covers
        and "period" not in b.detail and "committed" not in b.detail else b
        for b in plan.binding)
    diagnosis = []
    for reason in plan.diagnosis:
        for b in scenario.budgets:
            fixed = budget_committed(scenario, b)
            if fixed and not b.per_period:
                reason = reason.replace(
                    f"budget {b.name} ({_usd(b.limit_usd - fixed)})",
                    f"budget {b.name} ({_usd(b.limit_usd)} less {_usd(fixed)} committed to owned "
                    "hardware)")
        diagnosis.append(reason)
    return replace(plan, binding=binding, diagnosis=tuple(diagnosis))


def _usd(value: float) -> str:
    return f"${value:,.2f}"


def _budget_uses(scenario: Scenario, placements: Sequence[Placement],
                 bought: Mapping[tuple[str, str], int]) -> list[BudgetUse]:
    count = len(scenario.timeline)
    out = []
    for b in scenario.budgets:
        matching = [p for p in placements if placement_matches(b, p)]
        if b.per_period:
            usage = [sum(_period_costs(p, count)[i] for p in matching) +
                     budget_committed(scenario, b, i, bought) for i in range(count)]
            used = max(usage, default=0.0)
        else:
            used = sum(p.cost_usd for p in matching) + budget_committed(scenario, b, None, bought)
        out.append(BudgetUse(b.name, b.limit_usd, used,
                             used >= b.limit_usd - BUDGET_TOLERANCE_USD, per_period=b.per_period))
    for w in scenario.workloads:
        if w.budget_usd is None:
            continue
        used = sum(p.cost_usd for p in placements if p.workload == w.name)
        out.append(BudgetUse(w.name, w.budget_usd, used,
                             used >= w.budget_usd - BUDGET_TOLERANCE_USD, workload=w.name))
    return out

