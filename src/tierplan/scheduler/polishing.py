"""Clean values and row duals for a solved model: the LP with its integer columns fixed
(:meth:`.solvers.Backend.polish`), solved part by part, as it falls apart into one small
LP per workload once the integers are fixed (:func:`.milp.split_fixed`); the parts of
all the blocks at once, in worker processes when there are many (pool.Pool.polish)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from .milp import Milp, Part, rounded, split_fixed
from .solvers import Backend, get_backend

__all__ = ["PolishJob", "Polished", "polish", "polish_all", "polish_task"]


Polished = tuple[list[float], list[float] | None]  # clean values, row duals (see polish)
PolishJob = tuple[Milp, Sequence[float], Sequence[float] | None, Sequence[float]]


def polish(
    backend: Backend, milp: Milp, primary: Sequence[float], secondary: Sequence[float] | None,
    x: Sequence[float],
) -> Polished:
    """:meth:`Backend.polish`, part by part (see :func:`.milp.split_fixed`).

    Skipped when every column is integer (x is exact already). Integer columns come back
    rounded; a row that touches no continuous column has dual 0 (it is a constant in the
    fixed LP). Holding each part's primary at its own optimum is the same as holding
    the sum, since every part must be at its minimum for the sum to be.
    """
    return polish_all([(milp, primary, secondary, x)],
                      lambda tasks: [backend.polish(*task) for task in tasks])[0]


def polish_all(jobs: Sequence[PolishJob],
               run: Callable[[Sequence[PolishJob]], list[Polished]]) -> list[Polished]:
    """:func:`polish` for several models (milp, primary, secondary, x) at once: their
    parts' LPs all go to ``run`` together (it solves each as :meth:`Backend.polish`,
    e.g. in worker processes, see pool.Pool.polish)."""
    tasks: list[PolishJob] = []
    layouts: list[tuple[int, list[Part] | None] | None] = []  # first task, parts (None: whole)
    for milp, primary, secondary, x in jobs:
        if all(milp.col_integer):
            layouts.append(None)
            continue
        parts = split_fixed(milp, x)
        if len(parts) == 1 and len(parts[0].rows) == milp.num_rows:  # one part: the model
            layouts.append((len(tasks), None))
            tasks.append((milp, primary, secondary, x))
            continue
        layouts.append((len(tasks), parts))
        for part in parts:
            tasks.append((part.milp, [primary[j] for j in part.cols],
                          None if secondary is None else [secondary[j] for j in part.cols],
                          [x[j] for j in part.cols]))
    results = run(tasks) if tasks else []
    out: list[Polished] = []
    for (milp, _, _, x), layout in zip(jobs, layouts, strict=True):
        if layout is None:  # every column integer
            out.append((rounded(milp.col_integer, x), None))
            continue
        first, pieces = layout
        if pieces is None:
            out.append(results[first])
            continue
        clean = rounded(milp.col_integer, x)
        duals: list[float] | None = [0.0] * milp.num_rows
        for part, (values, sub_duals) in zip(pieces, results[first:first + len(pieces)],
                                             strict=True):
            for k, j in enumerate(part.cols):
                clean[j] = values[k]
            if sub_duals is None or duals is None:
                duals = None
            else:
                for k, r in enumerate(part.rows):
                    duals[r] = sub_duals[k]
        out.append((clean, duals))
    return out


def polish_task(task: tuple[str, Milp, Sequence[float], Sequence[float] | None,
                            Sequence[float]]) -> Polished:
    """:meth:`Backend.polish` in a worker process: (solver, model, primary, secondary, x)."""
    name, milp, primary, secondary, x = task
    return get_backend(name).polish(milp, primary, secondary, x)
