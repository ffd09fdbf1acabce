"""Tables fitted to a terminal of a given width.

Numbers never wrap: a numeric column is always as wide as its widest cell. When the
table is wider than the terminal, the columns of least importance (the highest
``TableData.levels``) give way first, and the report ends with a line naming what was
hidden and that ``--wide`` shows it; columns at level ``WIDE`` appear only with
``--wide``. Text (names, details) that still does not fit folds onto further lines, so
no name is ever cut. ``--wide``, files and pipes do not come here: they get every column
at its natural width (``tables.plain_table``), whatever the terminal.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

from rich import box
from rich.cells import cell_len
from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from .safe import cell, clean
from .tables import WIDE, TableData

__all__ = ["SHORT_HEADERS", "WIDE", "fitted_text"]

SHORT_HEADERS = {
    "per month": "$/month", "per hour": "$/h", "instances": "n", "accelerator": "accel",
    "used per month": "used $/month", "limit per month": "limit $/month",
    "headroom per month": "headroom $/month", "used per hour": "used $/h",
}
"""Headings as a terminal shows them, where every column counts."""

# Each column takes its cells plus one space either side and one between columns
# (Rich's SIMPLE_HEAD box), and the table one more at its right edge.
_PAD, _EDGE = 3, 1
_MIN_TEXT = 6  # a text column narrower than this reads as noise; wider tables wrap instead


@dataclass(frozen=True, slots=True)
class _Plan:
    columns: tuple[int, ...]
    widths: tuple[int, ...]
    hidden: tuple[str, ...]


def _header(t: TableData, i: int) -> str:
    return clean(SHORT_HEADERS.get(t.header[i], t.header[i]))


def _natural(t: TableData, i: int, squeeze: bool = False) -> int:
    """The column's width with every cell on one line; ``squeeze``: its heading may wrap
    between its words (a cell of a number never does)."""
    cells = [clean(r[i]) for r in t.rows] + ([clean(t.total[i])] if t.total else [])
    head = _header(t, i)
    head_width = max(cell_len(w) for w in head.split() or [""]) if squeeze else cell_len(head)
    return max([head_width, *(cell_len(c) for c in cells)])


def _level(t: TableData, i: int) -> int:
    return t.levels[i] if t.levels else 0


def _needed(widths: Sequence[int]) -> int:
    return sum(widths) + _PAD * len(widths) + _EDGE


def _layout(t: TableData, width: int) -> _Plan:
    """Which columns show and how wide: headings wrap between words first, then the least
    important columns give way, then text folds (never below ``_MIN_TEXT`` unless its own)."""
    cols = [i for i in range(len(t.header)) if _level(t, i) < WIDE]
    natural = [_natural(t, i) for i in range(len(t.header))]
    if _needed([natural[i] for i in cols]) > width:
        natural = [_natural(t, i, squeeze=True) for i in range(len(t.header))]
    while _needed([natural[i] for i in cols]) > width:
        droppable = [i for i in cols if _level(t, i) > 0]
        if not droppable:
            break
        cols.remove(max(droppable, key=lambda i: (_level(t, i), i)))
    widths = {i: natural[i] for i in cols}
    text = sorted((i for i in cols if i not in t.numeric), key=lambda i: natural[i])
    room = width - _needed([natural[i] for i in cols if i in t.numeric] + [0] * len(text))
    for n, i in enumerate(text):  # share what the numbers leave, narrowest text first
        share = max(_MIN_TEXT, room // (len(text) - n))
        widths[i] = min(natural[i], share)
        room -= widths[i]
    hidden = tuple(_header(t, i) for i in range(len(t.header)) if i not in cols)
    return _Plan(tuple(cols), tuple(widths[i] for i in cols), hidden)


def _rich_table(t: TableData, plan: _Plan) -> Table:
    # Names come from input files: every text goes in as a cleaned Rich Text (reports.safe),
    # never as console markup.
    table = Table(title=cell(t.title), box=box.SIMPLE_HEAD, title_justify="left",
                  show_footer=t.total is not None)
    for i, w in zip(plan.columns, plan.widths, strict=True):
        numeric = i in t.numeric
        # A numeric column is as wide as its widest cell, so its numbers never wrap; only
        # a longer heading wraps, between its words.
        table.add_column(cell(_header(t, i)), justify="right" if numeric else "left", width=w,
                         overflow="fold", footer=cell(t.total[i]) if t.total else "")
    for row in t.rows:
        table.add_row(*(cell(row[i]) for i in plan.columns))
    return table


def fitted_text(lead: Sequence[tuple[str, str]], tables: Sequence[TableData], width: int) -> str:
    """``lead`` lines (text, Rich style) then ``tables``, fitted to ``width`` columns.

    The console grows past ``width`` only when the columns that must stay (the numbers
    and the essential ones) cannot fit even with their text folded: a terminal then
    wraps the line, but no number is ever split by the layout.
    """
    parts: list[RenderableType] = [Text(clean(text), style=style) for text, style in lead]
    hidden: list[str] = []
    needed = width
    for t in tables:
        plan = _layout(t, width)
        needed = max(needed, _needed(plan.widths))
        hidden += [h for h in plan.hidden if h not in hidden]
        parts.append(_rich_table(t, plan))
    if hidden:
        parts.append(Text(f"Hidden to fit {width} columns: {', '.join(hidden)}. "
                          "--wide (or a pipe) shows every column."))
    console = Console(file=io.StringIO(), width=needed, record=True, color_system=None)
    console.print(Group(*parts))
    return "\n".join(line.rstrip() for line in console.export_text().splitlines()) + "\n"
