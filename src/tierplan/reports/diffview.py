"""A plan diff (reports.diff) as a terminal table, GitHub Markdown or JSON."""

from __future__ import annotations

import json
from typing import Any

from .charts import money
from .document import MONTH_HOURS
from .fit import fitted_text
from .markdown import MAX_ROWS, md_escape, md_table
from .safe import clean
from .tables import TableData, plain_table

__all__ = ["DIFF_FORMATS", "diff_headline", "diff_json", "diff_markdown", "diff_table", "render_diff"]

_GROUP_TITLES = (("by_tier", "tier"), ("by_provider", "provider"), ("by_site", "site"),
                 ("by_team", "team"), ("by_workload", "workload"))


def _signed(v: float | None) -> str:
    if v is None:
        return ""
    return f"+{money(v)}" if v > 0 else money(v) if v < 0 else money(0)


def _pct(v: float | None) -> str:
    return "new" if v is None else f"{v:+.1f}%"


def _opt(v: float | None) -> str:
    return "-" if v is None else money(v)


def diff_headline(diff: dict[str, Any]) -> str:
    """``Monthly cost will increase by $73.00 (+1.2%): $5,863.43 → $5,936.43 per month ...``."""
    t = diff["total"]
    d = t["delta_monthly_usd"]
    if abs(d) < 0.005:
        verb = "Monthly cost is unchanged"
    else:
        pct = "" if t["delta_percent"] is None else f" ({t['delta_percent']:+.1f}%)"
        verb = f"Monthly cost will {'increase' if d > 0 else 'decrease'} by {money(abs(d))}{pct}"
    return (f"{verb}: {money(t['old_monthly_usd'])} → {money(t['new_monthly_usd'])} per month "
            f"({money(t['old_hourly_usd'])} → {money(t['new_hourly_usd'])} per hour, "
            f"{_signed(t['delta_hourly_usd'])}/h)")


def _sections(diff: dict[str, Any]) -> list[tuple[str, list[str], list[list[str]], set[int]]]:
    """(title, header, rows, numeric columns) for each non-empty part of the diff."""
    out: list[tuple[str, list[str], list[list[str]], set[int]]] = []
    if diff["moves"]:
        moves = [[m["workload"], ", ".join(m["from"]), ", ".join(m["to"])] for m in diff["moves"]]
        out.append(("Moved", ["workload", "from", "to"], moves, set()))
    if diff["placements"]:
        by_period = any(p.get("period_changes") for p in diff["placements"])
        rows = [[p["change"], p["workload"], p["site"], p["offering"],
                 p.get("pricing") or ("amortised" if p["tier"] == "onprem" else p["purchase"]),
                 f"{p['old_instances']} → {p['new_instances']}",
                 *([_period_changes(p.get("period_changes") or [])] if by_period else []),
                 money(p["old_monthly_usd"]), money(p["new_monthly_usd"]),
                 _signed(p["delta_monthly_usd"]), _signed(p["delta_monthly_usd"] / MONTH_HOURS)]
                for p in diff["placements"]]
        header = ["change", "workload", "site", "offering", "pricing", "instances",
                  *(["by period"] if by_period else []), "old / month", "new / month",
                  "delta / month", "delta / hour"]
        first = 6 + by_period
        out.append((f"Placements changed ({diff['unchanged_placements']} unchanged)", header,
                    rows, {5, *range(first, first + 4)}))
    for key, label in _GROUP_TITLES:
        rows = [[g.get("label") or (g["name"] + (" (amortised)" if key == "by_tier" and g["name"] == "onprem"
                                                else "")),
                 money(g["old_monthly_usd"]), money(g["new_monthly_usd"]), _signed(g["delta_monthly_usd"]),
                 _signed(g["delta_hourly_usd"]), _pct(g["delta_percent"])] for g in diff["groups"][key]]
        if rows:
            out.append((f"Cost by {label}", [label, "old / month", "new / month", "delta / month",
                                              "delta / hour", "change"], rows, {1, 2, 3, 4, 5}))
    if diff["budgets"]:
        def binding(v: bool | None) -> str:
            return "-" if v is None else "binding" if v else "free"

        def cells(b: dict[str, Any]) -> list[str]:
            if not b.get("per_period"):
                return [b["name"], _opt(b["old_used_monthly_usd"]), _opt(b["new_used_monthly_usd"]),
                        _signed(b["delta_monthly_usd"]), _opt(b["old_limit_monthly_usd"]),
                        _opt(b["new_limit_monthly_usd"])]
            # amounts per period (the fullest period's use, the limit per period)
            return [f"{b['name']} (per period)", _opt(b["old_used_monthly_usd"]) + " (fullest period)",
                    _opt(b["new_used_monthly_usd"]) + " (fullest period)",
                    _signed(b["delta_monthly_usd"]), _opt(b["old_limit_monthly_usd"]) + " per period",
                    _opt(b["new_limit_monthly_usd"]) + " per period"]

        rows = [[*cells(b), f"{binding(b['old_binding'])} → {binding(b['new_binding'])}"]
                for b in diff["budgets"]]
        out.append(("Budgets", ["budget", "used / month (old)", "used / month (new)", "delta / month",
                                "limit (old)", "limit (new)", "binding"], rows, {1, 2, 3, 4, 5}))
    out += _time_sections(diff)
    return out


