"""Every option of every command says what it does in `--help` (the first-user audit)."""

from __future__ import annotations

import click
import pytest

from tierplan.cli import cli


def commands(group: click.Group, prefix: str = "tierplan") -> list[tuple[str, click.Command]]:
    ctx = click.Context(group)
    out: list[tuple[str, click.Command]] = []
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None
        out.append((f"{prefix} {name}", command))
        if isinstance(command, click.Group):
            out += commands(command, f"{prefix} {name}")
    return out


@pytest.mark.parametrize(("name", "command"), commands(cli), ids=lambda v: v if isinstance(v, str) else "")
def test_every_option_has_help(name, command):
    assert command.help, f"{name} has no description"
    silent = [p.opts[-1] for p in command.params
              if isinstance(p, click.Option) and not p.hidden and not p.help and p.name != "help"]
    assert silent == [], f"{name}: options without help: {silent}"
