"""How to plan: :class:`PlanOptions`, apart from the planner so that every module of
the scheduler can name it without an import cycle."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from ..model import Objective
from .budget import Effort, effort_seconds
from .solvers import Backend

__all__ = ["STRATEGIES", "PlanOptions", "StrategyName"]

StrategyName = Literal["auto", "monolithic", "decomposition"]
STRATEGIES: tuple[StrategyName, ...] = ("auto", "monolithic", "decomposition")


@dataclass(frozen=True)
class PlanOptions:
    """How to plan.

    ``effort``: how much work the solver may do, as a name (``low``, ``normal``,
    ``high``) or a number of work seconds (see :mod:`.budget`). The plan is then the
    same on any machine, under any load and with any ``workers``. ``time_limit``: wall
    seconds after which solving stops whatever the effort (a guard: a plan it cuts says
    so, and may differ between runs).

    ``strategy``: ``monolithic`` solves each group of workloads that share a limit as one
    MILP; ``decomposition`` solves workloads apart and joins only those whose shared
    limits bind; ``auto`` chooses by size (see :mod:`.strategy`).

    ``tie_break`` (cost objective): ``routing`` (default) re-routes traffic over the
    chosen instances to the lowest latency with the cost held (an LP); ``exact`` also
    searches other instance choices of equal cost (a second MILP, often several times the
    first's time). The latency objective always breaks ties exactly: an LP cannot remove
    instances that carry no traffic. ``explain``: list what binds (budgets and
    capacities with their shadow prices, and SLOs that keep traffic off a cheaper
    site); the simulations and the autoscaler plan without it. ``workers``: processes
    that solve independent blocks in parallel (None: one per core when there are many
    blocks). ``backend``: a solver back-end to use instead of ``solver`` (tests inject
    one, as a transport is injected into an HTTP client); it runs in this process.
    ``wall_clock``: what the ``time_limit`` guard reads (None: ``time.time``; tests
    inject a clock they move).

    ``current_instances`` maps (workload, site, offering) to the instances running now and
    ``churn_usd`` is the objective penalty per instance started or stopped; together they
    keep an autoscaler from reshuffling a fleet for a saving smaller than the disruption.
    The penalty never enters reported costs or budgets.
    """

    objective: Objective | None = None  # None: the scenario's objective
    solver: str = "highs"
    effort: Effort = "normal"
    time_limit: float | None = 300.0
    strategy: StrategyName = "auto"
    gap: float = 1e-4
    explain: bool = True
    tie_break: Literal["routing", "exact"] = "routing"
    workers: int | None = None
    current_instances: Mapping[tuple[str, str, str], int] = field(default_factory=dict)
    churn_usd: float = 0.0
    backend: Backend | None = field(default=None, compare=False)
    wall_clock: Callable[[], float] | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        effort_seconds(self.effort)  # raises ValueError naming the bad value
        if self.strategy not in STRATEGIES:
            raise ValueError(f"unknown strategy {self.strategy!r}: use one of "
                             f"{', '.join(STRATEGIES)}")

    @property
    def work_seconds(self) -> float:
        """The plan's work budget (see :mod:`.budget`)."""
        return effort_seconds(self.effort)
