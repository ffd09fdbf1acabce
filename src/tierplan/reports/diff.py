"""What changed between two plans: moved workloads, added or removed instances, cost deltas.

Comparison rules (``tierplan diff``; Infracost's diff is the model):

- Money is compared as a monthly rate, ``total / horizon * 730``, with the hourly rate
  ``total / horizon`` beside it, so plans over different horizons compare fairly; for
  the default 730 h horizon the monthly rate is the plan's total.
- A placement is identified by (workload, site, offering, purchase). Present only in the
  new plan: ``added``; only in the old: ``removed``; in both with another instance count:
  ``resized``; same count but another cost: ``cost_changed`` (another price, or more
  traffic and so more egress). Unchanged ones are counted. When both plans have the
  same periods, an inference placement whose instances changed in some period is
  ``resized`` too (its maximum may stay), and a training job whose instance-hours moved
  between periods at the same cost is ``rescheduled``; the row then lists the periods
  that changed (``period_changes``).
- A workload *moved* when it left a site/offering and took up another one.
- Groups (tier, provider, site, team, workload) and budgets list the names whose
  monthly figure changed by at least half a cent, largest change first.
- ``delta_percent`` is the change relative to the old monthly total (None when the old
  total is 0: any rise from nothing counts as above every percentage threshold).

The diff document (``--format json``, schema ``tierplan.diff/v1``)::

    {"schema", "old": {file, scenario, status, horizon_hours, total_cost_usd},
     "new": {...}, "total": {old_monthly_usd, new_monthly_usd, delta_monthly_usd,
     old_hourly_usd, new_hourly_usd, delta_hourly_usd, delta_percent},
     "moves": [{workload, from: [site/offering], to: [...]}],
     "placements": [{change, workload, site, offering, purchase, tier, pricing, old_instances,
                     new_instances, old_monthly_usd, new_monthly_usd, delta_monthly_usd,
                     period_changes: [{period, old, new, unit}]}],   # unit: instances|instance-hours
     "unchanged_placements": n,
     "groups": {"by_tier": [{name, label, old_monthly_usd, new_monthly_usd, delta_monthly_usd,
                             delta_hourly_usd, delta_percent}], ...},
     "budgets": [{name, old_used_monthly_usd, new_used_monthly_usd, delta_monthly_usd,
                  old_limit_monthly_usd, new_limit_monthly_usd, old_binding, new_binding,
                  per_period}],      # per_period: true -> per-period amounts, see below
     "committed": {old_committed_monthly_usd, new_committed_monthly_usd, delta_..., and the
                   same for idle_},
     "periods": [{period, start, old_usd, new_usd, delta_usd}],   # periods that changed
     "periods_note": null or why periods are not compared (the plans' periods differ),
     "owned": [{site, offering, old_available, new_available, old_bought, new_bought,
                old_utilisation, new_utilisation, old_committed_monthly_usd,
                new_committed_monthly_usd, old_idle_monthly_usd, new_idle_monthly_usd}]}

A budget with ``per_period: true`` caps each period: its row carries ``"per_period":
true`` and its ``*_monthly_usd`` figures are then amounts per period (the fullest
period's use, the limit per period), not monthly rates. A placement row's ``pricing``
and a tier row's ``label`` are the plan reports' words (``owned``, ``onprem (committed +
power)``, ``onprem (amortised)``).

Periods (plan v2) are compared by position when both plans have the same periods (the
same start hours and lengths), as amounts in the period, not monthly rates; otherwise
the list is empty. A version 1 plan reads as one period with nothing committed. A
plan's period costs are cents apportioned to add up to its total, which can move a cent
or two between periods whose cost did not change; so a period, or a per-period budget,
counts as changed from 5 cents on (``_PERIOD_NOISE``).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from .document import GROUPS, MONTH_HOURS, hourly, monthly, pricing, tier_label

__all__ = ["DIFF_SCHEMA", "diff_plans", "exceeds"]

DIFF_SCHEMA = "tierplan.diff/v1"
_CENT = 0.005
_PERIOD_NOISE = 0.05  # below this a period's change may be the apportioned cents alone

Key = tuple[str, str, str, str]


def _r(v: float) -> float:
    return round(v + 0.0, 2)


def _pct(old: float, new: float) -> float | None:
    return None if abs(old) < _CENT else round((new - old) / old * 100, 2)


def _placements(doc: dict[str, Any]) -> dict[Key, dict[str, Any]]:
    """Placements by (workload, site, offering, purchase); duplicates are summed."""
    out: dict[Key, dict[str, Any]] = {}
    for p in doc["placements"]:
        key = (p["workload"], p["site"], p["offering"], p.get("purchase") or "on-demand")
        if key in out:
            out[key] = {**out[key], "instances": out[key]["instances"] + p["instances"],
                        "cost_usd": out[key]["cost_usd"] + p["cost_usd"]}
        else:
            out[key] = p
    return out


def _side(doc: dict[str, Any], file: str) -> dict[str, Any]:
    return {"file": file, "scenario": doc["scenario"], "status": doc["status"],
            "horizon_hours": doc["horizon_hours"], "total_cost_usd": doc["total_cost_usd"]}


def _moves(old: dict[Key, Any], new: dict[Key, Any]) -> list[dict[str, Any]]:
    gone: dict[str, list[str]] = defaultdict(list)
    came: dict[str, list[str]] = defaultdict(list)
    for k in old.keys() - new.keys():
        gone[k[0]].append(f"{k[1]}/{k[2]}")
    for k in new.keys() - old.keys():
        came[k[0]].append(f"{k[1]}/{k[2]}")
    out = []
    for workload in sorted(gone.keys() & came.keys()):
        before, after = sorted(set(gone[workload])), sorted(set(came[workload]))
        if before != after:  # only the purchase changed (spot <-> on-demand): not a move
            out.append({"workload": workload, "from": before, "to": after})
    return out


def _same_periods(old: dict[str, Any], new: dict[str, Any]) -> bool:
    """Both plans have the same several periods (start hours and lengths)."""
    a, b = old.get("periods") or [], new.get("periods") or []
    return len(a) == len(b) > 1 and all(
        abs(p["start_hour"] - q["start_hour"]) < 1e-6 and abs(p["hours"] - q["hours"]) < 1e-6
        for p, q in zip(a, b, strict=True))


def _period_changes(o: dict[str, Any] | None, n: dict[str, Any] | None,
                    count: int) -> list[dict[str, Any]]:
    """The periods where a placement's instances (inference) or instance-hours
    (training) differ; a placement only in one plan counts as 0 in the other."""
    some = n or o or {}
    training = some.get("kind") == "training"
    key, unit = ("hours_by_period", "instance-hours") if training else ("instances_by_period",
                                                                          "instances")

    def by_period(p: dict[str, Any] | None) -> list[float]:
        values = list((p or {}).get(key) or [])
        return values if len(values) == count else [0.0] * count

    out = []
    for i, (a, b) in enumerate(zip(by_period(o), by_period(n), strict=True)):
        if abs(a - b) > (0.05 if training else 0.0):
            out.append({"period": i + 1, "old": a, "new": b, "unit": unit})
    return out


def _changes(old_doc: dict[str, Any], new_doc: dict[str, Any]) -> tuple[list[dict[str, Any]], int]:
    old, new = _placements(old_doc), _placements(new_doc)
    ho, hn = old_doc["horizon_hours"], new_doc["horizon_hours"]
    count = len(new_doc["periods"]) if _same_periods(old_doc, new_doc) else 0
    rows, same = [], 0
    for key in sorted(old.keys() | new.keys()):
        o, n = old.get(key), new.get(key)
        o_cost = monthly(o["cost_usd"], ho) if o else 0.0
        n_cost = monthly(n["cost_usd"], hn) if n else 0.0
        o_inst = int(o["instances"]) if o else 0
        n_inst = int(n["instances"]) if n else 0
        periods = _period_changes(o, n, count) if count else []
        training = (n or o or {}).get("kind") == "training"
        if o is None:
            change = "added"
        elif n is None:
            change = "removed"
        elif o_inst != n_inst or (periods and not training):
            change = "resized"
        elif abs(n_cost - o_cost) >= _CENT:
            change = "cost_changed"
        elif periods:
            change = "rescheduled"
        else:
            same += 1
            continue
        tier = (n or o or {}).get("tier", "")
        how = pricing(n, new_doc) if n else pricing(o, old_doc) if o else ""
        rows.append({"change": change, "workload": key[0], "site": key[1], "offering": key[2],
                     "purchase": key[3], "tier": tier, "pricing": how,
                     "old_instances": o_inst, "new_instances": n_inst,
                     "old_monthly_usd": _r(o_cost), "new_monthly_usd": _r(n_cost),
                     "delta_monthly_usd": _r(n_cost - o_cost),
                     **({"period_changes": periods} if periods else {})})
    rows.sort(key=lambda r: (-abs(r["delta_monthly_usd"]), r["workload"], r["site"], r["offering"]))
    return rows, same


def _groups(old_doc: dict[str, Any], new_doc: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    ho, hn = old_doc["horizon_hours"], new_doc["horizon_hours"]
    out: dict[str, list[dict[str, Any]]] = {}
    for group in GROUPS:
        a, b = old_doc["cost"][group], new_doc["cost"][group]
        rows = []
        for name in sorted(a.keys() | b.keys()):
            o, n = monthly(a.get(name, 0.0), ho), monthly(b.get(name, 0.0), hn)
            if abs(n - o) < _CENT:
                continue
            row = {"name": name, "old_monthly_usd": _r(o), "new_monthly_usd": _r(n),
                   "delta_monthly_usd": _r(n - o), "delta_hourly_usd": round((n - o) / MONTH_HOURS, 4),
                   "delta_percent": _pct(o, n)}
            if group == "by_tier":  # what the tier's money is: amortised, or committed + power
                row["label"] = tier_label(new_doc if name in b else old_doc, name)
            rows.append(row)
        rows.sort(key=lambda r: (-abs(r["delta_monthly_usd"]), r["name"]))
        out[group] = rows
    return out


def _amount(b: dict[str, Any] | None, key: str, horizon: float, per_period: bool) -> float | None:
    """A budget's figure: as it is for a per-period budget, else a monthly rate."""
    if b is None:
        return None
    return float(b[key]) if per_period else monthly(b[key], horizon)


