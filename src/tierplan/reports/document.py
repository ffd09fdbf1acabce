"""The plan as a JSON-ready document (SPEC section 4); every text format reads from it."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from ..model import BudgetUse, OwnedUse, PeriodCost, Placement, Plan
from ..units import MONTH_HOURS
from .provenance import price_summary

__all__ = ["COMMITTED", "GROUPS", "MONTH_HOURS", "SCHEMA", "cost_breakdown", "group_split",
           "hourly", "monthly", "owned_note", "plan_document", "pricing", "tier_label",
           "tier_parts"]

SCHEMA = "tierplan.plan/v2"


GROUPS: dict[str, str] = {"by_tier": "tier", "by_provider": "provider", "by_site": "site",
                          "by_team": "team", "by_workload": "workload"}
"""The cost groups of ``doc["cost"]`` and the placement field each groups by."""


def monthly(total_usd: float, horizon_hours: float) -> float:
    """A cost over the horizon as a monthly rate: ``total / horizon * 730``."""
    return total_usd / horizon_hours * MONTH_HOURS if horizon_hours else 0.0


def hourly(total_usd: float, horizon_hours: float) -> float:
    """A cost over the horizon as an hourly rate: ``total / horizon``."""
    return total_usd / horizon_hours if horizon_hours else 0.0


def pricing(placement: dict[str, Any], doc: dict[str, Any] | None = None) -> str:
    """How a placement is priced: ``spot``, ``on-demand``, ``amortised`` on-prem, or
    ``owned`` on owned hardware under ``owned_cost: sunk``.

    An on-prem offering's ``usd_per_hour`` is its amortised rate (hardware, power and
    operations spread over its life), not a bill; reports label it so. Under sunk cost an
    owned offering is charged only its power per hour used (the hardware is committed
    cost), and a plan with such placements always has a committed cost, which tells the
    two modes apart in a plan file.
    """
    if doc is not None and doc.get("cost", {}).get("committed_usd", 0) > 0:
        owned = {(u["site"], u["offering"]) for u in doc.get("owned", [])}
        if (placement["site"], placement["offering"]) in owned:
            return "owned"
    return "amortised" if placement["tier"] == "onprem" else str(placement["purchase"])


def _owned_in(doc: dict[str, Any], tier: str) -> list[dict[str, Any]]:
    """The owned offerings of ``tier`` whose cost is committed (owned_cost: sunk)."""
    if not doc["cost"].get("committed_usd"):
        return []
    return [u for u in doc.get("owned", []) if u.get("tier") == tier and u["committed_usd"]]


def tier_parts(doc: dict[str, Any], tier: str) -> list[tuple[str, float]]:
    """What a tier's cost is made of when it holds owned hardware under ``owned_cost:
    sunk``, as OpenCost shows it: the committed cost of the hardware split into the
    share of its used hours and the idle rest (``__idle__``), the power of the hours
    used, and the rest (rented instances, data transfer). Amounts over the horizon that
    add up to ``doc["cost"]["by_tier"][tier]``; empty for a tier without owned hardware
    or under ``amortised`` (nothing is committed then)."""
    owned = _owned_in(doc, tier)
    if not owned:
        return []
    keys = {(u["site"], u["offering"]) for u in owned}
    committed = sum(u["committed_usd"] for u in owned)
    idle = sum(u["idle_usd"] for u in owned)
    power = sum(p["compute_usd"] for p in doc["placements"] if (p["site"], p["offering"]) in keys)
    rest = doc["cost"]["by_tier"].get(tier, 0.0) - committed - power
    parts = [("owned hardware, used hours (committed)", committed - idle),
             ("owned hardware, idle (committed, __idle__)", idle),
             ("power of the used hours", power)]
    if abs(rest) >= 0.005:
        parts.append(("rented and data transfer", rest))
    return parts


def tier_label(doc: dict[str, Any], tier: str) -> str:
    """A tier's name in the cost tables: ``onprem (amortised)`` when on-prem hours carry
    their amortised rate (version 1 and ``owned_cost: amortised``), ``edge (committed +
    power)`` when the tier's owned hardware is committed cost (its parts follow, see
    :func:`tier_parts`)."""
    if _owned_in(doc, tier):
        return f"{tier} (committed + power)"
    if tier == "onprem" and not doc["cost"].get("committed_usd"):
        return f"{tier} (amortised)"
    return tier


def owned_note(doc: dict[str, Any]) -> str:
    """How owned hardware is priced in this plan, for a report's footnote."""
    if doc["cost"].get("committed_usd"):
        return ("owned hardware: its committed cost (paid whether used or not; the idle "
                "share apart) plus power per hour used")
    return "on-prem at its amortised rate"


