"""Render a plan document in each output format; write files atomically."""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich import box
from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from ..model import Plan
from .document import plan_document

__all__ = ["FORMATS", "render", "write_atomic"]


def _money(v: float) -> str:
    return f"${v:,.2f}"


def to_json(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2) + "\n"


def _rows(doc: dict[str, Any]) -> dict[str, tuple[list[str], list[list[str]]]]:
    """The tables every text format shows, as (header, rows)."""
    horizon = doc["horizon_hours"]
    placements = []
    for p in doc["placements"]:
        what = (", ".join(f"{c} {r:g} rps" for c, r in p["traffic_rps"].items())
                if p["kind"] == "inference"
                else f"{p['compute_hours']:.2f} h compute, {p['transfer_hours']:.2f} h transfer")
        placements.append([p["workload"], p["kind"], p["site"], p["tier"], p["offering"],
                           p["accelerator"] or "cpu", str(p["instances"]), p["purchase"],
                           _money(p["cost_usd"]), what])
    tables = {
        "Placements": (["workload", "kind", "site", "tier", "offering", "accelerator",
                        "instances", "purchase", "cost", "detail"], placements),
    }
    for key, title in (("by_tier", "Cost by tier"), ("by_provider", "Cost by provider"),
                       ("by_site", "Cost by site"), ("by_team", "Cost by team"),
                       ("by_workload", "Cost by workload")):
        rows = [[k, _money(v), _money(v / horizon * 730) if horizon else "", _money(v / horizon)]
                for k, v in doc["cost"][key].items()]
        tables[title] = ([key[3:], f"over {horizon:g} h", "per month (730 h)", "per hour"], rows)
    tables["Budgets"] = (["budget", "used", "limit", "share", "binding"], [
        [b["name"], _money(b["used_usd"]), _money(b["limit_usd"]),
         f"{b['used_usd'] / b['limit_usd']:.0%}" if b["limit_usd"] else "-",
         "yes" if b["binding"] else ""] for b in doc["budgets"]])
    tables["Latency"] = (["workload", "client", "mean ms", "max ms", "SLO ms"], [
        [s["workload"], s["client"], f"{s['mean_ms']:.1f}", f"{s['max_ms']:.1f}",
         f"{s['slo_ms']:g}"] for s in doc["latency"]])
    tables["Binding constraints"] = (["kind", "name", "detail", "shadow price", "relaxing saves"], [
        [b["kind"], b["name"], b["detail"],
         "" if b["shadow_price"] is None else f"{b['shadow_price']:.4g} {b['unit']}",
         "" if b["relax_saving"] is None else f"{_money(b['relax_saving'])} per unit"]
        for b in doc["binding"]])
    return tables


def _headline(doc: dict[str, Any]) -> str:
    s = doc["solver"]
    if not doc["placements"]:
        return (f"{doc['scenario']}: {doc['status']}, objective {doc['objective']}: no plan "
                f"({s['name']}, {s['seconds']:.2f} s)")
    return (f"{doc['scenario']}: {doc['status']}, objective {doc['objective']}, total "
            f"{_money(doc['total_cost_usd'])} over {doc['horizon_hours']:g} h "
            f"({_money(doc['hourly_cost_usd'])}/h); {s['name']} {s['seconds']:.2f} s, "
            f"gap {s['gap']:.2g}")


def to_table(doc: dict[str, Any], width: int | None = None) -> str:
    """Rich tables as text. ``width`` None: as wide as the content (files, pipes)."""
    console = Console(file=io.StringIO(), width=width or 1000, record=True, color_system=None)
    parts: list[Any] = [Text(_headline(doc), style="bold")]
    for reason in doc["diagnosis"]:
        parts.append(Text(f"  - {reason}", style="red"))
    for title, (header, rows) in _rows(doc).items():
        if not rows:
            continue
        table = Table(title=title, box=box.SIMPLE_HEAD, title_justify="left")
        for h in header:
            numeric = h in ("instances", "cost", "used", "limit", "share") or h.startswith(
                ("over", "per", "mean", "max", "SLO"))
            table.add_column(h, justify="right" if numeric else "left", overflow="fold")
        for row in rows:
            table.add_row(*row)
        parts.append(table)
    console.print(Group(*parts))
    return "\n".join(line.rstrip() for line in console.export_text().splitlines()) + "\n"


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def to_markdown(doc: dict[str, Any]) -> str:
    lines = [f"### tierplan: {_md_escape(doc['scenario'])}", "", _md_escape(_headline(doc)), ""]
    if doc["diagnosis"]:
        lines += ["**No plan exists:**", ""] + [f"- {_md_escape(r)}" for r in doc["diagnosis"]]
        lines.append("")
    for title, (header, rows) in _rows(doc).items():
        if not rows:
            continue
        lines += [f"#### {title}", "", "| " + " | ".join(header) + " |",
                  "|" + "|".join("---" for _ in header) + "|"]
        lines += ["| " + " | ".join(_md_escape(c) for c in row) + " |" for row in rows]
        lines.append("")
    return "\n".join(lines)


def to_csv(doc: dict[str, Any]) -> str:
    """One row per placement (traffic as `client=rps;...`)."""
    out = io.StringIO()
    fields = ["workload", "kind", "site", "tier", "provider", "offering", "accelerator",
              "instances", "purchase", "usd_per_hour", "cost_usd", "compute_usd",
              "transfer_usd", "team", "compute_hours", "transfer_hours", "traffic_rps"]
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    for p in doc["placements"]:
        row = {k: p.get(k) for k in fields}
        row["traffic_rps"] = ";".join(f"{c}={r:g}" for c, r in p.get("traffic_rps", {}).items())
        writer.writerow(row)
    return out.getvalue()


FORMATS: dict[str, Callable[[dict[str, Any]], str]] = {
    "table": to_table,
    "json": to_json,
    "markdown": to_markdown,
    "csv": to_csv,
}


def render(plan: Plan, fmt: str, width: int | None = None) -> str:
    """The plan in ``fmt``; ``width`` fits the table to a terminal."""
    doc = plan_document(plan)
    return to_table(doc, width) if fmt == "table" else FORMATS[fmt](doc)


def write_atomic(path: str | Path, text: str) -> None:
    """Write via a temporary file in the same folder and rename: never a half-written file."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
