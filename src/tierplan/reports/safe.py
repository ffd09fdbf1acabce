"""Untrusted text (names from input files and catalogs) made safe at the render boundary.

- :func:`clean`: control characters (C0, DEL, C1, which include ESC and CSI) and the
  Unicode bidirectional overrides are shown as escapes (``\\x1b``, ``\\u202e``), so a
  name cannot move the cursor, clear the screen, set a window title or reorder what the
  terminal shows. Every other character is kept as it is.
- :func:`cell`: a Rich ``Text`` of the cleaned string. Rich reads a plain ``str`` as
  console markup, so ``[/]`` would raise and ``[red]x[/red]`` would lose its brackets;
  a ``Text`` is shown exactly as written.
- :func:`csv_value`: a CSV field that a spreadsheet will not run as a formula (OWASP's
  advice: a text starting with ``= + - @``, tab or carriage return gets a leading ``'``);
  numbers stay numbers, so a negative amount is still ``-3.5``.
- :func:`csv_text`: rows -> CSV text through :func:`csv_value`, the one CSV writer of
  the reports.
"""

from __future__ import annotations

import csv
import io
import numbers
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from rich.text import Text

__all__ = ["cell", "clean", "csv_text", "csv_value"]

_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def clean(text: str) -> str:
    """``text`` with control and bidi-override characters shown as escapes."""
    return _UNSAFE.sub(_escape, text)


def cell(text: str) -> Text:
    """A table cell for Rich: cleaned, and never read as console markup."""
    return Text(clean(text))


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def csv_value(value: Any) -> Any:
    """``value`` as a CSV field a spreadsheet shows as text, never runs as a formula.

    Numbers (Python's or numpy's, not bool) and text that is only a number (``-3.5``)
    are returned unchanged; ``None`` becomes ``""``.
    """
    if value is None:
        return ""
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return value
    text = str(value)
    if text.startswith(_FORMULA_START) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def csv_text(columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> str:
    """CSV with a header row; each row's values for ``columns`` (missing keys empty),
    passed through :func:`csv_value`."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([csv_value(c) for c in columns])
    for row in rows:
        writer.writerow([csv_value(row.get(c)) for c in columns])
    return out.getvalue()