def _group_key(placement: dict[str, Any], group: str) -> str:
    """The name a placement counts under in ``doc["cost"][group]`` (as cost_breakdown)."""
    if group == "by_provider":
        return str(placement["provider"] or placement["tier"])
    if group == "by_team":
        return str(placement.get("team") or "(none)")
    return str(placement[GROUPS[group]])


def _committed_key(u: dict[str, Any], group: str) -> str:
    """The name an owned offering's committed cost counts under in ``doc["cost"][group]``
    (as cost_breakdown)."""
    if group in ("by_workload", "by_team"):
        return COMMITTED
    if group == "by_provider":
        return str(u.get("provider") or u.get("tier") or "onprem")
    return str(u["site"] if group == "by_site" else u.get("tier") or "onprem")


def group_split(doc: dict[str, Any], group: str) -> dict[str, tuple[float, float, float]]:
    """``name -> (committed_usd, compute_usd, transfer_usd)`` over the horizon for one
    cost group: the committed cost of owned hardware (``owned_cost: sunk``), what the
    placements pay for instance-hours, and data transfer.

    The three add up to the group's published figure in ``doc["cost"][group]``: the
    committed cost and the transfer are the owned offerings' and the placements' own
    figures, compute the rest (so the cents that rounding placements one by one leaves
    fall there, never into transfer).
    """
    transfer: dict[str, float] = defaultdict(float)
    for p in doc["placements"]:
        transfer[_group_key(p, group)] += p["transfer_usd"]
    committed: dict[str, float] = defaultdict(float)
    if doc["cost"].get("committed_usd"):
        for u in doc.get("owned") or []:
            committed[_committed_key(u, group)] += u["committed_usd"]
    out: dict[str, tuple[float, float, float]] = {}
    for name, total in doc["cost"][group].items():
        c = min(committed.get(name, 0.0), total)
        t = min(transfer.get(name, 0.0), total - c)
        out[name] = (c, total - c - t, t)
    return out


def _cents(value: float) -> float:
    return round(value + 0.0, 2)


def apportion(values: Sequence[float], total: float) -> list[float]:
    """``values`` in cents that add up to ``total`` (in cents): each rounded down, and the
    cents left over go to the largest remainders (Hamilton's method), so each figure stays
    within a cent of its value and the one a plain rounding would give is kept wherever
    the sum allows."""
    if not values:
        return []
    cents = [math.floor(v * 100 + 1e-7) for v in values]
    left = round(total * 100) - sum(cents)
    rest = [v * 100 - c for v, c in zip(values, cents, strict=True)]
    if left >= 0:
        order = sorted(range(len(values)), key=lambda i: (-rest[i], i))
    else:  # taken from the smallest remainders, never from a figure already at 0
        order = sorted(range(len(values)), key=lambda i: (cents[i] <= 0, rest[i], i))
    for n in range(abs(left)):
        cents[order[n % len(order)]] += 1 if left > 0 else -1
    return [c / 100 for c in cents]


# The name committed cost of owned hardware counts under in by_workload and by_team, so
# every group still sums to total_cost_usd.
COMMITTED = "(committed)"


def cost_breakdown(placements: tuple[Placement, ...],
                   owned: tuple[OwnedUse, ...] = ()) -> dict[str, Any]:
    """Cost groups over the horizon; ``owned`` adds the committed cost (sunk) to its
    site's tier, provider and site, and to ``(committed)`` in by_workload and by_team."""
    groups: dict[str, dict[str, float]] = {k: defaultdict(float) for k in
                                           ("by_tier", "by_provider", "by_site", "by_workload",
                                            "by_team")}
    for p in placements:
        groups["by_tier"][p.tier] += p.cost_usd
        groups["by_provider"][p.provider or p.tier] += p.cost_usd
        groups["by_site"][p.site] += p.cost_usd
        groups["by_workload"][p.workload] += p.cost_usd
        groups["by_team"][p.team or "(none)"] += p.cost_usd
    for u in owned:
        if not u.committed_usd:
            continue
        groups["by_tier"][u.tier] += u.committed_usd
        groups["by_provider"][u.provider or u.tier] += u.committed_usd
        groups["by_site"][u.site] += u.committed_usd
        groups["by_workload"][COMMITTED] += u.committed_usd
        groups["by_team"][COMMITTED] += u.committed_usd
    return {
        "compute_usd": _cents(sum(p.compute_usd for p in placements)),
        "transfer_usd": _cents(sum(p.transfer_usd for p in placements)),
        "committed_usd": _cents(sum(u.committed_usd for u in owned)),
        "idle_usd": _cents(sum(u.idle_usd for u in owned)),
        **{k: {name: _cents(v) for name, v in sorted(d.items())} for k, d in groups.items()},
    }


