"""The ``tierplan`` command: parse, call, render, and map errors to exit codes.

Exit codes (SPEC section 3): 0 done; 2 bad input (the message names the file and the
field); 3 infeasible (the output still carries the diagnosis); 4 `diff` threshold
exceeded; 1 anything else.

Each command lives in its own module and is imported only when it runs, so `tierplan
plan` never pays for pandas, the simulator or the cloud SDKs.
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any

import click

from .. import __version__
from ..errors import InputError, TierplanError
from .common import EXIT_ERROR, EXIT_INPUT, fail

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


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="tierplan")
def cli() -> None:
    """Cost-aware placement of AI workloads across cloud, on-prem and edge."""


def main(argv: list[str] | None = None) -> Any:
    """Entry point: errors are caught here, at the boundary, and only here."""
    try:
        return cli.main(args=argv, prog_name="tierplan", standalone_mode=True)
    except InputError as exc:
        fail(str(exc), EXIT_INPUT)
    except TierplanError as exc:
        fail(str(exc), EXIT_ERROR)
    except OSError as exc:
        fail(f"{exc.filename or ''}: {exc.strerror or exc}", EXIT_ERROR)
