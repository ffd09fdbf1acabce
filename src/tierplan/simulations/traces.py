"""Reading trace files: CSV, JSON Lines or Parquet -> checked columns with line numbers.

Every problem is a :class:`~tierplan.errors.ScenarioError` naming the simulation file,
the field, the data file and (where there is one) the line: a file whose shape does not
match its format (JSON Lines read as CSV), a missing column, an empty, non-finite or
absurd value (``inf``, ``1e300`` rps, a time of ``1e308`` s), a negative value, times
that go backwards.

The reader follows ``reader`` (``auto``: by the name's ending, ``.jsonl``/``.ndjson`` JSON
Lines, ``.parquet``/``.pq`` Parquet, anything else CSV). Lines count from 1 as an editor
shows them: a CSV's header is line 1; a Parquet file has rows, not lines.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ScenarioError

__all__ = ["MAX_RATE", "MAX_SECONDS", "Table", "Where", "filtered", "read_table", "seconds", "values"]

MAX_RATE = 1e9  # rps, instances or USD per hour: more is a unit mistake, not a workload
MAX_SECONDS = 100 * 365.25 * 86_400  # a trace spanning more than a century is a unit mistake
_UNITS = {"s": 1.0, "ms": 1e-3, "us": 1e-6}


@dataclass(frozen=True)
class Where:
    """Where a column comes from, for error messages: the simulation file and field path."""

    file: str
    field: str

    def fail(self, message: str, field: str | None = None) -> ScenarioError:
        return ScenarioError(self.file, field or self.field, message)


@dataclass(frozen=True)
class Table:
    """Columns of a data file (pandas Series), and each row's line in the file."""

    path: Path
    kind: str  # csv | jsonl | parquet
    columns: Mapping[str, Any]
    lines: np.ndarray  # int64, one per row

    def at(self, row: int) -> str:
        return f"row {int(self.lines[row])}" if self.kind == "parquet" else f"line {int(self.lines[row])}"


def _kind(path: Path, reader: str) -> str:
    if reader != "auto":
        return reader
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    if suffix in (".parquet", ".pq"):
        return "parquet"
    return "csv"


def read_table(path: Path, columns: Sequence[str], where: Where, reader: str = "auto",
               fields: Mapping[str, str] | None = None, optional: Sequence[str] = ()) -> Table:
    """The named columns of a data file (and those of ``optional`` it has). ``fields``
    maps a column to the simulation field that names it (``time_column``), for the error
    when it is missing."""
    kind = _kind(path, reader)
    if kind == "jsonl":
        table = _jsonl(path, columns, where)
    elif kind == "parquet":
        table = _parquet(path, where)
    else:
        table = _csv(path, where)
    have = list(table.columns)
    for name in dict.fromkeys(columns):
        if name not in table.columns:
            field = f"{where.field}.{(fields or {}).get(name, 'path')}"
            raise where.fail(f"{path} has no column {name!r}; its columns: "
                             f"{', '.join(map(str, have)) or 'none'}", field)
    wanted = [*dict.fromkeys(columns), *(c for c in optional if c in table.columns and c not in columns)]
    return Table(path, kind, {c: table.columns[c] for c in wanted}, table.lines)


def _csv(path: Path, where: Where) -> Table:
    import pandas as pd

    head = _first_line(path, where)
    if head.lstrip().startswith(("{", "[")):
        raise where.fail(f"{path} looks like JSON (line 1 starts with {head.lstrip()[0]!r}), not CSV: "
                         "name it .jsonl or set reader: jsonl", f"{where.field}.reader")
    try:
        frame = pd.read_csv(path, skip_blank_lines=False)
    except (OSError, ValueError, pd.errors.ParserError) as exc:  # EmptyDataError, bad UTF-8
        raise where.fail(f"cannot read {path} as CSV ({exc})", f"{where.field}.path") from None
    # Blank lines are kept as empty rows so that row i is line i + 2; they are dropped here.
    lines = np.arange(len(frame), dtype=np.int64) + 2
    keep = ~frame.isna().all(axis=1).to_numpy()
    frame = frame[keep]
    return Table(path, "csv", {c: frame[c] for c in frame.columns}, lines[keep])


def _first_line(path: Path, where: Where) -> str:
    try:
        with path.open("rb") as f:
            raw = f.readline(4096)
    except OSError as exc:
        raise where.fail(f"cannot read {path} ({exc})", f"{where.field}.path") from None
    return raw.decode("utf-8", errors="replace").lstrip("\ufeff")


def _jsonl(path: Path, columns: Sequence[str], where: Where) -> Table:
    import pandas as pd

    data: dict[str, list[Any]] = {c: [] for c in dict.fromkeys(columns)}
    seen: dict[str, None] = {}
    lines: list[int] = []
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise where.fail(f"cannot read {path} ({exc})", f"{where.field}.path") from None
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError as exc:
            raise where.fail(f"{path} line {number} is not JSON ({exc.args[0] if exc.args else exc}); "
                             "a JSON Lines file holds one object per line", f"{where.field}.path") from None
        if not isinstance(row, dict):
            raise where.fail(f"{path} line {number} is a JSON {type(row).__name__}, not an object "
                             "such as {\"time\": 0, \"rps\": 3}", f"{where.field}.path")
        seen.update(dict.fromkeys(row))
        for c in data:
            data[c].append(row.get(c))
        lines.append(number)
    if not lines:
        raise where.fail(f"{path} has no rows", f"{where.field}.path")
    present = {c: pd.Series(v, dtype=object) for c, v in data.items() if c in seen}
    # Columns no row has stay missing, so that read_table names every column there is.
    absent = {c: None for c in seen if c not in present}
    return Table(path, "jsonl", {**present, **absent}, np.array(lines, dtype=np.int64))


