"""Solver back-ends and the registry that picks one: HiGHS (highspy, default,
:mod:`.highs`) and CBC (through PuLP, :mod:`.cbc`), behind :class:`.backend.Backend`.

Both solve a :class:`~.milp.Milp` lexicographically: first the primary objective, then,
with the primary held at its optimum, the secondary one (the tie-break of SPEC section 2).
Both can re-solve the LP with the integer columns fixed to read shadow prices.

Why HiGHS is not driven through ``pulp.HiGHS``: that adapter adds rows one at a time,
reports a time limit as "Optimal" and returns zero duals on a MIP. Handing HiGHS the
whole CSR matrix in one ``passModel`` call is several times faster (see bench/) and
lets us read the true model status. CBC has no such shortcut, so it gets a PuLP model;
PuLP also writes the model to an LP/MPS file on request.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from ..errors import SolverError
from .backend import Backend, SolveResult, Status, fixed_bounds, lexicographic_tolerance
from .budget import Guard
from .cbc import CbcBackend
from .highs import HighsBackend, new_highs
from .milp import Milp

__all__ = [
    "SOLVERS", "Backend", "CbcBackend", "HighsBackend", "SolveResult", "Solver", "Status",
    "Task", "fixed_bounds", "get_backend", "lexicographic_tolerance", "new_highs",
    "solve_task", "solver_name",
]

SOLVERS: dict[str, Callable[[Guard], Backend]] = {"highs": HighsBackend, "cbc": CbcBackend}


class Solver(NamedTuple):
    """Which back-end solves, as tasks carry it to worker processes: a name of
    :data:`SOLVERS` with the plan's wall-clock guard, or a back-end given by the caller
    (``PlanOptions.backend``; such a plan solves in its own process)."""

    name: str = "highs"
    guard: Guard = Guard()
    backend: Backend | None = None


class Task(NamedTuple):
    """A MILP handed to a worker process (see :func:`solve_task`)."""

    solver: Solver | str
    milp: Milp
    primary: list[float]
    secondary: list[float] | None  # the tie-break, within the primary's tolerance
    work: float  # work seconds
    gap: float
    start: list[float] | None


def solve_task(task: Task) -> SolveResult:
    """Solve in a worker process."""
    return get_backend(task.solver).solve(task.milp, task.primary, task.secondary, task.work,
                                          task.gap, task.start)


def solver_name(solver: Solver | str) -> str:
    return solver if isinstance(solver, str) else solver.name


def get_backend(solver: Solver | str) -> Backend:
    if isinstance(solver, str):
        solver = Solver(solver)
    if solver.backend is not None:
        return solver.backend
    try:
        factory = SOLVERS[solver.name]
    except KeyError:
        raise SolverError(f"unknown solver {solver.name!r}; choose one of "
                          f"{', '.join(SOLVERS)}") from None
    return factory(solver.guard)
