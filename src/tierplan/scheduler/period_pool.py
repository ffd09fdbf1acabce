"""The parts of models over periods solved in worker processes (see :mod:`.parts`).

Over 13 periods a plan of 100 workloads is ~1,300 small MILPs (one per workload and
period), too many for one core. They are independent, so they go to worker processes
as they are written, while this process writes the next workloads' models. Each part's
limits are set when it is handed over and its work is charged to the clock when its
result is read, in the order the parts were handed over, so the plan does not depend on
the number of workers or on which finishes first (see :mod:`.budget`).
"""

from __future__ import annotations

import math
import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from typing import NamedTuple

from .milp import Milp
from .period_memo import PartMemo
from .polishing import Polished, PolishJob, polish_all
from .solvers import Solver, SolveResult, get_backend

__all__ = ["CUT", "PartTask", "Runner", "polish_part", "solve_part"]


class PartTask(NamedTuple):
    """One part to solve: its model, objectives, work seconds, gap, presolve and a start
    (a plan the solver checks and keeps only when it meets the rows)."""

    solver: Solver
    milp: Milp
    primary: list[float]
    secondary: list[float] | None
    work: float
    gap: float
    presolve: bool
    start: list[float] | None = None


def polish_part(task: tuple[Solver, Milp, Sequence[float], Sequence[float] | None,
                            Sequence[float]]) -> Polished:
    """:meth:`Backend.polish` in a worker process: (solver, model, primary, secondary, x);
    past the wall-clock guard, ``x`` as it is."""
    solver, milp, primary, secondary, x = task
    if solver.guard.expired():
        return list(x), None
    return get_backend(solver).polish(milp, primary, secondary, x)


def solve_part(task: PartTask) -> SolveResult:
    """A part solved, or (past the wall-clock guard) none: :data:`CUT`."""
    if task.solver.guard.expired():
        return CUT
    return get_backend(task.solver).solve(task.milp, task.primary, task.secondary, task.work,
                                          task.gap, task.start, task.presolve)


def solve_chain(tasks: Sequence[PartTask]) -> list[SolveResult]:
    """Parts of one workload in other periods, solved in turn: a part without a start
    starts from the plan of the one before, its traffic scaled to its own demand
    (:func:`follow`; from a larger demand that plan usually fits, and a good first plan
    spares the solver a third of its search)."""
    out: list[SolveResult] = []
    for i, task in enumerate(tasks):
        if task.start is None and i and out[-1].x is not None:
            task = task._replace(start=follow(tasks[i - 1].milp, out[-1].x, task.milp))
        out.append(solve_part(task))
    return out


def follow(before: Milp, x: Sequence[float], milp: Milp) -> list[float]:
    """``x`` (a plan of ``before``) carried to ``milp``, the same workload in another
    period: columns matched by their tags without the period, traffic in each demand row
    scaled by the ratio of the two demands, values held within ``milp``'s bounds."""
    value = {tag[:-1]: v for tag, v in zip(before.col_tags, x, strict=True)}
    demand = {tag[:-1]: before.row_lower[r] for r, tag in enumerate(before.row_tags)
              if tag[0] == "demand"}
    ratio: dict[int, float] = {}
    for r, tag in enumerate(milp.row_tags):
        if tag[0] == "demand" and demand.get(tag[:-1]):
            for j in milp.row(r)[0]:
                ratio[j] = milp.row_lower[r] / demand[tag[:-1]]
    return [min(max(value.get(tag[:-1], 0.0) * ratio.get(j, 1.0), low), up)
            for j, (tag, low, up) in enumerate(zip(milp.col_tags, milp.col_lower,
                                                   milp.col_upper, strict=True))]


#: The answer of a solve the wall-clock guard did not let start.
CUT = SolveResult("no_solution", None, None, math.inf, 0.0, 0.0, True)


class Runner:
    """Solves parts here, or in ``workers`` processes when more than one and the plan
    has many parts (a back-end the caller injected always solves here: it need not
    pickle)."""

    PARALLEL_FROM = 32  # parts (workloads x periods); below this a pool costs more than it saves

    def __init__(self, solver: Solver, workers: int | None, parts: int) -> None:
        self.solver = solver
        count = workers if workers is not None else (os.cpu_count() or 1)
        parallel = solver.backend is None and parts >= self.PARALLEL_FROM
        self.workers = count if parallel else 1
        self.executor: ProcessPoolExecutor | None = None
        self.memo = PartMemo()  # parts solved so far (see .period_memo)

    def expired(self) -> bool:
        """The plan's wall-clock guard is past: no new solve or search starts."""
        return self.solver.guard.expired()

    def submit(self, task: PartTask) -> Future[SolveResult]:
        if self.workers <= 1 or self.expired():
            done: Future[SolveResult] = Future()
            done.set_result(solve_part(task))
            return done
        return self._executor().submit(solve_part, task)

    def submit_chain(self, tasks: Sequence[PartTask]) -> list[Future[SolveResult]]:
        """:func:`solve_chain` of ``tasks`` in one worker: one future per task."""
        items: list[Future[SolveResult]] = [Future() for _ in tasks]

        def done(chain: Future[list[SolveResult]]) -> None:
            if chain.cancelled():  # the pool shut down (the plan was cut short)
                for item in items:
                    item.cancel()
                return
            error = chain.exception()
            for i, item in enumerate(items):
                if error is not None:
                    item.set_exception(error)
                else:
                    item.set_result(chain.result()[i])

        if self.workers <= 1 or self.expired():
            whole: Future[list[SolveResult]] = Future()
            whole.set_result(solve_chain(tasks))
            done(whole)
        else:
            self._executor().submit(solve_chain, tasks).add_done_callback(done)
        return items

    def _executor(self) -> ProcessPoolExecutor:
        if self.executor is None:
            methods = multiprocessing.get_all_start_methods()
            context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
            self.executor = ProcessPoolExecutor(self.workers, mp_context=context)
        return self.executor

    def polish(self, jobs: Sequence[PolishJob]) -> list[Polished]:
        """:func:`.polishing.polish` for every model (milp, primary, secondary, x): their
        parts' LPs (one per workload and period, mostly, once the integers are fixed)
        side by side in the workers when there are many. LPs are solved to their
        optimum, so where they run does not change the plan."""
        backend = get_backend(self.solver)

        def run(tasks: Sequence[PolishJob]) -> list[Polished]:
            if self.workers > 1 and len(tasks) >= self.PARALLEL_FROM:
                executor = self._executor()
                chunk = max(1, len(tasks) // (4 * self.workers))
                return list(executor.map(polish_part, [(self.solver, *t) for t in tasks],
                                         chunksize=chunk))
            return [(list(task[3]), None) if self.expired() else backend.polish(*task)
                    for task in tasks]

        return polish_all(jobs, run)

    def run(self, tasks: Sequence[PartTask]) -> list[SolveResult]:
        return [f.result() for f in [self.submit(t) for t in tasks]]

    def __enter__(self) -> Runner:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.executor is not None:
            self.executor.shutdown(cancel_futures=True)
