"""Views of a plan over time (SPEC 5.5): cost per period, owned hardware with its
committed and idle cost, bought units, and when each training job runs.

Read from the plan document, like every report; a plan of one period without owned
hardware has none of these views (version 1 plans read the same as before).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from html import escape
from typing import Any

from ..model import Period
from ..periods import span
from .charts import money, stacked_bar_chart
from .tables import TableData

__all__ = ["CSV_PERIOD_FIELDS", "csv_period_rows", "html_periods", "period_name", "period_tables"]


def period_name(doc: dict[str, Any], q: dict[str, Any]) -> str:
    """``2027-02`` style start date when the plan has one, else ``336-504 h``."""
    if q.get("start"):
        return str(q["start"])
    return f"{q['start_hour']:g}-{q['start_hour'] + q['hours']:g} h"


def _periods(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return list(doc.get("periods") or [])


def _hours_text(hours: list[float]) -> str:
    """Instance-hours per period, compactly: ``p3-p5: 168, 168, 40``."""
    busy = [i for i, h in enumerate(hours) if h > 1e-9]
    if not busy:
        return "-"
    a, b = busy[0], busy[-1]
    span = f"p{a + 1}" if a == b else f"p{a + 1}-p{b + 1}"
    return f"{span}: " + ", ".join(f"{h:g}" for h in (round(x, 1) for x in hours[a:b + 1]))


def _start(doc: dict[str, Any]) -> datetime | None:
    return datetime.strptime(doc["start"], "%Y-%m-%dT%H:%M:%SZ") if doc.get("start") else None


def _bought(doc: dict[str, Any], u: dict[str, Any]) -> str:
    """Units bought and when they arrive: ``2 from 2027-02-01`` (``2 from 744 h``)."""
    if not u["bought"] or u.get("arrival_hour") is None:
        return str(u["bought"])
    start = _start(doc)
    hour = float(u["arrival_hour"])
    when = ((start + timedelta(hours=hour)).strftime("%Y-%m-%d") if start else f"{hour:g} h")
    return f"{u['bought']} from {when}"


def _when(doc: dict[str, Any], hours: list[float]) -> str:
    """From the start of the first period a job works in to the end of the last one:
    ``2027-02-01..03-01``, or ``336-504 h`` without a start date."""
    periods = _periods(doc)
    busy = [i for i, h in enumerate(hours) if h > 1e-9 and i < len(periods)]
    if not busy:
        return "-"
    a, b = periods[busy[0]], periods[busy[-1]]
    return span(_start(doc), Period(a["start_hour"], b["start_hour"] + b["hours"] - a["start_hour"]))


def period_tables(doc: dict[str, Any]) -> list[TableData]:
    """Cost by period (more than one period), owned hardware (when there is some) and
    the training schedule (more than one period)."""
    out: list[TableData] = []
    periods = _periods(doc)
    if len(periods) > 1:
        rows: tuple[tuple[str, ...], ...] = tuple(
            (str(q["index"] + 1), period_name(doc, q), f"{q['hours']:g}", money(q["cost_usd"]),
             money(q.get("committed_usd", 0.0)), money(q["cost_usd"] - q.get("committed_usd", 0.0)))
            for q in periods)
        total: tuple[str, ...] = ("total", "", f"{sum(q['hours'] for q in periods):g}",
                 money(doc["total_cost_usd"]), money(doc["cost"].get("committed_usd", 0.0)),
                 money(doc["total_cost_usd"] - doc["cost"].get("committed_usd", 0.0)))
        out.append(TableData("Cost by period", ("period", "from", "hours", "cost", "committed",
                                                "usage"), rows, frozenset({0, 2, 3, 4, 5}), total))
        train = [p for p in doc["placements"] if p["kind"] == "training"]
        if train:
            rows = tuple((p["workload"], f"{p['site']}/{p['offering']}", str(p["instances"]),
                          _when(doc, p.get("hours_by_period", [])),
                          _hours_text(p.get("hours_by_period", []))) for p in train)
            out.append(TableData("Training schedule (instance-hours per period)",
                                 ("workload", "offering", "nodes", "runs in", "instance-hours"),
                                 rows, frozenset({2}), levels=(0, 0, 1, 0, 0)))
    owned = doc.get("owned") or []
    if owned:
        rows = tuple((f"{u['site']}/{u['offering']}", str(u["available"]), _bought(doc, u),
                      f"{u['used_instance_hours']:,.1f}", f"{u['idle_instance_hours']:,.1f}",
                      f"{u['utilisation']:.1%}", money(u["committed_usd"]), money(u["idle_usd"]),
                      "" if u.get("saving_usd") is None else money(u["saving_usd"]))
                     for u in owned)
        total = ("total", "", "", f"{sum(u['used_instance_hours'] for u in owned):,.1f}",
                 f"{sum(u['idle_instance_hours'] for u in owned):,.1f}", "",
                 money(doc["cost"].get("committed_usd", 0.0)), money(doc["cost"].get("idle_usd", 0.0)),
                 "")
        out.append(TableData("Owned hardware", ("offering", "owned", "bought", "used h", "idle h",
                                                "utilisation", "committed", "idle cost",
                                                "buying saves"),
                             rows, frozenset({1, 2, 3, 4, 5, 6, 7, 8}), total,
                             # a narrow terminal keeps owned, bought, utilisation, idle cost
                             levels=(0, 0, 0, 2, 2, 0, 1, 0, 1)))
    return out


CSV_PERIOD_FIELDS = ["period", "period_start", "period_hours", "period_instances",
                     "period_instance_hours", "period_traffic_rps", "period_cost_usd"]


def csv_period_rows(doc: dict[str, Any], p: dict[str, Any]) -> list[dict[str, Any]]:
    """The long form: one row per period of a placement (period numbered from 1)."""
    periods = _periods(doc) or [{"index": 0, "start_hour": 0, "hours": doc["horizon_hours"]}]
    count = len(periods)
    costs = p.get("cost_by_period") or [p["cost_usd"]] + [0.0] * (count - 1)
    rows = []
    for i, q in enumerate(periods):
        row: dict[str, Any] = {"period": i + 1, "period_start": q.get("start") or q["start_hour"],
                               "period_hours": q["hours"], "period_cost_usd": costs[i]}
        if p["kind"] == "inference":
            n = (p.get("instances_by_period") or [p["instances"]] * count)[i]
            traffic = (p.get("traffic_rps_by_period") or [p.get("traffic_rps", {})] * count)[i]
            row["period_instances"] = n
            row["period_instance_hours"] = round(n * q["hours"], 6)
            row["period_traffic_rps"] = ";".join(f"{c}={r:g}" for c, r in traffic.items())
        else:
            hours = (p.get("hours_by_period") or [p["instances"] * p.get("compute_hours", 0.0)])
            h = hours[i] if i < len(hours) else 0.0
            row["period_instances"] = p["instances"] if h > 1e-9 else 0
            row["period_instance_hours"] = round(h, 6)
            row["period_traffic_rps"] = ""
        rows.append(row)
    return rows


_TIER_ORDER = ("onprem", "edge", "cloud")


def html_periods(doc: dict[str, Any]) -> str:
    """Month-by-month stacked cost bars (committed and usage by tier), the training
    Gantt, and owned hardware with utilisation, idle cost and bought units."""
    parts: list[str] = []
    periods = _periods(doc)
    if len(periods) > 1:
        labels = [f"{q['index'] + 1}. {period_name(doc, q)}" for q in periods]
        series: dict[str, list[float]] = {"committed (owned)": [q.get("committed_usd", 0.0)
                                                               for q in periods]}
        tiers = sorted({t for q in periods for t in q.get("by_tier", {})},
                       key=lambda t: (_TIER_ORDER.index(t) if t in _TIER_ORDER else 9, t))
        for t in tiers:  # a period's by_tier holds the committed share of owned tiers too
            series[f"{t} usage"] = [max(0.0, q.get("by_tier", {}).get(t, 0.0) -
                                        _committed_in(doc, q, t)) for q in periods]
        # a legend entry only for money there is (an idle plan: committed cost alone)
        series = {k: v for k, v in series.items() if max(v) >= 0.005} or series
        parts.append(stacked_bar_chart(labels, series, title="Cost by period", width=720))
        gantt = _gantt(doc, periods)
        if gantt:
            parts.append(gantt)
    owned = doc.get("owned") or []
    if owned:
        rows = "".join(
            f"<tr><td>{escape(u['site'])}/{escape(u['offering'])}</td>"
            f"<td class=num>{u['available']}</td><td class=num>{escape(_bought(doc, u))}</td>"
            f"<td class=num>{u['utilisation']:.1%}</td>"
            f"<td class=num>{escape(money(u['committed_usd']))}</td>"
            f"<td class=num>{escape(money(u['idle_usd']))}</td>"
            f"<td class=num>{'' if u.get('saving_usd') is None else escape(money(u['saving_usd']))}"
            "</td></tr>" for u in owned)
        parts.append("<h3>Owned hardware</h3><table><thead><tr><th>offering</th><th>owned</th>"
                     "<th>bought</th><th>utilisation</th><th>committed</th><th>idle cost</th>"
                     f"<th>buying saves</th></tr></thead><tbody>{rows}</tbody></table>"
                     '<p class="note">Committed: owned servers are paid for whatever runs '
                     "(owned_cost: sunk); idle cost is the committed cost of the hours nothing "
                     "ran.</p>")
    if not parts:
        return ""
    return f'<section id="time"><h2>Over time</h2>{"".join(parts)}</section>'


def _committed_in(doc: dict[str, Any], q: dict[str, Any], tier: str) -> float:
    """The committed share of one tier in one period: the period's committed cost (as the
    document has it, to the cent) split by the owned offerings' capacity there."""
    if not doc["cost"].get("committed_usd"):  # owned_cost: amortised commits nothing
        return 0.0
    share = {t: 0.0 for t in ("onprem",)}
    for u in doc.get("owned") or []:
        if u["capacity_by_period"]:
            t = u.get("tier", "onprem")
            share[t] = share.get(t, 0.0) + (float(u["fixed_usd_per_hour"]) *
                                            float(u["capacity_by_period"][q["index"]]))
    total = sum(share.values())
    return float(q.get("committed_usd", 0.0)) * share.get(tier, 0.0) / total if total else 0.0


