"""Where a plan's prices came from: each catalog (source, as_of) and a note when they are old.

Placements priced from a catalog carry the row's ``source`` and ``as_of``; owned sites
(on-prem, edge) carry none. ``today`` is passed in (the CLI gives the current date), never
read here, so a plan document is the same for the same inputs.
"""

from __future__ import annotations

from datetime import date
from typing import Any

__all__ = ["STALE_DAYS", "price_lines", "price_summary"]

STALE_DAYS = 90
"""Prices older than this (days before ``today``) get a note in the plan."""


def price_summary(placements: list[dict[str, Any]], today: date | None) -> dict[str, Any] | None:
    """``{"catalogs": [{source, as_of, placements}], "oldest_as_of", "notes"}`` or None when no
    placement is priced from a catalog."""
    counts: dict[tuple[str, str], int] = {}
    for p in placements:
        if p.get("source") and p.get("as_of"):
            key = (str(p["source"]), str(p["as_of"]))
            counts[key] = counts.get(key, 0) + 1
    if not counts:
        return None
    catalogs = [{"source": s, "as_of": d, "placements": n} for (s, d), n in sorted(counts.items())]
    oldest = min(d for _, d in counts)
    notes = []
    if today is not None:
        for (source, as_of), n in sorted(counts.items(), key=lambda kv: kv[0][1]):
            age = (today - date.fromisoformat(as_of)).days
            if age > STALE_DAYS:
                notes.append(f"prices of {n} placement(s) are {age} days old ({source}, as of {as_of}; "
                             f"older than {STALE_DAYS} days): check them or refresh the catalog "
                             "(tierplan catalog refresh)")
    return {"catalogs": catalogs, "oldest_as_of": oldest, "notes": notes}


def price_lines(doc: dict[str, Any]) -> list[str]:
    """Lines naming each catalog and its date, then the age notes, for text reports."""
    prices = doc.get("prices")
    if not prices:
        return []
    named = "; ".join(f"{c['source']} (as of {c['as_of']})" for c in prices["catalogs"])
    return [f"prices: {named}", *(f"note: {n}" for n in prices["notes"])]
