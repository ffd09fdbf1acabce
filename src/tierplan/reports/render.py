"""Render a plan document in each output format; write files atomically."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import Any

from ..files import write_atomic
from ..model import Plan
from .document import hourly, monthly, plan_document, pricing
from .fit import fitted_text
from .html import to_html
from .markdown import to_markdown
from .periods import CSV_PERIOD_FIELDS, csv_period_rows
from .provenance import price_lines
from .safe import clean, csv_text
from .tables import headline, plain_table, plan_tables

__all__ = ["FORMATS", "render", "write_atomic"]


def to_json(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2) + "\n"


def to_table(doc: dict[str, Any], width: int | None = None, wide: bool = False) -> str:
    """Tables as text: fitted to a terminal of ``width`` columns (reports.fit: the most
    important columns; numbers never wrap), or every column as wide as its content when
    ``width`` is None (files, pipes: plain and stable) or ``wide``. Under the headline: the
    catalogs the prices came from, with their dates and any age note."""
    tables = [t for t in plan_tables(doc) if t.rows]
    if width is None or wide:
        # Files, pipes and --wide get the same bytes for the same plan: no solver timing.
        lines = [clean(headline(doc, timing=False)), *(clean(line) for line in price_lines(doc)),
                 *(clean(f"  - {reason}") for reason in doc["diagnosis"])]
        for t in tables:
            lines += plain_table(t)
        return "\n".join(lines) + "\n"
    lead = [(headline(doc), "bold"), *((line, "") for line in price_lines(doc)),
            *((f"  - {reason}", "red") for reason in doc["diagnosis"])]
    return fitted_text(lead, tables, width)


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
        row["pricing"] = pricing(p, doc)
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


def render(plan: Plan, fmt: str, width: int | None = None, wide: bool = False,
           today: date | None = None) -> str:
    """The plan in ``fmt``; ``width`` fits the table to a terminal (``wide``: every column);
    ``today`` dates the prices' age check (the CLI passes the current date)."""
    doc = plan_document(plan, today)
    return to_table(doc, width, wide) if fmt == "table" else FORMATS[fmt](doc)
