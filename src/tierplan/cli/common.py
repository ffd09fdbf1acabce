"""What every command shares: exit codes, the error line, and quiet-when-piped progress."""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click
from rich.console import Console
from rich.text import Text

from ..errors import InputError, ScenarioError
from ..files import write_atomic
from ..reports.safe import clean

if TYPE_CHECKING:
    from ..reports.tables import TableData

__all__ = [
    "EXIT_ERROR", "EXIT_INFEASIBLE", "EXIT_INPUT", "EXIT_OK", "EXIT_THRESHOLD",
    "FORMAT_HELP", "echo_tables", "emit", "fail", "in_file", "output_format", "progress", "say",
    "table_width", "terminal_text", "today",
]

EXIT_OK, EXIT_ERROR, EXIT_INPUT, EXIT_INFEASIBLE = 0, 1, 2, 3
EXIT_THRESHOLD = 4
"""`tierplan diff --fail-*`: the cost rose past the threshold the user set."""


@contextlib.contextmanager
def progress(message: str) -> Iterator[None]:
    """A spinner on a terminal; nothing at all when stderr is piped."""
    err = Console(stderr=True)
    if sys.stderr.isatty():
        with err.status(Text(terminal_text(message))):
            yield
    else:
        yield


@contextlib.contextmanager
def in_file(path: str) -> Iterator[None]:
    """Name ``path`` in an input error found while working on it (for instance numbers
    valid one by one that multiply past what the planner can hold), when the error
    does not name a file already."""
    try:
        yield
    except ScenarioError:
        raise
    except InputError as exc:
        raise ScenarioError(path, "", str(exc)) from None


EXTENSION_FORMATS = {".json": "json", ".csv": "csv", ".md": "markdown", ".markdown": "markdown",
                     ".html": "html", ".htm": "html"}
"""The format a known extension of ``-o FILE`` stands for."""

FORMAT_HELP = "Output format [default: from -o FILE's extension (.json .csv .md .html), else table]."


def output_format(fmt: str | None, output: str | None, offered: Sequence[str]) -> str:
    """The format to write: ``--format`` when given, else the one ``-o FILE``'s extension
    stands for, else ``table``. A ``--format`` that contradicts the extension, or an
    extension this command cannot write, is an input error naming both."""
    suffix = Path(output).suffix.lower() if output else ""
    implied = EXTENSION_FORMATS.get(suffix)
    if fmt is None:
        if implied is not None and implied not in offered:
            raise InputError(f"-o {output}: a {suffix} file means --format {implied}, which this "
                             f"command does not write; use --format {'|'.join(offered)} and another "
                             "file name")
        return implied or "table"
    if implied is not None and implied != fmt:
        raise InputError(f"--format {fmt} contradicts -o {output} (a {suffix} file means --format "
                         f"{implied}); drop --format or change the file name")
    return fmt


def terminal_text(text: str) -> str:
    """``text`` safe for a terminal: each line through :func:`~tierplan.reports.safe.clean`
    (control and bidi characters, from a file name or a field value, shown as escapes);
    the line breaks between lines are kept."""
    return "\n".join(clean(line) for line in text.split("\n"))


def say(message: str) -> None:
    """A line for the user on stderr (an error, a note, ``wrote FILE``), made safe first.
    Every message the commands print on stderr goes through here."""
    click.echo(terminal_text(message), err=True)


def fail(message: str, code: int) -> NoReturn:
    say(f"tierplan: error: {message}")
    sys.exit(code)


CLOCK_VARIABLE = "SOURCE_DATE_EPOCH"
"""The reproducible-builds convention: seconds since 1970 (UTC) that stand for "now"."""


def today(environ: Mapping[str, str] | None = None) -> date:
    """The date the reports measure the prices' age against: the day ``SOURCE_DATE_EPOCH``
    names when it is set (so that a report, a golden output or a test does not change
    with the calendar), else the current date. The one place a command reads the date."""
    env = os.environ if environ is None else environ
    raw = env.get(CLOCK_VARIABLE, "").strip()
    if not raw:
        return date.today()
    try:
        return datetime.fromtimestamp(int(raw), UTC).date()
    except (ValueError, OverflowError, OSError):
        raise InputError(f"{CLOCK_VARIABLE}={raw!r}: not a date; give whole seconds since "
                         "1970-01-01 UTC (e.g. 1767225600 for 2026-01-01), or unset it") from None


def table_width(output: str | None) -> int | None:
    """The terminal's width when a table goes to it; None (natural width) for files and pipes."""
    return shutil.get_terminal_size().columns if not output and sys.stdout.isatty() else None


def emit(text: str, output: str | None, note: str = "") -> None:
    """Write ``text`` to ``output`` atomically (saying so on stderr), or to stdout."""
    if output:
        write_atomic(output, text)
        say(f"wrote {output}{note}")
    else:
        click.echo(text, nl=False)


def echo_tables(tables: Sequence[TableData], wide: bool = False) -> None:
    """Print tables on stdout: fitted to a terminal (reports.fit), or every column at its
    natural width with ``wide`` or when stdout is a file or a pipe (plain and stable)."""
    from ..reports.fit import fitted_text
    from ..reports.tables import plain_table

    width = table_width(None)
    if wide or width is None:
        click.echo("\n".join(line for t in tables for line in plain_table(t)), nl=False)
    else:
        click.echo(fitted_text([], tables, width), nl=False)
