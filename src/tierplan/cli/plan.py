"""`tierplan plan` and `tierplan validate`."""

from __future__ import annotations

import sys
import time

import click

from ..reports import FORMATS, render
from ..reports.tables import total_note
from ..scenario import load_scenario
from ..scheduler import PlanOptions, plan
from ..scheduler.budget import effort_seconds
from .common import (
    EXIT_ERROR,
    EXIT_INFEASIBLE,
    FORMAT_HELP,
    emit,
    in_file,
    output_format,
    progress,
    say,
    table_width,
    terminal_text,
    today,
)
from .params import Finite

__all__ = ["plan_cmd", "validate_cmd"]


@click.command("plan")
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(list(FORMATS)), default=None, help=FORMAT_HELP)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to FILE (atomically).")
@click.option("--wide", is_flag=True, help="On a terminal, show every column of the table in full "
              "(by default the table fits the terminal, least important columns first to go).")
@click.option("--objective", type=click.Choice(["cost", "latency"]),
              help="Override the scenario's objective.")
@click.option("--solver", type=click.Choice(["highs", "cbc"]), default="highs", show_default=True,
              help="MILP solver: HiGHS (highspy) or CBC (through PuLP).")
@click.option("--effort", default="normal", show_default=True,
              help="How much work the solver may do: low, normal, high, or a number of work "
                   "seconds. The same scenario and effort give the same plan on any machine.")
@click.option("--strategy", type=click.Choice(["auto", "monolithic", "decomposition"]),
              default="auto", show_default=True,
              help="One MILP per group of workloads that share a limit (monolithic), "
                   "workloads solved apart and joined where shared limits bind "
                   "(decomposition), or chosen by size (auto).")
@click.option("--time-limit", type=Finite(min=0, min_open=True), default=300.0,
              show_default=True,
              help="Wall-clock guard in seconds: solving stops here whatever the effort "
                   "(the plan then says so and may differ between runs).")
@click.option("--gap", type=Finite(min=0, max=1), default=1e-4, show_default=True,
              help="Relative MIP gap at which a plan counts as optimal.")
@click.option("--tie-break", type=click.Choice(["routing", "exact"]), default="routing",
              show_default=True,
              help="Among equal-cost plans prefer lower latency by re-routing traffic "
                   "(routing) or by also searching other instance choices (exact, slower).")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Processes for independent parts of large scenarios [default: cores].")
def plan_cmd(scenario: str, fmt: str | None, output: str | None, wide: bool,
             objective: str | None, solver: str, effort: str, strategy: str, time_limit: float,
             gap: float, tie_break: str, workers: int | None) -> None:
    """Place the workloads of SCENARIO at the lowest cost (or latency) and report it."""
    fmt = output_format(fmt, output, list(FORMATS))
    try:
        effort_seconds(effort)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="'--effort'") from None
    as_of = today()  # before planning: a bad SOURCE_DATE_EPOCH fails at once
    loaded = load_scenario(scenario)
    options = PlanOptions(objective=objective, solver=solver, effort=effort,  # type: ignore[arg-type]
                          strategy=strategy, time_limit=time_limit,  # type: ignore[arg-type]
                          gap=gap, tie_break=tie_break, workers=workers)  # type: ignore[arg-type]
    began = time.perf_counter()
    with progress(f"planning {loaded.name} ({len(loaded.workloads)} workloads)"), \
            in_file(scenario):
        result = plan(loaded, options)
    took = time.perf_counter() - began
    if took > time_limit + max(OVERRUN_SLACK, OVERRUN_SHARE * time_limit):
        say(f"tierplan: note: planning took {took:.1f} s, past --time-limit "
            f"{time_limit:g} s: steps that cannot stop part-way were finished (in one "
            "period, each workload's own solve and the start of workloads that share a "
            "limit; over periods, the step running at the limit); see "
            "docs/plan-semantics.md, 'Optimality and time limits'")
    total = total_note(result.total_cost_usd, result.horizon_hours) if result.placements else "no plan"
    emit(render(result, fmt, table_width(output), wide, today=as_of), output,
         f" ({result.status}, {total})")
    if result.status == "infeasible":
        sys.exit(EXIT_INFEASIBLE)
    if not result.placements and result.status == "time_limit":
        sys.exit(EXIT_ERROR)


# How far past --time-limit a run may end before the CLI says so: process start-up,
# polishing and the report take a little time even for a run that stops at the limit.
OVERRUN_SLACK, OVERRUN_SHARE = 0.5, 0.1


@click.command("validate")
@click.argument("scenario", type=click.Path(dir_okay=False))
def validate_cmd(scenario: str) -> None:
    """Check SCENARIO without planning: exit 0 if valid, 2 with the field at fault if not."""
    loaded = load_scenario(scenario)
    n_off = sum(len(s.offerings) for s in loaded.sites)
    click.echo(f"{terminal_text(scenario)}: valid: {len(loaded.sites)} sites, {n_off} offerings, "
               f"{len(loaded.clients)} clients, {len(loaded.workloads)} workloads, "
               f"{len(loaded.budgets)} budgets")