def _placement(p: Placement, horizon: float, periods: int = 1) -> dict[str, Any]:
    out: dict[str, Any] = {
        "workload": p.workload, "kind": p.kind, "site": p.site, "tier": p.tier,
        "provider": p.provider, "offering": p.offering, "accelerator": p.accelerator,
        "instances": p.instances, "purchase": p.purchase, "usd_per_hour": p.usd_per_hour,
        "cost_usd": _cents(p.cost_usd), "compute_usd": _cents(p.compute_usd),
        "transfer_usd": _cents(p.transfer_usd), "team": p.team,
    }
    count = max(periods, 1)
    if p.price_source is not None:
        out["source"], out["as_of"] = p.price_source, p.price_as_of
    if p.kind == "inference":
        out["traffic_rps"] = {c: round(v, 6) for c, v in p.traffic_rps.items()}
        out["hourly_usd"] = _cents(p.cost_usd / horizon)
        out["instances_by_period"] = list(p.instances_by_period or (p.instances,) * count)
        out["traffic_rps_by_period"] = [
            {c: round(v, 6) for c, v in t.items()}
            for t in (p.traffic_by_period or (p.traffic_rps,) * count)]
    else:
        out["compute_hours"] = round(p.compute_hours or 0.0, 6)
        out["transfer_hours"] = round(p.transfer_hours or 0.0, 6)
        out["hours_by_period"] = [round(h, 6) for h in (
            p.hours_by_period or (p.instances * (p.compute_hours or 0.0),))]
    out["cost_by_period"] = apportion(p.cost_by_period or (p.cost_usd,), _cents(p.cost_usd))
    return out


def _period(q: PeriodCost) -> dict[str, Any]:
    out: dict[str, Any] = {"index": q.index, "start_hour": round(q.start_hour, 6),
                           "hours": round(q.hours, 6)}
    if q.start is not None:
        out["start"] = (q.start + timedelta(hours=q.start_hour)).strftime(
            "%Y-%m-%d" if (q.start_hour + q.start.hour) % 24 == 0 else "%Y-%m-%dT%H:%MZ")
    out.update(cost_usd=_cents(q.cost_usd), committed_usd=_cents(q.committed_usd),
               by_tier={k: _cents(v) for k, v in sorted(q.by_tier.items())},
               by_team={k: _cents(v) for k, v in sorted(q.by_team.items())})
    return out


def _periods(plan: Plan, total: float, committed: float) -> list[dict[str, Any]]:
    """The periods, their cents adding up as the tables show them: committed shares to
    the committed cost, usage to the rest of the total, each period's cost their sum,
    and (several periods) each period's tiers to its cost, its ``(committed)`` team to
    its committed share and the other teams to its usage. One period keeps the figures
    of the plan's cost groups."""
    periods = [_period(q) for q in plan.periods]
    if not periods:
        return periods
    shares = apportion([q.committed_usd for q in plan.periods], committed)
    usage = apportion([q.cost_usd - q.committed_usd for q in plan.periods],
                      _cents(total - committed))
    for q, raw, share, used in zip(periods, plan.periods, shares, usage, strict=True):
        c = _cents(share + used)
        q["cost_usd"], q["committed_usd"] = c, share
        if len(periods) == 1:
            continue
        q["by_tier"] = _apportioned(raw.by_tier, c)
        teams = dict(raw.by_team)
        if COMMITTED in teams:
            del teams[COMMITTED]
            q["by_team"] = dict(sorted({COMMITTED: share, **_apportioned(teams, used)}.items()))
        else:
            q["by_team"] = _apportioned(teams, c)
    return periods


