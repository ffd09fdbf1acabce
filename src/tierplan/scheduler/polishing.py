"""Clean values and row duals for a solved model: the LP with its integer columns fixed
(:meth:`.solvers.Backend.polish`), solved part by part, as it falls apart into one small
LP per workload once the integers are fixed (:func:`.milp.split_fixed`); the parts of
all the blocks at once, in worker processes when there are many (pool.Pool.polish)."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Literal

from ..model import Objective
from .blocks import Block, Blocks
from .candidates import InferenceCandidates, TrainingCandidates
from .formulation import objectives
from .milp import Layout, Milp, Part, fixed_part, rounded, split_fixed, split_layout
from .solvers import Backend, get_backend

__all__ = ["Ahead", "Early", "PolishJob", "Polished", "polish", "polish_ahead", "polish_all",
           "polish_early", "polish_task"]


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
               layouts: Mapping[int, tuple[Milp, Layout]] | None = None,
               early: Mapping[int, Early] | None = None) -> list[Polished]:
    """:func:`polish` for several models (milp, primary, secondary, x) at once: their
    parts' LPs all go to ``run`` together (it solves each as :meth:`Backend.polish`,
    e.g. in worker processes, see pool.Pool.polish). ``layouts``: models' split
    layouts found ahead (by ``id``, with the model; see :class:`Ahead`); ``early``:
    parts already polished while the plan was being made (:class:`Early`), used where
    they are the same LP."""
    tasks: list[PolishJob] = []
    # Each job's parts, or "integer" (every column is) or "whole" (one part: the model).
    placed: list[list[Part] | Literal["integer", "whole"]] = []
    done: dict[tuple[int, int], Polished] = {}  # (job, part) -> polished early
    for n, (milp, primary, secondary, x) in enumerate(jobs):
        if all(milp.col_integer):
            placed.append("integer")
            continue
        known = (layouts or {}).get(id(milp))
        parts = split_fixed(milp, x, known[1] if known and known[0] is milp else None)
        if len(parts) == 1 and len(parts[0].rows) == milp.num_rows:  # one part: the model
            placed.append("whole")
            tasks.append((milp, primary, secondary, x))
            continue
        placed.append(parts)
        before = (early or {}).get(id(milp))
        same = before is not None and before.polishes(milp, primary, secondary)
        for p, part in enumerate(parts):
            found = before.found(p, part) if before is not None and same else None
            if found is not None:
                done[n, p] = found
                continue
            tasks.append(_part_job(part, primary, secondary, x))
    results = iter(run(tasks) if tasks else [])
    out: list[Polished] = []
    for n, ((milp, _, _, x), pieces) in enumerate(zip(jobs, placed, strict=True)):
        if pieces == "integer":  # x is exact already
            out.append((rounded(milp.col_integer, x), None))
            continue
        if pieces == "whole":
            out.append(next(results))
            continue
        clean = rounded(milp.col_integer, x)
        duals: list[float] | None = [0.0] * milp.num_rows
        for p, part in enumerate(pieces):
            values, sub_duals = done[n, p] if (n, p) in done else next(results)
            for k, j in enumerate(part.cols):
                clean[j] = values[k]
            if sub_duals is None or duals is None:
                duals = None
            else:
                for k, r in enumerate(part.rows):
                    duals[r] = sub_duals[k]
        out.append((clean, duals))
    return out


def _part_job(part: Part, primary: Sequence[float], secondary: Sequence[float] | None,
              x: Sequence[float]) -> PolishJob:
    """The polish job of one part of a model (milp, primary, secondary, x): its own LP,
    with the model's objectives and values on its columns."""
    return (part.milp, [primary[j] for j in part.cols],
            None if secondary is None else [secondary[j] for j in part.cols],
            [x[j] for j in part.cols])


