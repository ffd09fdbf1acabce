"""The tables the text formats (terminal table, Markdown) show, built once from a plan document.

Money: every cost over the horizon is shown as a monthly rate (``total / horizon * 730``)
and an hourly rate (``total / horizon``) side by side; when the horizon is not 730 h the
amount over the horizon gets its own column too. On-prem placements are priced
"amortised" (their rate spreads hardware, power and operations over their life).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rich.cells import cell_len

from .charts import money
from .document import MONTH_HOURS, hourly, monthly, pricing
from .safe import clean

__all__ = ["TableData", "binding_saving", "headline", "plain_table", "plan_tables", "traffic_detail"]

_GROUP_TITLES = (("by_tier", "Cost by tier", "tier"), ("by_provider", "Cost by provider", "provider"),
                 ("by_site", "Cost by site", "site"), ("by_team", "Cost by team", "team"),
                 ("by_workload", "Cost by workload", "workload"))


@dataclass(frozen=True, slots=True)
class TableData:
    """A titled table: header, rows of text cells, and which columns hold numbers."""

    title: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    numeric: frozenset[int]
    total: tuple[str, ...] | None = None  # a closing "total" row, when one adds up


def _over(doc: dict[str, Any]) -> bool:
    """Whether the horizon differs from a month, so amounts over it need their own column."""
    return float(doc["horizon_hours"]) != MONTH_HOURS


def _money_cells(doc: dict[str, Any], amount: float) -> list[str]:
    h = doc["horizon_hours"]
    cells = [money(monthly(amount, h)), money(hourly(amount, h))]
    return [*cells, money(amount)] if _over(doc) else cells


def _money_header(doc: dict[str, Any]) -> list[str]:
    cols = ["per month", "per hour"]
    return [*cols, f"over {doc['horizon_hours']:g} h"] if _over(doc) else cols


def traffic_detail(p: dict[str, Any]) -> str:
    if p["kind"] == "inference":
        return ", ".join(f"{c} {r:g} rps" for c, r in p.get("traffic_rps", {}).items())
    return f"{p.get('compute_hours', 0):.2f} h compute, {p.get('transfer_hours', 0):.2f} h transfer"


def binding_saving(doc: dict[str, Any], saving: float | None) -> str:
    """What relaxing a constraint by one unit saves, in the objective's terms."""
    if saving is None:
        return ""
    if doc["objective"] != "cost":
        return f"{saving:.4g} ms mean latency per unit"
    h = doc["horizon_hours"]
    return f"{money(monthly(saving, h))}/month ({money(hourly(saving, h))}/h) per unit"


def headline(doc: dict[str, Any], timing: bool = True) -> str:
    """One line: scenario, status, total per month and per hour (solver time optional)."""
    s = doc["solver"]
    solver = f"{s['name']} {s['seconds']:.2f} s" if timing else s["name"]
    if not doc["placements"]:
        return f"{doc['scenario']}: {doc['status']}, objective {doc['objective']}: no plan ({solver})"
    h = doc["horizon_hours"]
    total = doc["total_cost_usd"]
    over = f", {money(total)} over {h:g} h" if _over(doc) else ""
    return (f"{doc['scenario']}: {doc['status']}, objective {doc['objective']}, total "
            f"{money(monthly(total, h))}/month ({money(hourly(total, h))}/h{over}); "
            f"{solver}, gap {s['gap']:.2g}")


