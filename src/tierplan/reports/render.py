"""Render a plan document in each output format; write files atomically."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any

from rich import box
from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from ..files import write_atomic
from ..model import Plan
from .document import hourly, monthly, plan_document, pricing
from .html import to_html
from .markdown import to_markdown
from .periods import CSV_PERIOD_FIELDS, csv_period_rows
from .safe import cell, clean, csv_text
from .tables import headline, plain_table, plan_tables

__all__ = ["FORMATS", "render", "write_atomic"]


def to_json(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2) + "\n"


def to_table(doc: dict[str, Any], width: int | None = None) -> str:
    """Tables as text: fitted to a terminal of ``width`` columns (Rich, wrapping long cells),
    or as wide as the content when ``width`` is None (files, pipes)."""
    if width is None:
        lines = [clean(headline(doc)), *(clean(f"  - {reason}") for reason in doc["diagnosis"])]
        for t in plan_tables(doc):
            if t.rows:
                lines += plain_table(t)
        return "\n".join(lines) + "\n"
    console = Console(file=io.StringIO(), width=width, record=True, color_system=None)
    parts: list[Any] = [Text(clean(headline(doc)), style="bold")]
    for reason in doc["diagnosis"]:
        parts.append(Text(clean(f"  - {reason}"), style="red"))
    for t in plan_tables(doc):
        if not t.rows:
            continue
        table = Table(title=t.title, box=box.SIMPLE_HEAD, title_justify="left",
                      show_footer=t.total is not None)
        for i, h in enumerate(t.header):
            table.add_column(h, justify="right" if i in t.numeric else "left", overflow="fold",
                             footer=cell(t.total[i]) if t.total else "")
        for row in t.rows:
            table.add_row(*map(cell, row))
        parts.append(table)
    console.print(Group(*parts))
    return "\n".join(line.rstrip() for line in console.export_text().splitlines()) + "\n"


CSV_FIELDS = ["workload", "kind", "site", "tier", "provider", "offering", "accelerator",
              "instances", "purchase", "usd_per_hour", "cost_usd", "compute_usd",
              "transfer_usd", "team", "compute_hours", "transfer_hours", "traffic_rps",
              "pricing", "monthly_usd", "hourly_usd", *CSV_PERIOD_FIELDS]


def to_csv(doc: dict[str, Any]) -> str:
    """One row per placement and period, in long form (traffic as `client=rps;...`).

    ``cost_usd`` is the placement's over the horizon; ``monthly_usd`` = cost / horizon *
    730 and ``hourly_usd`` = cost / horizon; ``pricing`` is spot, on-demand or amortised
    (on-prem). The ``period_*`` columns are that period's (SPEC 5.5), numbered from 1.
    """
    h = doc["horizon_hours"]
    rows = []
    for p in doc["placements"]:
        row = {k: p.get(k) for k in CSV_FIELDS}
        row["traffic_rps"] = ";".join(f"{c}={r:g}" for c, r in p.get("traffic_rps", {}).items())
        row["pricing"] = pricing(p)
        row["monthly_usd"] = round(monthly(p["cost_usd"], h), 2)
        row["hourly_usd"] = round(hourly(p["cost_usd"], h), 4)
        rows += [{**row, **period} for period in csv_period_rows(doc, p)]
    return csv_text(CSV_FIELDS, rows)


FORMATS: dict[str, Callable[[dict[str, Any]], str]] = {
    "table": to_table,
    "json": to_json,
    "markdown": to_markdown,
    "csv": to_csv,
    "html": to_html,
}


def render(plan: Plan, fmt: str, width: int | None = None) -> str:
    """The plan in ``fmt``; ``width`` fits the table to a terminal."""
    doc = plan_document(plan)
    return to_table(doc, width) if fmt == "table" else FORMATS[fmt](doc)
