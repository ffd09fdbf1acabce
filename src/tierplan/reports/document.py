"""The plan as a JSON-ready document (SPEC section 4); every text format reads from it."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from ..model import Placement, Plan
from ..units import MONTH_HOURS
from .provenance import price_summary

__all__ = ["GROUPS", "MONTH_HOURS", "SCHEMA", "cost_breakdown", "group_split", "hourly", "monthly",
           "plan_document", "pricing"]

SCHEMA = "tierplan.plan/v1"


GROUPS: dict[str, str] = {"by_tier": "tier", "by_provider": "provider", "by_site": "site",
                          "by_team": "team", "by_workload": "workload"}
"""The cost groups of ``doc["cost"]`` and the placement field each groups by."""


def monthly(total_usd: float, horizon_hours: float) -> float:
    """A cost over the horizon as a monthly rate: ``total / horizon * 730``."""
    return total_usd / horizon_hours * MONTH_HOURS if horizon_hours else 0.0


def hourly(total_usd: float, horizon_hours: float) -> float:
    """A cost over the horizon as an hourly rate: ``total / horizon``."""
    return total_usd / horizon_hours if horizon_hours else 0.0


def pricing(placement: dict[str, Any]) -> str:
    """How a placement is priced: ``spot``, ``on-demand``, or ``amortised`` on-prem.

    An on-prem offering's ``usd_per_hour`` is its amortised rate (hardware, power and
    operations spread over its life), not a bill; reports label it so.
    """
    return "amortised" if placement["tier"] == "onprem" else str(placement["purchase"])


def _group_key(placement: dict[str, Any], group: str) -> str:
    """The name a placement counts under in ``doc["cost"][group]`` (as cost_breakdown)."""
    if group == "by_provider":
        return str(placement["provider"] or placement["tier"])
    if group == "by_team":
        return str(placement.get("team") or "(none)")
    return str(placement[GROUPS[group]])


def group_split(doc: dict[str, Any], group: str) -> dict[str, tuple[float, float]]:
    """``name -> (compute_usd, transfer_usd)`` over the horizon for one cost group.

    The pair adds up to the group's published figure in ``doc["cost"][group]`` (the
    placements' compute and transfer are rounded to cents one by one, so their plain sum
    can be a cent off the total that the tables show).
    """
    parts: dict[str, tuple[float, float]] = {}
    for p in doc["placements"]:
        name = _group_key(p, group)
        c, t = parts.get(name, (0.0, 0.0))
        parts[name] = (c + p["compute_usd"], t + p["transfer_usd"])
    out: dict[str, tuple[float, float]] = {}
    for name, total in doc["cost"][group].items():
        c, t = parts.get(name, (total, 0.0))
        share = c / (c + t) if c + t else 1.0
        out[name] = (total * share, total * (1.0 - share))
    return out


def _cents(value: float) -> float:
    return round(value + 0.0, 2)


def cost_breakdown(placements: tuple[Placement, ...]) -> dict[str, Any]:
    groups: dict[str, dict[str, float]] = {k: defaultdict(float) for k in
                                           ("by_tier", "by_provider", "by_site", "by_workload",
                                            "by_team")}
    for p in placements:
        groups["by_tier"][p.tier] += p.cost_usd
        groups["by_provider"][p.provider or p.tier] += p.cost_usd
        groups["by_site"][p.site] += p.cost_usd
        groups["by_workload"][p.workload] += p.cost_usd
        groups["by_team"][p.team or "(none)"] += p.cost_usd
    return {
        "compute_usd": _cents(sum(p.compute_usd for p in placements)),
        "transfer_usd": _cents(sum(p.transfer_usd for p in placements)),
        **{k: {name: _cents(v) for name, v in sorted(d.items())} for k, d in groups.items()},
    }


def _placement(p: Placement, horizon: float) -> dict[str, Any]:
    out: dict[str, Any] = {
        "workload": p.workload, "kind": p.kind, "site": p.site, "tier": p.tier,
        "provider": p.provider, "offering": p.offering, "accelerator": p.accelerator,
        "instances": p.instances, "purchase": p.purchase, "usd_per_hour": p.usd_per_hour,
        "cost_usd": _cents(p.cost_usd), "compute_usd": _cents(p.compute_usd),
        "transfer_usd": _cents(p.transfer_usd), "team": p.team,
    }
    if p.price_source is not None:
        out["source"], out["as_of"] = p.price_source, p.price_as_of
    if p.kind == "inference":
        out["traffic_rps"] = {c: round(v, 6) for c, v in p.traffic_rps.items()}
        out["hourly_usd"] = _cents(p.cost_usd / horizon)
    else:
        out["compute_hours"] = round(p.compute_hours or 0.0, 6)
        out["transfer_hours"] = round(p.transfer_hours or 0.0, 6)
    return out


def plan_document(plan: Plan, today: date | None = None) -> dict[str, Any]:
    """Plain dict in the ``tierplan.plan/v1`` schema; money rounded to cents.

    ``today`` dates the prices' age check (reports/provenance.py); None skips it.
    """
    total = plan.total_cost_usd
    placements = [_placement(p, plan.horizon_hours) for p in plan.placements]
    prices = price_summary(placements, today)
    return {
        "schema": SCHEMA,
        "scenario": plan.scenario,
        "status": plan.status,
        "objective": plan.objective,
        "horizon_hours": plan.horizon_hours,
        "total_cost_usd": _cents(total),
        "hourly_cost_usd": _cents(hourly(total, plan.horizon_hours)),
        "monthly_cost_usd": _cents(monthly(total, plan.horizon_hours)),
        "cost": cost_breakdown(plan.placements),
        "placements": placements,
        **({"prices": prices} if prices else {}),
        "latency": [
            {"workload": s.workload, "client": s.client, "mean_ms": round(s.mean_ms, 3),
             "max_ms": round(s.max_ms, 3), "slo_ms": s.slo_ms}
            for s in plan.latency
        ],
        "budgets": [
            {"name": b.name, "limit_usd": _cents(b.limit_usd), "used_usd": _cents(b.used_usd),
             "binding": b.binding, **({"workload": b.workload} if b.workload else {})}
            for b in plan.budgets
        ],
        "binding": [
            {"kind": b.kind, "name": b.name, "detail": b.detail,
             "shadow_price": None if b.shadow_price is None else round(b.shadow_price, 6),
             "unit": b.unit,
             "relax_saving": None if b.relax_saving is None else round(b.relax_saving, 2)}
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