def plan_tables(doc: dict[str, Any]) -> list[TableData]:
    """Placements, the five cost groups, budgets, latency and binding constraints."""
    h = doc["horizon_hours"]
    money_header = _money_header(doc)
    n_money = len(money_header)
    tables: list[TableData] = []

    rows = [(p["workload"], p["kind"], p["site"], p["tier"], p["offering"], p["accelerator"] or "cpu",
             str(p["instances"]), pricing(p), *_money_cells(doc, p["cost_usd"]), traffic_detail(p))
            for p in doc["placements"]]
    header = ("workload", "kind", "site", "tier", "offering", "accelerator", "instances", "pricing",
              *money_header, "detail")
    total = ("total", "", "", "", "", "", "", "", *_money_cells(doc, doc["total_cost_usd"]), "")
    tables.append(TableData("Placements", header, tuple(rows), frozenset({6, *range(8, 8 + n_money)}),
                            total if rows else None))

    grand = doc["total_cost_usd"]
    for key, title, label in _GROUP_TITLES:
        group = doc["cost"][key]
        rows = [(name + (" (amortised)" if key == "by_tier" and name == "onprem" else ""),
                 *_money_cells(doc, v), f"{v / grand:.1%}" if grand else "-")
                for name, v in sorted(group.items(), key=lambda kv: (-kv[1], kv[0]))]
        tables.append(TableData(title, (label, *money_header, "share"), tuple(rows),
                                frozenset(range(1, 2 + n_money))))

    rows = []
    for b in doc["budgets"]:
        used, limit = b["used_usd"], b["limit_usd"]
        if b.get("per_period"):  # its limit and the fullest period's cost, as they are
            rows.append((f"{b['name']} (per period)", money(used), money(limit),
                         f"{used / limit:.0%}" if limit else "-", money(limit - used), "",
                         "yes" if b["binding"] else ""))
            continue
        rows.append((b["name"], money(monthly(used, h)), money(monthly(limit, h)),
                     f"{used / limit:.0%}" if limit else "-", money(monthly(limit - used, h)),
                     money(hourly(used, h)), "yes" if b["binding"] else ""))
    tables.append(TableData("Budgets", ("budget", "used per month", "limit per month", "share",
                                        "headroom per month", "used per hour", "binding"),
                            tuple(rows), frozenset({1, 2, 3, 4, 5})))

    rows = [(s["workload"], s["client"], f"{s['mean_ms']:.1f}", f"{s['max_ms']:.1f}", f"{s['slo_ms']:g}",
             "ok" if s["max_ms"] <= s["slo_ms"] + 1e-9 else "VIOLATED")
            for s in doc["latency"]]
    tables.append(TableData("Latency", ("workload", "client", "mean ms", "max ms", "SLO ms", "within SLO"),
                            tuple(rows), frozenset({2, 3, 4})))

    ordered = sorted(doc["binding"], key=lambda b: -(b["relax_saving"] or 0.0))
    rows = [(b["kind"], b["name"], b["detail"],
             "" if b["shadow_price"] is None else f"{b['shadow_price']:.4g} {b['unit']}",
             binding_saving(doc, b["relax_saving"])) for b in ordered]
    tables.append(TableData("Binding constraints", ("kind", "name", "detail", "shadow price",
                                                    "relaxing saves"), tuple(rows), frozenset({3, 4})))
    from .periods import period_tables  # it builds on TableData

    return tables + period_tables(doc)


def plain_table(t: TableData) -> list[str]:
    """The layout of Rich's SIMPLE_HEAD box, drawn directly: Rich measures every cell and
    takes seconds for a thousand placements, which a file or a pipe does not need."""
    cols = range(len(t.header))
    rows = [[clean(c) for c in r] for r in (t.header, *t.rows, *([t.total] if t.total else []))]
    widths = [max(cell_len(r[i]) for r in rows) for i in cols]

    def line(cells: Sequence[str]) -> str:
        out = []
        for i, c in enumerate(cells):
            pad = " " * (widths[i] - cell_len(c))
            out.append(f" {pad}{c} " if i in t.numeric else f" {c}{pad} ")
        return (" " + " ".join(out)).rstrip()

    lines = [t.title, "", line(rows[0]), " " + "─" * (sum(widths) + 3 * len(widths) - 1)]
    lines += [line(r) for r in rows[1:1 + len(t.rows)]]
    if t.total is not None:
        lines += ["", line(rows[-1])]
    return [*lines, ""]