def _period_changes(changes: list[dict[str, Any]], most: int = 4) -> str:
    """``p3: 1 → 2, p4: 1 → 2`` (instances) or ``p1: 35 → 0 h`` (instance-hours), the
    first ``most`` and how many more."""
    def n(v: float) -> str:
        return f"{v:,.1f}".removesuffix(".0")

    words = [f"p{c['period']}: {n(c['old'])} → {n(c['new'])}"
             + (" h" if c["unit"] == "instance-hours" else "") for c in changes[:most]]
    if len(changes) > most:
        words.append(f"+{len(changes) - most} more")
    return ", ".join(words)


def _time_sections(diff: dict[str, Any]) -> list[tuple[str, list[str], list[list[str]], set[int]]]:
    """Committed and idle cost of owned hardware, changed periods and owned offerings."""
    out: list[tuple[str, list[str], list[list[str]], set[int]]] = []
    c = diff.get("committed") or {}
    rows = [[name, money(c[f"old_{key}_monthly_usd"]), money(c[f"new_{key}_monthly_usd"]),
             _signed(c[f"delta_{key}_monthly_usd"])]
            for key, name in (("committed", "committed (owned)"), ("idle", "idle (owned)"))
            if c and abs(c[f"delta_{key}_monthly_usd"]) >= 0.005]
    if rows:
        out.append(("Owned hardware cost", ["cost", "old / month", "new / month", "delta / month"],
                    rows, {1, 2, 3}))
    if diff.get("periods"):
        rows = [[str(p["period"]), str(p["start"]), money(p["old_usd"]), money(p["new_usd"]),
                 _signed(p["delta_usd"])] for p in diff["periods"]]
        out.append(("Periods changed", ["period", "from", "old", "new", "delta"], rows, {0, 2, 3, 4}))
    if diff.get("owned"):
        def share(v: float | None) -> str:
            return "-" if v is None else f"{v:.1%}"

        def count(u: dict[str, Any], key: str) -> str:
            return f"{'-' if u.get('old_' + key) is None else u['old_' + key]} → " \
                   f"{'-' if u.get('new_' + key) is None else u['new_' + key]}"

        rows = [[f"{u['site']}/{u['offering']}", count(u, "available"), count(u, "bought"),
                 f"{share(u['old_utilisation'])} → {share(u['new_utilisation'])}",
                 money(u.get("old_committed_monthly_usd", 0.0)),
                 money(u.get("new_committed_monthly_usd", 0.0)),
                 money(u["old_idle_monthly_usd"]), money(u["new_idle_monthly_usd"])]
                for u in diff["owned"]]
        out.append(("Owned hardware", ["offering", "owned", "bought", "utilisation",
                                       "committed / month (old)", "committed / month (new)",
                                       "idle / month (old)", "idle / month (new)"],
                    rows, {4, 5, 6, 7}))
    return out


