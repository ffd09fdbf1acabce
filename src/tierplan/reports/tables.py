"""The tables the text formats (terminal table, Markdown) show, built once from a plan document.

Money: every cost over the horizon is shown as a monthly rate (``total / horizon * 730``)
and an hourly rate (``total / horizon``) side by side; when the horizon is not 730 h the
amount over the horizon gets its own column too. On-prem placements are priced
"amortised" (their rate spreads hardware, power and operations over their life), and
placements on owned hardware under ``owned_cost: sunk`` "owned" (power only).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rich.cells import cell_len

from .charts import money
from .document import MONTH_HOURS, hourly, monthly, pricing, tier_label, tier_parts
from .safe import clean

__all__ = ["WIDE", "TableData", "binding_rows", "binding_saving", "budget_cells", "budget_name",
           "headline", "plain_table", "plan_tables",
           "total_note", "traffic_detail"]

_GROUP_TITLES = (("by_tier", "Cost by tier", "tier"), ("by_provider", "Cost by provider", "provider"),
                 ("by_site", "Cost by site", "site"), ("by_team", "Cost by team", "team"),
                 ("by_workload", "Cost by workload", "workload"))


WIDE = 9
"""The level of a column a terminal shows only with ``--wide`` (files and pipes always)."""


@dataclass(frozen=True, slots=True)
class TableData:
    """A titled table: header, rows of text cells, and which columns hold numbers.

    ``levels`` rank the columns for a narrow terminal (reports.fit): 0 always shows,
    higher levels give way first, ``WIDE`` only with ``--wide``; empty means all 0.
    """

    title: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    numeric: frozenset[int]
    total: tuple[str, ...] | None = None  # a closing "total" row, when one adds up
    levels: tuple[int, ...] = ()


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
    hours = p.get("compute_hours", 0)
    # the money columns spread a job over the horizon; "at" is what it burns while it runs
    rate = f" at {money(p['compute_usd'] / hours)}/h" if hours else ""
    return f"{hours:.2f} h compute{rate}, {p.get('transfer_hours', 0):.2f} h transfer"


def budget_name(b: dict[str, Any]) -> str:
    return f"{b['name']} (per period)" if b.get("per_period") else str(b["name"])


def budget_cells(doc: dict[str, Any], b: dict[str, Any]) -> tuple[str, ...]:
    """A budget's used, limit, (limit over the horizon,) share, headroom and used per
    hour, for the table and the HTML. A horizon budget reads per month like every
    amount; a per-period one caps each period, so its cells are its limit per period
    and the fullest period's cost as they are, and its limit over the horizon is the
    limit times the number of periods."""
    h = doc["horizon_hours"]
    used, limit = b["used_usd"], b["limit_usd"]
    share = f"{used / limit:.0%}" if limit else "-"
    if b.get("per_period"):
        count = max(len(doc.get("periods") or ()), 1)
        return (f"{money(used)} (fullest period)", f"{money(limit)} per period",
                *([money(limit * count)] if _over(doc) else []), share,
                f"{money(limit - used)} (fullest period)", "")
    return (money(monthly(used, h)), money(monthly(limit, h)), *([money(limit)] if _over(doc) else []),
            share, money(monthly(limit - used, h)), money(hourly(used, h)))


def binding_saving(doc: dict[str, Any], binding: dict[str, Any]) -> str:
    """What relaxing a constraint saves, in the objective's terms: one more instance of a
    capacity, or a budget lifted altogether; ``nothing`` when the re-solve found no saving."""
    saving = binding["relax_saving"]
    if saving is None:
        return ""
    how = "per instance" if binding["kind"] == "capacity" else "if lifted"
    if doc["objective"] != "cost":
        return f"{saving:.4g} ms mean latency {how}"
    if saving < 0.005:
        return f"nothing ($0.00) {how}"
    period = binding.get("period")
    if period is not None:  # a row of one period: an amount over the horizon, not a rate
        return f"{money(saving)} {how} in period {period + 1}"
    h = doc["horizon_hours"]
    return f"{money(monthly(saving, h))}/month ({money(hourly(saving, h))}/h) {how}"


def binding_rows(doc: dict[str, Any]) -> list[tuple[str, str, str, str, str]]:
    """kind, name, detail, shadow price, what relaxing saves: largest saving first."""
    ordered = sorted(doc["binding"], key=lambda b: -(b["relax_saving"] or 0.0))
    return [(b["kind"], b["name"], b["detail"],
             "" if not b["shadow_price"] else f"{b['shadow_price']:.4g} {b['unit']}",
             binding_saving(doc, b)) for b in ordered]


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


def total_note(total_usd: float, horizon_hours: float) -> str:
    """The total in the report's words, for one line: ``$5,863.43/month, $8.03/h`` (and
    ``, $X over H h`` when the horizon is not a month)."""
    h = horizon_hours
    total_usd = round(total_usd + 0.0, 2)  # the plan document's total, so the same cents
    over = f", {money(total_usd)} over {h:g} h" if h != MONTH_HOURS else ""
    return f"{money(monthly(total_usd, h))}/month, {money(hourly(total_usd, h))}/h{over}"


def plan_tables(doc: dict[str, Any]) -> list[TableData]:
    """Placements, the five cost groups, budgets, latency and binding constraints."""
    h = doc["horizon_hours"]
    money_header = _money_header(doc)
    n_money = len(money_header)
    tables: list[TableData] = []

    rows = [(p["workload"], p["kind"], p["site"], p["tier"], p["offering"], p["accelerator"] or "cpu",
             str(p["instances"]), pricing(p, doc), *_money_cells(doc, p["cost_usd"]), traffic_detail(p))
            for p in doc["placements"]]
    header = ("workload", "kind", "site", "tier", "offering", "accelerator", "instances", "pricing",
              *money_header, "detail")
    total = ("total", "", "", "", "", "", "", "", *_money_cells(doc, doc["total_cost_usd"]), "")
    # A terminal keeps workload, site, offering, instances and the monthly cost; the kind
    # and tier are in the site's name, the rest gives way as the width runs out.
    levels = (0, WIDE, 0, WIDE, 0, 2, 0, 1, 0, 4, *([3] if n_money == 3 else []), 5)
    tables.append(TableData("Placements", header, tuple(rows), frozenset({6, *range(8, 8 + n_money)}),
                            total if rows else None, levels))

    grand = doc["total_cost_usd"]
    for key, title, label in _GROUP_TITLES:
        group = doc["cost"][key]
        rows = []
        for name, v in sorted(group.items(), key=lambda kv: (-kv[1], kv[0])):
            if key != "by_tier":
                rows.append((name, *_money_cells(doc, v), f"{v / grand:.1%}" if grand else "-"))
                continue
            rows.append((tier_label(doc, name), *_money_cells(doc, v),
                         f"{v / grand:.1%}" if grand else "-"))
            rows += [(f"  · {part}", *_money_cells(doc, usd), f"{usd / grand:.1%}" if grand else "-")
                     for part, usd in tier_parts(doc, name)]
        levels = (0, 0, 2, *([1] * (n_money - 2)), 1)
        tables.append(TableData(title, (label, *money_header, "share"), tuple(rows),
                                frozenset(range(1, 2 + n_money)), levels=levels))

    # Limits are written over the horizon; shown as monthly rates like every amount, with
    # the limit as written beside them when the horizon is not a month.
    over = _over(doc)
    rows = [(budget_name(b), *budget_cells(doc, b), "yes" if b["binding"] else "")
            for b in doc["budgets"]]
    extra = (f"limit over {h:g} h",) if over else ()
    tables.append(TableData("Budgets", ("budget", "used per month", "limit per month", *extra, "share",
                                        "headroom per month", "used per hour", "binding"),
                            tuple(rows), frozenset(range(1, 6 + len(extra))),
                            levels=(0, 0, 0, *([2] * len(extra)), 1, 2, 3, 0)))

    rows = [(s["workload"], s["client"], f"{s['mean_ms']:.1f}", f"{s['max_ms']:.1f}", f"{s['slo_ms']:g}",
             "ok" if s["max_ms"] <= s["slo_ms"] + 1e-9 else "VIOLATED")
            for s in doc["latency"]]
    tables.append(TableData("Latency", ("workload", "client", "mean ms", "max ms", "SLO ms", "within SLO"),
                            tuple(rows), frozenset({2, 3, 4})))

    header = ("kind", "name", "detail", "shadow price", "relaxing saves")
    tables.append(TableData("Binding constraints", header, tuple(binding_rows(doc)), frozenset({3, 4}),
                            # the detail is what a buy row says, so it wraps, never hides
                            levels=(1, 0, 0, 3, 0)))
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