def _budgets(old_doc: dict[str, Any], new_doc: dict[str, Any]) -> list[dict[str, Any]]:
    ho, hn = old_doc["horizon_hours"], new_doc["horizon_hours"]
    a = {b["name"]: b for b in old_doc.get("budgets", [])}
    b = {x["name"]: x for x in new_doc.get("budgets", [])}
    rows = []
    for name in sorted(a.keys() | b.keys()):
        o, n = a.get(name), b.get(name)
        # A per-period budget caps each period: its fullest period's use and its limit per
        # period are compared as they are, never as monthly rates ("per_period": true).
        per_period = bool((o or {}).get("per_period")) or bool((n or {}).get("per_period"))
        ou, nu = _amount(o, "used_usd", ho, per_period), _amount(n, "used_usd", hn, per_period)
        ol, nl = _amount(o, "limit_usd", ho, per_period), _amount(n, "limit_usd", hn, per_period)
        ob = bool(o.get("binding")) if o else None
        nb = bool(n.get("binding")) if n else None
        changed = (ou is None or nu is None or ol is None or nl is None
                   or abs(_r(nu - ou)) >= (_PERIOD_NOISE if per_period else _CENT)
                   or abs(nl - ol) >= _CENT or ob != nb)
        if not changed:
            continue
        rows.append({"name": name,
                     "old_used_monthly_usd": None if ou is None else _r(ou),
                     "new_used_monthly_usd": None if nu is None else _r(nu),
                     "delta_monthly_usd": _r((nu or 0.0) - (ou or 0.0)),
                     "old_limit_monthly_usd": None if ol is None else _r(ol),
                     "new_limit_monthly_usd": None if nl is None else _r(nl),
                     "old_binding": ob, "new_binding": nb,
                     **({"per_period": True} if per_period else {})})
    return rows


