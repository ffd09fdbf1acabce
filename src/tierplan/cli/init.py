"""`tierplan init FILE`: write a commented starter scenario that plans as written."""

from __future__ import annotations

import os
from pathlib import Path

import click

from ..starter import CLOUDS, TIERS, starter_scenario
from .common import EXIT_INPUT, emit, fail, say

__all__ = ["init_cmd"]


def _names(option: str, value: str, known: tuple[str, ...]) -> list[str]:
    names = [v.strip().lower() for v in value.split(",") if v.strip()]
    for name in names:
        if name not in known:
            fail(f"{option}: unknown value {name!r}; choose from {', '.join(known)}", EXIT_INPUT)
    return list(dict.fromkeys(names))


@click.command("init")
@click.argument("file", type=click.Path(dir_okay=False), default="scenario.yaml")
@click.option("--tiers", default="cloud,onprem,edge", show_default=True, metavar="LIST",
              help=f"Comma-separated tiers to include: {', '.join(TIERS)}.")
@click.option("--clouds", default="aws", show_default=True, metavar="LIST",
              help=f"Comma-separated clouds for the cloud tier: {', '.join(CLOUDS)}.")
@click.option("--name", default=None, help="Scenario name (default: the file's name).")
@click.option("--force", is_flag=True, help="Overwrite FILE if it exists.")
def init_cmd(file: str, tiers: str, clouds: str, name: str | None, force: bool) -> None:
    """Write a commented starter scenario to FILE (default scenario.yaml): cloud regions
    from the bundled price catalog, an owned on-prem server, a store with edge boxes, a
    training job and an inference service, and budgets. It validates and plans as
    written; edit it to describe your own.
    """
    tier_list = _names("--tiers", tiers, TIERS)
    if not tier_list:
        fail("--tiers: give at least one tier", EXIT_INPUT)
    cloud_list = _names("--clouds", clouds, tuple(CLOUDS)) if "cloud" in tier_list else []
    if "cloud" in tier_list and not cloud_list:
        fail("--clouds: the cloud tier needs at least one cloud", EXIT_INPUT)
    if os.path.lexists(file) and not force:
        fail(f"{file} exists; pass --force to overwrite it", EXIT_INPUT)
    text = starter_scenario(tier_list, cloud_list, name or Path(file).stem or "my-scenario")
    emit(text, file)
    say(f"next: tierplan validate {file} && tierplan plan {file}")
