"""`tierplan diff OLD.json NEW.json`: what changed between two plans, and a CI cost gate."""

from __future__ import annotations

import sys

import click

from ..reports.diff import diff_plans, exceeds
from ..reports.diffview import DIFF_FORMATS, render_diff
from ..reports.planfile import load_plan_file
from .common import EXIT_THRESHOLD, emit, output_format, say, table_width
from .params import Finite

__all__ = ["diff_cmd"]


@click.command("diff")
@click.argument("old", type=click.Path(dir_okay=False))
@click.argument("new", type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(DIFF_FORMATS), default=None,
              help="Output format [default: from -o FILE's extension (.json .md), else table]; "
                   "markdown fits a pull-request comment.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to FILE (atomically).")
@click.option("--wide", is_flag=True, help="On a terminal, show every column of the tables in full.")
@click.option("--fail-above-usd", type=Finite(min=0), default=None, metavar="X",
              help="Exit 4 when the monthly cost rises by more than X USD.")
@click.option("--fail-above-percent", type=Finite(min=0), default=None, metavar="P",
              help="Exit 4 when the monthly cost rises by more than P percent.")
def diff_cmd(old: str, new: str, fmt: str | None, output: str | None, wide: bool,
             fail_above_usd: float | None,
             fail_above_percent: float | None) -> None:
    """Compare two plan JSON files (`tierplan plan --format json`): placements moved,
    instances added or removed, and the cost delta in total, per tier, provider, site,
    team and workload, and per budget. Money is a monthly rate (730 h) with the hourly
    rate beside it.
    """
    fmt = output_format(fmt, output, DIFF_FORMATS)
    diff = diff_plans(load_plan_file(old), load_plan_file(new), old, new)
    emit(render_diff(diff, fmt, table_width(output), wide), output)
    reasons = exceeds(diff, fail_above_usd, fail_above_percent)
    if reasons:
        say(f"tierplan: cost check failed: {'; '.join(reasons)}")
        sys.exit(EXIT_THRESHOLD)
