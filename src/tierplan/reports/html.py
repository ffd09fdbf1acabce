"""The plan as one self-contained HTML page for people who read costs in a browser.

Everything is inline (CSS in a ``<style>``, charts as ``<svg>``): the file opens offline,
is safe to mail or attach to a ticket, and loads nothing. Every user-provided name goes
through :func:`html.escape`.

Sections: headline cards (monthly and hourly total, compute vs transfer, amortised
on-prem, budgets, placements), the diagnosis when no plan exists, cost by tier /
provider / site / team / workload (stacked compute + transfer bars, tables folded
below), budgets used against their limit, latency per client against the SLO, binding
constraints with what relaxing them saves, and the placements. Money is a monthly rate
(``total / horizon * 730``) next to an hourly one (``total / horizon``).
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

from .charts import bar_chart, html_page, money, stacked_bar_chart
from .document import (
    GROUPS,
    MONTH_HOURS,
    group_split,
    hourly,
    monthly,
    pricing,
    tier_label,
    tier_parts,
)
from .periods import html_periods
from .provenance import price_lines
from .tables import binding_rows, budget_cells, budget_name, traffic_detail

__all__ = ["to_html"]

CHART_ROWS = 12
"""Bars per chart; the rest are summed into one "N others" bar (the tables list them all)."""

_GROUP_TITLES = {"by_tier": "By tier", "by_provider": "By provider", "by_site": "By site",
                 "by_team": "By team", "by_workload": "By workload"}


def _rate(monthly_usd: float) -> str:
    """Chart label for a monthly amount: ``$1,234.00/mo · $1.69/h``."""
    return f"{money(monthly_usd)}/mo · {money(monthly_usd / MONTH_HOURS)}/h"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], numeric: set[int],
           total: Sequence[str] | None = None, raw: set[int] | None = None,
           wrap: set[int] | None = None) -> str:
    """An HTML table; cells are escaped unless their column is in ``raw`` (pre-built markup).

    Cells stay on one line (names read whole) except in ``wrap`` columns (long details).
    """
    raw = raw or set()
    wrap = wrap or set()

    def cell(tag: str, i: int, v: str) -> str:
        cls = ' class="n"' if i in numeric else ' class="wrap"' if i in wrap else ""
        return f"<{tag}{cls}>{v if i in raw else escape(v)}</{tag}>"

    out = ['<div class="scroll"><table><thead><tr>', *(cell("th", i, h) for i, h in enumerate(header)),
           "</tr></thead><tbody>"]
    for row in rows:
        out += ["<tr>", *(cell("td", i, v) for i, v in enumerate(row)), "</tr>"]
    if total is not None:
        out += ['<tr class="total">', *(cell("td", i, v) for i, v in enumerate(total)), "</tr>"]
    out.append("</tbody></table></div>")
    return "".join(out)


def _card(key: str, value: str, sub: str = "") -> str:
    return (f'<div class="card"><div class="k">{escape(key)}</div><div class="v">{escape(value)}</div>'
            f'<div class="s">{escape(sub)}</div></div>')


def _tag(tier: str) -> str:
    return f'<span class="tag {escape(tier)}">{escape(tier)}</span>'


def _header(doc: dict[str, Any]) -> str:
    s = doc["solver"]
    status = str(doc["status"])
    sub = (f'<span class="status {escape(status)}">{escape(status.replace("_", " "))}</span> '
           f"· objective {escape(str(doc['objective']))} · horizon {doc['horizon_hours']:g} h "
           f"· {escape(str(s['name']))} {s['seconds']:.2f} s, gap {s['gap']:.2g}")
    return f"<h1>Cost plan: {escape(str(doc['scenario']))}</h1><p class=\"sub\">{sub}</p>"


def _cards(doc: dict[str, Any]) -> str:
    h = doc["horizon_hours"]
    total = doc["total_cost_usd"]
    if not doc["placements"]:
        return f'<div class="cards">{_card("Total per month", "no plan", str(doc["status"]))}</div>'
    over = f" · {money(total)} over {h:g} h" if h != MONTH_HOURS else ""
    cards = [_card("Total per month", money(monthly(total, h)), f"{money(hourly(total, h))} per hour{over}")]
    compute, transfer = doc["cost"]["compute_usd"], doc["cost"]["transfer_usd"]
    cards.append(_card("Compute per month", money(monthly(compute, h)),
                       f"{money(hourly(compute, h))} per hour; + {money(monthly(transfer, h))}/month "
                       "data transfer"))
    onprem = doc["cost"]["by_tier"].get("onprem")
    committed = doc["cost"].get("committed_usd", 0.0)
    if committed:  # owned hardware paid for whatever runs; its idle share apart
        idle = doc["cost"].get("idle_usd", 0.0)
        cards.append(_card("Owned hardware per month", money(monthly(committed, h)),
                           f"committed; {money(monthly(idle, h))}/month of it idle "
                           f"({idle / committed:.0%}); power per hour used is in the placements"))
    elif onprem:
        cards.append(_card("On-prem (amortised)", money(monthly(onprem, h)),
                           f"{money(hourly(onprem, h))} per hour; included in the total"))
    if doc["budgets"]:
        tight = max(doc["budgets"], key=lambda b: b["used_usd"] / b["limit_usd"] if b["limit_usd"] else 0)
        share = tight["used_usd"] / tight["limit_usd"] if tight["limit_usd"] else 0.0
        n_bind = sum(1 for b in doc["budgets"] if b["binding"])
        cards.append(_card("Tightest budget", f"{share:.0%} used",
                           f"{tight['name']}: {_budget_use(tight, h)}"
                           f" · {n_bind} of {len(doc['budgets'])} budgets binding"))
    sites = {p["site"] for p in doc["placements"]}
    workloads = {p["workload"] for p in doc["placements"]}
    cards.append(_card("Placements", str(len(doc["placements"])),
                       f"{len(workloads)} workloads on {len(sites)} sites"))
    return f'<div class="cards">{"".join(cards)}</div>'


def _budget_use(b: dict[str, Any], h: float) -> str:
    """Use against limit in words: per month, or per period for a per-period budget."""
    if b.get("per_period"):
        return f"{money(b['used_usd'])} of {money(b['limit_usd'])} per period (the fullest)"
    return f"{money(monthly(b['used_usd'], h))} of {money(monthly(b['limit_usd'], h))} per month"


def _diagnosis(doc: dict[str, Any]) -> str:
    if not doc["diagnosis"]:
        return ""
    items = "".join(f"<li>{escape(str(r))}</li>" for r in doc["diagnosis"])
    return (f'<section class="diag" id="diagnosis"><h2>Why no plan exists</h2><ul>{items}</ul>'
            "<p class=\"note\">Each line names what blocks a plan; change the scenario there "
            "(a limit, an SLO, a filter) and plan again.</p></section>")




def _label(doc: dict[str, Any], group: str, name: str) -> str:
    return tier_label(doc, name) if group == "by_tier" else name


def _costs(doc: dict[str, Any]) -> str:
    h = doc["horizon_hours"]
    grand = doc["total_cost_usd"]
    charts, tables = [], []
    committed = bool(doc["cost"].get("committed_usd"))
    for group in GROUPS:
        split = group_split(doc, group)
        names = sorted(split, key=lambda n: (-sum(split[n]), n))
        if not names:
            continue
        shown, rest = names[:CHART_ROWS], names[CHART_ROWS:]
        if len(rest) == 1:
            shown, rest = names, []
        labels = [_label(doc, group, n) for n in shown]
        parts = [split[n] for n in shown]
        if rest:
            labels.append(f"{len(rest)} others")
            parts.append((sum(split[n][0] for n in rest), sum(split[n][1] for n in rest),
                          sum(split[n][2] for n in rest)))
        series = {name: [monthly(x[i], h) for x in parts] for i, name in
                  enumerate(("committed (owned)", "compute", "data transfer"))}
        # a legend entry only for money there is (compute stays when nothing else does)
        series = {k: v for k, v in series.items()
                  if any(v) or (k == "compute" and not any(map(any, series.values())))}
        charts.append(stacked_bar_chart(labels, series, title=_GROUP_TITLES[group], value_format=_rate,
                                        width=540))
        # the committed column only when owned hardware is committed cost (sunk)
        cols = (0, 1, 2) if committed else (1, 2)
        rows = []
        for n in names:
            rows.append((_label(doc, group, n), money(monthly(sum(split[n]), h)),
                         money(hourly(sum(split[n]), h)),
                         *(money(monthly(split[n][i], h)) for i in cols),
                         f"{sum(split[n]) / grand:.1%}" if grand else "-"))
            if group == "by_tier":  # what owned hardware's money is (see tier_parts)
                rows += [(f"· {part}", money(monthly(usd, h)), money(hourly(usd, h)),
                          *("" for _ in cols), f"{usd / grand:.1%}" if grand else "-")
                         for part, usd in tier_parts(doc, n)]
        head = ((("committed / month",) if committed else ()) + ("compute / month", "transfer / month"))
        tables.append(f"<h3>{escape(_GROUP_TITLES[group])}</h3>" + _table(
            (GROUPS[group], "per month", "per hour", *head, "share"), rows,
            set(range(1, len(head) + 4))))
    if not charts:
        return ""
    split_words = ("the committed cost of owned hardware (paid whether used or not), compute "
                   "and data transfer" if committed else "compute and data transfer")
    return ('<section id="costs"><h2>Where the money goes</h2>'
            f'<p class="note">Monthly rate (730 h) and hourly rate; bars split into {split_words} '
            "(dataset moves and response egress).</p>"
            f'<div class="grid2">{"".join(charts)}</div>'
            f'<details><summary>Cost tables</summary>{"".join(tables)}</details></section>')


def _budgets(doc: dict[str, Any]) -> str:
    if not doc["budgets"]:
        return ""
    h = doc["horizon_hours"]
    # Each budget as its share of its own limit: a $200 edge budget and a $60,000 total one
    # read equally well, which one common dollar scale would not allow.
    def share(b: dict[str, Any]) -> float:
        return float(b["used_usd"] / b["limit_usd"] * 100) if b["limit_usd"] else 0.0

    budgets = doc["budgets"]
    note = ""
    if len(budgets) > 2 * CHART_ROWS:  # many workload budgets: chart the fullest ones
        budgets = sorted(budgets, key=lambda b: -share(b))[:2 * CHART_ROWS]
        note = (f'<p class="note">Chart: the {len(budgets)} fullest of {len(doc["budgets"])} budgets; '
                "the table lists all.</p>")
    items = [(str(b["name"]), share(b)) for b in budgets]
    limits = {str(b["name"]): 100.0 for b in budgets}
    notes = {str(b["name"]): f"{share(b):.0f}% · {_budget_use(b, h)}" for b in budgets}
    chart = note + bar_chart(items, markers=limits, marker_label="limit", notes=notes,
                             value_format=lambda v: f"{v:.0f}%", width=1000)
    # Limits are written over the horizon: shown per month, and as written when the horizon
    # is not a month.
    over = h != MONTH_HOURS
    rows = [(budget_name(b), *budget_cells(doc, b), "binding" if b["binding"] else "")
            for b in doc["budgets"]]
    extra = (f"limit over {h:g} h",) if over else ()
    return ('<section id="budgets"><h2>Budgets: used against limit</h2>'
            '<p class="note">Share of each limit used; the grey track runs to the limit (the dark tick).</p>'
            + chart + _table(("budget", "used / month", "limit / month", *extra, "share", "headroom / month",
                              "used / hour", ""), rows, set(range(1, 6 + len(extra)))) + "</section>")


def _latency(doc: dict[str, Any]) -> str:
    if not doc["latency"]:
        return ""

    def ms(v: float) -> str:
        return f"{v:.1f} ms"

    stats = doc["latency"]
    note = ""
    if len(stats) > 2 * CHART_ROWS:  # many clients: chart the ones closest to their SLO
        stats = sorted(stats, key=lambda s: -s["max_ms"] / s["slo_ms"] if s["slo_ms"] else 0.0)
        stats = stats[:2 * CHART_ROWS]
        note = (f'<p class="note">Chart: the {len(stats)} of {len(doc["latency"])} clients closest to '
                "their SLO; the table lists all.</p>")
    items = [(f"{s['workload']} · {s['client']}", float(s["max_ms"])) for s in stats]
    slos = {f"{s['workload']} · {s['client']}": float(s["slo_ms"]) for s in stats}
    chart = note + bar_chart(items, markers=slos, marker_label="SLO", value_format=ms, width=1000)
    rows = [(str(s["workload"]), str(s["client"]), ms(s["mean_ms"]), ms(s["max_ms"]), ms(s["slo_ms"]),
             '<span class="ok">within</span>' if s["max_ms"] <= s["slo_ms"] + 1e-9
             else '<span class="bad">violated</span>') for s in doc["latency"]]
    return ('<section id="latency"><h2>Latency per client against the SLO</h2>'
            '<p class="note">Worst round trip plus service time of the traffic each client sends; '
            "the tick is the SLO.</p>" + chart
            + _table(("workload", "client", "mean", "max", "SLO", ""), rows, {2, 3, 4}, raw={5})
            + "</section>")


def _binding(doc: dict[str, Any]) -> str:
    if not doc["binding"]:
        return ""
    ordered = sorted(doc["binding"], key=lambda b: -(b["relax_saving"] or 0.0))
    rows = binding_rows(doc)
    chart = ""
    # Over periods a row's saving is an amount (one more instance in one period), so
    # the chart shows amounts over the horizon; else monthly rates like every table.
    amounts = any(b.get("period") is not None for b in ordered)
    savings = [(f"{b['kind']}: {b['name']}", b["relax_saving"] if amounts
                else monthly(b["relax_saving"], doc["horizon_hours"]))
               for b in ordered if b["relax_saving"]][:2 * CHART_ROWS]
    if savings and doc["objective"] == "cost":
        # full labels: a row over periods is told apart by the period at the name's end
        chart = bar_chart(savings, width=1000, full_labels=amounts, value_format=(
            (lambda v: f"saves {money(v)}") if amounts else (lambda v: f"saves {_rate(v)}")))
    return ('<section id="binding"><h2>What limits the plan</h2>'
            '<p class="note">Budgets at their limit or that moved the plan, and full capacities '
            "that cost money. The shadow price is the change of the objective per unit of the "
            "limit; \"relaxing saves\" is what one more instance, or the budget lifted, would "
            "save, from a re-solve.</p>" + chart
            + _table(("kind", "name", "detail", "shadow price", "relaxing saves"), rows, {3, 4},
                     wrap={1, 2, 3, 4})
            + "</section>")


def _rate_note(doc: dict[str, Any]) -> str:
    if doc["cost"].get("committed_usd"):
        return "owned hardware: power only, its committed cost is apart"
    return "on-prem: amortised hardware, power and operations"


def _placements(doc: dict[str, Any]) -> str:
    if not doc["placements"]:
        return ""
    h = doc["horizon_hours"]
    def two(top: str, below: str) -> str:  # a name with a muted second line keeps the table narrow
        return f'{escape(top)}<br><span class="note">{escape(below)}</span>'

    rows = [(two(str(p["workload"]), str(p["kind"])), str(p["site"]), _tag(str(p["tier"])),
             two(str(p["offering"]), str(p["accelerator"] or "cpu")), str(p["instances"]), pricing(p, doc),
             money(p["usd_per_hour"]), money(monthly(p["cost_usd"], h)), money(hourly(p["cost_usd"], h)),
             traffic_detail(p)) for p in doc["placements"]]
    total = ("total", "", "", "", "", "", "", money(monthly(doc["total_cost_usd"], h)),
             money(hourly(doc["total_cost_usd"], h)), "")
    return ('<section id="placements"><h2>Placements</h2>'
            '<p class="note">Rate is the price of one instance-hour ('
            + escape(_rate_note(doc)) + "). Training cost is spread over the horizon for the "
            "monthly and hourly figures.</p>"
            + _table(("workload", "site", "tier", "offering", "instances", "pricing", "rate / h",
                      "per month", "per hour", "detail"), rows, {4, 6, 7, 8},
                     total, raw={0, 2, 3}, wrap={9})
            + "</section>")


def _footer(doc: dict[str, Any]) -> str:
    s = doc["solver"]
    return ('<p class="note">'
            f"{escape(str(doc.get('schema', '')))} · per month = total / {doc['horizon_hours']:g} h × 730, "
            f"per hour = total / {doc['horizon_hours']:g} h · solver {escape(str(s['name']))}: "
            f"{s['seconds']:.2f} s, gap {s['gap']:.2g}, {s.get('variables', 0)} variables, "
            f"{s.get('constraints', 0)} constraints · made by tierplan</p>")


def _prices(doc: dict[str, Any]) -> str:
    """The catalogs the prices came from, with their dates and any age note."""
    lines = price_lines(doc)
    return "".join(f'<p class="note">{escape(line)}</p>' for line in lines)


def to_html(doc: dict[str, Any]) -> str:
    """The whole report page for a plan document (SPEC section 4)."""
    body = "".join((_header(doc), _cards(doc), _prices(doc), _diagnosis(doc), _costs(doc),
                    html_periods(doc), _budgets(doc),
                    _latency(doc), _binding(doc), _placements(doc), _footer(doc)))
    return html_page(f"tierplan: {doc['scenario']}", body)
