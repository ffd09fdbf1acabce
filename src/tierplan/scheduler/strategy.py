"""The strategy seam: ``Strategy.solve(problem, budget) -> plan``, and the rule that
picks one (``--strategy auto``).

- :class:`~.monolithic.Monolithic`: each group of workloads that share a limit (a
  connected component) is one MILP, the full formulation with its cuts, solved by one
  HiGHS call. Exact up to the gap when the budget suffices: the oracle the tests hold
  the decomposition to.
- :class:`~.decomposition.Decomposition`: workloads solved apart and joined only where
  their shared limits bind, with starts, prices and neighbourhood searches for large
  merged blocks (:mod:`.planner` explains it).

``auto`` picks the monolithic strategy where it gives a plan at least as good in no
more wall time, else the decomposition; on the bench/generate.py scenarios at the
default effort that is nowhere (10-1,000 workloads, cost and latency: the same plan at
10 workloads in twice the time, a smaller gap at 100 in 2.4x the time, no plan in
420 s from 250: docs/planner-design.md has the table). Monolithic stays the oracle,
and the choice of a user who wants one exact MILP per component (``--strategy
monolithic --effort high``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Protocol

from ..model import Objective, Plan, Scenario
from .budget import WorkClock
from .options import PlanOptions

__all__ = ["Problem", "Strategy", "guarded"]


@dataclass(frozen=True)
class Problem:
    """What a strategy solves: the scenario, how to plan it, and under which objective."""

    scenario: Scenario
    options: PlanOptions

    @property
    def objective(self) -> Objective:
        return self.options.objective or self.scenario.objective


class Strategy(Protocol):
    """Turns a problem into a plan within a work budget (see :mod:`.budget`)."""

    @property
    def name(self) -> str: ...

    def solve(self, problem: Problem, budget: WorkClock) -> Plan: ...



def guarded(result: Plan, clock: WorkClock, options: PlanOptions) -> Plan:
    """The plan, marked when the wall-clock guard stopped a solve: its answer then
    depends on the machine's speed and load."""
    if not clock.cut:
        return result
    limit = "none" if options.time_limit is None else f"{options.time_limit:g} s"
    note = (f"the wall-clock limit ({limit}) stopped the solver before the effort was "
            "spent: this plan may differ between runs; lower --effort or raise "
            "--time-limit for a reproducible plan")
    return replace(result, status="time_limit", diagnosis=(*result.diagnosis, note))
