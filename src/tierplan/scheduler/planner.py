"""``plan(scenario) -> Plan``: a pure function (it never writes onto its inputs).

Steps, each in its own module:
1. :mod:`.candidates` lists what every workload could use and drops what cannot be
   optimal (ineligible pairs, unreachable routes, dominated offerings and options).
2. :mod:`.explain` pre-checks the obvious reasons a plan cannot exist.
3. Every workload starts as its own MILP (:mod:`.formulation`); workloads are joined
   only when a capacity or budget they share is broken by their separate optima
   (:mod:`.blocks` explains why that is exact), or, found before those are solved, by
   their LP relaxations (:mod:`.rounds`). A merged block
   starts from a feasible plan (:func:`.blocks.sequential_start`) priced by its LP
   relaxation (:mod:`.pricing`), which :mod:`.neighbourhoods` improves a few workloads
   at a time when the block is too large for HiGHS alone; its members' own models at
   those prices bound it (:func:`.gaps.lagrangian`) where HiGHS gets no bound in time.
4. Each MILP is solved lexicographically (:mod:`.solvers`): the objective, then its
   tie-break (cost -> latency, latency -> cost) with the first held at its optimum.
5. The solution is decoded into placements (:mod:`.decoding`); :mod:`.explain` adds what
   binds and why.
"""

from __future__ import annotations

from dataclasses import replace

from ..model import Plan, Scenario, SolverInfo
from . import ledger, summary
from .budget import WorkClock
from .decoding import decode
from .decomposition import Decomposition
from .monolithic import Monolithic
from .options import PlanOptions
from .strategy import Problem, Strategy

__all__ = ["PlanOptions", "choose", "decode", "plan"]


def plan(scenario: Scenario, options: PlanOptions | None = None) -> Plan:
    """The plan of ``scenario``: by the strategy ``options`` name (see :mod:`.strategy`)
    within its effort's work budget. Several periods or hardware to buy (SPEC 5) go to
    the model over periods (:mod:`.periodic`); otherwise the strategy plans with each
    budget less the committed cost of owned hardware it covers (a constant then), and
    :func:`.ledger.finish` adds the committed, idle and per-period figures."""
    problem = Problem(scenario, options or PlanOptions())
    clock = WorkClock(problem.options.work_seconds)
    if ledger.needs_periods(scenario):
        from .periodic import plan_periods

        return plan_periods(problem, clock)
    reasons = ledger.over_committed(scenario)
    if reasons:
        info = SolverInfo(problem.options.solver, 0.0, 0.0)
        return ledger.finish(scenario, summary.infeasible(scenario, problem.objective, reasons,
                                                          info))
    inner = Problem(replace(scenario, budgets=ledger.committed_shift(scenario)), problem.options)
    return ledger.finish(scenario, choose(inner).solve(inner, clock))


def choose(problem: Problem) -> Strategy:
    """The strategy the options name; ``auto`` is the decomposition (see
    :mod:`.strategy` for why)."""
    return Monolithic() if problem.options.strategy == "monolithic" else Decomposition()
