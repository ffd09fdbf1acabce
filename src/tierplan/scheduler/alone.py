"""One workload's model solved alone, here or in a worker process (see pool.Pool): its
limits set when it is handed over (from the work clock, see :mod:`.budget`), the
rounding of an LP solution as its start, and a plan even past the deadline; or its LP
relaxation."""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Final, Literal, NamedTuple

from ..model import Objective
from .budget import LATE_SOLVE, LEAST, lp_work
from .milp import Milp, rounding_box, value_of
from .solvers import Solver, SolveResult, get_backend, solver_name

__all__ = ["HINT_SHARE", "LATE_GAP", "LATE_RETRY_SECONDS", "LATE_SECONDS", "POOR_GAP", "RELAX",
           "STEP_LATE_SECONDS", "AloneTask", "Hint", "RelaxTask", "Request", "alone_limits", "relax_alone",
           "solve_alone"]


# A workload alone must get a plan even past the deadline (without one there is none
# for the scenario): it then has LATE_SECONDS with at least LATE_GAP, and when even
# that finds no plan, LATE_RETRY_SECONDS more. So does one whose plan is more than
# POOR_GAP above its bound when its time runs out: one such step can make the whole
# plan several per cent dearer (measured in docs/planner-design.md).
LATE_SECONDS, LATE_GAP, LATE_RETRY_SECONDS, POOR_GAP = LATE_SOLVE, 0.01, 25 * LATE_SOLVE, 0.5

# What a start's step gets past the deadline, by the plan's objective (see
# block_start): under cost, enough that a large member's step rarely
# stops above POOR_GAP, whose retry from scratch (LATE_RETRY_SECONDS) costs far more;
# under latency the least, which measured better there (docs/planner-design.md).
STEP_LATE_SECONDS: Final[Mapping[Objective, float]] = {"cost": 0.1, "latency": LEAST}

# The share of a hinted model's seconds that its rounding box may take (solve_alone).
HINT_SHARE = 0.5

# What a solve of one workload's model rounds for its start (see solve_alone): an LP
# solution of it, RELAX (its own LP relaxation, solved first), or None (no start).
Hint = list[float] | Literal["relax"] | None
RELAX: Final = "relax"


@dataclass(frozen=True)
class Request:
    """How one workload's model is to be solved (see :meth:`.pool.Pool.submit`): beyond
    its model, objective and deadline.

    ``extra``: column prices added to the primary objective (left out of the result's
    objective); ``final``: False for a start's step (no tie-break); ``cap``: work
    seconds at most before the deadline; ``late``: its work seconds when it is handed
    over past the deadline; ``hint`` and ``box_late``: see :func:`solve_alone`."""

    extra: Sequence[float] | None = None
    final: bool = True
    cap: float = math.inf
    late: float = LATE_SECONDS
    hint: Hint = None
    box_late: bool = False


class AloneTask(NamedTuple):
    """One workload's model to solve (see :func:`solve_alone`)."""

    solver: Solver | str
    milp: Milp
    primary: list[float]
    tie: list[float] | None  # the tie-break objective, if any
    left: float  # work seconds left before the deadline when it was handed over
    gap: float
    cap: float = math.inf  # work seconds at most before the deadline
    late: float = LATE_SECONDS  # work seconds when it is handed over past the deadline
    hint: Hint = None
    box_late: bool = False


def alone_limits(left: float, gap: float, cap: float = math.inf,
                 late: float = LATE_SECONDS) -> tuple[float, float]:
    """Work seconds and relative gap for one workload's model: the work ``left`` before
    the deadline (at most ``cap``, at least LEAST), or past it ``late`` with LATE_GAP."""
    if left > 0:
        return max(min(cap, left), LEAST), gap
    return late, max(gap, LATE_GAP)


def solve_alone(task: AloneTask) -> SolveResult:
    """One workload's model (solver, model, objective, tie-break, work left, gap, cap,
    work when late, a hint, and whether a late one keeps its box's plan), here or
    in a worker. The result's ``work`` counts every solve it took.

    The ``hint`` is an LP solution of the model (a priced member's part of its block's
    LP, see pricing.price_members), or RELAX for the model's own LP relaxation (a
    start's step, whose rows differ from its member's). The model is first solved with
    each integer column between the floor and the ceiling of its value there
    (:func:`.milp.rounding_box`), a much smaller search, and its plan is the start of
    the whole model's solve: a solve stopped by its cap then keeps a plan near the
    LP's instead of its first rounding's (see HINT_SHARE). With HiGHS only: through CBC
    the LP and the box cost about what the model does (see :func:`.pool.relaxes`).

    ``box_late``: a solve that starts past the deadline ends with its box's plan when
    it has one, as a time-limited result with no bound (a priced member's: pricing
    bounds it by its LP part instead, see pricing.BOX_LATE)."""
    solver, milp, primary, tie, left, gap, cap, late, hint, box_late = task
    backend = get_backend(solver)
    past = left <= 0
    seconds, gap = alone_limits(left, gap, cap, late)
    start: list[float] | None = None
    spent, cut = 0.0, False
    if solver_name(solver) != "highs":
        hint = None
    elif hint == RELAX:
        relaxed = backend.relax(milp, primary)
        hint = relaxed[0] if relaxed is not None else None
        spent = lp_work(len(milp.row_value))
    if isinstance(hint, list):
        boxed = backend.solve(rounding_box(milp, hint), primary, None, seconds * HINT_SHARE,
                              gap)
        if box_late and past and boxed.x is not None:
            return SolveResult("time_limit", boxed.x, boxed.objective, math.inf,
                               boxed.seconds, boxed.work, boxed.cut)
        start, seconds = boxed.x, max(seconds - boxed.work, 0.01)
        spent, cut = spent + boxed.work, boxed.cut
    # Without presolve: one workload's model has little for it to remove, and it costs
    # more than it saves over hundreds of them. (A search's larger neighbourhoods keep it.)
    result = backend.solve(milp, primary, tie, seconds, gap, start, presolve=False)
    if result.status == "no_solution" or (result.status == "time_limit"
                                          and result.gap > POOR_GAP):
        again = backend.solve(milp, primary, None, LATE_RETRY_SECONDS, max(gap, LATE_GAP),
                              presolve=False)
        spent, cut = spent + result.work, cut or result.cut
        if again.x is not None and (result.objective is None or again.objective is None
                                    or again.objective <= result.objective):
            result = again
    return replace(result, work=result.work + spent, cut=result.cut or cut)


class RelaxTask(NamedTuple):
    """One workload's LP relaxation to solve (see :func:`relax_alone`)."""

    solver: Solver | str
    milp: Milp
    primary: list[float]


def relax_alone(task: RelaxTask) -> SolveResult:
    """One workload's LP relaxation, here or in a worker: no solution when it has no
    optimum. (Charged by its size: see :func:`.budget.lp_work`.)"""
    milp, primary = task.milp, task.primary
    began = time.perf_counter()
    solved = get_backend(task.solver).relax(milp, primary)
    seconds, work = time.perf_counter() - began, lp_work(len(milp.row_value))
    if solved is None:
        return SolveResult("no_solution", None, None, math.inf, seconds, work)
    return SolveResult("optimal", solved[0], value_of(primary, solved[0]), 0.0, seconds, work)
