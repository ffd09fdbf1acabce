"""Run every policy of a simulation on the same inputs, and sweep parameters.

A sweep point is a mapping of parameter -> value:
- ``demand_scale``: every demand series times the value;
- ``price_scale``: every on-demand and spot price of the scenario times the value;
- ``latency_slo_ms``: every inference workload's SLO set to the value;
- ``budget_usd``: a budget named ``total`` over everything (replacing one of that name).

Points (or, for one run, the policies: :func:`run_parallel`) run in worker processes
(``backend="local"``, ``concurrent.futures``) or as Ray tasks (``backend="ray"``); each
is a pure function of the simulation file and the point, so both give identical results.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ..model import Budget, InferenceWorkload
from ..policies import make_policy
from .engine import run_policy
from .results import PolicyResult, summarise
from .spec import Simulation, load_simulation
from .world import World, build_world

__all__ = ["SimulationResult", "apply_point", "run_parallel", "run_simulation", "sweep", "sweep_points"]

Progress = Callable[[str, int, int], None]  # (policy, step, steps)


@dataclass(frozen=True)
class SimulationResult:
    simulation: str
    point: Mapping[str, float]
    steps: int
    step_s: float
    sites: tuple[str, ...]
    policies: tuple[PolicyResult, ...]
    events: tuple[tuple[str, float, float], ...] = ()  # (label, start h, end h) for charts


def event_marks(sim: Simulation) -> tuple[tuple[str, float, float], ...]:
    """Events as chart marks: outages as spans, price changes and preemptions as instants."""
    out = []
    for e in sim.events:
        where = e.site + (f"/{e.offering}" if e.offering else "")
        if e.kind == "outage":
            out.append((f"outage {where}", e.start_s / 3600, e.end_s / 3600))
        elif e.kind in ("price_change", "preemption"):
            out.append((f"{e.kind.replace('_', ' ')} {where}", e.start_s / 3600, e.start_s / 3600))
    return tuple(out)


def apply_point(sim: Simulation, point: Mapping[str, float]) -> Simulation:
    scenario = sim.scenario
    if "price_scale" in point:
        f = point["price_scale"]
        scenario = replace(scenario, sites=tuple(
            replace(site, offerings=tuple(
                replace(o, usd_per_hour=o.usd_per_hour * f,
                        spot_usd_per_hour=None if o.spot_usd_per_hour is None else o.spot_usd_per_hour * f)
                for o in site.offerings))
            for site in scenario.sites))
    if "latency_slo_ms" in point:
        scenario = replace(scenario, workloads=tuple(
            replace(w, latency_slo_ms=point["latency_slo_ms"]) if isinstance(w, InferenceWorkload) else w
            for w in scenario.workloads))
    if "budget_usd" in point:
        budgets = tuple(b for b in scenario.budgets if b.name != "total")
        scenario = replace(scenario, budgets=(*budgets, Budget("total", point["budget_usd"])))
    return replace(sim, scenario=scenario)


def run_simulation(sim: Simulation, point: Mapping[str, float] | None = None,
                   progress: Progress | None = None) -> SimulationResult:
    point = dict(point or {})
    sim = apply_point(sim, point)
    world = build_world(sim, point.get("demand_scale", 1.0))
    return run_world(world, point, progress)


def run_world(world: World, point: Mapping[str, float], progress: Progress | None = None,
              policies: Iterable[Any] | None = None) -> SimulationResult:
    """Every policy (built fresh from the file, or the given objects) on ``world``."""
    results = []
    chosen = list(policies) if policies is not None else [
        make_policy(p.kind, p.name, p.params) for p in world.sim.policies]
    for policy in chosen:
        report = None
        if progress is not None:
            def report(t: int, name: str = policy.name) -> None:
                progress(name, t + 1, world.steps)
        results.append(summarise(world, run_policy(world, policy, report)))
    sites = tuple(s.name for s in world.scenario.sites)
    return SimulationResult(world.sim.name, dict(point), world.steps, world.step_s, sites, tuple(results),
                            event_marks(world.sim))


def sweep_points(axes: Mapping[str, Sequence[float]]) -> list[dict[str, float]]:
    names = sorted(axes)
    return [dict(zip(names, values, strict=True)) for values in itertools.product(*(axes[n] for n in names))]


def _point_task(path: str, trace: str | None, point: dict[str, float]) -> list[dict[str, Any]]:
    """One sweep point, run where the worker is: only the summary rows travel back."""
    result = run_simulation(load_simulation(path, trace), point)
    return [{**point, **r.row()} for r in result.policies]


def _policy_task(path: str, trace: str | None, point: dict[str, float], index: int) -> PolicyResult:
    """One policy of a run, in a worker: the world is rebuilt there (it is cheap and
    deterministic), the result with its series travels back."""
    sim = apply_point(load_simulation(path, trace), point)
    world = build_world(sim, point.get("demand_scale", 1.0))
    spec = sim.policies[index]
    return summarise(world, run_policy(world, make_policy(spec.kind, spec.name, spec.params)))


def _absolute(path: str | None) -> Any:
    """Workers (Ray's above all) need not share the caller's working directory."""
    return None if path is None else str(Path(path).expanduser().resolve())


def _map(fn: Callable[..., Any], calls: Sequence[tuple[Any, ...]], backend: str, workers: int | None,
         on_done: Callable[[int], None] | None) -> list[Any]:
    """``fn(*args)`` for every call, on local processes or Ray; results in call order."""
    out: list[Any] = [None] * len(calls)
    if backend == "ray":
        try:
            import ray
        except ImportError:  # pragma: no cover - ray is an extra
            from ..errors import InputError
            raise InputError("--backend ray needs ray: pip install 'tierplan[ray]'") from None
        started = not ray.is_initialized()
        if started:
            # Ray logs its start-up at INFO on stderr; a command piped into a file stays quiet.
            ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False,
                     logging_level=logging.ERROR)
        try:
            task = ray.remote(fn)
            refs = [task.remote(*args) for args in calls]
            for i, ref in enumerate(refs):
                out[i] = ray.get(ref)
                if on_done:
                    on_done(i)
        finally:
            if started:
                ray.shutdown()
    elif workers == 1 or len(calls) == 1:
        for i, args in enumerate(calls):
            out[i] = fn(*args)
            if on_done:
                on_done(i)
    else:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor, as_completed

        # spawn: forking a process that may hold solver or Ray threads is unsafe.
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
            futures = {pool.submit(fn, *args): i for i, args in enumerate(calls)}
            for fut in as_completed(futures):
                out[futures[fut]] = fut.result()
                if on_done:
                    on_done(futures[fut])
    return out


def sweep(path: str, trace: str | None, points: Sequence[dict[str, float]], backend: str = "local",
          workers: int | None = None, on_done: Callable[[int], None] | None = None) -> list[dict[str, Any]]:
    """Summary rows of every (point, policy), in point order whatever finished first."""
    path, trace = _absolute(path), _absolute(trace)
    rows = _map(_point_task, [(path, trace, p) for p in points], backend, workers, on_done)
    return [row for point_rows in rows for row in point_rows]


def run_parallel(path: str, trace: str | None, backend: str = "local", workers: int | None = None,
                 on_done: Callable[[int], None] | None = None) -> SimulationResult:
    """Every policy of one run in its own worker process or Ray task; the same result as
    :func:`run_simulation` (each policy is a pure function of the file)."""
    sim = load_simulation(path, trace)
    path, trace = _absolute(path), _absolute(trace)
    calls: list[tuple[Any, ...]] = [(path, trace, {}, i) for i in range(len(sim.policies))]
    results = _map(_policy_task, calls, backend, workers, on_done)
    return SimulationResult(sim.name, {}, sim.steps, sim.step_s, tuple(s.name for s in sim.scenario.sites),
                            tuple(results), event_marks(sim))
