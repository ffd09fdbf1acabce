"""The plan as GitHub-flavoured Markdown, sized for a pull-request comment.

Layout: a title, a one-line headline with the monthly and hourly total, the diagnosis
when no plan exists, then the tables a reviewer needs first (cost by tier, budgets,
binding constraints) open, and the long ones (placements, the other cost groups,
latency) folded into ``<details>``. No solver timings: the same plan gives the same
text, so the output can be saved and compared (tests/expected/).

Escaping: user-provided names may hold ``|`` (would split a table cell), HTML (GitHub
would render or strip it) or Markdown emphasis; :func:`md_escape` neutralises all three.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from .charts import money
from .document import hourly, monthly, owned_note
from .tables import TableData, plan_tables

__all__ = ["MAX_ROWS", "md_escape", "md_table", "to_markdown"]

MAX_ROWS = 40
"""Rows per table: a GitHub comment holds at most 65,536 characters. Longer tables keep
their most expensive (fullest, slowest) rows and say how many were left out."""

_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~])")


def md_escape(text: str) -> str:
    """Text safe inside a GFM table cell: HTML entities, backslash-escaped markup, one line."""
    text = "".join(_HTML.get(ch, ch) for ch in str(text))
    return _MD_SPECIAL.sub(r"\\\1", text).replace("\r", " ").replace("\n", " ")


def md_table(header: Sequence[str], rows: Sequence[Sequence[str]], numeric: frozenset[int] = frozenset(),
             total: Sequence[str] | None = None) -> list[str]:
    """GFM table lines; numeric columns right-aligned; an optional bold total row."""
    lines = ["| " + " | ".join(md_escape(h) for h in header) + " |",
             "|" + "|".join("---:" if i in numeric else "---" for i in range(len(header))) + "|"]
    lines += ["| " + " | ".join(md_escape(c) for c in row) + " |" for row in rows]
    if total is not None:
        lines.append("| " + " | ".join(f"**{md_escape(c)}**" if c else "" for c in total) + " |")
    return lines


def _n(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _cap(t: TableData, what: str, order: Sequence[int] | None = None) -> tuple[TableData, list[str]]:
    """At most MAX_ROWS rows: the first ones of ``order`` (default: as they are), kept in
    table order; plus a line saying how many were left out."""
    if len(t.rows) <= MAX_ROWS:
        return t, []
    chosen = sorted((order if order is not None else range(len(t.rows)))[:MAX_ROWS])
    left = len(t.rows) - MAX_ROWS
    return (replace(t, rows=tuple(t.rows[i] for i in chosen)),
            [f"_{left} more {what} not shown; `--format csv` or `--format json` lists them all._", ""])


def _section(t: TableData, level: str = "####", what: str = "rows",
             order: Sequence[int] | None = None) -> list[str]:
    t, note = _cap(t, what, order)
    return [f"{level} {t.title}", "", *md_table(t.header, t.rows, t.numeric, t.total), "", *note]


def _by(values: Sequence[float]) -> list[int]:
    """Row indexes, largest value first."""
    return sorted(range(len(values)), key=lambda i: -values[i])


def _folded(summary: str, body: list[str]) -> list[str]:
    # GitHub needs the blank line after <summary> to render the Markdown inside.
    return ["<details>", f"<summary>{summary}</summary>", "", *body, "</details>", ""]


def to_markdown(doc: dict[str, Any]) -> str:
    h = doc["horizon_hours"]
    total = doc["total_cost_usd"]
    lines = [f"### tierplan: {md_escape(doc['scenario'])}", ""]
    if doc["placements"]:
        n_work = len({p["workload"] for p in doc["placements"]})
        n_bind = sum(1 for b in doc["budgets"] if b["binding"])
        over = f" · {money(total)} over {h:g} h" if h != 730 else ""
        lines += [f"**{money(monthly(total, h))} per month** ({money(hourly(total, h))} per hour{over})"
                  f" · {md_escape(doc['status'])} · objective {md_escape(doc['objective'])}"
                  f" · {_n(len(doc['placements']), 'placement')} of {_n(n_work, 'workload')}"
                  f" · {n_bind} of {_n(len(doc['budgets']), 'budget')} binding", ""]
    else:
        lines += [f"**No plan** · {md_escape(doc['status'])} · objective {md_escape(doc['objective'])}", ""]
    if doc["diagnosis"]:
        lines += ["**Why no plan exists:**", ""] + [f"- {md_escape(r)}" for r in doc["diagnosis"]] + [""]

    tables = {t.title: t for t in plan_tables(doc)}
    fullest = _by([b["used_usd"] / b["limit_usd"] if b["limit_usd"] else 0.0 for b in doc["budgets"]])
    for title, what, order in (("Cost by tier", "tiers", None), ("Budgets", "budgets", fullest),
                               ("Binding constraints", "constraints", None)):
        if tables[title].rows:
            lines += _section(tables[title], what=what, order=order)
    for title in ("Cost by period", "Owned hardware", "Training schedule (instance-hours per period)"):
        if title in tables and tables[title].rows:
            lines += _section(tables[title], what="rows")
    placements = tables["Placements"]
    if placements.rows:
        shown, note = _cap(placements, "placements (the total covers them)",
                           _by([p["cost_usd"] for p in doc["placements"]]))
        table = md_table(shown.header, shown.rows, shown.numeric, shown.total)
        lines += _folded(f"Placements ({len(placements.rows)})", [*table, "", *note])
    groups = [tables[t] for t in ("Cost by provider", "Cost by site", "Cost by team", "Cost by workload")]
    if any(t.rows for t in groups):
        body: list[str] = []
        for t in groups:
            if t.rows:
                body += _section(t, "#####", what=t.header[0] + "s")
        lines += _folded("Cost by provider, site, team and workload", body)
    latency = tables["Latency"]
    if latency.rows:
        slowest = _by([s["max_ms"] / s["slo_ms"] if s["slo_ms"] else 0.0 for s in doc["latency"]])
        shown, note = _cap(latency, "clients (those closest to their SLO are shown)", slowest)
        lines += _folded(f"Latency against the SLO ({_n(len(latency.rows), 'client')})",
                         [*md_table(shown.header, shown.rows, shown.numeric), "", *note])
    solver = doc["solver"]
    lines.append(f"<sub>{md_escape(doc.get('schema', ''))} · solver {md_escape(solver['name'])}"
                 f" · horizon {h:g} h · per month = total / horizon × 730, "
                 f"per hour = total / horizon · {owned_note(doc)}</sub>")
    return "\n".join(lines) + "\n"
