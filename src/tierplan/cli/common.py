"""What every command shares: exit codes, the error line, and quiet-when-piped progress."""

from __future__ import annotations

import contextlib
import shutil
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click
from rich.console import Console

from ..errors import InputError, ScenarioError
from ..files import write_atomic

if TYPE_CHECKING:
    from ..reports.tables import TableData

__all__ = [
    "EXIT_ERROR", "EXIT_INFEASIBLE", "EXIT_INPUT", "EXIT_OK", "EXIT_THRESHOLD",
    "FORMAT_HELP", "echo_tables", "emit", "fail", "in_file", "output_format", "progress", "table_width",
]

EXIT_OK, EXIT_ERROR, EXIT_INPUT, EXIT_INFEASIBLE = 0, 1, 2, 3
EXIT_THRESHOLD = 4
"""`tierplan diff --fail-*`: the cost rose past the threshold the user set."""


@contextlib.contextmanager
def progress(message: str) -> Iterator[None]:
    """A spinner on a terminal; nothing at all when stderr is piped."""
    err = Console(stderr=True)
    if sys.stderr.isatty():
        with err.status(message):
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


def fail(message: str, code: int) -> NoReturn:
    click.echo(f"tierplan: error: {message}", err=True)
    sys.exit(code)


def table_width(output: str | None) -> int | None:
    """The terminal's width when a table goes to it; None (natural width) for files and pipes."""
    return shutil.get_terminal_size().columns if not output and sys.stdout.isatty() else None


def emit(text: str, output: str | None, note: str = "") -> None:
    """Write ``text`` to ``output`` atomically (saying so on stderr), or to stdout."""
    if output:
        write_atomic(output, text)
        click.echo(f"wrote {output}{note}", err=True)
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
