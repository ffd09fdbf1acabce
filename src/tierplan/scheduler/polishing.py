"""Clean values and row duals for a solved model: the LP with its integer columns fixed
(:meth:`.solvers.Backend.polish`), solved part by part, as it falls apart into one small
LP per workload once the integers are fixed (:func:`.milp.split_fixed`); the parts of
all the blocks at once, in worker processes when there are many (pool.Pool.polish)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future

from .milp import Layout, Milp, Part, rounded, split_fixed, split_layout
from .solvers import Backend, get_backend

__all__ = ["Ahead", "PolishJob", "Polished", "polish", "polish_all", "polish_task"]


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
               run: Callable[[Sequence[PolishJob]], list[Polished]],
               layouts: Mapping[int, tuple[Milp, Layout]] | None = None) -> list[Polished]:
    """:func:`polish` for several models (milp, primary, secondary, x) at once: their
    parts' LPs all go to ``run`` together (it solves each as :meth:`Backend.polish`,
    e.g. in worker processes, see pool.Pool.polish). ``layouts``: models' split
    layouts found ahead (by ``id``, with the model; see :class:`Ahead`)."""
    tasks: list[PolishJob] = []
    placed: list[tuple[int, list[Part] | None] | None] = []  # first task, parts (None: whole)
    for milp, primary, secondary, x in jobs:
        if all(milp.col_integer):
            placed.append(None)
            continue
        known = (layouts or {}).get(id(milp))
        parts = split_fixed(milp, x, known[1] if known and known[0] is milp else None)
        if len(parts) == 1 and len(parts[0].rows) == milp.num_rows:  # one part: the model
            placed.append((len(tasks), None))
            tasks.append((milp, primary, secondary, x))
            continue
        placed.append((len(tasks), parts))
        for part in parts:
            tasks.append((part.milp, [primary[j] for j in part.cols],
                          None if secondary is None else [secondary[j] for j in part.cols],
                          [x[j] for j in part.cols]))
    results = run(tasks) if tasks else []
    out: list[Polished] = []
    for (milp, _, _, x), layout in zip(jobs, placed, strict=True):
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


class Ahead:
    """Polishing begun before the plan is final, in a thread, while the planner's own
    thread waits in HiGHS (which releases the GIL; a merged block's LP takes 1.3-1.6 s
    at 1,000 workloads with the other core and the workers idle): the split layouts of
    the merged blocks' models (:func:`.milp.split_layout`, 0.3-0.45 s there) and the
    polished values of blocks already solved (those solved alone in the first round).
    What the plan then changes is polished again at the end as usual."""

    def __init__(self) -> None:
        self.layouts: dict[int, tuple[Milp, Layout]] = {}
        self.polished: dict[int, tuple[Milp, Sequence[float], Polished]] = {}
        self._running: Future[None] | None = None
        self.begun = False

    def begin(self, models: Sequence[Milp], jobs: Sequence[PolishJob],
              polish_jobs: Callable[[Sequence[PolishJob]], list[Polished]],
              aside: Callable[[Callable[[], None]], Future[None]]) -> None:
        """Lay out ``models`` and polish ``jobs`` (through ``polish_jobs``) in a thread
        (``aside``, see pool.Pool.aside)."""
        def work() -> None:
            for milp in models:
                self.layouts[id(milp)] = (milp, split_layout(milp))
            for job, done in zip(jobs, polish_jobs(jobs), strict=True):
                self.polished[id(job[0])] = (job[0], job[3], done)

        self._running = aside(work)
        self.begun = True

    def wait(self) -> None:
        """Wait for the thread (raising what it raised)."""
        if self._running is not None:
            self._running.result()
            self._running = None

    def found(self, milp: Milp, x: Sequence[float]) -> Polished | None:
        """What was polished ahead for ``milp`` at this very solution ``x``, if anything."""
        entry = self.polished.get(id(milp))
        return entry[2] if entry is not None and entry[0] is milp and entry[1] is x else None
