"""What every command shares: exit codes, the error line, and quiet-when-piped progress."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from typing import NoReturn

import click
from rich.console import Console

__all__ = ["EXIT_ERROR", "EXIT_INFEASIBLE", "EXIT_INPUT", "EXIT_OK", "EXIT_THRESHOLD", "fail", "progress"]

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


def fail(message: str, code: int) -> NoReturn:
    click.echo(f"tierplan: error: {message}", err=True)
    sys.exit(code)
