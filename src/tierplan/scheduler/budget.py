"""How much work a plan may take: the one place that turns an effort into solver limits.

The scheme (docs/planner-design.md draws it):

- A plan's budget is counted in **work seconds**: nominal seconds of a 2-core machine of
  the kind the defaults were measured on, computed from what HiGHS did (simplex
  iterations, branch-and-bound nodes, model size: :func:`work_of`), never read from a
  clock. ``--effort`` chooses the budget (:data:`EFFORTS`, or a number of work seconds).
- A :class:`WorkClock` starts at zero and is charged, in the planner's own thread and in
  a fixed order, with the work of every MILP result it reads. Each decision that spends
  "the time left" reads this clock, so the same scenario and options give the same plan
  on any machine, under any load and with any number of worker processes.
- A MILP allotted ``w`` work seconds gets a node limit (:func:`node_limit`): its root
  is always finished (HiGHS has no deterministic limit inside the root), so the work
  charged may exceed the allotment; the clock then runs ahead and later phases get
  less.
- LPs (relaxations, polishing) run to their optimum and are not charged.
- The wall-clock limit (``--time-limit``) is only a guard: every HiGHS call gets the
  wall time left before it as its time limit; a call that the guard stops is reported
  (:attr:`Guard.cut`) and the plan says that its answer may differ between runs.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["EFFORTS", "LANES", "LATE_SOLVE", "LEAST", "SEARCH_WIDTH", "SOLVE_CAP", "START_BATCH",
           "Effort", "Guard", "WorkClock", "check_limit", "effort_seconds", "lp_iteration_work",
           "lp_work", "node_limit", "polish_work", "work_of"]

Effort = str | float

#: Work seconds per named effort. ``normal`` keeps the speed the planner had with
#: ``--time-limit 10`` on the benchmark machine (bench/bench_planner.py).
EFFORTS: dict[str, float] = {"low": 3.0, "normal": 10.0, "high": 60.0}


def effort_seconds(effort: Effort) -> float:
    """The work seconds of an effort: a name of :data:`EFFORTS` or a positive number."""
    if isinstance(effort, str):
        try:
            return EFFORTS[effort]
        except KeyError:
            try:
                value = float(effort)
            except ValueError:
                raise ValueError(f"unknown effort {effort!r}: use one of "
                                 f"{', '.join(EFFORTS)} or a number of work seconds") from None
            return effort_seconds(value)
    if not math.isfinite(effort) or effort <= 0:
        raise ValueError(f"effort must be a positive number of work seconds, not {effort!r}")
    return float(effort)


# How the work is shared out must not depend on --workers, or the plan would. These are
# the values the default (one worker per core) had on the 2-core benchmark machine:
# LANES divides the work left among the priced members of a merged block
# (pricing.price_members), SEARCH_WIDTH neighbourhoods are solved side by side
# (neighbourhoods.search), and a merged block's start solves START_BATCH steps together
# (blocks.sequential_start; 4 per worker before).
LANES = 2
SEARCH_WIDTH = 2
START_BATCH = 8

# The cost model (work_of, lp_work, lp_iteration_work, polish_work), fitted by least
# squares to thread CPU seconds on the HiGHS runs and LPs of six benchmark plans
# (bench/bench_work.py: 100, 250 and 1,000 workloads under the cost and the latency
# objective; docs/planner-design.md has the measurements): a fixed cost per MILP run,
# per simplex iteration in proportion to the LP's size, per node in proportion to the
# matrix; LPs by their size, or by their iterations when counted, whose cost depends
# on the objective (a latency LP's iteration costs several times a cost LP's, and so
# does polishing its plan, which breaks ties exactly).
PER_SOLVE = 8.7e-3
PER_ITERATION_ENTRY = 7.4e-8  # times rows + columns
PER_NODE_NONZERO = 1.1e-6  # times nonzeros
LP_PER_NONZERO = 1.2e-6  # an LP relaxation solved to its optimum
# A merged block's LP (its iterations known): setting it up and its first
# factorisation by its nonzeros, then its iterations times rows + columns.
LP_SETUP_PER_NONZERO = 7.3e-7
LP_PER_ITERATION_ENTRY: dict[str, float] = {"cost": 2.8e-10, "latency": 3.3e-9}
# A solved model's LP with its integers fixed, part by part, per column.
POLISH_PER_COLUMN: dict[str, float] = {"cost": 2.6e-5, "latency": 5.4e-5}

# HiGHS checks for an interrupt at fixed points of its search, also inside the root
# (separation rounds, heuristics), where no node limit reaches. The work between two
# checks grows with the model (bench/bench_work.py: about 1 ms at 1,000 nonzeros, 6 ms
# at 8,000, 38 ms at 55,000).
PER_CHECK, CHECK_NONZEROS, CHECK_POWER = 0.038, 55_000, 1.0

# What one workload's model gets at most before the deadline (a start's step, a
# priced member, a neighbourhood), and past it: the CPU limits these solves had before
# the cost model was fitted to CPU seconds (1.0 and 0.2 work seconds then, 0.3 s
# of CPU), where the 1,000-workload plan was tuned.
SOLVE_CAP = 0.3
LATE_SOLVE = 0.06
LEAST = 0.015  # the least any MILP is given


def per_check(nonzeros: int) -> float:
    """Work seconds between two interrupt checks of a model of ``nonzeros``."""
    return float(PER_CHECK * (max(nonzeros, 1) / CHECK_NONZEROS) ** CHECK_POWER)


def work_of(rows: int, cols: int, nonzeros: int, iterations: int, nodes: int,
            checks: int = 0) -> float:
    """Work seconds of one HiGHS MILP run (deterministic: counts, not time): by its
    iterations and nodes, or by its interrupt checks when that is more (a long root)."""
    counted = (PER_SOLVE + PER_ITERATION_ENTRY * iterations * (rows + cols)
               + PER_NODE_NONZERO * nodes * max(nonzeros, 1))
    return max(counted, per_check(nonzeros) * (checks - 1))


def lp_work(nonzeros: int) -> float:
    """Work seconds of an LP relaxation of a model of ``nonzeros`` (solved to its optimum:
    charged by its size)."""
    return LP_PER_NONZERO * nonzeros


def lp_iteration_work(rows: int, cols: int, nonzeros: int, iterations: int,
                      objective: str) -> float:
    """Work seconds of an LP relaxation under ``objective`` solved to its optimum in
    ``iterations`` simplex iterations (a merged block's, which may start from an earlier
    basis)."""
    return (LP_SETUP_PER_NONZERO * nonzeros
            + LP_PER_ITERATION_ENTRY[objective] * iterations * (rows + cols))


def polish_work(columns: int, objective: str) -> float:
    """Work seconds of polishing a solved model of ``columns`` under ``objective`` (see
    :mod:`.polishing`)."""
    return POLISH_PER_COLUMN[objective] * columns


def check_limit(work: float, nonzeros: int) -> int:
    """The interrupt check at which a MILP allotted ``work`` seconds stops (at least the
    first: a model whose root is cheap is solved before HiGHS checks at all)."""
    if not math.isfinite(work):
        return 2**31 - 1
    return max(1, min(2**31 - 1, 1 + int(work / per_check(nonzeros))))


def node_limit(work: float, nonzeros: int) -> int:
    """Branch-and-bound nodes that ``work`` seconds buy on a matrix of ``nonzeros``
    (at least 1: the root is always solved)."""
    if not math.isfinite(work):
        return 2**31 - 1
    return max(1, min(2**31 - 1, int(work / (PER_NODE_NONZERO * max(nonzeros, 1)))))


class WorkClock:
    """Work seconds spent so far by one plan (see the module docstring): charged by the
    planner's thread with each result it reads, in a fixed order."""

    def __init__(self, budget: float) -> None:
        self.budget = budget
        self.spent = 0.0
        self.cut = False  # a solve charged here was stopped by the wall-clock guard

    def now(self) -> float:
        return self.spent

    @property
    def deadline(self) -> float:
        return self.budget

    def left(self, until: float | None = None) -> float:
        """Work seconds left before ``until`` (default: the budget); may be negative."""
        return (self.budget if until is None else until) - self.spent

    def charge(self, work: float, cut: bool = False) -> None:
        self.spent += work
        self.cut = self.cut or cut


@dataclass(frozen=True)
class Guard:
    """The wall-clock guard of one plan: an absolute time of ``clock`` (``time.time``
    unless a test injects one) after which HiGHS calls stop and no new solve starts
    (None: no guard). Passed to worker processes with each task."""

    until: float | None = None
    clock: Callable[[], float] = field(default=time.time, compare=False)

    @classmethod
    def after(cls, seconds: float | None, clock: Callable[[], float] | None = None) -> Guard:
        now = clock or time.time
        return cls(None if seconds is None or not math.isfinite(seconds)
                   else now() + seconds, now)

    def seconds_left(self) -> float | None:
        """Wall seconds left for a HiGHS call (at least 0.01), or None without a guard."""
        if self.until is None:
            return None
        return max(self.until - self.clock(), 0.01)

    def expired(self) -> bool:
        """The guard's time is up: a caller starts no new solve or search."""
        return self.until is not None and self.clock() >= self.until
