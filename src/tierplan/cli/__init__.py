"""The ``tierplan`` command: parse, call, render, and map errors to exit codes.

Exit codes (SPEC section 3): 0 done; 2 bad input (the message names the file and the
field); 3 infeasible (the output still carries the diagnosis); 4 `diff` threshold
exceeded; 1 anything else.

Each command lives in its own module and is imported only when it runs, so `tierplan
plan` never pays for pandas, the simulator or the cloud SDKs.
"""

from __future__ import annotations

import contextlib
import errno
import importlib
import importlib.util
import io
import os
import sys
from typing import Any

import click

from .. import __version__
from ..errors import InputError, TierplanError
from .common import EXIT_ERROR, EXIT_INPUT, EXIT_OK, fail, say

__all__ = ["cli", "main"]

# command name -> (module, attribute, one-line help)
_COMMANDS: dict[str, tuple[str, str, str]] = {
    "plan": ("tierplan.cli.plan", "plan_cmd", "Place the workloads of a scenario and report the cost."),
    "validate": ("tierplan.cli.plan", "validate_cmd", "Check a scenario without planning."),
    "catalog": ("tierplan.cli.catalog", "catalog", "Offerings, GPUs and sites from the price catalog."),
    "simulate": ("tierplan.cli.simulate", "simulate_cmd", "Replay demand through placement policies."),
    "autoscale": ("tierplan.cli.autoscale", "autoscale_cmd", "Keep inference endpoints sized."),
    "diff": ("tierplan.cli.diff", "diff_cmd", "What changed between two plan JSON files."),
    "init": ("tierplan.cli.init", "init_cmd", "Write a commented starter scenario."),
    "schema": ("tierplan.cli.schema", "schema_cmd", "JSON Schema of a config file, for editors."),
}


def _available(name: str) -> bool:
    return importlib.util.find_spec(_COMMANDS[name][0]) is not None


class _LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return [name for name in _COMMANDS if _available(name)]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in _COMMANDS or not _available(cmd_name):
            return None
        module, attr, _ = _COMMANDS[cmd_name]
        command = getattr(importlib.import_module(module), attr)
        assert isinstance(command, click.Command)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, _COMMANDS[name][2]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]},
             epilog="`tierplan COMMAND --help` lists a command's options. Exit codes: 0 done, 2 bad "
                    "input (the message names the file and the field), 3 infeasible, 4 `diff` "
                    "threshold exceeded, 1 anything else.")
@click.version_option(__version__, prog_name="tierplan")
def cli() -> None:
    """Cost-aware placement of AI workloads across cloud, on-prem and edge."""


class _Terminal(io.StringIO):
    """Where click writes an error for :func:`main` to clean: click strips escape
    sequences from text bound for a file, so this says it is a terminal, and the
    sequences get shown as escapes like any others."""

    def isatty(self) -> bool:
        return True


def main(argv: list[str] | None = None) -> Any:
    """Entry point: errors are caught here, at the boundary, and only here.

    click runs without its standalone mode so that its own errors (a bad option, a
    missing file argument, whose text holds what the user typed) are printed here, made
    safe for the terminal like every other message (common.say)."""
    try:
        code = cli.main(args=argv, prog_name="tierplan", standalone_mode=False)
        sys.exit(code if isinstance(code, int) else EXIT_OK)
    except click.ClickException as exc:
        shown = _Terminal()
        exc.show(file=shown)
        say(shown.getvalue().rstrip("\n"))
        sys.exit(exc.exit_code)
    except click.Abort:
        say("Aborted!")
        sys.exit(EXIT_ERROR)
    except InputError as exc:
        fail(str(exc), EXIT_INPUT)
    except TierplanError as exc:
        fail(str(exc), EXIT_ERROR)
    except OSError as exc:
        if exc.errno == errno.EPIPE:
            # The reader of a pipe went away (`tierplan ... | head`): exit quietly, as
            # click's standalone mode does; stdout goes to /dev/null so that the
            # interpreter's final flush does not fail again (Python's signal docs).
            with contextlib.suppress(OSError, ValueError):
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(EXIT_ERROR)
        fail(f"{exc.filename or ''}: {exc.strerror or exc}", EXIT_ERROR)
