"""`tierplan simulate`: replay demand through placement policies on a virtual clock."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import click

from ..errors import ScenarioError
from ..simulations.trust import MAX_SWEEP_POINTS, Trust, sweep_size
from .common import echo_tables, in_file, say, terminal_text

if TYPE_CHECKING:
    from ..simulations.spec import Simulation

__all__ = ["simulate_cmd"]


@contextlib.contextmanager
def _bar(total: int, label: str) -> Iterator[Callable[[str, int], None] | None]:
    """A rich progress bar on a terminal; ``None`` (nothing printed) when stderr is piped."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.markup import escape
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeRemainingColumn(), console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(escape(terminal_text(label)), total=total)
        done = 0

        def advance(description: str, completed: int) -> None:
            nonlocal done
            # Redraw every ~1 %: rich's own refresh is throttled, but the call is not free.
            if completed - done >= max(1, total // 100) or completed == total:
                # The description holds the simulation's name: shown as text, never as markup.
                bar.update(task, completed=completed, description=escape(terminal_text(description)))
                done = completed

        yield advance


_HEADERS = {"total_cost_usd": "cost", "cost_per_month_usd": "per month", "slo_attainment_pct": "in SLO",
            "unserved_requests": "unserved",
            "instance_hours": "inst-h", "scale_events": "scalings", "jobs_missed_deadline": "late",
            "preemptions": "preempt", "plan_calls": "plans", "plan_failures": "infeasible"}
# Shown only when some policy has a non-zero value (training-free runs skip job columns).
_OPTIONAL = {"jobs", "jobs_missed_deadline", "preemptions", "plan_calls", "plan_failures"}


def _table(rows: Sequence[dict[str, Any]], columns: Sequence[str], title: str, hours: float) -> None:
    from ..reports.tables import TableData
    from ..simulations.output import cell

    columns = [c for c in columns if c not in _OPTIONAL or any(row.get(c) for row in rows)]
    cells = tuple(tuple(cell(c, row.get(c)) for c in columns) for row in rows)
    numeric = frozenset(i for i, c in enumerate(columns) if c != "policy")
    # Fitted to a terminal (numbers never wrap), every column at its width in a pipe.
    # The cost is what the whole run spent, and says so (reports' money words).
    headers = {**_HEADERS, "total_cost_usd": f"cost over {hours:g} h"}
    echo_tables([TableData(title, tuple(headers.get(c, c.replace("_", " ")) for c in columns), cells,
                           numeric)])


@click.command("simulate")
@click.argument("simulation", type=click.Path(dir_okay=False))
@click.option("-o", "--output", "out_dir", type=click.Path(file_okay=False),
              help="Write summary, time series (CSV, Parquet) and report.html into DIR.")
@click.option("--backend", type=click.Choice(["local", "ray"]), default="local", show_default=True,
              help="Where sweep points (or, with --workers > 1, policies) run: local processes or Ray tasks.")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Processes for sweep points [default: cores] or for the policies of one run "
                   "[default: 1, in this process].")
@click.option("--trace", "trace", type=click.Path(dir_okay=False),
              help="Trace file for every 'trace' demand entry (overrides the path in the file).")
@click.option("--allow-python", is_flag=True,
              help="Let the file name Python code outside tierplan.policies (kind: python, "
                   "object: ...): only for files you trust as code.")
@click.option("--max-sweep-points", type=click.IntRange(min=1), default=MAX_SWEEP_POINTS,
              show_default=True, help="Refuse a sweep of more points (the product of its axes).")
def simulate_cmd(simulation: str, out_dir: str | None, backend: str, workers: int | None,
                 trace: str | None, allow_python: bool, max_sweep_points: int) -> None:
    """Replay the demand, events and jobs of SIMULATION through its policies and compare them."""
    from ..simulations.spec import load_simulation

    sim = load_simulation(simulation, trace, Trust(allow_python=allow_python))
    points = sweep_size(sim.sweep)
    if points > max_sweep_points:
        raise ScenarioError(simulation, "sweep", f"{points:,} points (the product of the axes' "
                            f"lengths); at most {max_sweep_points:,} run unless --max-sweep-points "
                            "raises the limit")
    with in_file(f"{simulation} (scenario {sim.scenario.source})"):  # either may be at fault
        _simulate(sim, simulation, out_dir, backend, workers, trace)


def _simulate(sim: Simulation, simulation: str, out_dir: str | None, backend: str,
              workers: int | None, trace: str | None) -> None:
    from ..simulations.output import SUMMARY_COLUMNS, summary_rows, write_results, write_sweep
    from ..simulations.run import run_parallel, run_simulation, sweep, sweep_points

    if sim.sweep:
        points = sweep_points(sim.sweep)
        with _bar(len(points), f"{sim.name}: sweep of {len(points)} points") as advance:
            finished = 0

            def on_done(_: int) -> None:
                nonlocal finished
                finished += 1
                if advance:
                    advance(f"{sim.name}: sweep", finished)

            rows = sweep(simulation, trace, points, backend, workers, on_done)
        axes = sorted(sim.sweep)
        _table(rows, [*axes, "policy", "total_cost_usd", "slo_attainment_pct", "unserved_requests",
                      "instance_hours", "jobs_missed_deadline"], f"{sim.name}: sweep", sim.duration_s / 3600)
        if out_dir:
            for path in write_sweep(rows, axes, out_dir, sim.name):
                say(f"wrote {path}")
        return
    if backend == "ray" or (workers or 1) > 1:
        # One worker per policy; the bar counts finished policies.
        with _bar(len(sim.policies), f"{sim.name}: policies") as advance:
            count = 0

            def policy_done(_: int) -> None:
                nonlocal count
                count += 1
                if advance:
                    advance(f"{sim.name}: policies", count)

            result = run_parallel(simulation, trace, backend, workers, policy_done)
    else:
        total = sim.steps * len(sim.policies)
        with _bar(total, f"{sim.name}") as advance:
            offsets = {p.name: i * sim.steps for i, p in enumerate(sim.policies)}

            def progress(policy: str, step: int, steps: int) -> None:
                if advance:
                    advance(f"{sim.name}: {policy}", offsets[policy] + step)

            result = run_simulation(sim, progress=progress)
    rows = summary_rows(result)
    requests = rows[0]["requests"] if rows else 0
    _table(rows, [c for c in SUMMARY_COLUMNS if c != "requests"],
           f"{sim.name}: {sim.steps:,} steps of {sim.step_s:g} s, {requests:,.0f} requests",
           sim.duration_s / 3600)
    if out_dir:
        for path in write_results(result, out_dir):
            # write_results lists what it skipped as "(note)" among the files
            say(f"tierplan: note: {path[1:-1]}" if path.startswith("(") else f"wrote {path}")