def _gantt(doc: dict[str, Any], periods: list[dict[str, Any]]) -> str:
    """Training jobs by period: a bar where a job runs, darker where it runs on all its
    nodes for the whole period."""
    train = [p for p in doc["placements"] if p["kind"] == "training"]
    if not train:
        return ""
    horizon = doc["horizon_hours"]
    label_w, width, row = 180.0, 720.0, 22.0
    plot = width - label_w - 10
    bottom = 30 + row * len(train) + 4
    height = bottom + 20
    body = ['<text x="0" y="16" font-size="14" font-weight="600">Training by period</text>']
    for q in periods:
        x = label_w + plot * q["start_hour"] / horizon
        w = plot * q["hours"] / horizon
        body.append(f'<line x1="{x:.1f}" y1="24" x2="{x:.1f}" y2="{bottom:.1f}" stroke="#ddd"/>')
        # the period under its column: its start date where it fits, else its number
        name = period_name(doc, q)
        text = name if len(name) * 6.2 <= w - 4 else str(q["index"] + 1) if w >= 10 else ""
        if text:
            body.append(f'<text x="{x + w / 2:.1f}" y="{bottom + 14:.1f}" font-size="11" '
                        f'fill="#555" text-anchor="middle">{escape(text)}</text>')
    end = label_w + plot  # the horizon's end closes the last period
    body.append(f'<line x1="{end:.1f}" y1="24" x2="{end:.1f}" y2="{bottom:.1f}" stroke="#ddd"/>')
    for r, p in enumerate(train):
        y = 30 + r * row
        body.append(f'<text x="{label_w - 8:.1f}" y="{y + 14:.1f}" font-size="12" '
                    f'text-anchor="end">{escape(p["workload"][:28])}</text>')
        for q, h in zip(periods, p.get("hours_by_period", []), strict=False):
            if h <= 1e-9:
                continue
            share = min(1.0, h / (p["instances"] * q["hours"])) if q["hours"] else 0.0
            x = label_w + plot * q["start_hour"] / horizon
            w = plot * q["hours"] / horizon
            body.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="16" '
                        f'fill="#4e79a7" fill-opacity="{0.25 + 0.75 * share:.2f}">'
                        f'<title>{escape(p["workload"])}: {h:,.1f} instance-hours on '
                        f'{p["instances"]} node(s) in period {q["index"] + 1} '
                        f'({escape(period_name(doc, q))}), {share:.0%} of the period'
                        '</title></rect>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
            f'viewBox="0 0 {width:.0f} {height:.0f}" width="{width:.0f}" height="{height:.0f}" '
            'style="max-width:100%;height:auto" font-family="system-ui, sans-serif">'
            f'<title>Training by period</title>{"".join(body)}</svg>')
