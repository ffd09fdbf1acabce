"""`tierplan catalog diff OLD NEW`: what changed between two catalogs, for reviewing a refresh.

OLD and NEW are each a catalog CSV file, a SkyPilot catalog folder or ``bundled``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from ..providers.base import CatalogRow
from ..providers.catalog import bundled_catalog, read_catalog
from ..providers.catalog_diff import CatalogChange, diff_catalogs
from .catalog import Column, _emit, _money, _text
from .common import EXIT_INPUT, fail

__all__ = ["diff_cmd"]


def _rows(source: str, which: str) -> list[CatalogRow]:
    if source == "bundled":
        return bundled_catalog()
    path = Path(source).expanduser()
    if path.is_dir():
        from ..providers.skypilot import import_skypilot

        return list(import_skypilot(path).rows)
    if not path.is_file():
        fail(f"{which}: not found: {source} (give a catalog CSV file, a SkyPilot catalog folder "
             "or 'bundled')", EXIT_INPUT)
    return read_catalog(path)


def _percent(v: float | None) -> str:
    return "-" if v is None else f"{v:+.1f}%"


def _record(c: CatalogChange) -> dict[str, Any]:
    return {
        "change": c.change, "provider": c.provider, "region": c.region, "instance_type": c.instance_type,
        "accelerator": c.accelerator, "old_usd_per_hour": c.old_usd_per_hour,
        "new_usd_per_hour": c.new_usd_per_hour, "usd_change": c.usd_change,
        "percent_change": c.percent_change, "old_spot_usd_per_hour": c.old_spot_usd_per_hour,
        "new_spot_usd_per_hour": c.new_spot_usd_per_hour, "spot_percent_change": c.spot_percent_change,
        "old_as_of": c.old_as_of, "new_as_of": c.new_as_of,
    }


@click.command("diff")
@click.argument("old", metavar="OLD")
@click.argument("new", metavar="NEW")
@click.option("--min-percent", type=click.FloatRange(min=0), default=0.0, show_default=True,
              help="Only list price moves of at least this many percent (added and gone are always listed).")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table",
              show_default=True, help="Output format.")
def diff_cmd(old: str, new: str, min_percent: float, fmt: str) -> None:
    """Prices moved (with %), offerings added or gone between catalogs OLD and NEW
    (catalog CSV files, SkyPilot catalog folders or 'bundled')."""
    diff = diff_catalogs(_rows(old, "OLD"), _rows(new, "NEW"))
    changes = [c for c in diff.changes
               if c.change != "price" or c.percent_change is None or abs(c.percent_change) >= min_percent
               or (c.spot_percent_change is not None and abs(c.spot_percent_change) >= min_percent)]
    records = [_record(c) for c in changes]
    title = (f"{diff.count('price')} price(s) moved, {diff.count('added')} offering(s) added, "
             f"{diff.count('removed')} gone, {diff.unchanged} unchanged")
    columns: list[Column] = [
        ("change", "change", _text), ("provider", "provider", _text), ("region", "region", _text),
        ("instance_type", "instance type", _text), ("accelerator", "accelerator", _text),
        ("old_usd_per_hour", "old $/h", _money), ("new_usd_per_hour", "new $/h", _money),
        ("percent_change", "change", _percent),
        ("old_spot_usd_per_hour", "old spot $/h", _money), ("new_spot_usd_per_hour", "new spot $/h", _money),
        ("spot_percent_change", "spot change", _percent),
        ("old_as_of", "old as of", _text), ("new_as_of", "new as of", _text),
    ]
    if fmt == "csv":
        columns.insert(7, ("usd_change", "usd_change", _text))
    if fmt == "json":
        import json

        click.echo(json.dumps({"old": old, "new": new, "summary": {
            "price": diff.count("price"), "added": diff.count("added"), "removed": diff.count("removed"),
            "unchanged": diff.unchanged}, "changes": records}, indent=2))
        return
    _emit(records, columns, fmt, title)