def diff_plans(old: dict[str, Any], new: dict[str, Any], old_file: str = "old",
               new_file: str = "new") -> dict[str, Any]:
    """The diff document of two validated plan documents (see the module docstring)."""
    ho, hn = old["horizon_hours"], new["horizon_hours"]
    om, nm = monthly(old["total_cost_usd"], ho), monthly(new["total_cost_usd"], hn)
    oh, nh = hourly(old["total_cost_usd"], ho), hourly(new["total_cost_usd"], hn)
    rows, same = _changes(old, new)
    return {
        "schema": DIFF_SCHEMA,
        "old": _side(old, old_file),
        "new": _side(new, new_file),
        "total": {"old_monthly_usd": _r(om), "new_monthly_usd": _r(nm), "delta_monthly_usd": _r(nm - om),
                  "old_hourly_usd": round(oh, 4), "new_hourly_usd": round(nh, 4),
                  "delta_hourly_usd": round(nh - oh, 4), "delta_percent": _pct(om, nm)},
        "moves": _moves(_placements(old), _placements(new)),
        "placements": rows,
        "unchanged_placements": same,
        "groups": _groups(old, new),
        "budgets": _budgets(old, new),
        "committed": _committed(old, new),
        "periods": _periods(old, new),
        "periods_note": _periods_note(old, new),
        "owned": _owned(old, new),
    }