def polish_task(task: tuple[str, Milp, Sequence[float], Sequence[float] | None,
                            Sequence[float]]) -> Polished:
    """:meth:`Backend.polish` in a worker process: (solver, model, primary, secondary, x)."""
    name, milp, primary, secondary, x = task
    return get_backend(name).polish(milp, primary, secondary, x)


class Early:
    """A merged block's parts (of its split layout, see :func:`.milp.split_layout`)
    polished while its start still places other workloads: a part is polished, in a
    thread of its own, once every workload with a column in it is placed, at the
    integer values the start gave. The final polish takes what it finds here where
    the part is the same LP (the same row bounds: the block's final plan gave its
    integer columns the same values), so a plan that changed after the start is
    polished again where it changed.

    At 1,000 workloads the start spends most of its time waiting for its steps, one
    batch at a time in one worker, and HiGHS releases the GIL: the other core
    polishes meanwhile."""

    def __init__(self, milp: Milp, layout: Layout, primary: Sequence[float],
                 secondary: Sequence[float] | None, backend: Backend) -> None:
        self.milp, self.layout, self.backend = milp, layout, backend
        self.primary, self.secondary = primary, secondary
        self.waiting: dict[Hashable, list[int]] = {}  # workload -> parts with a column of it
        self.missing: list[int] = []  # per part, its workloads not placed yet
        for k, (part, _) in enumerate(layout):
            owners = {milp.col_tags[j][1] for j in part.cols}
            for owner in owners:
                self.waiting.setdefault(owner, []).append(k)
            self.missing.append(len(owners))
        self.polished: dict[int, tuple[Part, Polished]] = {}
        self._nothing = [0.0] * milp.num_cols  # no plan to fall back on: only optima are kept
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="tierplan-early")
        self._running: list[Future[None]] = []

    def placed(self, workloads: Iterable[Hashable],
               value: Callable[[tuple[object, ...]], float]) -> None:
        """``workloads`` are placed; ``value(tag)``: the start's value of a column so far.

        It is read in the polishing thread, which writes the parts too, while the
        caller goes on: the part's own workloads are placed by then, and a fixed term
        of another workload may be read before or after it is placed, as the final
        polish uses a part only where it is the same LP (see :meth:`found`)."""
        ready = []
        for owner in workloads:
            for k in self.waiting.pop(owner, ()):
                self.missing[k] -= 1
                if not self.missing[k]:
                    ready.append(k)
        if ready:
            self._running.append(self._thread.submit(self._polish, ready, value))

    def _polish(self, ready: Sequence[int], value: Callable[[tuple[object, ...]], float],
                ) -> None:
        tags = self.milp.col_tags
        for k in ready:
            part = fixed_part(self.milp, *self.layout[k], lambda j: value(tags[j]))
            result = self.backend.polish(*_part_job(part, self.primary, self.secondary,
                                                    self._nothing))
            if result[1] is not None:  # an optimum (else its values are those given)
                self.polished[k] = (part, result)

    def wait(self) -> None:
        """Wait for the parts under way (raising what their polishing raised)."""
        for running in self._running:
            running.result()
        self._running = []
        self._thread.shutdown()

    def polishes(self, milp: Milp, primary: Sequence[float],
                 secondary: Sequence[float] | None) -> bool:
        """Whether these are the model and objectives polished here."""
        return milp is self.milp and _listed(primary) == _listed(self.primary) and (
            _listed(secondary) == _listed(self.secondary))

    def found(self, k: int, part: Part) -> Polished | None:
        """Part ``k`` (``part``, at the final plan) as polished early, when it is the same
        LP: the same row bounds (see :meth:`polishes` for the rest)."""
        entry = self.polished.get(k)
        if entry is None:
            return None
        before, result = entry
        same = (before.milp.row_lower == part.milp.row_lower
                and before.milp.row_upper == part.milp.row_upper)
        return result if same else None


