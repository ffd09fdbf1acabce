"""A merged group's start over periods (scheduler/period_repair.sequential_start): it
meets every row, and a workload that breaks a shared row only in some periods keeps its
own plan in the others (only the periods with a broken row are placed again)."""

from __future__ import annotations

from conftest import offering, scenario, site
from test_rins import _rows_hold
from tierplan.model import InferenceWorkload
from tierplan.scheduler.budget import WorkClock
from tierplan.scheduler.candidates import Universe
from tierplan.scheduler.highs import HighsBackend
from tierplan.scheduler.milp import Milp
from tierplan.scheduler.period_model import build_periods
from tierplan.scheduler.period_pool import Runner
from tierplan.scheduler.period_repair import (
    Frame,
    GroupContext,
    broken_rows,
    own_models,
    row_period,
    sequential_start,
)
from tierplan.scheduler.solvers import Solver


def _growing(services: int) -> Milp:
    """Services whose demand doubles halfway through 4 periods, each wanting the same two
    cheap edge servers: alone each takes one in the first periods (they fit side by
    side) and two in the last (together they overbook the servers)."""
    workloads = [{"name": f"svc{i}", "kind": "inference",
                  "accelerators": {"L4": {"rps": 10, "latency_ms": 20}},
                  "demand_rps": {"munich": [6.0 + i, 6.0 + i, 14.0 + i, 14.0 + i]},
                  "latency_slo_ms": 100} for i in range(services)]
    sites = [site("edge/munich", tier="edge", offerings=[offering("l4", 0.4, available=2)]),
             site("aws/fra", provider="aws", offerings=[offering("g6", 1.2)])]
    sc = scenario(sites, workloads, periods="25h")
    u = Universe(sc)
    inference = [u.inference(w, sc.budgets, "cost") for w in sc.workloads
                 if isinstance(w, InferenceWorkload)]
    return build_periods(u, inference, [], sc.budgets).milp


def test_the_start_moves_only_the_periods_with_a_broken_row() -> None:
    backend = HighsBackend()
    kept = 0
    for services in (2, 3):
        m = _growing(services)
        frame = Frame.of(m)
        x0 = [0.0] * m.num_cols
        for part in own_models(m, frame.owners).values():  # each workload's own plan
            result = backend.solve(part.milp, part.milp.cost, None, 50.0, 1e-6)
            assert result.x is not None
            for j, v in zip(part.cols, result.x, strict=True):
                x0[j] = v
        moved: dict[str, set[int | None]] = {}
        for r in broken_rows(m, x0):
            index, value = m.row(r)
            for j, a in zip(index, value, strict=True):
                name = frame.owners.workload[j]
                if name is not None and a * x0[j] > 1e-9:
                    moved.setdefault(name, set()).add(row_period(m.row_tags[r]))
        if not moved:
            continue
        # Steps under other costs than the plans' own (as a start's steps at the LP's
        # prices): a period placed again would move to the cloud.
        dear = list(m.cost)
        for r, tag in enumerate(m.row_tags):
            if tag[0] == "capacity":
                for j in m.row(r)[0]:
                    dear[j] = 10 * m.cost[j] + 1.0
        with Runner(Solver(), 1, 1) as runner:
            ctx = GroupContext(backend, frame, False, WorkClock(100.0), 1e-4, runner)
            x = sequential_start(ctx, x0, dear, sorted)
        if x is None:  # no room found (the oracle's tests cover these)
            continue
        assert _rows_hold(m, x)
        for name, periods in moved.items():
            if None in periods:
                continue
            for j in frame.owners.columns(name):
                p = frame.owners.period[j]
                if p is not None and p not in periods:
                    assert x[j] == x0[j]
                    kept += 1
    assert kept  # some workload kept its plan in a period