def _title(diff: dict[str, Any]) -> str:
    o, n = diff["old"], diff["new"]
    status = "" if o["status"] == n["status"] else f" (status {o['status']} → {n['status']})"
    return f"{o['scenario']} ({o['file']}) → {n['scenario']} ({n['file']}){status}"


# Columns that give way first on a narrow terminal (reports.fit); the rest always show.
_LEVELS = {"offering": 2, "pricing": 3, "delta / hour": 4, "limit (old)": 2, "limit (new)": 2}


def diff_table(diff: dict[str, Any], width: int | None = None, wide: bool = False) -> str:
    """Tables fitted to a terminal of ``width`` columns (reports.fit); every column as wide
    as its content when ``width`` is None (files, pipes) or ``wide``."""
    tables = [TableData(title, tuple(header), tuple(tuple(r) for r in rows), frozenset(numeric),
                        levels=tuple(_LEVELS.get(h, 0) for h in header))
              for title, header, rows, numeric in _sections(diff)]
    unchanged = [] if tables else ["No placement, group or budget changed."]
    unchanged += [diff["periods_note"]] if diff.get("periods_note") else []
    if width is None or wide:
        lines = [clean(_title(diff)), clean(diff_headline(diff)), *unchanged]
        for table in tables:
            lines += plain_table(table)
        return "\n".join(lines) + "\n"
    lead = [(_title(diff), ""), (diff_headline(diff), "bold"), *((u, "") for u in unchanged)]
    return fitted_text(lead, tables, width)


def _capped(header: list[str], rows: list[list[str]], numeric: set[int]) -> list[str]:
    """A table of at most MAX_ROWS rows (changes come largest first) and a note."""
    lines = [*md_table(header, rows[:MAX_ROWS], frozenset(numeric)), ""]
    if len(rows) > MAX_ROWS:
        lines += [f"_{len(rows) - MAX_ROWS} more rows not shown; `--format json` lists them all._", ""]
    return lines


def diff_markdown(diff: dict[str, Any]) -> str:
    """For a pull-request comment: headline open, the long group tables folded."""
    lines = [f"### tierplan diff: {md_escape(_title(diff))}", "",
             f"**{md_escape(diff_headline(diff))}**", ""]
    sections = _sections(diff)
    if not sections:
        lines += ["No placement, group or budget changed.", ""]
    if diff.get("periods_note"):
        lines += [f"_{md_escape(diff['periods_note'])}_", ""]
    groups = [s for s in sections if s[0].startswith("Cost by")]
    for title, header, rows, numeric in sections:
        if title.startswith("Cost by"):
            continue
        lines += [f"#### {md_escape(title)}", "", *_capped(header, rows, numeric)]
    if groups:
        body: list[str] = []
        for title, header, rows, numeric in groups:
            body += [f"##### {md_escape(title)}", "", *_capped(header, rows, numeric)]
        lines += ["<details>", "<summary>Cost by tier, provider, site, team and workload</summary>", "",
                  *body, "</details>", ""]
    return "\n".join(lines)


def diff_json(diff: dict[str, Any]) -> str:
    return json.dumps(diff, indent=2) + "\n"


DIFF_FORMATS = ("table", "markdown", "json")


def render_diff(diff: dict[str, Any], fmt: str, width: int | None = None, wide: bool = False) -> str:
    if fmt == "json":
        return diff_json(diff)
    if fmt == "markdown":
        return diff_markdown(diff)
    return diff_table(diff, width, wide)