def _listed(values: Sequence[float] | None) -> list[float] | None:
    return None if values is None else list(values)


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
        self.early: dict[int, Early] = {}  # by model: its starts' parts (see Early)
        self._running: Future[None] | None = None
        self._laying: dict[int, Future[None]] = {}  # by model: see lay_out
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

    def lay_out(self, models: Sequence[Milp],
                aside: Callable[[Callable[[], None]], Future[None]]) -> None:
        """Lay out ``models`` too, each in a thread (``aside``), when polishing began
        ahead: the models of merged blocks written after it began (at 1,000 workloads
        under latency the block that one more workload joins after the first LP, whose
        warm LP hides it). Without it that block's start polishes nothing early and its
        layout is found at the end, in series."""
        if not self.begun:
            return
        for milp in models:
            if id(milp) not in self.layouts and id(milp) not in self._laying:
                def work(milp: Milp = milp) -> None:
                    self.layouts[id(milp)] = (milp, split_layout(milp))

                self._laying[id(milp)] = aside(work)

    def layout(self, milp: Milp) -> Layout | None:
        """The model's layout: laid out ahead, or by :meth:`lay_out` (waited for, as the
        end would need it anyway); None when neither began it or the first thread is
        still at work."""
        laying = self._laying.get(id(milp))
        if laying is not None:
            laying.result()
        entry = self.layouts.get(id(milp))
        return entry[1] if entry is not None and entry[0] is milp else None

    def wait(self) -> None:
        """Wait for the threads, and for the parts polished early (raising what they
        raised)."""
        if self._running is not None:
            self._running.result()
            self._running = None
        for laying in self._laying.values():
            laying.result()
        for early in self.early.values():
            early.wait()

    def found(self, milp: Milp, x: Sequence[float]) -> Polished | None:
        """What was polished ahead for ``milp`` at this very solution ``x``, if anything."""
        entry = self.polished.get(id(milp))
        return entry[2] if entry is not None and entry[0] is milp and entry[1] is x else None


def polish_ahead(blocks: Blocks, objective: Objective,
                 polish_jobs: Callable[[Sequence[PolishJob]], list[Polished]],
                 aside: Callable[[Callable[[], None]], Future[None]]) -> Ahead:
    """Begin polishing while the merged blocks' LPs are solved (see :class:`Ahead`):
    the blocks solved alone, and the merged blocks' layouts. Only when those LPs are
    large enough to hide it (AHEAD_FROM)."""
    ahead = Ahead()
    merged = [b.form.milp for b in blocks.unsolved() if len(b.members) > 1 and b.form is not None]
    if sum(m.num_cols for m in merged) >= AHEAD_FROM:
        jobs: list[PolishJob] = [
            (b.form.milp, *objectives(b.form, objective), b.result.x)
            for b in blocks.blocks.values() if len(b.members) == 1 and b.form is not None
            and b.result is not None and b.result.x is not None]
        ahead.begin(merged, jobs, polish_jobs, aside)
    return ahead


def polish_early(block: Block, ahead: Ahead | None, objective: Objective, backend: Backend,
                 members: Sequence[InferenceCandidates | TrainingCandidates],
                 ) -> Callable[[Sequence[int], Mapping[tuple[object, ...], float]], None] | None:
    """What the block's start tells as it places its workloads, to polish their parts
    meanwhile (see :class:`Early`): for a block laid out ahead (see :func:`polish_ahead`),
    once its layout is there (the thread that lays it out may still be at work)."""
    if ahead is None or block.form is None:
        return None
    layout = ahead.layout(block.form.milp)
    if layout is None:
        return None
    early = ahead.early[id(block.form.milp)] = Early(
        block.form.milp, layout, *objectives(block.form, objective), backend)

    def placed(done: Sequence[int], values: Mapping[tuple[object, ...], float]) -> None:
        early.placed((members[i].workload.name for i in done), lambda tag: values.get(tag, 0.0))

    return placed


# Columns of merged blocks from which polishing begins while their LPs are solved: a
# wall-time overlap only (the plan is the same either way); below it the thread costs
# more than it hides.
AHEAD_FROM = 10_000
