"""`tierplan schema scenario|simulation|autoscale`: the JSON Schema of a config file."""

from __future__ import annotations

import click

from ..reference import KINDS, json_schema_text
from .common import emit

__all__ = ["schema_cmd"]


@click.command("schema")
@click.argument("kind", type=click.Choice(KINDS))
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to FILE (atomically).")
def schema_cmd(kind: str, output: str | None) -> None:
    """Print the JSON Schema of a scenario, simulation or autoscale file, generated from
    the models tierplan validates with. Editors use it to complete and check fields: start
    a YAML file with `# yaml-language-server: $schema=PATH` (docs/schemas/ has all three).
    """
    emit(json_schema_text(kind), output)