def _committed(old: dict[str, Any], new: dict[str, Any]) -> dict[str, float]:
    ho, hn = old["horizon_hours"], new["horizon_hours"]
    out: dict[str, float] = {}
    for key in ("committed", "idle"):
        o = monthly(old["cost"].get(f"{key}_usd", 0.0), ho)
        n = monthly(new["cost"].get(f"{key}_usd", 0.0), hn)
        out.update({f"old_{key}_monthly_usd": _r(o), f"new_{key}_monthly_usd": _r(n),
                    f"delta_{key}_monthly_usd": _r(n - o)})
    return out


def _periods(old: dict[str, Any], new: dict[str, Any]) -> list[dict[str, Any]]:
    if not _same_periods(old, new):
        return []
    a, b = old["periods"], new["periods"]
    return [{"period": i + 1, "start": q.get("start") or q["start_hour"], "old_usd": _r(p["cost_usd"]),
             "new_usd": _r(q["cost_usd"]), "delta_usd": _r(q["cost_usd"] - p["cost_usd"])}
            for i, (p, q) in enumerate(zip(a, b, strict=True))
            if abs(_r(q["cost_usd"] - p["cost_usd"])) >= _PERIOD_NOISE]


def _periods_note(old: dict[str, Any], new: dict[str, Any]) -> str | None:
    """Why periods are not compared, when either plan has several and they differ."""
    a, b = len(old.get("periods") or []), len(new.get("periods") or [])
    if max(a, b) <= 1 or _same_periods(old, new):
        return None
    counts = f"{a} and {b} periods" if a != b else f"{a} periods of other dates or lengths"
    return (f"The plans' periods differ ({counts}): periods and changes within them are not "
            "compared, only the plans as a whole.")


def _owned(old: dict[str, Any], new: dict[str, Any]) -> list[dict[str, Any]]:
    ho, hn = old["horizon_hours"], new["horizon_hours"]
    a = {(u["site"], u["offering"]): u for u in old.get("owned") or []}
    b = {(u["site"], u["offering"]): u for u in new.get("owned") or []}
    rows = []
    for key in sorted(a.keys() | b.keys()):
        o, n = a.get(key, {}), b.get(key, {})
        row = {"site": key[0], "offering": key[1], "old_available": o.get("available"),
               "new_available": n.get("available"), "old_bought": o.get("bought"),
               "new_bought": n.get("bought"), "old_utilisation": o.get("utilisation"),
               "new_utilisation": n.get("utilisation"),
               "old_committed_monthly_usd": _r(monthly(o.get("committed_usd", 0.0), ho)),
               "new_committed_monthly_usd": _r(monthly(n.get("committed_usd", 0.0), hn)),
               "old_idle_monthly_usd": _r(monthly(o.get("idle_usd", 0.0), ho)),
               "new_idle_monthly_usd": _r(monthly(n.get("idle_usd", 0.0), hn))}
        if (row["old_bought"] != row["new_bought"] or row["old_utilisation"] != row["new_utilisation"]
                or row["old_available"] != row["new_available"]
                or any(abs(row[f"new_{k}_monthly_usd"] - row[f"old_{k}_monthly_usd"]) >= _CENT
                       for k in ("committed", "idle"))):
            rows.append(row)
    return rows


def exceeds(diff: dict[str, Any], above_usd: float | None, above_percent: float | None) -> list[str]:
    """Which thresholds the monthly cost rise passes (strictly more than), as sentences."""
    t = diff["total"]
    delta = t["delta_monthly_usd"]
    out = []
    if above_usd is not None and delta > above_usd:
        out.append(f"monthly cost rose by ${delta:,.2f}, more than --fail-above-usd {above_usd:g}")
    if above_percent is not None and delta > 0:
        pct = t["delta_percent"]
        if pct is None or pct > above_percent:
            shown = "from $0" if pct is None else f"by {pct:+.2f}%"
            out.append(f"monthly cost rose {shown}, more than --fail-above-percent {above_percent:g}")
    return out