def _parquet(path: Path, where: Where) -> Table:
    import pandas as pd

    try:
        import pyarrow  # noqa: F401
    except ImportError:
        raise where.fail("reading Parquet needs pyarrow: pip install 'tierplan[parquet]'",
                         f"{where.field}.path") from None
    try:
        frame = pd.read_parquet(path)
    except (OSError, ValueError) as exc:
        raise where.fail(f"cannot read {path} as Parquet ({exc})", f"{where.field}.path") from None
    except Exception as exc:  # pyarrow's own errors (ArrowInvalid) are ValueErrors only in part
        raise where.fail(f"cannot read {path} as Parquet ({type(exc).__name__}: {exc})",
                         f"{where.field}.path") from None
    return Table(path, "parquet", {c: frame[c] for c in frame.columns},
                 np.arange(len(frame), dtype=np.int64) + 1)


def _show(cell: Any) -> str:
    """A cell as the file has it: text quoted, numbers plain (no numpy type names)."""
    if isinstance(cell, str):
        return repr(cell)
    return "empty" if cell is None or (isinstance(cell, float) and np.isnan(cell)) else f"{cell:g}" \
        if isinstance(cell, float | np.floating) else str(cell)


def _bad(table: Table, mask: np.ndarray) -> int:
    return int(np.flatnonzero(mask)[0])


def seconds(table: Table, column: str, where: Where, unit: str = "s",
            field: str = "time_column") -> np.ndarray:
    """Seconds per row: numbers in ``unit`` (s, ms, us), text parsed as ISO 8601 times.
    Refuses empty, non-finite or absurd times; does not reorder."""
    import pandas as pd

    series = table.columns[column]
    field = f"{where.field}.{field}"
    if len(series) == 0:
        raise where.fail(f"{table.path} has no rows", f"{where.field}.path")
    numbers = pd.to_numeric(series, errors="coerce")
    text = series.notna() & numbers.isna()
    if not text.any():
        sec = numbers.to_numpy(dtype=float) * _UNITS[unit]
    elif text.all():
        try:
            stamps = pd.to_datetime(series.astype(str), format="ISO8601", utc=True)
        except (ValueError, TypeError) as exc:
            # pandas appends advice about its own arguments after the first sentence
            reason = str(exc).split(". You might")[0].split("\n")[0]
            raise where.fail(f"{table.path}: cannot read the timestamps ({reason}); use numbers "
                             "(time_unit: s, ms or us) or ISO 8601 times such as 2024-05-01T12:00:00Z",
                             field) from None
        sec = (stamps - stamps.min()).dt.total_seconds().to_numpy(dtype=float)
    else:
        row = _bad(table, text.to_numpy())
        raise where.fail(f"{table.path} {table.at(row)}: time {_show(series.iloc[row])} is text "
                         "among numbers", field)
    bad = ~np.isfinite(sec)
    if bad.any():
        row = _bad(table, bad)
        raise where.fail(f"{table.path} {table.at(row)}: every row needs a time, a finite "
                         f"number or a timestamp (got {_show(series.iloc[row])})", field)
    sec = sec - float(sec[0])
    if (np.abs(sec) > MAX_SECONDS).any():
        row = _bad(table, np.abs(sec) > MAX_SECONDS)
        raise where.fail(f"{table.path} {table.at(row)}: time {_show(series.iloc[row])} is more than a "
                         f"century after the first row; check time_unit ({unit})", field)
    back = np.diff(sec) < 0
    if back.any():
        row = _bad(table, back) + 1
        raise where.fail(f"{table.path} {table.at(row)}: the time goes backwards ({_show(series.iloc[row])} "
                         f"after {_show(series.iloc[row - 1])}); sort the file by time", field)
    return np.asarray(sec - float(np.min(sec)), dtype=float)


def values(table: Table, column: str, where: Where, field: str, what: str = "values",
           limit: float = MAX_RATE) -> np.ndarray:
    """A numeric column: every row a finite number from 0 to ``limit``."""
    import pandas as pd

    series = table.columns[column]
    got = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)
    for mask, why in ((np.isnan(got), "is not a number"), (~np.isfinite(got), "is not finite"),
                      (got < 0, "is negative"), (got > limit, f"is above {limit:,.0f}")):
        if mask.any():
            row = _bad(table, mask)
            raise where.fail(f"{table.path} {table.at(row)}: {what} must be finite numbers from 0 to "
                             f"{limit:,.0f}; {_show(series.iloc[row])} {why}", f"{where.field}.{field}")
    return np.asarray(got, dtype=float)


def filtered(table: Table, wanted: Mapping[str, Any], where: Where) -> Table:
    """The rows whose columns hold the given values (numbers compared as numbers)."""
    import pandas as pd

    if not wanted:
        return table
    keep = np.ones(len(table.lines), dtype=bool)
    for column, value in wanted.items():
        series = table.columns[column]
        if isinstance(value, int | float) and not isinstance(value, bool):
            keep &= (pd.to_numeric(series, errors="coerce") == value).to_numpy()
        else:
            text = str(value).lower() if isinstance(value, bool) else str(value)
            cells = series.astype(str)
            keep &= ((cells.str.lower() if isinstance(value, bool) else cells) == text).to_numpy()
    if not keep.any():
        shown = {c: sorted(map(str, table.columns[c].dropna().unique()))[:5] for c in wanted}
        raise where.fail(f"{table.path}: no row matches the filter; values there: "
                         + "; ".join(f"{c}: {', '.join(v) or 'none'}" for c, v in shown.items()),
                         f"{where.field}.filter")
    return Table(table.path, table.kind, {c: v[keep] for c, v in table.columns.items()}, table.lines[keep])