def _apportioned(parts: Mapping[str, float], total: float) -> dict[str, float]:
    names = sorted(parts)
    return dict(zip(names, apportion([parts[k] for k in names], total), strict=True))


def _budget_cents(b: BudgetUse, raw: Sequence[PeriodCost], periods: list[dict[str, Any]]) -> float:
    """A budget's use in cents; a per-period budget whose fullest period is a whole
    period's cost reads that period's cents, so the budget and the period agree."""
    if b.per_period:
        for q, doc in zip(raw, periods, strict=True):
            if abs(q.cost_usd - b.used_usd) < 1e-6:
                return float(doc["cost_usd"])
    return _cents(b.used_usd)


def _owned(u: OwnedUse) -> dict[str, Any]:
    return {"site": u.site, "offering": u.offering, "tier": u.tier, "available": u.available,
            "bought": u.bought, "fixed_usd_per_hour": round(u.fixed_usd_per_hour, 6),
            "usd_per_hour": round(u.usd_per_hour, 6),
            "used_instance_hours": round(u.used_instance_hours, 4),
            "idle_instance_hours": round(u.idle_instance_hours, 4),
            "committed_usd": _cents(u.committed_usd), "idle_usd": _cents(u.idle_usd),
            **({"provider": u.provider} if u.provider else {}),
            "utilisation": round(u.utilisation, 4),
            "arrival_hour": u.arrival_hour,
            "used_by_period": [round(h, 4) for h in u.used_by_period],
            "capacity_by_period": [round(h, 4) for h in u.capacity_by_period],
            "saving_usd": None if u.saving_usd is None else _cents(u.saving_usd),
            "required": u.required}


def plan_document(plan: Plan, today: date | None = None) -> dict[str, Any]:
    """Plain dict in the ``tierplan.plan/v2`` schema (SPEC 5.5); money rounded to cents.

    ``today`` dates the prices' age check (reports/provenance.py); None skips it.
    """
    total = plan.total_cost_usd
    count = len(plan.periods) or 1
    placements = [_placement(p, plan.horizon_hours, count) for p in plan.placements]
    prices = price_summary(placements, today)
    cost = cost_breakdown(plan.placements, plan.owned)
    periods = _periods(plan, _cents(total), cost["committed_usd"])
    return {
        "schema": SCHEMA,
        "scenario": plan.scenario,
        "status": plan.status,
        "objective": plan.objective,
        "horizon_hours": plan.horizon_hours,
        "total_cost_usd": _cents(total),
        "hourly_cost_usd": _cents(hourly(total, plan.horizon_hours)),
        "monthly_cost_usd": _cents(monthly(total, plan.horizon_hours)),
        "start": plan.start.strftime("%Y-%m-%dT%H:%M:%SZ") if plan.start else None,
        "cost": cost,
        "periods": periods,
        "placements": placements,
        "owned": [_owned(u) for u in plan.owned],
        **({"prices": prices} if prices else {}),
        "latency": [
            {"workload": s.workload, "client": s.client, "mean_ms": round(s.mean_ms, 3),
             "max_ms": round(s.max_ms, 3), "slo_ms": s.slo_ms}
            for s in plan.latency
        ],
        "budgets": [
            {"name": b.name, "limit_usd": _cents(b.limit_usd),
             "used_usd": _budget_cents(b, plan.periods, periods),
             "binding": b.binding, **({"workload": b.workload} if b.workload else {}),
             **({"per_period": True} if b.per_period else {})}
            for b in plan.budgets
        ],
        "binding": [
            {"kind": b.kind, "name": b.name, "detail": b.detail,
             "shadow_price": None if b.shadow_price is None else round(b.shadow_price, 6),
             "unit": b.unit,
             "relax_saving": None if b.relax_saving is None else round(b.relax_saving, 2),
             **({"period": b.period} if b.period is not None else {})}
            for b in plan.binding
        ],
        "diagnosis": list(plan.diagnosis),
        "solver": {
            "name": plan.solver.name, "seconds": round(plan.solver.seconds, 4),
            "gap": plan.solver.gap, "build_seconds": round(plan.solver.build_seconds, 4),
            "variables": plan.solver.variables, "constraints": plan.solver.constraints,
            "components": plan.solver.components,
        },
    }
